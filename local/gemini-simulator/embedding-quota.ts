/**
 * The embedding requests-per-minute quota, counted per text: Gemini counts each text of a
 * batchEmbedContents call as one request against the embedding model's RPM, not the call
 * (observed by clients, e.g. garrytan/gbrain#1922: "`:batchEmbedContents` charges 1 RPM per ITEM
 * in the batch (verified via direct 100-item probe → 429)"; the rate-limit page,
 * https://ai.google.dev/gemini-api/docs/rate-limits, gives embedding limits in RPM without
 * saying how a batch counts). A call whose texts would take the last 60 s over the quota is
 * refused whole, with 429 RESOURCE_EXHAUSTED and the RetryInfo delay after which it would fit.
 */
import { type ApiErrorBody, quotaExceeded } from './errors.ts';
import type { SimulatorState } from './state.ts';

const QUOTA_WINDOW_MS = 60_000;

/** The quota named as Gemini's 429 names a per-minute quota (the embedding variant of its metric). */
function embeddingQuotaError(model: string, limit: number, delayMs: number): ApiErrorBody {
  return quotaExceeded({
    model,
    quotaMetric: 'generativelanguage.googleapis.com/embed_content_requests',
    quotaId: 'EmbedContentRequestsPerMinutePerProjectPerModel',
    limit,
    retryDelayMs: delayMs,
  });
}

/**
 * Admits a call of `texts` texts at `now` into the embedding quota window, or answers the 429
 * it gets. Unlimited when `embeddingRpm` is not set.
 */
export function admitEmbeddingCall(
  state: SimulatorState,
  model: string,
  texts: number,
  now: number,
): ApiErrorBody | undefined {
  const limit = state.config.embeddingRpm;
  state.embeddingQuotaWindow = state.embeddingQuotaWindow.filter((e) => e.at > now - QUOTA_WINDOW_MS);
  if (limit === undefined) return undefined;
  let used = state.embeddingQuotaWindow.reduce((sum, e) => sum + e.texts, 0);
  if (used + texts > limit) {
    // The call fits once enough earlier texts have slid out; more texts than the quota never fit.
    let freeAt = now + QUOTA_WINDOW_MS;
    for (const e of state.embeddingQuotaWindow) {
      used -= e.texts;
      if (used + texts <= limit) {
        freeAt = e.at + QUOTA_WINDOW_MS;
        break;
      }
    }
    return embeddingQuotaError(model, limit, freeAt - now);
  }
  state.embeddingQuotaWindow.push({ at: now, texts });
  return undefined;
}
