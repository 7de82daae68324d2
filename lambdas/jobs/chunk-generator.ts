/**
 * Generating one chunk, as every kind does it: its kind asks the model for the chunk's
 * questions (or a content section), checks each one, asks again for replacements of the
 * rejected ones, and keeps the result in S3. What the engine adds is that a chunk its job has
 * kept already is found again rather than generated twice.
 */

import type { GeneratedChunk } from './chunk-common.ts';
import type { JobRecord } from './job.ts';
import type { ChunkRecord, KeptChunk } from './job-store.ts';
import type { JobKind } from './kind.ts';

/**
 * A chunk this job has already kept, found by a redelivery whose earlier delivery stopped
 * after keeping it and before recording its outcome: what generating it returned, read back
 * from the chunk's record or from where its kind keeps it (a quiz bank's checkpoint), with its
 * model calls. Its cost was settled before it was kept. A checkpoint entry of another job
 * (plan-chunks already dropped or deliberately regenerates those) or one written before
 * entries kept their figures is none: the chunk is generated as before.
 */
export async function keptByThisJob(
  job: Pick<JobRecord, 'job_id' | 'owner' | 'mode'>,
  chunkKey: string,
  record: ChunkRecord | undefined,
  kind: JobKind,
): Promise<(GeneratedChunk & { calls: number }) | undefined> {
  if (record?.kept) return generatedOf(record.kept);
  // A worker keeps a chunk only after starting an attempt on its record: without a record, only
  // a batch round can have kept it. The common first delivery skips the read.
  if (!record && job.mode !== 'batch') return undefined;
  const kept = await kind.keptElsewhere?.(job, chunkKey);
  return kept && generatedOf(kept);
}

function generatedOf(kept: KeptChunk): GeneratedChunk & { calls: number } {
  return {
    questions: kept.questions,
    s3Key: kept.s3_key,
    usage: kept.usage,
    costUsd: kept.cost_usd,
    ...(kept.quality ? { quality: kept.quality } : {}),
    calls: kept.calls,
  };
}

export {
  type ChunkFile,
  ChunkGenerationFailed,
  type GenerateChunkInput,
  type GeneratedChunk,
  MAX_CALLS_PER_CHUNK,
} from './chunk-common.ts';
