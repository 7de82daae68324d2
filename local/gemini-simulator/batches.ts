/**
 * Batch mode: `batches/{id}` resources answered as long-running Operations, the shape
 * `@google/genai` parses in `batchJobFromMldev` (state and output under `metadata`). A batch
 * moves with time, not with calls: its requests are answered as their time comes, whenever
 * anyone looks at it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerFor, generationConfigOf } from './answers.ts';
import type { EffectiveConfig, FaultKind } from './config.ts';
import { errorBody, HttpError, notServed } from './errors.ts';
import { faultError, faultFor } from './faults.ts';
import { checkKey, readJson, sendJson } from './http.ts';
import { field, isRecord } from './json.ts';
import { hashHex, unitFrom } from './random.ts';
import { responseSchemaOf, schemaComplexityProblem } from './schema-complexity.ts';
import type { BatchFate, BatchItem, BatchJob, SimulatorState } from './state.ts';
import { thinkingRefusal } from './thinking.ts';

/** google.rpc.Status as it appears inside a resource: a gRPC code, not an HTTP status. */
interface RpcStatus {
  code: number;
  message: string;
  details?: unknown[];
}

const GRPC_CODES: Record<string, number> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
};

/**
 * The REST API's BatchState names (the SDK maps them to JobState: `BATCH_STATE_FAILED` to
 * `JOB_STATE_FAILED`, `BATCH_STATE_EXPIRED` to `JOB_STATE_EXPIRED`; `tJobState` in
 * googleapis/js-genai src/_transformers.ts). Their meaning:
 * https://ai.google.dev/gemini-api/docs/batch-api, "Monitoring job status".
 */
type BatchState =
  | 'BATCH_STATE_PENDING'
  | 'BATCH_STATE_RUNNING'
  | 'BATCH_STATE_SUCCEEDED'
  | 'BATCH_STATE_FAILED'
  | 'BATCH_STATE_CANCELLED'
  | 'BATCH_STATE_EXPIRED';

/**
 * Inline requests: "suitable for smaller batches that keep the total request size under 20MB"
 * (https://ai.google.dev/gemini-api/docs/batch-api, "Creating a batch job"); a bigger
 * batchGenerateContent body is refused as Google's front end refuses an oversized payload.
 */
export const INLINE_BATCH_LIMIT_BYTES = 20 * 1024 * 1024;

/** The share of a batch's time it spends pending before requests start being answered. */
const BATCH_PENDING_SHARE = 0.2;
const BATCH_PAGE_SIZE = 50;
const BATCH_TYPE_PREFIX = 'type.googleapis.com/google.ai.generativelanguage.v1main';

function invalidBatch(detail: string): HttpError {
  return new HttpError(errorBody(400, 'INVALID_ARGUMENT', `[simulated] Invalid batch: ${detail}`));
}

/**
 * Reads a BatchGenerateContentRequest as `@google/genai` sends it:
 * `{ batch: { displayName, inputConfig: { requests: { requests: [{ request, metadata? }] } } } }`.
 */
function parseBatch(
  body: Record<string, unknown>,
  model: string,
): { displayName: string; requests: Omit<BatchItem, 'fault'>[] } {
  const batch = body.batch;
  if (!isRecord(batch)) throw invalidBatch('the body must be { "batch": { ... } }.');
  const displayName = field(batch, 'displayName');
  if (typeof displayName !== 'string' || displayName.trim() === '')
    throw invalidBatch('batch.displayName is required.');
  const input = field(batch, 'inputConfig');
  if (!isRecord(input)) throw invalidBatch('batch.inputConfig is required.');
  if (field(input, 'fileName') !== undefined)
    throw invalidBatch('input files are not supported by the simulator; send inlined requests.');
  const wrapper = input.requests;
  const list = isRecord(wrapper) ? wrapper.requests : undefined;
  if (!Array.isArray(list) || list.length === 0)
    throw invalidBatch('batch.inputConfig.requests.requests must be a non-empty list.');
  const requests = list.map((item, i) => {
    const at = `batch.inputConfig.requests.requests[${i}]`;
    if (!isRecord(item) || !isRecord(item.request)) throw invalidBatch(`${at}.request is required.`);
    const { request } = item;
    const contents = request.contents;
    if (!(Array.isArray(contents) ? contents.length > 0 : isRecord(contents)))
      throw invalidBatch(`${at}.request.contents is required.`);
    const own = request.model;
    if (own !== undefined && own !== `models/${model}` && own !== model)
      throw invalidBatch(`${at}.request.model "${String(own)}" is not the batch's model models/${model}.`);
    if (item.metadata !== undefined && !isRecord(item.metadata))
      throw invalidBatch(`${at}.metadata must be an object.`);
    return { request, metadata: item.metadata };
  });
  return { displayName, requests };
}

