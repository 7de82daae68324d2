/**
 * Gemini embeddings through `@google/genai`, in batches, within the shared embedding
 * requests-per-minute budget counted per text, as Gemini counts a batchEmbedContents call
 * against it (each text is one request of the quota; see `reserveSlot`), with the retry rules of
 * `gemini-client.ts`: a 429 waits as long as
 * Gemini's `RetryInfo` asks, a 5xx or timeout backs off exponentially with full jitter, and a
 * permanent error (bad key, bad request) or a used-up daily quota is thrown at once.
 */
import type { GoogleGenAI } from '@google/genai';
import { classify, clientFor, ModelCallError } from '#platform/gemini/gemini-client.ts';
import { waitForSlot } from '#platform/gemini/rate-limiter.ts';

export type EmbeddingTaskType = 'RETRIEVAL_DOCUMENT' | 'RETRIEVAL_QUERY';

/** The Gemini API takes at most this many texts in one batchEmbedContents call. */
export const MAX_BATCH = 100;
/** The limiter's bucket for embedding calls, separate from generation's. */
export const EMBED_RATE_BUCKET = 'gemini-embed';

export interface EmbeddingUsage {
  /** Only when the API reports it; the Gemini API may not for embeddings. */
  promptTokens?: number;
}

export interface BatchReport {
  texts: number;
  attempts: number;
  ms: number;
  usage: EmbeddingUsage;
}

export interface EmbedOptions {
  apiKey: string;
  model: string;
  dimensions: number;
  taskType: EmbeddingTaskType;
  requestsPerMinute: number;
  /** Epoch ms after which no new attempt starts. */
  deadline: number;
  /** Texts per call, at most MAX_BATCH and half the requests-per-minute (see batchSizeFor). */
  batchSize?: number;
  /** Batches in flight at once; the rate limiter still spaces their starts. */
  concurrency?: number;
  timeoutMs?: number;
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (error: ModelCallError, attempt: number, delayMs: number) => void;
  /** Called once per successful batch, e.g. to log progress or add up usage. */
  onBatch?: (report: BatchReport) => void;
}

const DEFAULTS = {
  batchSize: MAX_BATCH,
  concurrency: 4,
  timeoutMs: 60_000,
  maxAttempts: 6,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
} as const;

/** Scales to unit length in place, so cosine similarity is a dot product. A zero vector stays zero. */
export function normalise(vector: Float32Array): Float32Array {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += (vector[i] as number) * (vector[i] as number);
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] = (vector[i] as number) / norm;
  return vector;
}

export async function embedOnce(texts: string[], options: EmbedOptions, timeoutMs: number) {
  let response: Awaited<ReturnType<GoogleGenAI['models']['embedContent']>>;
  try {
    const client = await clientFor(options.apiKey, timeoutMs);
    response = await client.models.embedContent({
      model: options.model,
      contents: texts,
      config: { outputDimensionality: options.dimensions, taskType: options.taskType },
    });
  } catch (error) {
    throw classify(error);
  }
  const embeddings = response.embeddings ?? [];
  if (embeddings.length !== texts.length) {
    throw new ModelCallError(
      'transient',
      `The embedding model returned ${embeddings.length} embeddings for ${texts.length} texts`,
    );
  }
  const vectors = embeddings.map((embedding) => {
    const values = embedding.values ?? [];
    if (values.length !== options.dimensions) {
      // The model does not support the configured size: every retry would say the same.
      throw new ModelCallError(
        'permanent',
        `The embedding model ${options.model} returned ${values.length}-dimensional vectors; ` +
          `EMBEDDING_DIMENSIONS is ${options.dimensions}`,
      );
    }
    return normalise(Float32Array.from(values));
  });
  const promptTokens = response.usageMetadata?.promptTokenCount;
  return { vectors, usage: promptTokens === undefined ? {} : { promptTokens } };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Texts per call: at most MAX_BATCH, and at most half a minute's budget, since the limiter
 * spaces every call's requests as if the largest call were due (`SlotWeight.largest`): half
 * keeps that spacing within twice the per-request interval, and a call never takes more than a
 * minute's budget.
 */
export function batchSizeFor(options: Pick<EmbedOptions, 'batchSize' | 'requestsPerMinute'>): number {
  const asked = options.batchSize ?? DEFAULTS.batchSize;
  return Math.max(1, Math.min(MAX_BATCH, asked, Math.floor(options.requestsPerMinute / 2)));
}

async function embedBatch(
  texts: string[],
  options: EmbedOptions,
  batchSize: number,
): Promise<Float32Array[]> {
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const maxAttempts = options.maxAttempts ?? DEFAULTS.maxAttempts;
  const baseDelayMs = options.baseDelayMs ?? DEFAULTS.baseDelayMs;
  const maxDelayMs = options.maxDelayMs ?? DEFAULTS.maxDelayMs;
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    // Every attempt counts each of its texts against the quota again.
    await waitForSlot(EMBED_RATE_BUCKET, options.requestsPerMinute, {
      count: texts.length,
      largest: batchSize,
    });
    try {
      const { vectors, usage } = await embedOnce(texts, options, timeoutMs);
      options.onBatch?.({ texts: texts.length, attempts: attempt, ms: Date.now() - started, usage });
      return vectors;
    } catch (error) {
      const failure = classify(error);
      // A daily quota does not clear in minutes (quota.ts): retrying only spends the attempts.
      if (failure.kind === 'permanent' || failure.kind === 'quota_exhausted' || attempt >= maxAttempts)
        throw failure;
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
      const delay =
        failure.kind === 'rate_limited' && failure.retryAfterMs !== undefined
          ? failure.retryAfterMs + Math.random() * 250
          : Math.random() * backoff;
      if (Date.now() + delay + timeoutMs > options.deadline) throw failure;
      options.onRetry?.(failure, attempt, delay);
      await sleep(delay);
    }
  }
}

/**
 * One unit-length vector per text, in order. Empty input makes no call. The first batch that
 * fails for good fails the whole call (batches already in flight finish first).
 */
export async function embedTexts(texts: string[], options: EmbedOptions): Promise<Float32Array[]> {
  if (!Number.isInteger(options.dimensions) || options.dimensions < 1) {
    throw new RangeError(`dimensions must be a positive integer, got ${options.dimensions}`);
  }
  const batchSize = batchSizeFor(options);
  const batches: { start: number; texts: string[] }[] = [];
  for (let start = 0; start < texts.length; start += batchSize) {
    batches.push({ start, texts: texts.slice(start, start + batchSize) });
  }
  const results: Float32Array[] = new Array(texts.length);
  let next = 0;
  let failed: unknown;
  const worker = async () => {
    while (failed === undefined && next < batches.length) {
      const batch = batches[next++] as (typeof batches)[number];
      try {
        const vectors = await embedBatch(batch.texts, options, batchSize);
        vectors.forEach((vector, i) => {
          results[batch.start + i] = vector;
        });
      } catch (error) {
        failed ??= error;
      }
    }
  };
  const concurrency = Math.max(1, Math.min(options.concurrency ?? DEFAULTS.concurrency, batches.length));
  await Promise.all(Array.from({ length: concurrency }, worker));
  if (failed !== undefined) throw failed;
  return results;
}
