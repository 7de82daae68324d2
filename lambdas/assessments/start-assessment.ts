/**
 * Starting an assessment job, the one way every route does it (`/generate_assessment`, and
 * EduMate's `/chat` and `/generate`): the same kind, retention and timeout.
 */
import type { JobParameters } from '#jobs/job.ts';
import * as service from '#jobs/job-service.ts';
import { DEFAULTS, ENV, intEnv } from '#platform/config.ts';
import { assessmentBasics } from './kind-basics.ts';

export function startAssessment(owner: string, parameters: JobParameters, maxCostUsd?: number) {
  return service.startJob(owner, assessmentBasics, 'assessment', parameters, {
    retentionSeconds: intEnv(ENV.assessmentRetentionHours, DEFAULTS.assessmentRetentionHours, 1) * 3600,
    timeoutSeconds: intEnv(ENV.assessmentTimeoutSeconds, DEFAULTS.assessmentTimeoutSeconds, 1),
    maxCostUsd,
  });
}
