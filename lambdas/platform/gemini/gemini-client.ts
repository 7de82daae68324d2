/**
 * Calls Gemini through `@google/genai`, one HTTP call at a time, and sorts failures into
 * what the caller can do about them. The SDK's own retries are off: it neither reads
 * `RetryInfo` nor knows about our shared requests-per-minute budget (see `callModel`).
 */
import type {
  GenerateContentConfig,
  GenerateContentResponse,
  GoogleGenAI,
  ThinkingLevel as SdkThinkingLevel,
} from '@google/genai';
import { once } from '../clients.ts';
import { ENV, optionalEnv } from '../config.ts';
import { currentTenant } from '../tenant.ts';
import { GEMINI_API_VERSION } from './api-version.ts';
import { capabilitiesOf, type ThinkingLevel, thinkingLevelFor } from './model-capabilities.ts';
import type { TokenUsage } from './pricing.ts';
import {
  type QuotaStop,
  quotaStopInForce,
  quotaStopMessage,
  quotaStopOf,
  rememberQuotaStop,
} from './quota.ts';
import { waitForSlot } from './rate-limiter.ts';

/**
 * `quota_exhausted`: a 429 for a quota that will not clear in minutes (a per-day quota, or no
 * RetryInfo; see quota.ts). Waiting or redelivering does not help: the job ends.
 */
export type FailureKind = 'rate_limited' | 'quota_exhausted' | 'transient' | 'permanent';

export class ModelCallError extends Error {
  readonly kind: FailureKind;
  readonly status: number | undefined;
  readonly retryAfterMs: number | undefined;
  /** For `quota_exhausted`: which quota ran out and when it resets. */
  readonly quota: QuotaStop | undefined;
  constructor(kind: FailureKind, message: string, status?: number, retryAfterMs?: number, quota?: QuotaStop) {
    super(message);
    this.name = 'ModelCallError';
    this.kind = kind;
    this.status = status;
    this.retryAfterMs = retryAfterMs;
    this.quota = quota;
  }
}

export interface ModelRequest {
  apiKey: string;
  model: string;
  systemInstruction: string;
  prompt: string;
  responseSchema: unknown;
  timeoutMs: number;
  /** Sent only to a model that documents sampling parameters (see `model-capabilities.ts`). */
  temperature?: number;
  /** Thoughts and answer together; see `outputLimit` in `model-capabilities.ts`. */
  maxOutputTokens?: number;
  /** Sent as `thinkingConfig.thinkingLevel` to a model with thinking levels. */
  thinkingLevel?: ThinkingLevel;
}

export interface ModelAnswer {
  text: string;
  finishReason: string | undefined;
  /** Set when Gemini blocked the prompt (`promptFeedback.blockReason`): no candidates came back. */
  blockReason?: string | undefined;
  usage: TokenUsage;
  /** The response as received, kept in S3 for investigation. */
  raw: unknown;
  /** The model that answered (`modelVersion`): what the call is priced as (pricing.ts). */
  modelVersion: string | undefined;
}

/**
 * The SDK (about 700 KB minified with its dependencies) loads on the first model call, not
 * when the module does: API functions reach this module through the job service and content
 * jobs, and most of their requests never call Gemini, so their cold starts do not pay for it.
 * Bundled with code splitting, the SDK is a chunk of its own that loads with it.
 */
export const loadSdk = once(() => import('@google/genai'));

const clients = new Map<string, GoogleGenAI>();

/**
 * One SDK client per key, endpoint and timeout, reused across calls, always on the pinned API
 * version (`api-version.ts`: the SDK's own default, v1, has no Batch API). The SDK's own retries
 * stay off: they ignore RetryInfo and the shared requests-per-minute budget.
 */
