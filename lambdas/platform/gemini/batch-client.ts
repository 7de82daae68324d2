/**
 * Gemini Batch Mode through `@google/genai`: many generateContent requests answered
 * asynchronously, at half the price of interactive calls and outside their rate limits.
 * Requests are built and answers read by the same helpers as `callModel`, so a batch answer is
 * a `ModelAnswer` like any other.
 *
 * Two things the SDK (3.x, Gemini API mode) does not do for us, handled here:
 * - `batches.get` drops `metadata.batchStats` and the batch's own `error`, so the raw body is
 *   kept on the way through (a fetch wrapper passed as the call's `httpOptions.fetch`);
 * - the inlined responses it returns are plain objects typed as `GenerateContentResponse`,
 *   without the `text` getter, so they are rebuilt as instances before being read.
 */
import type {
  BatchJob,
  GenerateContentResponse,
  InlinedRequest,
  InlinedResponse,
  JobState,
} from '@google/genai';
import {
  answerFrom,
  classify,
  classifyHttpError,
  clientFor,
  type FailureKind,
  generationConfigFor,
  loadSdk,
  type ModelAnswer,
  ModelCallError,
} from './gemini-client.ts';
import type { ThinkingLevel } from './model-capabilities.ts';

/** Each batch call is a small control-plane request; the work itself happens at Google. */
const CALL_TIMEOUT_MS = 60_000;

/**
 * Inline requests are for batches "that keep the total request size under 20MB"
 * (https://ai.google.dev/gemini-api/docs/batch-api, "Creating a batch job"); a bigger
 * batchGenerateContent body is refused with 400 INVALID_ARGUMENT.
 */
export const INLINE_BATCH_LIMIT_BYTES = 20 * 1024 * 1024;
/**
 * What one batch is filled to, measured by `inlineBytes`: the limit less a tenth for what the
 * SDK adds on the wire (each request wrapped in `request`, its text in `contents[].parts[]`,
 * `config` renamed) and for the envelope.
 */
export const INLINE_BATCH_TARGET_BYTES = Math.floor(INLINE_BATCH_LIMIT_BYTES * 0.9);
/** The wire form's wrapping of one request, beyond its JSON as `srcOf` builds it. */
const WIRE_OVERHEAD_BYTES = 256;

export interface BatchRequest {
  /** Names the request's result; unique within a batch. */
  key: string;
  systemInstruction?: string;
  prompt: string;
  responseSchema?: unknown;
  temperature?: number;
  maxOutputTokens?: number;
  thinkingLevel?: ThinkingLevel;
}

export interface SubmitBatchInput {
  apiKey: string;
  model: string;
  /** Required by Gemini. */
  displayName: string;
  requests: BatchRequest[];
}

export type BatchState = 'pending' | 'running' | 'succeeded' | 'failed' | 'cancelled' | 'expired';

export interface BatchProgress {
  total: number;
  succeeded: number;
  failed: number;
  pending: number;
}

export interface BatchResultError {
  /** HTTP status equivalent (429, 500, 503, 504, ...), as `ModelCallError.status` would carry. */
  code: number;
  message: string;
  /** What a caller can do about it, as `classify` sorts interactive failures. */
  kind: FailureKind;
}

export interface BatchResult {
  key: string;
  answer?: ModelAnswer;
  error?: BatchResultError;
}

export interface BatchStatus {
  name: string;
  state: BatchState;
  stats: BatchProgress;
  /** Once succeeded: one per request, in request order. */
  results?: BatchResult[];
  /** Why the batch as a whole failed, when it did. */
  error?: { code: number; message: string };
}

/** A request as the SDK takes it in `batches.create({ src })`. */
function srcOf(request: BatchRequest, model: string): InlinedRequest {
  return {
    contents: request.prompt,
    // Results are matched by key: Gemini does not promise to keep request order.
    metadata: { key: request.key },
    config: generationConfigFor({ ...request, model }),
  };
}

/** About how many bytes a request to `model` adds to a batchGenerateContent body (a little over). */
export function inlineBytes(request: BatchRequest, model: string): number {
  return Buffer.byteLength(JSON.stringify(srcOf(request, model)), 'utf8') + WIRE_OVERHEAD_BYTES;
}

