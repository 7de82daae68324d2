/**
 * Starting, reading, cancelling and deleting jobs. A job is a record in DynamoDB and a
 * Step Functions execution named after it.
 *
 * What depends on a job's kind (which list it is in, what its end sets off) comes from the
 * caller: starting a job takes its kind, and whatever may end a job (reading it finds its
 * execution gone or its time up, cancelling, retrying) takes `kinds`, the kinds the caller
 * works with. A job of a kind the caller does not pass is in the owner's main list and its end
 * sets off nothing: the quiz-bank and assessments APIs pass none, as their jobs' kinds have no
 * list and no end hook of their own.
 */
import { randomUUID } from 'node:crypto';
import type { ExecutionInput } from '#contract/pipeline.ts';
import { sfn } from '#platform/clients.ts';
import { DEFAULTS, ENV, generationSettings, intEnv, requireEnv } from '#platform/config.ts';
import { BudgetReached, GeminiNotConfigured, JobNotFound, JobStateConflict } from '#platform/errors.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import { typicalThoughtTokens } from '#platform/gemini/model-capabilities.ts';
import { logger } from '#platform/powertools.ts';
import { cancelJobBatches } from './batch-state.ts';
import * as budgets from './budget-store.ts';
import { type Estimate, estimateChunks, historyOf, roundUsd } from './estimate.ts';
import {
  type ContentStats,
  isTerminal,
  type JobParameters,
  type JobRecord,
  type JobStatus,
  type JobType,
  newJobRecord,
} from './job.ts';
import * as jobs from './job-store.ts';
import type { KindBasics, Kinds } from './kind.ts';
import { jobQualityReport } from './quality-report.ts';

export interface StartOptions {
  /** How long the job's record is kept (DynamoDB TTL); the job-retention setting otherwise. */
  retentionSeconds?: number;
  /** A time limit: the job fails when not finished this long after it was created. */
  timeoutSeconds?: number;
  /** The job's id when the caller allocates it (the Content API's numeric ids); a UUID otherwise. */
  jobId?: string;
  /** The model, when the request chose one; the configured model otherwise. */
  model?: string;
  contentStats?: ContentStats;
  /** The most the job may spend (USD). */
  maxCostUsd?: number;
  /** Quiz banks only: through Gemini's Batch API. */
  mode?: 'interactive' | 'batch';
}

export async function startJob(
  owner: string,
  kind: KindBasics,
  jobType: JobType,
  parameters: JobParameters,
  options: StartOptions = {},
): Promise<JobRecord> {
  const settings = generationSettings();
  requireType(kind, jobType);
  // Listing the chunks validates the parameters (a quiz bank's sector, career and level against
  // the catalog: 400 with the valid choices).
  kind.chunks?.(jobType, parameters, settings);
  if (!(await geminiApiKey())) throw new GeminiNotConfigured();
  const budget = await budgets.getMonthlyBudget(owner);
  if (budget.monthly_usd !== null && budget.committed_usd >= budget.monthly_usd) {
    throw new BudgetReached(
      `This API key's monthly budget of $${budget.monthly_usd} for ${budget.month} is used up ($${roundUsd(budget.committed_usd)} spent); raise it with PUT /budget or wait for next month`,
    );
  }
  const job = newJobRecord({
    jobId: options.jobId ?? randomUUID(),
    owner,
    jobType,
    parameters,
    model: options.model ?? settings.model,
    retentionSeconds:
      options.retentionSeconds ?? intEnv(ENV.jobRetentionDays, DEFAULTS.jobRetentionDays, 1) * 86_400,
    timeoutSeconds: options.timeoutSeconds,
    contentStats: options.contentStats,
    maxCostUsd: options.maxCostUsd,
    monthlyBudgetUsd: budget.monthly_usd,
    mode: options.mode,
  });
  await jobs.createJob(job, kind.list);
  return startExecution(job, job.job_id, kind.list);
}

function requireType(kind: KindBasics, jobType: JobType): void {
  if (!kind.types.includes(jobType))
    throw new Error(`Job type ${jobType} is not one of ${kind.types.join(', ')}`);
}