export async function createBatch(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  model: string,
): Promise<void> {
  const authError = checkKey(state.config, req, url);
  if (authError) return sendJson(res, authError.error.code, authError);
  const body = await readJson(req, INLINE_BATCH_LIMIT_BYTES);
  const { displayName, requests } = parseBatch(body, model);
  const { config } = state;
  const now = Date.now();
  const number = state.batchCount++;
  let id = hashHex(config.seed, 'batch', number, now).slice(0, 24);
  // Numbers start again after a stats reset: never reuse the id of a batch still held.
  while (state.batches.has(id)) id = hashHex(id, 'again').slice(0, 24);
  const job: BatchJob = {
    id,
    model,
    displayName,
    createdAt: now,
    durationMs: config.batchLatencyMs * config.latencyScale,
    // Drawn now, per request, so a batch keeps the faults it was submitted under; from the
    // batch's number, not its id (which has the time in it), so a seed replays the same faults.
    requests: requests.map((r, i) => ({
      ...r,
      fault: faultFor(config, unitFrom(config.seed, 'batch-fault', number, i)),
    })),
    results: [],
    succeeded: 0,
    failed: 0,
    cancelledAt: undefined,
    fate: fateOf(config, number),
    endCounted: false,
  };
  state.batches.set(id, job);
  state.stats.batches.created += 1;
  state.stats.batches.requests += job.requests.length;
  // Answered as created, before any time passes: pending, whatever batchLatencyMs says.
  return sendJson(res, 200, batchOperation(job, now, config.batchExpiryMs, 'BATCH_STATE_PENDING'));
}

/** Whether the batch numbered `number` succeeds, fails as a whole, or is never done and expires. */
function fateOf(config: EffectiveConfig, number: number): BatchFate {
  if (number < config.expireFirstBatches) return 'expire';
  if (number < config.expireFirstBatches + config.failFirstBatches) return 'fail';
  if (config.batchFailureRate > 0 && unitFrom(config.seed, 'batch-failure', number) < config.batchFailureRate)
    return 'fail';
  return 'succeed';
}

/** When the batch is done (its last request answered), were it never to expire. */
function doneAt(job: BatchJob): number {
  return job.fate === 'expire' ? Number.POSITIVE_INFINITY : job.createdAt + job.durationMs;
}

/**
 * Answers the requests whose time has come, in request order. A batch that fails or expires
 * answers none: it ends without results, and nothing of it is billed.
 */
export function advance(state: SimulatorState, job: BatchJob, now: number): void {
  if (job.cancelledAt !== undefined) return;
  if (job.fate !== 'succeed' || doneAt(job) > job.createdAt + state.config.batchExpiryMs) {
    const ended = batchState(job, now, state.config.batchExpiryMs);
    if (!job.endCounted && (ended === 'BATCH_STATE_FAILED' || ended === 'BATCH_STATE_EXPIRED')) {
      job.endCounted = true;
      if (ended === 'BATCH_STATE_FAILED') state.stats.batches.failedBatches += 1;
      else state.stats.batches.expired += 1;
    }
    return;
  }
  const total = job.requests.length;
  const elapsed = now - job.createdAt;
  const pendingFor = job.durationMs * BATCH_PENDING_SHARE;
  const due =
    elapsed >= job.durationMs
      ? total
      : elapsed < pendingFor
        ? 0
        : Math.floor((total * (elapsed - pendingFor)) / (job.durationMs - pendingFor));
  while (job.results.length < due) {
    const index = job.results.length;
    const item = job.requests[index];
    if (!item) break;
    job.results.push(answerBatchRequest(state, job, item, index));
  }
}