/**
 * The requests in order, cut into groups that each fit one batch of inline requests: a round
 * too big for one batch goes to Gemini as several (the batch API guide's own advice for large
 * work is smaller batches). A single request too big for any batch cannot be sent inline at all.
 */
export function splitForInlineLimit(
  requests: BatchRequest[],
  model: string,
  targetBytes = INLINE_BATCH_TARGET_BYTES,
): BatchRequest[][] {
  const groups: BatchRequest[][] = [];
  let current: BatchRequest[] = [];
  let size = 0;
  for (const request of requests) {
    const bytes = inlineBytes(request, model);
    if (bytes > targetBytes)
      throw new ModelCallError(
        'permanent',
        `The batch request ${request.key} alone is ${bytes} bytes, more than a batch of inline requests may carry (${targetBytes})`,
      );
    if (current.length > 0 && size + bytes > targetBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(request);
    size += bytes;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

export async function submitBatch(input: SubmitBatchInput): Promise<{ name: string }> {
  if (input.requests.length === 0) throw new ModelCallError('permanent', 'submitBatch: no requests');
  const keys = new Set(input.requests.map((r) => r.key));
  if (keys.size !== input.requests.length || keys.has(''))
    throw new ModelCallError('permanent', 'submitBatch: request keys must be non-empty and unique');
  const bytes = input.requests.reduce((sum, request) => sum + inlineBytes(request, input.model), 0);
  if (bytes > INLINE_BATCH_TARGET_BYTES)
    throw new ModelCallError(
      'permanent',
      `submitBatch: ${bytes} bytes of inline requests pass the 20 MB limit of one batch; send them as several (splitForInlineLimit)`,
    );
  const job = await call('submitBatch', async () =>
    (await clientFor(input.apiKey, CALL_TIMEOUT_MS)).batches.create({
      model: input.model,
      src: input.requests.map((request) => srcOf(request, input.model)),
      config: { displayName: input.displayName },
    }),
  );
  if (!job.name) throw new ModelCallError('permanent', 'submitBatch: Gemini answered a batch without a name');
  return { name: job.name };
}

export async function getBatch(apiKey: string, name: string): Promise<BatchStatus> {
  const batchName = toBatchName(name);
  let raw: unknown;
  const job = await call(`getBatch ${batchName}`, async () =>
    (await clientFor(apiKey, CALL_TIMEOUT_MS)).batches.get({
      name: batchName,
      config: {
        httpOptions: {
          fetch: keepingBody((body) => {
            raw = body;
          }),
        },
      },
    }),
  );
  const state = stateOf(job.state);
  // The SDK is loaded by now (the call above went through it): its response class rebuilds answers.
  const { GenerateContentResponse: Response } = await loadSdk();
  const results = state === 'succeeded' ? resultsOf(job, batchName, Response) : undefined;
  const status: BatchStatus = { name: job.name ?? batchName, state, stats: progressOf(raw, results) };
  if (results) status.results = results;
  const error = field(raw, 'error');
  if (state === 'failed' && isRecord(error))
    status.error = { code: httpStatusOf(error.code), message: String(error.message ?? '') };
  return status;
}

/** `timeoutMs` bounds the call where the caller has little time (an API request ending a job). */
export async function cancelBatch(apiKey: string, name: string, timeoutMs = CALL_TIMEOUT_MS): Promise<void> {
  const batchName = toBatchName(name);
  await call(`cancelBatch ${batchName}`, async () =>
    (await clientFor(apiKey, timeoutMs)).batches.cancel({ name: batchName }),
  );
}

export async function deleteBatch(apiKey: string, name: string): Promise<void> {
  const batchName = toBatchName(name);
  await call(`deleteBatch ${batchName}`, async () =>
    (await clientFor(apiKey, CALL_TIMEOUT_MS)).batches.delete({ name: batchName }),
  );
}

/** Runs one SDK call, failures classified like interactive ones and saying which call failed. */
async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    const failure = classify(error);
    throw new ModelCallError(
      failure.kind,
      `${what}: ${failure.message}`,
      failure.status,
      failure.retryAfterMs,
    );
  }
}

/** `batches/{id}`, or a bare id; anything else fails here rather than as a vague SDK error. */
function toBatchName(name: string): string {
  const full = name.startsWith('batches/') ? name : `batches/${name}`;
  if (!/^batches\/[^/]+$/.test(full))
    throw new ModelCallError('permanent', `"${name}" is not a Gemini batch name (batches/{id})`);
  return full;
}

/** A fetch that hands the JSON body of a successful answer to `onBody`, leaving it readable. */
function keepingBody(onBody: (body: unknown) => void): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    if (response.ok)
      onBody(
        await response
          .clone()
          .json()
          .catch(() => undefined),
      );
    return response;
  };
}