export async function clientFor(apiKey: string, timeoutMs: number): Promise<GoogleGenAI> {
  const { GoogleGenAI } = await loadSdk();
  const baseUrl = optionalEnv(ENV.geminiBaseUrl);
  const cacheKey = `${apiKey}|${baseUrl ?? ''}|${timeoutMs}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client = new GoogleGenAI({
      apiKey,
      apiVersion: GEMINI_API_VERSION,
      httpOptions: { ...(baseUrl ? { baseUrl } : {}), timeout: timeoutMs, retryOptions: { attempts: 1 } },
    });
    clients.set(cacheKey, client);
  }
  return client;
}

/** Reads `RetryInfo.retryDelay` ("7s", "0.5s") from a Gemini error body. */
export function retryDelayMs(body: string): number | undefined {
  const match = /"retryDelay"\s*:\s*"(\d+(?:\.\d+)?)s"/.exec(body);
  return match?.[1] ? Math.ceil(Number(match[1]) * 1000) : undefined;
}

/**
 * The SDK's `ApiError` (an HTTP answer other than 2xx), recognised without loading the SDK: it
 * sets `name = 'ApiError'` and a numeric `status` (@google/genai 3.1.0, `class ApiError` in
 * `dist/node/index.mjs`).
 */
function isApiError(error: unknown): error is Error & { status: number } {
  return (
    error instanceof Error &&
    error.name === 'ApiError' &&
    typeof (error as { status?: unknown }).status === 'number'
  );
}

/** Sorts an HTTP error answer from Gemini (status and body) into what the caller can do. */
export function classifyHttpError(status: number, body: string): ModelCallError {
  const detail = summarize(body);
  if (status === 429) {
    const quota = quotaStopOf(body);
    if (quota)
      return new ModelCallError(
        'quota_exhausted',
        `${quotaStopMessage(quota)}. ${detail}`,
        status,
        undefined,
        quota,
      );
    return new ModelCallError('rate_limited', detail, status, retryDelayMs(body));
  }
  if (status === 408 || status >= 500) return new ModelCallError('transient', detail, status);
  return new ModelCallError('permanent', detail, status);
}

export function classify(error: unknown): ModelCallError {
  if (error instanceof ModelCallError) return error;
  if (isApiError(error)) return classifyHttpError(error.status, error.message);
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  // Timeouts, resets and refused connections: worth another try.
  return new ModelCallError('transient', message);
}

/** Gemini's error body is JSON; keep its status and message, not the whole payload. */
function summarize(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: number; status?: string; message?: string } };
    if (parsed.error)
      return `${parsed.error.code ?? ''} ${parsed.error.status ?? ''}: ${parsed.error.message ?? ''}`.trim();
  } catch {
    // not JSON: fall through
  }
  return body.slice(0, 500);
}

/**
 * The generateContent config of a request; batch requests (`batch-client.ts`) use it too. What
 * a model does not take is left out rather than sent to be refused or ignored: a thinking level
 * only to a model with thinking levels (the nearest it accepts), sampling parameters only to a
 * model that documents them. Without a temperature the model keeps its default (1.0 on Gemini 3,
 * which its developer guide asks to keep: https://ai.google.dev/gemini-api/docs/gemini-3).
 */
export function generationConfigFor(
  request: Pick<ModelRequest, 'model' | 'temperature' | 'maxOutputTokens' | 'thinkingLevel'> &
    Partial<Pick<ModelRequest, 'systemInstruction' | 'responseSchema'>>,
): GenerateContentConfig {
  const capabilities = capabilitiesOf(request.model);
  const level = request.thinkingLevel ? thinkingLevelFor(request.model, request.thinkingLevel) : undefined;
  return {
    systemInstruction: request.systemInstruction,
    responseMimeType: 'application/json',
    responseSchema: request.responseSchema as never,
    ...(capabilities.samplingParameters && request.temperature !== undefined
      ? { temperature: request.temperature }
      : {}),
    ...(request.maxOutputTokens ? { maxOutputTokens: request.maxOutputTokens } : {}),
    // The SDK's ThinkingLevel enum values are the level names themselves ("LOW", "HIGH", ...).
    ...(level ? { thinkingConfig: { thinkingLevel: level as SdkThinkingLevel } } : {}),
  };
}

/** Reads a generateContent response, interactive or from a batch, into a ModelAnswer. */
export function answerFrom(response: GenerateContentResponse): ModelAnswer {
  const usage = response.usageMetadata;
  const blockReason = response.promptFeedback?.blockReason;
  return {
    text: response.text ?? '',
    finishReason: response.candidates?.[0]?.finishReason,
    ...(blockReason ? { blockReason } : {}),
    usage: {
      input_tokens: usage?.promptTokenCount ?? 0,
      output_tokens: usage?.candidatesTokenCount ?? 0,
      thinking_tokens: usage?.thoughtsTokenCount ?? 0,
      cached_tokens: usage?.cachedContentTokenCount ?? 0,
    },
    // promptFeedback says why a prompt was blocked (and rates it when it was not): kept for
    // whoever investigates a refused chunk.
    raw: {
      candidates: response.candidates,
      promptFeedback: response.promptFeedback,
      usageMetadata: usage,
      modelVersion: response.modelVersion,
      responseId: response.responseId,
    },
    modelVersion: response.modelVersion,
  };
}

/** One generateContent call. Content problems (bad JSON, safety stop) are the caller's to judge. */
export async function callModel(request: ModelRequest): Promise<ModelAnswer> {
  try {
    const client = await clientFor(request.apiKey, request.timeoutMs);
    const response = await client.models.generateContent({
      model: request.model,
      contents: request.prompt,
      config: generationConfigFor(request),
    });
    return answerFrom(response);
  } catch (error) {
    throw classify(error);
  }
}

export interface RetryPolicy {
  /** Calls at most, this one included, before giving the chunk back to the queue. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  requestsPerMinute: number;
  /** Epoch ms after which no new attempt starts (the Lambda's own deadline, less a margin). */
  deadline: number;
  onRetry?: (error: ModelCallError, attempt: number, delayMs: number) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls the model within the shared requests-per-minute budget, retrying rate limits after the
 * delay Gemini asks for and transient failures with exponential backoff and full jitter.
 * Throws the last failure when attempts or time run out; permanent failures at once.
 */
export async function callModelWithRetries(request: ModelRequest, policy: RetryPolicy): Promise<ModelAnswer> {
  for (let attempt = 1; ; attempt++) {
    // A quota this container saw run out stays out until its reset: no request is spent on it.
    const stopped = quotaStopInForce(request.apiKey, request.model);
    if (stopped) throw new ModelCallError('quota_exhausted', stopped.message, 429, undefined, stopped);
    // The tenant the worker named (the chunk's owner): its fair share of slots (rate-limiter.ts).
    await waitForSlot('gemini', policy.requestsPerMinute, undefined, currentTenant());
    try {
      return await callModel(request);
    } catch (error) {
      const failure = classify(error);
      if (failure.kind === 'quota_exhausted' && failure.quota)
        rememberQuotaStop(request.apiKey, request.model, failure.quota, failure.message);
      if (failure.kind === 'permanent' || failure.kind === 'quota_exhausted' || attempt >= policy.maxAttempts)
        throw failure;
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const delay =
        failure.kind === 'rate_limited' && failure.retryAfterMs !== undefined
          ? failure.retryAfterMs + Math.random() * 250
          : Math.random() * backoff;
      if (Date.now() + delay + request.timeoutMs > policy.deadline) throw failure;
      policy.onRetry?.(failure, attempt, delay);
      await sleep(delay);
    }
  }
}