/** Starts the job's execution (named after the job, or the job and its retry number). */
async function startExecution(job: JobRecord, name: string, list: string | undefined): Promise<JobRecord> {
  const input: ExecutionInput = { job_id: job.job_id, owner: job.owner };
  try {
    const { client, sdk } = await sfn();
    const started = await client.send(
      new sdk.StartExecutionCommand({
        stateMachineArn: requireEnv(ENV.stateMachineArn),
        name,
        input: JSON.stringify(input),
      }),
    );
    return (await jobs.updateJob(job, { execution_arn: started.executionArn ?? null })) ?? job;
  } catch (error) {
    logger.error('Could not start the execution', { job_id: job.job_id, error: error as Error });
    await jobs.updateJob(
      job,
      {
        status: 'failed',
        error_message: 'The generation pipeline could not be started; try again',
        completed_at: new Date().toISOString(),
      },
      undefined,
      list,
    );
    throw error;
  }
}

/**
 * Runs a failed job again with a new execution: what its earlier runs finished is kept (the
 * plan skips it), so only the failed parts are generated.
 */
export async function retryJob(job: JobRecord, retryNumber: number, kinds?: Kinds): Promise<JobRecord> {
  const list = kinds?.(job.job_type)?.list;
  const reset = await jobs.resetForRetry(job, `Queued for retry ${retryNumber}`, list);
  if (!reset) throw new JobStateConflict(`Job ${job.job_id} is no longer failed`);
  return startExecution(reset, `${job.job_id}-retry-${retryNumber}`, list);
}

/** The owner's job, reconciled with its execution; another owner's job does not exist for them. */
export async function getJob(owner: string, jobId: string, kinds?: Kinds): Promise<JobRecord> {
  const job = await jobs.getJob(jobId);
  if (!job || job.owner !== owner) throw new JobNotFound(jobId);
  return reconcile(job, kinds);
}

/** Finished jobs a dry run learns tokens per question from. */
const HISTORY_JOBS = 20;

export interface DryRun {
  dry_run: true;
  job_type: JobType;
  parameters: JobParameters;
  chunks_total: number;
  chunks_from_checkpoint: number;
  estimate: Estimate;
  max_cost_usd: number | null;
  monthly_budget: {
    monthly_usd: number | null;
    month: string;
    spent_usd: number;
    remaining_usd: number | null;
  };
  /** Chunks the job would generate before its max_cost_usd or the monthly budget stops it. */
  chunks_within_budget: number;
}

/**
 * What a generation would do, without calling the model or starting anything: the chunks
 * still missing from the checkpoint, their tokens, cost and least time, and the budgets.
 */
export async function dryRun(
  owner: string,
  kind: KindBasics,
  jobType: JobType,
  parameters: JobParameters,
  options: { maxCostUsd?: number; model?: string; mode?: 'interactive' | 'batch' } = {},
): Promise<DryRun> {
  const settings = generationSettings();
  requireType(kind, jobType);
  const all = kind.chunks?.(jobType, parameters, settings) ?? [];
  const done = parameters.regenerate
    ? new Set<string>()
    : await jobs.checkpointedKeys(
        owner,
        all.map((c) => c.key),
      );
  const remaining = all.filter((chunk) => !done.has(chunk.key));
  const [recent, budget] = await Promise.all([
    jobs.listJobs(owner, 'completed', HISTORY_JOBS, 0, kind.list),
    budgets.getMonthlyBudget(owner),
  ]);
  const model = options.model ?? settings.model;
  const estimate = estimateChunks(remaining, {
    model,
    requestsPerMinute: settings.requestsPerMinute,
    thinkingTokensPerCall: typicalThoughtTokens(model, settings.thinking.questions),
    // Kinds' prompts differ (assessments carry passages): learn from jobs of the same kind only.
    batch: options.mode === 'batch',
    history: historyOf(recent.jobs.filter((job) => kind.types.includes(job.job_type))),
  });
  const remainingUsd =
    budget.monthly_usd === null ? null : Math.max(0, budget.monthly_usd - budget.committed_usd);
  const limit = Math.min(options.maxCostUsd ?? Infinity, remainingUsd ?? Infinity);
  const perChunk = estimate.chunks > 0 ? estimate.cost_usd / estimate.chunks : 0;
  return {
    dry_run: true,
    job_type: jobType,
    parameters,
    chunks_total: all.length,
    chunks_from_checkpoint: all.length - remaining.length,
    estimate,
    max_cost_usd: options.maxCostUsd ?? null,
    monthly_budget: {
      monthly_usd: budget.monthly_usd,
      month: budget.month,
      spent_usd: roundUsd(budget.committed_usd),
      remaining_usd: remainingUsd === null ? null : roundUsd(remainingUsd),
    },
    chunks_within_budget:
      limit === Infinity || perChunk === 0
        ? remaining.length
        : Math.min(remaining.length, Math.floor(limit / perChunk)),
  };
}

