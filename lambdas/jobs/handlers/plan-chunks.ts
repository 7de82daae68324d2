/**
 * "Plan chunks": expands the job into chunks and drops those already in the checkpoint
 * (unless the job asked to regenerate), so a new job resumes where an old one stopped, then
 * groups them into stages that run one after another.
 */

import type { Context } from 'aws-lambda';
import { planContent } from '#content/content-job.ts';
import type { ExecutionInput, PlanOutput } from '#contract/pipeline.ts';
import { generationSettings } from '#platform/config.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import { costOf } from '#platform/gemini/pricing.ts';
import { withPowertools } from '#platform/middleware.ts';
import { logger } from '#platform/powertools.ts';
import { chunksForJob } from '../chunks.ts';
import type { JobRecord } from '../job.ts';
import * as jobs from '../job-store.ts';
import { checkStages, stagesForJob } from '../stages.ts';

const settings = generationSettings();

interface Planned {
  total: number;
  stages: string[][];
}

/** Quiz banks and assessments: chunks from the catalog or the mix, minus the checkpoint. */
async function planCatalogJob(job: JobRecord, owner: string): Promise<Planned> {
  const all = chunksForJob(job.job_type, job.parameters, settings).map((c) => c.key);
  const done = job.parameters.regenerate ? new Set<string>() : await jobs.checkpointedKeys(owner, all);
  const planned = all.filter((key) => !done.has(key));
  const stages = stagesForJob(job, planned);
  checkStages(planned, stages);
  return { total: all.length, stages };
}

/** Content: sections in dependency stages, outlined by the model first when the structure is empty. */
async function planContentJob(job: JobRecord, context?: Context): Promise<Planned> {
  const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 300_000) - 10_000;
  const planned = await planContent(job, await geminiApiKey(), settings, deadline);
  if (planned.usage.input_tokens + planned.usage.output_tokens > 0) {
    await jobs.addJobUsage(job.job_id, planned.usage, costOf(planned.model, planned.usage));
  }
  return { total: planned.total, stages: planned.stages };
}

export async function planChunks(input: ExecutionInput, context?: Context): Promise<PlanOutput> {
  const job = await jobs.getJob(input.job_id);
  if (!job) throw new Error(`Job ${input.job_id} does not exist`);
  const { total, stages } =
    job.job_type === 'content' ? await planContentJob(job, context) : await planCatalogJob(job, input.owner);
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
