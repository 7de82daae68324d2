/**
 * "Run batch round": a job in batch mode (quiz banks offer it) sends its chunks' calls to
 * Gemini's Batch API (half the price, answered within hours instead of seconds) instead of the
 * chunk queue. The state machine calls this function, waits, and calls it again until it says
 * done. Each call either checks the batch in flight (and shows its progress on the job), takes
 * in its answers when it has finished, or submits the next round: one request per chunk still
 * short of questions, each asking only for what is missing and why the last ones were rejected,
 * up to the same number of calls per chunk as interactive generation. A round too big for one
 * batch of inline requests (20 MB) goes as several. Every answer goes through the same quality
 * gate and question bank. A batch that fails or expires as a whole gives its chunks another
 * round, like a failed request. Where the rounds stand is kept in S3 (`../batch-state.ts`), so a
 * call that fails is simply made again; a job that ended meanwhile has its batches cancelled.
 */
import type { Context } from 'aws-lambda';
import { BATCH_MAX_ROUNDS, nextPollSeconds } from '#contract/batch-loop.ts';
import { type ChunkResult, type PlanOutput, shortError } from '#contract/pipeline.ts';
import { keptByThisJob, kindOf } from '#kinds';
import { generationSettings } from '#platform/config.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import {
  type BatchRequest,
  type BatchResult,
  type BatchStatus,
  getBatch,
  INLINE_BATCH_TARGET_BYTES,
  splitForInlineLimit,
  submitBatch,
} from '#platform/gemini/batch-client.ts';
import type { ModelAnswer } from '#platform/gemini/gemini-client.ts';
import { callCost } from '#platform/gemini/pricing.ts';
import { s3Keys } from '#platform/keys.ts';
import { withPowertools } from '#platform/middleware.ts';
import { logger } from '#platform/powertools.ts';
import {
  type BatchJobState,
  type ChunkState,
  cancelInFlight,
  loadBatchState,
  saveBatchState,
} from '../batch-state.ts';
import * as budgets from '../budget-store.ts';
import { chunkReserveUsd } from '../chunk-budget.ts';
import {
  ChunkGenerationFailed,
  type GenerateChunkInput,
  type GeneratedChunk,
  questionCallTuning,
} from '../chunk-common.ts';
import { isTerminal, type JobRecord } from '../job.ts';
import * as jobs from '../job-store.ts';
import type { BatchGeneration } from '../kind.ts';
import type { Question } from '../questions.ts';
import { rejectionOf } from '../questions.ts';
import {
  applyAnswer,
  newRepairState,
  nextCall,
  outcomeOf,
  type RepairSpec,
  wantsCall,
} from '../repair-loop.ts';
import * as results from '../results-store.ts';

const settings = generationSettings();

/**
 * Rounds in which a chunk's request may fail as a whole (quota, 5xx, or its batch failing or
 * expiring) before the chunk fails.
 */
const MAX_FAILED_REQUESTS = 3;

export interface BatchRoundOutput {
  done: boolean;
  round: number;
  wait_seconds: number;
  /** When done: every planned chunk's outcome, for "Assemble results". */
  chunk_results?: ChunkResult[];
}

/** How the job's kind generates in batch rounds; only kinds that offer batch mode start such jobs. */
function batchOf(job: JobRecord): BatchGeneration {
  const batch = kindOf(job.job_type).batch;
  if (!batch) throw new Error(`Jobs of type ${job.job_type} have no batch mode`);
  return batch;
}

function newState(input: PlanOutput): BatchJobState {
  const chunks: Record<string, ChunkState> = {};
  for (const key of input.chunks)
    chunks[key] = { status: 'open', repair: newRepairState(), failed_requests: 0 };
  return { job_id: input.job_id, round: 0, batches: [], submitted_at: null, chunks };
}

function chunkInput(job: JobRecord, chunkKey: string, apiKey: string): GenerateChunkInput {
  return {
    jobId: job.job_id,
    owner: job.owner,
    chunkKey,
    attempt: 1,
    apiKey,
    settings: { ...settings, model: job.model },
    deadline: Number.POSITIVE_INFINITY,
    job: { job_type: job.job_type, parameters: job.parameters },
  };
}

/** A whole request that failed: the chunk tries again next round, a few times. */
function failedRequest(chunk: ChunkState, reason: string): void {
  chunk.failed_requests += 1;
  chunk.repair.lastRejected = [rejectionOf(-1, '', [{ check: 'unusable_answer', reason }])];
  chunk.repair.rejected.push(...chunk.repair.lastRejected);
}