/** `JobState` values are their own names (@google/genai 3.1.0's string enum), compared as strings. */
function stateOf(state: JobState | undefined): BatchState {
  switch (state as string | undefined) {
    case 'JOB_STATE_SUCCEEDED':
    case 'JOB_STATE_PARTIALLY_SUCCEEDED':
      return 'succeeded';
    case 'JOB_STATE_FAILED':
      return 'failed';
    case 'JOB_STATE_CANCELLED':
      return 'cancelled';
    case 'JOB_STATE_EXPIRED':
      return 'expired';
    case 'JOB_STATE_RUNNING':
    case 'JOB_STATE_CANCELLING':
    case 'JOB_STATE_UPDATING':
    case 'JOB_STATE_PAUSED':
      return 'running';
    default:
      // Queued, pending, unspecified or a state this code does not know yet: keep polling.
      return 'pending';
  }
}

type ResponseClass = new () => GenerateContentResponse;

function resultsOf(job: BatchJob, batchName: string, Response: ResponseClass): BatchResult[] {
  const responses = job.dest?.inlinedResponses;
  if (!responses) {
    const where = job.dest?.fileName ? `in the file ${job.dest.fileName}` : 'missing';
    throw new ModelCallError('permanent', `getBatch ${batchName}: results are ${where}, not inlined`);
  }
  return responses.map((inlined, index) => resultOf(inlined, index, Response));
}

function resultOf(inlined: InlinedResponse, index: number, Response: ResponseClass): BatchResult {
  const key = inlined.metadata?.key ?? String(index);
  if (inlined.error) {
    const code = httpStatusOf(inlined.error.code);
    const message = inlined.error.message ?? '';
    const { kind } = classifyHttpError(code, message);
    return { key, error: { code, message, kind } };
  }
  if (inlined.response) {
    // A plain object at runtime, despite its type: `text` is a getter of the class.
    return { key, answer: answerFrom(Object.assign(new Response(), inlined.response)) };
  }
  return {
    key,
    error: { code: 500, message: 'Gemini returned neither a response nor an error', kind: 'transient' },
  };
}

/** From `metadata.batchStats` (int64 counts as strings, zeros left out), else from the results. */
function progressOf(raw: unknown, results: BatchResult[] | undefined): BatchProgress {
  const stats = field(field(raw, 'metadata'), 'batchStats');
  if (isRecord(stats)) {
    const count = (key: string) => Number(stats[key] ?? 0) || 0;
    const total = count('requestCount');
    const succeeded = count('successfulRequestCount');
    const failed = count('failedRequestCount');
    const pending =
      stats.pendingRequestCount === undefined
        ? Math.max(0, total - succeeded - failed)
        : count('pendingRequestCount');
    return { total, succeeded, failed, pending };
  }
  const failed = results?.filter((r) => r.error).length ?? 0;
  const total = results?.length ?? 0;
  return { total, succeeded: total - failed, failed, pending: 0 };
}

/**
 * gRPC codes of google.rpc.Status, as a batch reports per-request errors, to the HTTP statuses
 * an interactive call would have answered; a code that already is an HTTP status is kept.
 */
const HTTP_OF_GRPC: Record<number, number> = {
  1: 499,
  2: 500,
  3: 400,
  4: 504,
  5: 404,
  6: 409,
  7: 403,
  8: 429,
  9: 400,
  10: 409,
  11: 400,
  12: 501,
  13: 500,
  14: 503,
  15: 500,
  16: 401,
};

function httpStatusOf(code: unknown): number {
  const n = typeof code === 'number' ? code : Number(code);
  if (!Number.isInteger(n)) return 500;
  return n >= 100 ? n : (HTTP_OF_GRPC[n] ?? 500);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(value: unknown, key: string): unknown {
  return isRecord(value) ? value[key] : undefined;
}