function answerBatchRequest(
  state: SimulatorState,
  job: BatchJob,
  item: BatchItem,
  index: number,
): Record<string, unknown> {
  const { stats } = state;
  const withMetadata = (out: Record<string, unknown>) =>
    item.metadata === undefined ? out : { ...out, metadata: item.metadata };
  stats.batches.answered += 1;
  // A request whose thinking level the model refuses, or whose schema Gemini cannot serve, fails
  // alone (INVALID_ARGUMENT), as generateContent's 400 would.
  const refusal = thinkingRefusal(job.model, generationConfigOf(item.request));
  const tooComplex = schemaComplexityProblem(responseSchemaOf(item.request));
  const failure = refusal
    ? { code: GRPC_CODES[refusal.error.code] ?? 3, message: refusal.error.message }
    : tooComplex
      ? { code: GRPC_CODES.INVALID_ARGUMENT ?? 3, message: tooComplex }
      : batchFailure(state.config, item.fault, job.model);
  if (failure) {
    job.failed += 1;
    stats.batches.failed += 1;
    return withMetadata({ error: failure });
  }
  const answer = answerFor(state, item.request, job.model, item.fault, `${job.id}/${index}`);
  job.succeeded += 1;
  stats.batches.promptTokens += answer.promptTokens;
  stats.batches.candidatesTokens += answer.candidatesTokens;
  stats.batches.thoughtsTokens += answer.thoughtsTokens;
  return withMetadata({ response: answer.response });
}

/** An HTTP fault of generateContent becomes the request's google.rpc.Status (gRPC code). */
function batchFailure(
  config: EffectiveConfig,
  fault: FaultKind | undefined,
  model: string,
): RpcStatus | undefined {
  const http = faultError(config, fault, model);
  if (!http) return undefined;
  const { status, message, details } = http.error;
  return { code: GRPC_CODES[status] ?? 2, message, ...(details ? { details } : {}) };
}

/** When a batch that is not done ends of its own accord: failed when its time is up, or expired. */
function endOf(job: BatchJob, expiryMs: number): { at: number; state: BatchState } {
  const expiresAt = job.createdAt + expiryMs;
  const done = doneAt(job);
  if (done > expiresAt) return { at: expiresAt, state: 'BATCH_STATE_EXPIRED' };
  return { at: done, state: job.fate === 'fail' ? 'BATCH_STATE_FAILED' : 'BATCH_STATE_SUCCEEDED' };
}

function batchState(job: BatchJob, now: number, expiryMs: number): BatchState {
  if (job.cancelledAt !== undefined) return 'BATCH_STATE_CANCELLED';
  const end = endOf(job, expiryMs);
  if (now >= end.at && (end.state !== 'BATCH_STATE_SUCCEEDED' || job.results.length === job.requests.length))
    return end.state;
  return now - job.createdAt < job.durationMs * BATCH_PENDING_SHARE
    ? 'BATCH_STATE_PENDING'
    : 'BATCH_STATE_RUNNING';
}

/** google.rpc.Status of a batch that failed as a whole (an INTERNAL error, as a 500 would be). */
const BATCH_FAILED_ERROR: RpcStatus = {
  code: GRPC_CODES.INTERNAL ?? 13,
  message: '[simulated] The batch failed: an internal error occurred while processing it.',
};

