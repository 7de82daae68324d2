/** "Finalize job": the job's final status, summary, timings, tokens and cost. */

import { type FinalizeInput, flatChunkResults } from '#contract/pipeline.ts';
import { kindOf } from '#kinds';
import { withPowertools } from '#platform/middleware.ts';
import { logger } from '#platform/powertools.ts';
import { cancelJobBatches } from '../batch-state.ts';
import { timeOut } from '../job-service.ts';
import * as jobs from '../job-store.ts';
import {
  boundedMessage,
  budgetStop,
  failureMessage,
  quotaStop,
  storedSummary,
  summarize,
} from '../summary.ts';

export async function finalizeJob(input: FinalizeInput): Promise<{ status: string }> {
  const job = await jobs.getJob(input.job_id);
  if (!job) return { status: 'deleted' };
  const now = new Date();
  if (job.deadline_at && now.getTime() > Date.parse(job.deadline_at)) {
    const timedOut = await timeOut(job, { stopExecution: false, kinds: kindOf });
    return { status: timedOut.status };
  }
  const kind = kindOf(job.job_type);
  const summary = summarize(job, flatChunkResults(input.chunk_results), input.assembled.files, now);
  const qualityFailure = input.assembled.quality_failure;
  const failed = summary.chunks_failed > 0 || qualityFailure !== undefined;
  const finished = await jobs.updateJob(
    job,
    failed
      ? {
          status: 'failed',
          result_summary: storedSummary(summary),
          error_message:
            summary.chunks_failed > 0
              ? boundedMessage(failureMessage(summary))
              : qualityFailure === undefined
                ? null
                : boundedMessage(qualityFailure),
          ...(budgetStop(summary) ? { stop_reason: 'budget' as const } : {}),
          ...(quotaStop(summary) ? { stop_reason: 'quota' as const } : {}),
          progress_percent: 100,
          progress_message: budgetStop(summary)
            ? 'Stopped at its budget'
            : quotaStop(summary)
              ? 'Stopped: Gemini quota exhausted'
              : summary.chunks_failed > 0
                ? `Finished with ${summary.chunks_failed} failed chunks`
                : 'Finished below the quality threshold',
          completed_at: now.toISOString(),
        }
      : {
          status: 'completed',
          result_summary: storedSummary(summary),
          error_message: null,
          progress_percent: 100,
          progress_message: 'Generation complete!',
          completed_at: now.toISOString(),
        },
    ['pending', 'running'],
    kind.list,
  );
  // The rounds ended before "Finalize job"; a batch still listed (a round cut short) is cancelled.
  if (finished) await cancelJobBatches(finished, `the job ${finished.status}`);
  if (finished) await kind.ended?.(finished);
  logger.info('Job finished', {
    job_id: input.job_id,
    status: finished?.status ?? job.status,
    ...summary.tokens,
  });
  return { status: finished?.status ?? job.status };
}

export const handler = withPowertools(finalizeJob);