export async function getBudget(owner: string) {
  const budget = await budgets.getMonthlyBudget(owner);
  return {
    monthly_usd: budget.monthly_usd,
    month: budget.month,
    spent_usd: roundUsd(budget.committed_usd),
    remaining_usd:
      budget.monthly_usd === null ? null : roundUsd(Math.max(0, budget.monthly_usd - budget.committed_usd)),
  };
}

export async function setBudget(owner: string, monthlyUsd: number | null) {
  await budgets.setMonthlyBudget(owner, monthlyUsd);
  return getBudget(owner);
}

/**
 * The quality gate's report of a job: counts summed over its chunks (those not generated yet,
 * or resumed from the checkpoint, have nothing to report) and the chunks that failed.
 */
export async function qualityReport(owner: string, jobId: string) {
  const job = await getJob(owner, jobId);
  const records = await jobs.listChunkRecords(jobId);
  return {
    job_id: job.job_id,
    status: job.status,
    ...jobQualityReport(
      records.map((r) => ({
        chunk_key: r.chunk_key,
        status: r.status,
        quality: r.quality ?? undefined,
        error: r.last_error,
      })),
    ),
  };
}

/** A page of the owner's jobs in `list` (the main one when undefined). */
export async function listJobs(
  owner: string,
  status: JobStatus | undefined,
  limit: number,
  offset: number,
  list?: string,
  kinds?: Kinds,
) {
  const page = await jobs.listJobs(owner, status, limit, offset, list);
  const reconciled = await Promise.all(page.jobs.map((job) => reconcile(job, kinds)));
  // A job found orphaned just changed status; leave it out of a list filtered by the old one.
  const shown = status ? reconciled.filter((j) => j.status === status) : reconciled;
  return { jobs: shown, total: page.total - (reconciled.length - shown.length) };
}

/**
 * A pending or running job whose execution has ended (or vanished, e.g. the local stack was
 * restarted) is marked failed, so it never stays `running` forever.
 */
export async function reconcile(job: JobRecord, kinds?: Kinds): Promise<JobRecord> {
  if (!isTerminal(job.status) && job.deadline_at && Date.now() > Date.parse(job.deadline_at)) {
    return timeOut(job, { kinds });
  }
  // A job that moved recently is alive; only one that looks stalled is worth an SFN call.
  const stalledAfterMs = intEnv(ENV.jobReconcileAfterSeconds, DEFAULTS.jobReconcileAfterSeconds, 0) * 1000;
  if (isTerminal(job.status) || Date.now() - Date.parse(job.updated_at) < stalledAfterMs) return job;
  if (!job.execution_arn) {
    // Between creating the record and starting its execution there is a moment without an ARN.
    if (Date.now() - Date.parse(job.created_at) < 60_000) return job;
    return (await markOrphaned(job.job_id, 'The job was never started', kinds)) ?? job;
  }
  try {
    const { client, sdk } = await sfn();
    const execution = await client.send(
      new sdk.DescribeExecutionCommand({ executionArn: job.execution_arn }),
    );
    if (execution.status === 'RUNNING') return job;
    return (
      (await markOrphaned(job.job_id, `The execution ended with status ${execution.status}`, kinds)) ?? job
    );
  } catch (error) {
    if ((error as Error).name === 'ExecutionDoesNotExist') {
      return (
        (await markOrphaned(job.job_id, 'The execution running this job no longer exists', kinds)) ?? job
      );
    }
    // Throttled or unavailable: show the job as stored rather than fail the read.
    logger.warn('Could not check the execution', { job_id: job.job_id, error: error as Error });
    return job;
  }
}

