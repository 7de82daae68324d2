/**
 * How much a chunk reserves against its budgets before it runs: what the job's chunks have
 * cost on average so far, with a fifth more for the spread between chunks; before any has
 * finished, the dry-run estimate of this chunk (or, for a content section, of a typical one).
 * Erring high stops a job a little before its budget rather than past it.
 */
import type { GenerationSettings } from '#platform/config.ts';
import { costOf } from '#platform/gemini/pricing.ts';
import { findChunk, type QuestionCounts } from './chunks.ts';
import { chunkUsage, DEFAULT_REPAIR_OVERHEAD } from './estimate.ts';
import type { JobRecord, TokenUsage } from './job.ts';

const SPREAD = 1.2;
/** A content section: its outline in, up to a couple of thousand words out. */
const SECTION_USAGE: TokenUsage = {
  input_tokens: 2000,
  output_tokens: 2500,
  thinking_tokens: 0,
  cached_tokens: 0,
};

export function chunkReserveUsd(
  job: JobRecord,
  chunkKey: string,
  settings: GenerationSettings & QuestionCounts,
  pricing: { batch?: boolean } = {},
): number {
  const counted = job.chunks_completed + job.chunks_failed;
  if (counted > 0 && job.cost_usd > 0) return (job.cost_usd / counted) * SPREAD;
  return (
    costOf(job.model, firstGuess(job, chunkKey, settings), pricing) * (1 + DEFAULT_REPAIR_OVERHEAD) * SPREAD
  );
}

function firstGuess(job: JobRecord, chunkKey: string, settings: QuestionCounts): TokenUsage {
  if (job.job_type === 'content') return SECTION_USAGE;
  const chunk = findChunk(job.job_type, job.parameters, chunkKey, settings);
  return chunk ? chunkUsage(chunk) : SECTION_USAGE;
}