async function settleChunk(job: JobRecord, chunk: ChunkState, costUsd: number): Promise<void> {
  if (!chunk.reservation) return;
  const held = chunk.reservation;
  delete chunk.reservation;
  await budgets.settle(job.job_id, job.owner, held, costUsd);
}

/** Keeps or fails a chunk that wants no more calls, with the spec its last answer was checked by. */
async function endChunk(
  job: JobRecord,
  key: string,
  chunk: ChunkState,
  apiKey: string,
  spec: RepairSpec<Question>,
): Promise<void> {
  const input: GenerateChunkInput = {
    ...chunkInput(job, key, apiKey),
    settleCost: (costUsd) => settleChunk(job, chunk, costUsd),
  };
  const outcome = outcomeOf(spec, chunk.repair);
  try {
    const generated = await batchOf(job).finish(input, outcome);
    await completeChunk(job, key, chunk, generated, chunk.repair.calls);
  } catch (error) {
    if (!(error instanceof ChunkGenerationFailed)) throw error;
    await failChunk(job, key, chunk, error.message, outcome.costUsd, outcome);
  }
}

async function completeChunk(
  job: JobRecord,
  key: string,
  chunk: ChunkState,
  generated: GeneratedChunk,
  rounds: number,
): Promise<void> {
  chunk.status = 'completed';
  chunk.questions = generated.questions;
  await jobs.recordChunkOutcome({
    jobId: job.job_id,
    chunkKey: key,
    status: 'completed',
    questions: generated.questions,
    costUsd: generated.costUsd,
    s3Key: generated.s3Key,
    message: `Generated ${batchOf(job).label(key, settings)} (batch round ${rounds})`,
    ...(generated.quality ? { quality: generated.quality } : {}),
    ...generated.usage,
  });
}

async function failChunk(
  job: JobRecord,
  key: string,
  chunk: ChunkState,
  reason: string,
  costUsd: number,
  outcome?: ReturnType<typeof outcomeOf<Question>>,
): Promise<void> {
  await settleChunk(job, chunk, costUsd);
  chunk.status = 'failed';
  chunk.error = reason;
  await jobs.recordChunkOutcome({
    jobId: job.job_id,
    chunkKey: key,
    status: 'failed',
    questions: 0,
    costUsd,
    error: reason,
    message: `Failed ${batchOf(job).label(key, settings)}`,
    ...(outcome ? { quality: outcome.quality, ...outcome.usage } : chunk.repair.usage),
  });
}

/**
 * Takes in a round whose batches have all ended: each answer through the gate, then the chunks
 * that are done. A chunk whose batch ended without results (`withoutResults`: failed, expired,
 * cancelled) or whose request failed gets another round, up to MAX_FAILED_REQUESTS.
 */
async function takeAnswers(
  job: JobRecord,
  state: BatchJobState,
  found: BatchResult[],
  withoutResults: Map<string, string>,
  apiKey: string,
) {
  const byKey = new Map(found.map((r) => [r.key, r]));
  for (const [key, chunk] of Object.entries(state.chunks)) {
    if (chunk.status !== 'open') continue;
    const kept = await keptByThisJob(job, key, undefined);
    if (kept) {
      // An earlier call took in this batch, kept this chunk (settling its cost first) and
      // stopped before the state was saved: record that chunk rather than finish it again.
      delete chunk.reservation;
      await completeChunk(job, key, chunk, kept, kept.calls);
      continue;
    }
    const result = byKey.get(key);
    if (result?.answer) {
      const spec = await batchOf(job).open(
        chunkInput(job, key, apiKey),
        chunk.repair.kept.map((q) => q.id),
      );
      // Priced at the rate in force when the batch was submitted, as the model that served it.
      const at = state.submitted_at ?? Date.now();
      const costUsd = callCost(job.model, result.answer, { at, batch: true });
      await applyAnswer(spec, chunk.repair, result.answer, costUsd);
      await keepRaw(job, key, chunk.repair.calls, result.answer);
      if (!wantsCall(spec, chunk.repair)) await endChunk(job, key, chunk, apiKey, spec);
    } else {
      const reason =
        withoutResults.get(key) ??
        (result?.error
          ? `the batch request failed: ${result.error.code} ${result.error.message}`
          : 'the batch returned no answer for this chunk');
      failedRequest(chunk, reason);
      if (result?.error?.kind === 'permanent' || chunk.failed_requests >= MAX_FAILED_REQUESTS) {
        await failChunk(job, key, chunk, `${reason} (after ${chunk.failed_requests} rounds)`, 0);
      }
    }
  }
}

