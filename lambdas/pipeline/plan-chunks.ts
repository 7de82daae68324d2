/**
 * "Plan chunks": expands the job into chunks and drops those already in the checkpoint
 * (unless the job asked to regenerate), so a new job resumes where an old one stopped.
 */
import { generationSettings } from '../commons/config.ts';
import { withPowertools } from '../commons/middleware.ts';
import type { ExecutionInput, PlanOutput } from '../commons/pipeline-contract.ts';
import { logger } from '../commons/powertools.ts';
import { chunksForJob } from '../domain/chunks.ts';
import * as jobs from '../store/job-store.ts';

const settings = generationSettings();

export async function planChunks(input: ExecutionInput): Promise<PlanOutput> {
  const job = await jobs.getJob(input.job_id);
  if (!job) throw new Error(`Job ${input.job_id} does not exist`);
  const all = chunksForJob(job.job_type, job.parameters, settings).map((c) => c.key);
  const done = job.parameters.regenerate ? new Set<string>() : await jobs.checkpointedKeys(input.owner, all);
  const chunks = all.filter((key) => !done.has(key));
  const skipped = all.length - chunks.length;
  const started = await jobs.updateJob(
    job,
    {
      status: 'running',
      started_at: job.started_at ?? new Date().toISOString(),
      chunks_total: all.length,
      chunks_skipped: skipped,
      chunks_planned: chunks.length,
      progress_percent: 5,
      progress_message:
        skipped > 0
          ? `Planned ${chunks.length} chunks to generate (${skipped} of ${all.length} already in the checkpoint)`
          : `Planned ${chunks.length} chunks to generate`,
    },
    ['pending', 'running'],
  );
  if (!started) throw new Error(`Job ${input.job_id} is no longer pending (cancelled or deleted)`);
  logger.info('Planned job', { job_id: input.job_id, chunks: chunks.length, skipped });
  return { job_id: input.job_id, owner: input.owner, chunks, skipped_from_checkpoint: skipped };
}

export const handler = withPowertools(planChunks);