function batchOperation(
  job: BatchJob,
  now: number,
  expiryMs: number,
  state = batchState(job, now, expiryMs),
): Record<string, unknown> {
  const name = `batches/${job.id}`;
  const ended = state !== 'BATCH_STATE_PENDING' && state !== 'BATCH_STATE_RUNNING';
  const endedAt = job.cancelledAt ?? (ended ? endOf(job, expiryMs).at : undefined);
  const total = job.requests.length;
  // int64 fields travel as strings in proto3 JSON, and zero counts are left out.
  const batchStats: Record<string, string> = { requestCount: String(total) };
  const counts = {
    successfulRequestCount: job.succeeded,
    failedRequestCount: job.failed,
    pendingRequestCount: total - job.succeeded - job.failed,
  };
  for (const [key, value] of Object.entries(counts)) if (value > 0) batchStats[key] = String(value);
  const output =
    state === 'BATCH_STATE_SUCCEEDED' ? { inlinedResponses: { inlinedResponses: job.results } } : undefined;
  const operation: Record<string, unknown> = {
    name,
    metadata: {
      '@type': `${BATCH_TYPE_PREFIX}.GenerateContentBatch`,
      model: `models/${job.model}`,
      displayName: job.displayName,
      ...(output ? { output } : {}),
      createTime: new Date(job.createdAt).toISOString(),
      ...(endedAt !== undefined ? { endTime: new Date(endedAt).toISOString() } : {}),
      updateTime: new Date(endedAt ?? now).toISOString(),
      batchStats,
      state,
      name,
    },
  };
  if (endedAt !== undefined) operation.done = true;
  if (output) operation.response = { '@type': `${BATCH_TYPE_PREFIX}.GenerateContentBatchOutput`, ...output };
  // google.longrunning: a cancelled operation ends with error code 1 (CANCELLED); a failed one
  // with the Status of its failure, which the batch API guide says to read (`batch_job.error`).
  if (job.cancelledAt !== undefined) operation.error = { code: 1, message: 'Operation cancelled.' };
  else if (state === 'BATCH_STATE_FAILED') operation.error = BATCH_FAILED_ERROR;
  return operation;
}

export async function batchEndpoint(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  id: string | undefined,
  action: string | undefined,
): Promise<void> {
  const authError = checkKey(state.config, req, url);
  if (authError) return sendJson(res, authError.error.code, authError);
  const now = Date.now();
  if (id === undefined) {
    if (req.method !== 'GET') throw notServed(req, url);
    return sendJson(res, 200, listBatches(state, url, now));
  }
  const job = state.batches.get(id);
  const route = `${req.method} ${action ?? ''}`;
  if (!['GET ', 'DELETE ', 'POST cancel'].includes(route)) throw notServed(req, url);
  if (!job) {
    throw new HttpError(
      errorBody(404, 'NOT_FOUND', `Requested entity was not found. [simulated] No batch batches/${id}.`),
    );
  }
  advance(state, job, now);
  if (route === 'DELETE ') {
    // As at Google: deleting says the result is no longer wanted; it does not cancel first.
    state.batches.delete(id);
    return sendJson(res, 200, {});
  }
  if (route === 'POST cancel') {
    // Cancelling a batch that has ended changes nothing; one that has not ends it at once.
    const current = batchState(job, now, state.config.batchExpiryMs);
    if (current === 'BATCH_STATE_PENDING' || current === 'BATCH_STATE_RUNNING') {
      job.cancelledAt = now;
      state.stats.batches.cancelled += 1;
    }
    return sendJson(res, 200, {});
  }
  return sendJson(res, 200, batchOperation(job, now, state.config.batchExpiryMs));
}

function listBatches(state: SimulatorState, url: URL, now: number): Record<string, unknown> {
  const size = Number(url.searchParams.get('pageSize') ?? BATCH_PAGE_SIZE);
  const pageSize = Number.isInteger(size) && size > 0 ? Math.min(size, 1000) : BATCH_PAGE_SIZE;
  const start = Number(url.searchParams.get('pageToken') ?? 0) || 0;
  const jobs = [...state.batches.values()];
  const page = jobs.slice(start, start + pageSize);
  for (const job of page) advance(state, job, now);
  const operations = page.map((job) => batchOperation(job, now, state.config.batchExpiryMs));
  return start + pageSize < jobs.length
    ? { operations, nextPageToken: String(start + pageSize) }
    : { operations };
}