/** Why a batch that ended without results gave its chunks nothing. */
function withoutResultsReason(status: BatchStatus): string {
  if (status.state === 'expired')
    // https://ai.google.dev/gemini-api/docs/batch-api, "Monitoring job status".
    return 'the batch expired: Gemini did not finish it within 48 hours';
  return `the batch ${status.state}${status.error ? `: ${status.error.code} ${status.error.message}` : ''}`;
}

/**
 * Looks at the round's batches: while any is pending or running, shows their progress on the
 * job and says so; once all have ended, takes in what they answered and forgets them.
 */
async function pollRound(job: JobRecord, state: BatchJobState, apiKey: string): Promise<'waiting' | 'ended'> {
  const looked: { keys: string[]; status: BatchStatus }[] = [];
  for (const batch of state.batches)
    looked.push({ keys: batch.keys, status: await getBatch(apiKey, batch.name) });
  const running = looked.filter(({ status }) => status.state === 'pending' || status.state === 'running');
  if (running.length > 0) {
    const answered = looked.reduce(
      (sum, { status }) => sum + status.stats.succeeded + status.stats.failed,
      0,
    );
    const total = looked.reduce((sum, { status }) => sum + status.stats.total, 0);
    const batches = looked.length > 1 ? ` in ${looked.length} batches` : '';
    await jobs.setProgressMessage(
      job.job_id,
      `Batch round ${state.round}: ${answered} of ${total} requests answered${batches} (${progressOf(state)})`,
    );
    return 'waiting';
  }
  const found: BatchResult[] = [];
  const withoutResults = new Map<string, string>();
  for (const { keys, status } of looked) {
    logger.info('Batch ended', { round: state.round, batch: status.name, state: status.state });
    if (status.state === 'succeeded') found.push(...(status.results ?? []));
    else for (const key of keys) withoutResults.set(key, withoutResultsReason(status));
  }
  await takeAnswers(job, state, found, withoutResults, apiKey);
  state.batches = [];
  return 'ended';
}

async function keepRaw(job: JobRecord, key: string, call: number, answer: ModelAnswer): Promise<void> {
  await results.putJson(s3Keys.raw(job.job_id, key, 1, call), {
    chunk_key: key,
    prompt_version: batchOf(job).promptVersion,
    mode: 'batch',
    received_at: new Date().toISOString(),
    response: answer.raw,
  });
}

/**
 * Submits the next round: one request per open chunk, each reserved against the budgets first
 * (once per chunk: a chunk asked again keeps the reservation it has, settled when it ends), as
 * one batch or, past the inline size limit, several. Each batch is in `state` as soon as it is
 * submitted, so a failure half-way leaves nothing untracked; the chunks it did not reach have no
 * answer when the round ends, and go again in the next.
 */
async function submitRound(
  job: JobRecord,
  state: BatchJobState,
  apiKey: string,
  inlineTargetBytes: number,
): Promise<number> {
  const kind = kindOf(job.job_type);
  const batch = batchOf(job);
  const requests: BatchRequest[] = [];
  for (const [key, chunk] of Object.entries(state.chunks)) {
    if (chunk.status !== 'open') continue;
    if (!chunk.reservation) {
      const reserved = await budgets.reserve(
        job,
        chunkReserveUsd(job, key, settings, kind, { batch: true }),
        job.monthly_budget_usd ?? null,
      );
      if (!reserved.ok) {
        await failChunk(job, key, chunk, reserved.reason, 0);
        continue;
      }
      chunk.reservation = reserved.reservation;
    }
    const spec = await batch.open(
      chunkInput(job, key, apiKey),
      chunk.repair.kept.map((q) => q.id),
    );
    const { prompt, schema, call, size } = nextCall(spec, chunk.repair);
    requests.push({
      key,
      systemInstruction: batch.systemInstruction,
      prompt,
      responseSchema: schema,
      ...questionCallTuning(settings, job.model, call, size),
    });
  }
  if (requests.length === 0) return 0;
  const groups = splitForInlineLimit(requests, job.model, inlineTargetBytes);
  const round = state.round + 1;
  for (const [i, group] of groups.entries()) {
    const part = groups.length > 1 ? ` part ${i + 1} of ${groups.length}` : '';
    const { name } = await submitBatch({
      apiKey,
      model: job.model,
      displayName: `quizgen ${job.job_id} round ${round}${part}`,
      requests: group,
    });
    state.round = round;
    state.submitted_at = new Date().toISOString();
    state.started_at ??= state.submitted_at;
    state.batches.push({ name, keys: group.map((r) => r.key) });
  }
  return requests.length;
}

/** Seconds since `iso`, or 0 when it is unknown. */
function secondsSince(iso: string | null | undefined): number {
  return iso ? (Date.now() - Date.parse(iso)) / 1000 : 0;
}

