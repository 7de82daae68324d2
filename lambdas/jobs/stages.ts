/**
 * The order in which a job's chunks are generated. "Plan chunks" groups the keys it will
 * generate into stages; the state machine runs the stages one after another and the chunks of a
 * stage in parallel, so a chunk that builds on another (a module summary on its lessons, lessons
 * on the course overview) goes in a later stage than the chunks it reads.
 */
import type { JobRecord } from './job.ts';
import * as jobs from './job-store.ts';
import type { Plan } from './kind.ts';

/**
 * Stages for a job, in dependency order, from the keys left to generate (checkpointed chunks
 * already removed). Every job type is one stage for now: its chunks are independent.
 */
export function stagesForJob(_job: JobRecord, chunks: string[]): string[][] {
  return [chunks];
}

/**
 * Fails when stages lose, repeat or invent a chunk key: a dropped key would leave its chunk
 * ungenerated while the job still reports it as planned.
 */
export function checkStages(chunks: string[], stages: string[][]): void {
  const staged = stages.flat();
  const expected = new Set(chunks);
  const seen = new Set<string>();
  for (const key of staged) {
    if (!expected.has(key)) throw new Error(`Stage key ${key} is not among the planned chunks`);
    if (seen.has(key)) throw new Error(`Chunk ${key} is in more than one stage`);
    seen.add(key);
  }
  const missing = chunks.filter((key) => !seen.has(key));
  if (missing.length > 0) throw new Error(`Chunks in no stage: ${missing.join(', ')}`);
}

/**
 * "Plan chunks" for a kind that lists its chunks from the job's parameters: every chunk, minus
 * those already in the owner's checkpoint unless the job asked to regenerate, in stages.
 */
export async function planListedChunks(job: JobRecord, owner: string, keys: string[]): Promise<Plan> {
  const done = job.parameters.regenerate ? new Set<string>() : await jobs.checkpointedKeys(owner, keys);
  const planned = keys.filter((key) => !done.has(key));
  const stages = stagesForJob(job, planned);
  checkStages(planned, stages);
  return { total: keys.length, stages };
}
