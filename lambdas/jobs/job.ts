import type { TokenUsage } from '#platform/gemini/pricing.ts';
import type { BloomLevel } from './questions.ts';

/**
 * The job model: every field of the seed's `generation_jobs` table, plus what the pipeline
 * needs to run and explain a job (execution, chunk counts, token use, cost, owner, expiry).
 */

/** A job's type, one of its kind's `types` (see kind.ts): `sector`, `assessment`, `content`, ... */
export type JobType = string;

export const JOB_STATUSES = ['pending', 'running', 'completed', 'failed', 'cancelled'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export const TERMINAL_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

export function isTerminal(status: JobStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

export interface JobParameters {
  sector?: string;
  career?: string;
  level?: number;
  include_soft_skills?: boolean;
  /** Generate every chunk again even when the checkpoint already has it. */
  regenerate?: boolean;
  type?: 'soft_skills';
  /** Assessments: what the questions are about, and the document that grounds them. */
  query?: string;
  document_id?: string;
  bloom_mix?: Partial<Record<BloomLevel, number>>;
  /**
   * Assessments with open questions: how many per Bloom level (`bloom_mix` holds the MCQs').
   * Present, even empty, when the request asked for open questions by count, so the result
   * lists `subjective_questions` as EduMate's does.
   */
  subjective_mix?: Partial<Record<BloomLevel, number>>;
  title?: string;
  /** Assessments started through EduMate's `POST /chat`: its client reads its own field names too. */
  client?: 'edumate';
  /** Content jobs: the seed's numeric job id and what the list views show without S3. */
  content_job_id?: number;
  granulator_job_id?: number | null;
  topic?: string;
  structure_type?: string;
  /** The ISO 639-1 code of the language generated text is written in (platform/language.ts). */
  language?: string;
  /** Question regenerations: the reviewed question to replace, and what its reviewer asked for. */
  question_id?: string;
  instructions?: string;
}

/** A job's token counters are a model call's, summed. */
export type { TokenUsage };

export interface ResultSummary {
  questions_generated: number;
  chunks_total: number;
  chunks_completed: number;
  chunks_skipped_from_checkpoint: number;
  chunks_failed: number;
  /** The first failed chunks (FAILED_CHUNKS_KEPT), each error in short; every error is on its chunk's record. */
  failed_chunks: { chunk_key: string; error: string }[];
  /** Failed chunks past those listed in `failed_chunks`, when there are more. */
  failed_chunks_omitted?: number;
  files: string[];
  tokens: TokenUsage & { total_tokens: number };
  cost_usd: number;
  model: string;
  duration_seconds: number | null;
}

export interface JobRecord extends TokenUsage {
  job_id: string;
  job_type: JobType;
  status: JobStatus;
  parameters: JobParameters;
  progress_percent: number;
  progress_message: string | null;
  result_summary: ResultSummary | null;
  error_message: string | null;
  created_at: string;
  started_at: string | null;
  completed_at: string | null;
  updated_at: string;
  owner: string;
  model: string;
  execution_arn: string | null;
  /** Chunks the plan sent to the model (total minus skipped). */
  chunks_planned: number;
  chunks_total: number;
  chunks_skipped: number;
  chunks_completed: number;
  chunks_failed: number;
  questions_generated: number;
  cost_usd: number;
  /** Epoch seconds; DynamoDB TTL removes the record after the retention period. */
  expires_at: number;
  /** When a job with a time limit (assessments) fails if not finished. */
  deadline_at?: string | null;
  /** Content jobs: what the seed's job views show beyond the counters. */
  content_stats?: ContentStats | null;
  /** The most the job may spend; chunks stop being generated once the next would pass it. */
  max_cost_usd?: number | null;
  /** The API key's monthly budget when the job started. */
  monthly_budget_usd?: number | null;
  /**
   * Why a job stopped before generating everything, when it was not an error: its budget, or a
   * Gemini quota that does not clear in minutes (a daily one).
   */
  stop_reason?: 'budget' | 'quota' | null;
  /** `batch`: generated through Gemini's Batch API, at its price, within hours. */
  mode?: 'interactive' | 'batch';
}

/** What a new job is made of; everything else starts at zero or empty. */
export interface NewJob {
  jobId: string;
  owner: string;
  jobType: JobType;
  parameters: JobParameters;
  model: string;
  /** How long the record is kept (DynamoDB TTL). */
  retentionSeconds: number;
  now?: Date;
  timeoutSeconds?: number;
  contentStats?: ContentStats;
  maxCostUsd?: number;
  monthlyBudgetUsd: number | null;
  mode?: 'interactive' | 'batch';
}

/** The record of a job that has not started: pending, with every counter at zero. */
export function newJobRecord(spec: NewJob): JobRecord {
  const now = spec.now ?? new Date();
  return {
    job_id: spec.jobId,
    job_type: spec.jobType,
    status: 'pending',
    parameters: spec.parameters,
    progress_percent: 0,
    progress_message: 'Waiting to start',
    result_summary: null,
    error_message: null,
    created_at: now.toISOString(),
    started_at: null,
    completed_at: null,
    updated_at: now.toISOString(),
    owner: spec.owner,
    model: spec.model,
    execution_arn: null,
    chunks_planned: 0,
    chunks_total: 0,
    chunks_skipped: 0,
    chunks_completed: 0,
    chunks_failed: 0,
    questions_generated: 0,
    input_tokens: 0,
    output_tokens: 0,
    thinking_tokens: 0,
    cached_tokens: 0,
    cost_usd: 0,
    expires_at: Math.floor(now.getTime() / 1000) + spec.retentionSeconds,
    ...(spec.contentStats ? { content_stats: spec.contentStats } : {}),
    max_cost_usd: spec.maxCostUsd ?? null,
    ...(spec.mode === 'batch' ? { mode: 'batch' as const } : {}),
    monthly_budget_usd: spec.monthlyBudgetUsd,
    deadline_at: spec.timeoutSeconds
      ? new Date(now.getTime() + spec.timeoutSeconds * 1000).toISOString()
      : null,
  };
}

export interface ContentStats {
  total_words: number;
  current_section: string | null;
  content_size: number | null;
  retry_count: number;
  /** Rounds of regenerating weak sections for the quality threshold so far. */
  quality_rounds?: number;
  quality: {
    overallScore: number;
    readability: number;
    coherence: number;
    completeness: number;
    topicRelevance: number;
  } | null;
}

/** The job as the API shows it: the seed's fields first, then the pipeline's. */
export function toApiJob(job: JobRecord) {
  return {
    job_id: job.job_id,
    job_type: job.job_type,
    status: job.status,
    parameters: job.parameters,
    progress_percent: job.progress_percent,
    progress_message: job.progress_message,
    result_summary: job.result_summary,
    error_message: job.error_message,
    created_at: job.created_at,
    started_at: job.started_at,
    completed_at: job.completed_at,
    chunks: {
      total: job.chunks_total,
      skipped_from_checkpoint: job.chunks_skipped,
      completed: job.chunks_completed,
      failed: job.chunks_failed,
    },
    questions_generated: job.questions_generated,
    tokens: tokenTotals(job),
    cost_usd: roundCost(job.cost_usd),
    ...(job.max_cost_usd != null ? { max_cost_usd: job.max_cost_usd } : {}),
    ...(job.stop_reason ? { stop_reason: job.stop_reason } : {}),
    ...(job.mode === 'batch' ? { mode: job.mode } : {}),
    model: job.model,
    execution_arn: job.execution_arn,
    execution_console_url: job.execution_arn ? executionConsoleUrl(job.execution_arn) : null,
  };
}

export type ApiJob = ReturnType<typeof toApiJob>;

export function tokenTotals(usage: TokenUsage): TokenUsage & { total_tokens: number } {
  return {
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    thinking_tokens: usage.thinking_tokens,
    cached_tokens: usage.cached_tokens,
    total_tokens: usage.input_tokens + usage.output_tokens + usage.thinking_tokens,
  };
}

export function roundCost(usd: number): number {
  return Math.round(usd * 1_000_000) / 1_000_000;
}

/** The Step Functions console page of an execution, in the execution's own region. */
export function executionConsoleUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/**
 * Progress while chunks run: 5 % once planned, 95 % when every chunk has an outcome
 * (assembling the files takes the last step to 100 %).
 */
export function chunkProgressPercent(done: number, planned: number): number {
  if (planned <= 0) return 95;
  return Math.min(95, 5 + Math.floor((90 * done) / planned));
}
