/** "Mark job failed": the pipeline itself failed (not a chunk); say why on the job. */
import { withPowertools } from '../commons/middleware.ts';
import type { MarkFailedInput } from '../commons/pipeline-contract.ts';
import { contentJobEnded } from '../content-pipeline/job-events.ts';
import { readableCause } from '../domain/summary.ts';
import * as jobs from '../store/job-store.ts';

export async function markJobFailed(input: MarkFailedInput): Promise<{ status: string }> {
  const job = await jobs.getJob(input.job_id);
  if (!job) return { status: 'deleted' };
  const cause = readableCause(input.error?.Cause);
  const updated = await jobs.updateJob(
    job,
    {
      status: 'failed',
      error_message: `${input.error?.Error ?? 'Error'}: ${cause}`,
      progress_message: `Failed during: ${job.progress_message ?? 'generation'}`,
      completed_at: new Date().toISOString(),
    },
    ['pending', 'running'],
  );
  if (updated) await contentJobEnded(updated);
  return { status: updated?.status ?? job.status };
}

export const handler = withPowertools(markJobFailed);
