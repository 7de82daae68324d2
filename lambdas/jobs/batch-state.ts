/**
 * Where a batch-mode job's rounds stand, kept in S3 (`batches/<owner>/<job_id>.json`): the
 * chunks' states and the Gemini batches in flight. "Run batch round" (handlers/batch-round.ts)
 * moves it on; whatever ends a job (cancel, delete, time-out, a failed or orphaned execution)
 * calls `cancelJobBatches`, so a batch nobody will read is not left running and billed.
 */
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import { cancelBatch } from '#platform/gemini/batch-client.ts';
import { s3Keys } from '#platform/keys.ts';
import { logger } from '#platform/powertools.ts';
import type * as budgets from './budget-store.ts';
import type { JobRecord } from './job.ts';
import type { Question } from './questions.ts';
import type { RepairState } from './repair-loop.ts';
import * as results from './results-store.ts';

export interface ChunkState {
  status: 'open' | 'completed' | 'failed';
  repair: RepairState<Question>;
  failed_requests: number;
  reservation?: budgets.Reservation;
  error?: string;
  questions?: number;
}

/** One Gemini batch of a round and the chunks whose requests it carries. */
export interface SubmittedBatch {
  name: string;
  keys: string[];
}

/** What became of cancelling a job's batches: kept, so a failed cancel can be looked into. */
export interface CancelRecord {
  at: string;
  reason: string;
  cancelled: string[];
  failed: { name: string; error: string }[];
}

export interface BatchJobState {
  job_id: string;
  round: number;
  /** The current round's batches, until every one of them has ended. */
  batches: SubmittedBatch[];
  /**
   * State saved before a round could be several batches: its one batch, carrying every chunk
   * that was open. Read as `batches` (see `loadBatchState`), never written.
   */
  batch_name?: string | null;
  submitted_at: string | null;
  /** When the first round was submitted: the job's batch window starts then. */
  started_at?: string | null;
  chunks: Record<string, ChunkState>;
  /** Set when the job ended with batches in flight and they were cancelled. */
  cancel?: CancelRecord;
}

/** How long one batches.cancel call may take. */
const CANCEL_TIMEOUT_MS = 10_000;

const keyOf = (job: Pick<JobRecord, 'owner' | 'job_id'>) => s3Keys.batchState(job.owner, job.job_id);

export async function loadBatchState(
  job: Pick<JobRecord, 'owner' | 'job_id'>,
): Promise<BatchJobState | undefined> {
  const state = await results.getJson<BatchJobState>(keyOf(job));
  if (!state) return undefined;
  if (!state.batches) {
    const open = Object.entries(state.chunks)
      .filter(([, chunk]) => chunk.status === 'open')
      .map(([key]) => key);
    state.batches = state.batch_name ? [{ name: state.batch_name, keys: open }] : [];
  }
  delete state.batch_name;
  return state;
}

export async function saveBatchState(job: Pick<JobRecord, 'owner' | 'job_id'>, state: BatchJobState) {
  await results.putJson(keyOf(job), state);
}

/**
 * Cancels the batches in flight (batches.cancel: Gemini stops processing their requests) and
 * forgets them, noting the outcome in `state.cancel`. A batch that has already ended or is
 * gone changes nothing, and a cancel that fails is logged and recorded, never thrown: the job
 * ends either way.
 */
export async function cancelInFlight(
  job: Pick<JobRecord, 'job_id'>,
  state: BatchJobState,
  apiKey: string | undefined,
  reason: string,
): Promise<CancelRecord | undefined> {
  if (state.batches.length === 0) return undefined;
  const record: CancelRecord = { at: new Date().toISOString(), reason, cancelled: [], failed: [] };
  // At once and briefly: an API request cancelling a job has API Gateway's 29 s in all.
  await Promise.all(
    state.batches.map(async ({ name }) => {
      try {
        if (!apiKey) throw new Error('no Gemini API key is configured');
        await cancelBatch(apiKey, name, CANCEL_TIMEOUT_MS);
        record.cancelled.push(name);
      } catch (error) {
        // 404: deleted or unknown, so nothing runs. Anything else: it may still run and be billed.
        const message = (error as Error).message;
        if ((error as { status?: number }).status === 404) record.cancelled.push(name);
        else record.failed.push({ name, error: message.slice(0, 500) });
      }
    }),
  );
  if (record.failed.length > 0)
    logger.error('Could not cancel every Gemini batch of an ended job; they may run and be billed', {
      job_id: job.job_id,
      reason,
      failed: record.failed,
    });
  else logger.info('Cancelled the Gemini batches of an ended job', { job_id: job.job_id, ...record });
  state.batches = [];
  state.cancel = record;
  return record;
}

/**
 * For a batch-mode job that has just ended: cancels its batches still in flight. Safe to call
 * on any job and more than once; it never throws (an ending job must end whatever Gemini says).
 */
export async function cancelJobBatches(job: JobRecord, reason: string): Promise<CancelRecord | undefined> {
  if (job.mode !== 'batch') return undefined;
  try {
    const state = await loadBatchState(job);
    if (!state || state.batches.length === 0) return undefined;
    const record = await cancelInFlight(job, state, await geminiApiKey().catch(() => undefined), reason);
    await saveBatchState(job, state);
    return record;
  } catch (error) {
    logger.error('Could not cancel the Gemini batches of an ended job', {
      job_id: job.job_id,
      reason,
      error: error as Error,
    });
    return undefined;
  }
}