/**
 * Fails a job that outlived its time limit and stops its execution (not from inside the
 * execution itself, which ends on its own); what its chunks finished is kept.
 */
export async function timeOut(
  job: JobRecord,
  options: { stopExecution?: boolean; kinds?: Kinds } = {},
): Promise<JobRecord> {
  const kind = options.kinds?.(job.job_type);
  const limit = Math.round(
    (Date.parse(job.deadline_at ?? job.created_at) - Date.parse(job.created_at)) / 1000,
  );
  const failed = await jobs.updateJob(
    job,
    {
      status: 'failed',
      error_message: `Job timed out after ${limit} seconds`,
      progress_message: `Timed out during: ${job.progress_message ?? 'generation'}`,
      completed_at: new Date().toISOString(),
    },
    ['pending', 'running'],
    kind?.list,
  );
  if (failed && options.stopExecution !== false) await stopExecution(job, 'Job timed out');
  if (failed) await cancelJobBatches(failed, 'the job timed out');
  if (failed) await kind?.ended?.(failed);
  return failed ?? (await jobs.getJob(job.job_id)) ?? job;
}

export async function markOrphaned(
  jobId: string,
  reason: string,
  kinds?: Kinds,
): Promise<JobRecord | undefined> {
  const job = await jobs.getJob(jobId);
  if (!job || isTerminal(job.status)) return job;
  const kind = kinds?.(job.job_type);
  const failed = await jobs.updateJob(
    job,
    {
      status: 'failed',
      error_message: `${reason}. Finished chunks are kept in the checkpoint; start a new job with the same parameters to resume.`,
      progress_message: `Failed during: ${job.progress_message ?? 'generation'}`,
      completed_at: new Date().toISOString(),
    },
    ['pending', 'running'],
    kind?.list,
  );
  if (failed) await cancelJobBatches(failed, reason);
  if (failed) await kind?.ended?.(failed);
  return failed;
}

/** Cancels a pending or running job; its kind's end hook is the caller's to run (or not). */
export async function cancelJob(owner: string, jobId: string, kinds?: Kinds): Promise<JobRecord> {
  const job = await getJob(owner, jobId, kinds);
  if (isTerminal(job.status)) {
    throw new JobStateConflict(
      `Job ${jobId} is already ${job.status}; only pending or running jobs can be cancelled`,
    );
  }
  const cancelled = await jobs.updateJob(
    job,
    { status: 'cancelled', progress_message: 'Cancelled by request', completed_at: new Date().toISOString() },
    ['pending', 'running'],
    kinds?.(job.job_type)?.list,
  );
  if (!cancelled) {
    const now = await getJob(owner, jobId, kinds);
    throw new JobStateConflict(
      `Job ${jobId} is already ${now.status}; only pending or running jobs can be cancelled`,
    );
  }
  await stopExecution(job, 'Cancelled by request');
  await cancelJobBatches(cancelled, 'the job was cancelled');
  return cancelled;
}

export async function deleteJob(owner: string, jobId: string): Promise<void> {
  const job = await jobs.getJob(jobId);
  if (!job || job.owner !== owner) throw new JobNotFound(jobId);
  if (!isTerminal(job.status)) await stopExecution(job, 'Job deleted');
  await cancelJobBatches(job, 'the job was deleted');
  await jobs.deleteJob(jobId);
}

async function stopExecution(job: JobRecord, cause: string): Promise<void> {
  if (!job.execution_arn) return;
  try {
    const { client, sdk } = await sfn();
    await client.send(
      new sdk.StopExecutionCommand({ executionArn: job.execution_arn, error: 'JobCancelled', cause }),
    );
  } catch (error) {
    if ((error as Error).name !== 'ExecutionDoesNotExist') throw error;
  }
}

/** Polls the job until it is finished or `timeoutMs` passes; returns the last state seen. */
export async function waitForJob(
  owner: string,
  jobId: string,
  timeoutMs: number,
  kinds?: Kinds,
): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs;
  let delay = 250;
  for (;;) {
    const job = await getJob(owner, jobId, kinds);
    if (isTerminal(job.status) || Date.now() + delay > deadline) return job;
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(2000, delay * 1.5);
  }
}