/**
 * Whether the job's batch rounds are over, and why: its window has passed (counted from its
 * first submission; a state kept before that was recorded counts from its round's) or it has
 * had its rounds. Then its open chunks fail: recorded, never lost, and a new job generates them.
 */
function roundsOver(state: BatchJobState): string | undefined {
  const window = settings.batchWindowSeconds;
  if (secondsSince(state.started_at ?? state.submitted_at) >= window) {
    const span = window >= 3600 ? `${Math.round(window / 3600)} h` : `${window} s`;
    return `the batch rounds did not finish within the batch window (${span})`;
  }
  if (state.round >= BATCH_MAX_ROUNDS) return `still short of questions after ${state.round} batch rounds`;
  return undefined;
}

/** Ends the job's batch rounds: the batches in flight are cancelled, the open chunks fail. */
async function endRounds(job: JobRecord, state: BatchJobState, apiKey: string, reason: string) {
  // Best effort (cancelInFlight records what Gemini refused): the job must end either way.
  await cancelInFlight(job, state, apiKey, reason);
  for (const [chunkKey, chunk] of Object.entries(state.chunks)) {
    if (chunk.status === 'open') await failChunk(job, chunkKey, chunk, reason, 0);
  }
}

function progressOf(state: BatchJobState): string {
  const chunks = Object.values(state.chunks);
  const count = (status: ChunkState['status']) => chunks.filter((c) => c.status === status).length;
  return `${count('completed')} chunks done, ${count('failed')} failed, ${count('open')} to go`;
}

function resultsOf(state: BatchJobState): ChunkResult[] {
  return Object.entries(state.chunks).map(([key, chunk]) =>
    chunk.status === 'completed'
      ? { chunk_key: key, status: 'completed', questions: chunk.questions ?? 0 }
      : { chunk_key: key, status: 'failed', error: shortError(chunk.error ?? 'not generated') },
  );
}

export interface BatchRoundOptions {
  /** How full one batch of inline requests may get; the 20 MB limit less a margin by default. */
  inlineTargetBytes?: number;
}

export async function runBatchRound(
  input: PlanOutput,
  _context?: Context,
  options: BatchRoundOptions = {},
): Promise<BatchRoundOutput> {
  const job = await jobs.getJob(input.job_id);
  if (!job) throw new Error(`Job ${input.job_id} does not exist`);
  const apiKey = await geminiApiKey();
  if (!apiKey) throw new Error('GEMINI_API_KEY not configured');
  const state = (await loadBatchState(job)) ?? newState(input);
  // Each look waits longer than the one before (nextPollSeconds), so a long batch costs few of
  // the execution's 25,000 history events.
  const wait = () => nextPollSeconds(secondsSince(state.submitted_at), settings);
  const done = (): BatchRoundOutput => ({
    done: true,
    round: state.round,
    wait_seconds: 0,
    chunk_results: resultsOf(state),
  });

  if (isTerminal(job.status)) {
    // Ended (cancelled, timed out) while a round ran: whatever the ending did not cancel, this does.
    await cancelInFlight(job, state, apiKey, `the job is ${job.status}`);
    await saveBatchState(job, state);
    return done();
  }

  if (state.batches.length > 0) {
    if ((await pollRound(job, state, apiKey)) === 'waiting') {
      const over = roundsOver(state);
      if (!over) return { done: false, round: state.round, wait_seconds: wait() };
      logger.warn('Batch rounds ended unfinished', { round: state.round, reason: over });
      await endRounds(job, state, apiKey, over);
      await saveBatchState(job, state);
      return done();
    }
    await saveBatchState(job, state);
  }

  const over = roundsOver(state);
  if (over) {
    await endRounds(job, state, apiKey, over);
    await saveBatchState(job, state);
    return done();
  }

  let submitted = 0;
  try {
    submitted = await submitRound(job, state, apiKey, options.inlineTargetBytes ?? INLINE_BATCH_TARGET_BYTES);
  } finally {
    await saveBatchState(job, state);
  }
  if (submitted === 0) return done();
  // A cancel that read the state before this round was saved found nothing to cancel.
  const now = await jobs.getJob(job.job_id);
  if (!now || isTerminal(now.status)) {
    await cancelInFlight(
      job,
      state,
      apiKey,
      `the job ended (${now?.status ?? 'deleted'}) as its round was submitted`,
    );
    await saveBatchState(job, state);
    return done();
  }
  await jobs.setProgressMessage(
    job.job_id,
    `Batch round ${state.round}: ${submitted} requests submitted to Gemini`,
  );
  return { done: false, round: state.round, wait_seconds: wait() };
}

export const handler = withPowertools(runBatchRound);
