/** "Assemble results": the job's kind builds its result files from the chunks. */

import type { AssembleInput, AssembleOutput } from '#contract/pipeline.ts';
import { kindOf } from '#kinds';
import { generationSettings } from '#platform/config.ts';
import { withPowertools } from '#platform/middleware.ts';
import * as jobs from '../job-store.ts';

const settings = generationSettings();

export async function assembleResults(input: AssembleInput): Promise<AssembleOutput> {
  const job = await jobs.getJob(input.job_id);
  if (!job) throw new Error(`Job ${input.job_id} does not exist`);
  await jobs.setProgressMessage(input.job_id, 'Assembling result files...');
  return kindOf(job.job_type).assemble(job, input, settings);
}

export const handler = withPowertools(assembleResults);
