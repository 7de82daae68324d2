/**
 * "Run batch round": a job in batch mode (quiz banks offer it) sends its chunks' calls to
 * Gemini's Batch API (half the price, answered within hours instead of seconds) instead of the
 * chunk queue. The state machine calls this function, waits, and calls it again until it says
 * done. Each call either checks the batch in flight (and shows its progress on the job), takes
 * in its answers when it has finished, or submits the next round: one request per chunk still
 * short of questions, each asking only for what is missing and why the last ones were rejected,
 * up to the same number of calls per chunk as interactive generation. Every answer goes through
 * the same quality gate and question bank. Where the rounds stand is kept in S3, so a call that
 * fails is simply made again.
 */
import type { Context } from 'aws-lambda';
import { BATCH_MAX_ROUNDS, nextPollSeconds } from '#contract/batch-loop.ts';
import { type ChunkResult, type PlanOutput, shortError } from '#contract/pipeline.ts';
import { keptByThisJob, kindOf } from '#kinds';
import { generationSettings } from '#platform/config.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import { type BatchResult, cancelBatch, getBatch, submitBatch } from '#platform/gemini/batch-client.ts';
import type { ModelAnswer } from '#platform/gemini/gemini-client.ts';
import { costOf } from '#platform/gemini/pricing.ts';
import { s3Keys } from '#platform/keys.ts';
import { withPowertools } from '#platform/middleware.ts';
import { logger } from '#platform/powertools.ts';
import * as budgets from '../budget-store.ts';
import { chunkReserveUsd } from '../chunk-budget.ts';
import { ChunkGenerationFailed, type GenerateChunkInput, type GeneratedChunk } from '../chunk-common.ts';
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
  type RepairState,
  wantsCall,
} from '../repair-loop.ts';
import * as results from '../results-store.ts';

const settings = generationSettings();

/** Rounds in which a chunk's request may fail as a whole (quota, 5xx) before the chunk fails. */
const MAX_FAILED_REQUESTS = 3;

interface ChunkState {
  status: 'open' | 'completed' | 'failed';
  repair: RepairState<Question>;
  failed_requests: number;
  reservation?: budgets.Reservation;
  error?: string;
  questions?: number;
}

export interface BatchJobState {
  job_id: string;
  round: number;
  batch_name: string | null;
  submitted_at: string | null;
  /** When the first round was submitted: the job's batch window starts then. */
  started_at?: string | null;
  chunks: Record<string, ChunkState>;
}

export interface BatchRoundOutput {
  done: boolean;
  round: number;
  wait_seconds: number;
  /** When done: every planned chunk's outcome, for "Assemble results". */
  chunk_results?: ChunkResult[];
}

const stateKey = (owner: string, jobId: string) => s3Keys.batchState(owner, jobId);

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
  return { job_id: input.job_id, round: 0, batch_name: null, submitted_at: null, chunks };
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
    await failChunk(
      job,
      key,
      chunk,
      error.message,
      costOf(job.model, outcome.usage, { batch: true }),
      outcome,
    );
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

/** Takes in a finished batch: each answer through the gate, then the chunks that are done. */
async function takeAnswers(job: JobRecord, state: BatchJobState, found: BatchResult[], apiKey: string) {
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
      await applyAnswer(spec, chunk.repair, result.answer);
      await keepRaw(job, key, chunk.repair.calls, result.answer);
      if (!wantsCall(spec, chunk.repair)) await endChunk(job, key, chunk, apiKey, spec);
    } else {
      const reason = result?.error
        ? `the batch request failed: ${result.error.code} ${result.error.message}`
        : 'the batch returned no answer for this chunk';
      failedRequest(chunk, reason);
      if (result?.error?.kind === 'permanent' || chunk.failed_requests >= MAX_FAILED_REQUESTS) {
        await failChunk(job, key, chunk, `${reason} (after ${chunk.failed_requests} rounds)`, 0);
      }
    }
  }
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

