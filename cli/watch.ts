/**
 * Following a job to its end: poll, hand each state to whoever draws it, stop at a final
 * status. A poll that fails for a passing reason (the network, a 5xx, throttling) is retried;
 * a refused key or an unknown job ends the watch at once.
 */
import type { ApiJob } from '#jobs/job.ts';
import { ApiError, CliError, EXIT } from './errors.ts';
import { isFinished, type ProgressSnapshot, type WatchedStatus } from './progress.ts';

export interface WatchedJob extends ProgressSnapshot {
  jobId: string;
  error: string | null;
  /** The body the state came from, printed by `--json`. */
  body: unknown;
}

export function snapshotOfJob(job: ApiJob): WatchedJob {
  const started = job.started_at ?? job.created_at;
  return {
    jobId: job.job_id,
    status: job.status,
    percent: job.progress_percent,
    chunksTotal: job.chunks.total,
    chunksSkipped: job.chunks.skipped_from_checkpoint,
    chunksCompleted: job.chunks.completed,
    chunksFailed: job.chunks.failed,
    questions: job.questions_generated,
    costUsd: job.cost_usd,
    startedAt: started ? Date.parse(started) : null,
    endedAt: job.completed_at ? Date.parse(job.completed_at) : null,
    error: job.error_message,
    body: job,
  };
}

/** `GET /job_status`'s body: the seed's statuses (RQ's names) and, when done, the result. */
export interface JobStatusBody {
  status: string | null;
  result?: { mcqs?: unknown[]; subjective_questions?: unknown[] };
  error?: string;
}

const SEED_STATUSES: Record<string, WatchedStatus> = {
  queued: 'pending',
  deferred: 'pending',
  scheduled: 'pending',
  started: 'running',
  finished: 'completed',
  failed: 'failed',
  canceled: 'cancelled',
  stopped: 'cancelled',
};

/**
 * An assessment job's state: the status from `/job_status`, the one its API documents, and
 * the counters from `/jobs/{id}` when that answered too (it shows chunks and cost).
 */
export function snapshotOfJobStatus(jobId: string, body: JobStatusBody, job?: ApiJob): WatchedJob {
  if (body.status === null) {
    throw new ApiError(`Job not found: ${jobId} (unknown, expired, or started with another key)`, 404, body);
  }
  const status = SEED_STATUSES[body.status] ?? 'running';
  const base: WatchedJob = job
    ? snapshotOfJob(job)
    : {
        jobId,
        status,
        percent: null,
        chunksTotal: 0,
        chunksSkipped: 0,
        chunksCompleted: 0,
        chunksFailed: 0,
        questions: null,
        costUsd: null,
        startedAt: null,
        endedAt: null,
        error: null,
        body,
      };
  const questions =
    body.result?.mcqs === undefined
      ? undefined
      : body.result.mcqs.length + (body.result.subjective_questions?.length ?? 0);
  return {
    ...base,
    status,
    error: body.error ?? base.error,
    ...(questions !== undefined ? { questions } : {}),
    body,
  };
}

export interface WatchOptions {
  intervalMs: number;
  onUpdate?: (job: WatchedJob) => void;
  /** A poll failed and will be tried again. */
  onRetry?: (error: CliError, attempt: number) => void;
  signal?: AbortSignal;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Failed polls in a row before giving up. */
  maxRetries?: number;
}

export class WatchInterrupted extends CliError {
  constructor() {
    super('Stopped watching', EXIT.interrupted);
    this.name = 'WatchInterrupted';
  }
}

/** Whether a failed poll is worth another try. */
export function isTransient(error: unknown): boolean {
  if (error instanceof ApiError) return error.status >= 500 || error.status === 429;
  return error instanceof CliError && error.exitCode === EXIT.unreachable;
}

export async function watch(poll: () => Promise<WatchedJob>, options: WatchOptions): Promise<WatchedJob> {
  const sleep = options.sleep ?? defaultSleep;
  const maxRetries = options.maxRetries ?? 10;
  let failures = 0;
  for (;;) {
    if (options.signal?.aborted) throw new WatchInterrupted();
    let job: WatchedJob | undefined;
    try {
      job = await poll();
      failures = 0;
    } catch (error) {
      if (!isTransient(error) || failures >= maxRetries) throw error;
      failures++;
      options.onRetry?.(error as CliError, failures);
    }
    if (job) {
      options.onUpdate?.(job);
      if (isFinished(job.status)) return job;
    }
    // Back off while the service is failing, up to 30 s between tries.
    const wait = failures === 0 ? options.intervalMs : Math.min(30_000, options.intervalMs * 2 ** failures);
    await sleep(wait, options.signal);
  }
}

function defaultSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** The exit code a watched job's end maps to. */
export function exitCodeOf(status: WatchedStatus): number {
  if (status === 'completed') return EXIT.ok;
  if (status === 'cancelled') return EXIT.jobCancelled;
  return EXIT.jobFailed;
}
