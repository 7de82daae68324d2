/** "Mark job failed": the pipeline itself failed (not a chunk); say why on the job. */

import type { MarkFailedInput } from '#contract/pipeline.ts';
import { kindOf } from '#kinds';
import { withPowertools } from '#platform/middleware.ts';
import { cancelJobBatches } from '../batch-state.ts';
import * as jobs from '../job-store.ts';
import { boundedMessage, readableCause } from '../summary.ts';

export async function markJobFailed(input: MarkFailedInput): Promise<{ status: string }> {
  const job = await jobs.getJob(input.job_id);
  if (!job) return { status: 'deleted' };
  const kind = kindOf(job.job_type);
  const cause = readableCause(input.error?.Cause);
  const updated = await jobs.updateJob(
    job,
    {
      status: 'failed',
      error_message: boundedMessage(`${input.error?.Error ?? 'Error'}: ${cause}`),
      progress_message: `Failed during: ${job.progress_message ?? 'generation'}`,
      completed_at: new Date().toISOString(),
    },
    ['pending', 'running'],
    kind.list,
  );
  // A batch-mode job failing mid-round leaves its batch running at Gemini, billed, unless cancelled.
  if (updated) await cancelJobBatches(updated, 'the job failed');
  if (updated) await kind.ended?.(updated);
  return { status: updated?.status ?? job.status };
}

export const handler = withPowertools(markJobFailed);