/** Submits the next round: one request per open chunk, each reserved against the budgets first. */
async function submitRound(job: JobRecord, state: BatchJobState, apiKey: string): Promise<number> {
  const kind = kindOf(job.job_type);
  const batch = batchOf(job);
  const requests = [];
  for (const [key, chunk] of Object.entries(state.chunks)) {
    if (chunk.status !== 'open') continue;
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
    const spec = await batch.open(
      chunkInput(job, key, apiKey),
      chunk.repair.kept.map((q) => q.id),
    );
    const { prompt, schema } = nextCall(spec, chunk.repair);
    requests.push({ key, systemInstruction: batch.systemInstruction, prompt, responseSchema: schema });
  }
  if (requests.length === 0) return 0;
  const { name } = await submitBatch({
    apiKey,
    model: job.model,
    displayName: `quizgen ${job.job_id} round ${state.round + 1}`,
    requests,
  });
  state.round += 1;
  state.batch_name = name;
  state.submitted_at = new Date().toISOString();
  state.started_at ??= state.submitted_at;
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

/** Ends the job's batch rounds: the batch in flight is cancelled, the open chunks fail. */
async function endRounds(job: JobRecord, state: BatchJobState, apiKey: string, reason: string) {
  if (state.batch_name) {
    // Best effort: an uncancelled batch runs on and is billed, but the job must end either way.
    await cancelBatch(apiKey, state.batch_name).catch((error: unknown) =>
      logger.warn('Could not cancel the batch', { batch: state.batch_name, error: error as Error }),
    );
    state.batch_name = null;
  }
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

export async function runBatchRound(input: PlanOutput, _context?: Context): Promise<BatchRoundOutput> {
  const job = await jobs.getJob(input.job_id);
  if (!job) throw new Error(`Job ${input.job_id} does not exist`);
  const apiKey = await geminiApiKey();
  if (!apiKey) throw new Error('GEMINI_API_KEY not configured');
  const key = stateKey(job.owner, job.job_id);
  const state = (await results.getJson<BatchJobState>(key)) ?? newState(input);
  // Each look waits longer than the one before (nextPollSeconds), so a long batch costs few of
  // the execution's 25,000 history events.
  const wait = () => nextPollSeconds(secondsSince(state.submitted_at), settings);

  if (state.batch_name && !isTerminal(job.status)) {
    const batch = await getBatch(apiKey, state.batch_name);
    if (batch.state === 'pending' || batch.state === 'running') {
      const over = roundsOver(state);
      if (over) {
        logger.warn('Batch rounds ended unfinished', { round: state.round, reason: over });
        await endRounds(job, state, apiKey, over);
        await results.putJson(key, state);
        return { done: true, round: state.round, wait_seconds: 0, chunk_results: resultsOf(state) };
      }
      await jobs.setProgressMessage(
        job.job_id,
        `Batch round ${state.round}: ${batch.stats.succeeded + batch.stats.failed} of ${batch.stats.total} requests answered (${progressOf(state)})`,
      );
      return { done: false, round: state.round, wait_seconds: wait() };
    }
    logger.info('Batch round ended', { round: state.round, batch: state.batch_name, state: batch.state });
    if (batch.state === 'succeeded') await takeAnswers(job, state, batch.results ?? [], apiKey);
    else {
      for (const [chunkKey, chunk] of Object.entries(state.chunks)) {
        if (chunk.status !== 'open') continue;
        failedRequest(chunk, `the batch ${batch.state}${batch.error ? `: ${batch.error.message}` : ''}`);
        if (chunk.failed_requests >= MAX_FAILED_REQUESTS) {
          await failChunk(job, chunkKey, chunk, `the batch ${batch.state} ${chunk.failed_requests} times`, 0);
        }
      }
    }
    state.batch_name = null;
    await results.putJson(key, state);
  }

  const over = isTerminal(job.status) ? undefined : roundsOver(state);
  if (over) await endRounds(job, state, apiKey, over);
  const submitted = isTerminal(job.status) || over ? 0 : await submitRound(job, state, apiKey);
  await results.putJson(key, state);
  if (submitted > 0) {
    await jobs.setProgressMessage(
      job.job_id,
      `Batch round ${state.round}: ${submitted} requests submitted to Gemini`,
    );
    return { done: false, round: state.round, wait_seconds: wait() };
  }
  return { done: true, round: state.round, wait_seconds: 0, chunk_results: resultsOf(state) };
}

export const handler = withPowertools(runBatchRound);
