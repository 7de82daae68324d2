/**
 * "Plan chunks": the job's kind expands it into chunks (dropping those already in the
 * checkpoint unless the job asked to regenerate, so a new job resumes where an old one
 * stopped) and groups them into stages that run one after another.
 */

import type { Context } from 'aws-lambda';
import type { ExecutionInput, PlanOutput } from '#contract/pipeline.ts';
import { kindOf } from '#kinds';
import { generationSettings } from '#platform/config.ts';
import { withPowertools } from '#platform/middleware.ts';
import { logger } from '#platform/powertools.ts';
import * as jobs from '../job-store.ts';

const settings = generationSettings();

export async function planChunks(input: ExecutionInput, context?: Context): Promise<PlanOutput> {
  const job = await jobs.getJob(input.job_id);
  if (!job) throw new Error(`Job ${input.job_id} does not exist`);
  const kind = kindOf(job.job_type);
  // A kind that asks the model for an outline while planning gets the invocation's time, less a margin.
  const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 300_000) - 10_000;
  const { total, stages } = await kind.plan(job, { owner: input.owner, settings, deadline });
  const chunks = stages.flat();
  const skipped = total - chunks.length;
  const started = await jobs.updateJob(
    job,
    {
      status: 'running',
      started_at: job.started_at ?? new Date().toISOString(),
      chunks_total: total,
      chunks_skipped: skipped,
      chunks_planned: chunks.length,
      progress_percent: 5,
      progress_message:
        skipped > 0
          ? `Planned ${chunks.length} chunks to generate (${skipped} of ${total} already done)`
          : `Planned ${chunks.length} chunks to generate`,
    },
    ['pending', 'running'],
    kind.list,
  );
  if (!started) throw new Error(`Job ${input.job_id} is no longer pending (cancelled or deleted)`);
  logger.info('Planned job', { job_id: input.job_id, chunks: chunks.length, stages: stages.length, skipped });
  return {
    job_id: input.job_id,
    owner: input.owner,
    chunks,
    stages,
    skipped_from_checkpoint: skipped,
    mode: job.mode === 'batch' ? 'batch' : 'interactive',
  };
}

export const handler = withPowertools(planChunks);
