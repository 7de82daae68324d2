/**
 * How much a chunk reserves against its budgets before it runs: what the job's chunks have
 * cost on average so far, with a fifth more for the spread between chunks; before any has
 * finished, the dry-run estimate of this chunk (or, for a chunk its kind does not list, such
 * as a content section, of a typical one), thoughts at the configured level included. Erring high stops a job a little before its budget
 * rather than past it.
 */
import type { GenerationSettings } from '#platform/config.ts';
import { typicalThoughtTokens } from '#platform/gemini/model-capabilities.ts';
import { costOf, servingModel } from '#platform/gemini/pricing.ts';
import { chunkUsage, DEFAULT_REPAIR_OVERHEAD } from './estimate.ts';
import type { JobRecord, TokenUsage } from './job.ts';
import type { JobKind } from './kind.ts';

const SPREAD = 1.2;
/**
 * A chunk its kind does not list (a content section): its outline in, up to a couple of thousand
 * words out, and the thoughts of a section's call at its level.
 */
const UNLISTED_CHUNK_USAGE: Omit<TokenUsage, 'thinking_tokens'> = {
  input_tokens: 2000,
  output_tokens: 2500,
  cached_tokens: 0,
};

export function chunkReserveUsd(
  job: JobRecord,
  chunkKey: string,
  settings: GenerationSettings,
  kind: JobKind,
  pricing: { batch?: boolean } = {},
): number {
  const counted = job.chunks_completed + job.chunks_failed;
  if (counted > 0 && job.cost_usd > 0) return (job.cost_usd / counted) * SPREAD;
  return (
    // Reserved at today's rate of the model that will answer (a deprecated id's successor).
    costOf(servingModel(job.model), firstGuess(job, chunkKey, settings, kind), {
      ...pricing,
      at: Date.now(),
    }) *
    (1 + DEFAULT_REPAIR_OVERHEAD) *
    SPREAD
  );
}

function firstGuess(
  job: JobRecord,
  chunkKey: string,
  settings: GenerationSettings,
  kind: JobKind,
): TokenUsage {
  const chunk = kind.chunks?.(job.job_type, job.parameters, settings).find((c) => c.key === chunkKey);
  // Thoughts are billed as output: a reservation without them would let a job run past its budget.
  return chunk
    ? chunkUsage(chunk, undefined, typicalThoughtTokens(job.model, settings.thinking.questions))
    : {
        ...UNLISTED_CHUNK_USAGE,
        thinking_tokens: typicalThoughtTokens(job.model, settings.thinking.sections),
      };
}
