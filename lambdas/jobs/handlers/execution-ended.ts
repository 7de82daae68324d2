/**
 * EventBridge "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED): a job
 * whose execution ended without finalizing it must not stay `running` forever.
 *
 * The event's `detail` "provides the same information as the DescribeExecution API"
 * (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html): the execution's name
 * and ARN, its status and, when included, its input. The job id is read from the input, which
 * the job service starts every execution with; an execution's name is the job id only for its
 * first run (a retry runs as `<job_id>-retry-<n>`), so the name serves only when the input is
 * not included.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import * as z from 'zod';
import { kindOf } from '#kinds';
import { withPowertools } from '#platform/middleware.ts';
import { logger } from '#platform/powertools.ts';
import { markOrphaned } from '../job-service.ts';
import * as jobs from '../job-store.ts';

export interface ExecutionStatusChange {
  executionArn: string;
  name: string;
  status: string;
  input?: string | null;
  error?: string | null;
}

const executionInput = z.object({ job_id: z.string().min(1) });
const RETRY_SUFFIX = /-retry-(\d+)$/;

/** Which run of its job an execution (name or ARN) is: 0 for the first, n for `-retry-n`. */
export function runNumberOf(execution: string): number {
  return Number(RETRY_SUFFIX.exec(execution)?.[1] ?? 0);
}

/** The job an execution ran: from its input, else from its name without the retry suffix. */
export function jobIdOf(detail: ExecutionStatusChange): string {
  if (typeof detail.input === 'string') {
    try {
      const parsed = executionInput.safeParse(JSON.parse(detail.input));
      if (parsed.success) return parsed.data.job_id;
    } catch {
      // not JSON: the name it is
    }
  }
  return detail.name.replace(RETRY_SUFFIX, '');
}

export async function executionEnded(event: EventBridgeEvent<string, ExecutionStatusChange>): Promise<void> {
  const detail = event.detail;
  const jobId = jobIdOf(detail);
  const job = await jobs.getJob(jobId);
  // An earlier run of a retried job ends late (EventBridge delivers at least once, retries
  // included): the job belongs to its newer execution now. A newer one than the job records
  // is its retry that ended before the job service could record its ARN.
  if (job?.execution_arn && runNumberOf(job.execution_arn) > runNumberOf(detail.executionArn)) {
    logger.info('An earlier execution of the job ended; the job has moved on', {
      job_id: jobId,
      execution_arn: detail.executionArn,
    });
    return;
  }
  const why = detail.error ? ` (${detail.error.slice(0, 100)})` : '';
  await markOrphaned(jobId, `The execution ended with status ${detail.status}${why}`, kindOf);
}

export const handler = withPowertools(executionEnded);
