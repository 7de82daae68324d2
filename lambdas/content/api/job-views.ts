/**
 * Content jobs as the Content Generator API shows them: numeric ids, the seed's field names
 * and statuses (`processing` for a running job).
 */
import { type JobRecord, type JobStatus, roundCost } from '#jobs/job.ts';

export const CONTENT_JOB_PREFIX = 'content-';

/** The seed's numeric job id ↔ the job record's id. */
export const recordIdOf = (jobId: number) => `${CONTENT_JOB_PREFIX}${jobId}`;

export const SEED_STATUSES = ['pending', 'processing', 'completed', 'failed', 'cancelled'] as const;
export type SeedStatus = (typeof SEED_STATUSES)[number];

export function seedStatus(status: JobStatus): SeedStatus {
  return status === 'running' ? 'processing' : status;
}

export function jobStatusOf(status: SeedStatus): JobStatus {
  return status === 'processing' ? 'running' : status;
}

const tokensOf = (job: JobRecord) => job.input_tokens + job.output_tokens + job.thinking_tokens;

function processingTimeMs(job: JobRecord): number | null {
  if (!job.started_at) return null;
  const end = job.completed_at ? Date.parse(job.completed_at) : Date.now();
  return end - Date.parse(job.started_at);
}

/**
 * When the job should finish at its pace so far: the sections still to do at the average time
 * per finished section. Null before the first section is done and after the job has ended.
 */
export function estimatedCompletion(job: JobRecord, now = Date.now()): string | null {
  if (job.status !== 'running' || !job.started_at) return null;
  const done = job.chunks_completed + job.chunks_failed;
  if (done === 0 || job.chunks_planned === 0) return null;
  const elapsed = now - Date.parse(job.started_at);
  const remaining = Math.max(0, job.chunks_planned - done);
  return new Date(now + (elapsed / done) * remaining).toISOString();
}

/**
 * The language the content is written in (ISO 639-1), beside the seed's fields: the seed's views
 * name none, and its clients read the fields they know. Jobs from before it was recorded are English.
 */
const languageOf = (job: JobRecord) => job.parameters.language ?? 'en';

/** Words generated so far: for content jobs the worker counts words where quiz jobs count questions. */
const wordsOf = (job: JobRecord) => job.content_stats?.total_words || job.questions_generated;

export function listItem(job: JobRecord) {
  return {
    id: job.parameters.content_job_id,
    granulatorJobId: job.parameters.granulator_job_id ?? null,
    topic: job.parameters.topic,
    structureType: job.parameters.structure_type,
    language: languageOf(job),
    status: seedStatus(job.status),
    progressPercentage: job.progress_percent,
    totalSections: job.chunks_total,
    sectionsCompleted: job.chunks_completed + job.chunks_skipped,
    totalWords: wordsOf(job),
    tokensUsed: tokensOf(job),
    costUsd: roundCost(job.cost_usd),
    qualityScore: job.content_stats?.quality?.overallScore ?? null,
    startedAt: job.started_at,
    completedAt: job.completed_at,
    processingTimeMs: processingTimeMs(job),
    createdAt: job.created_at,
  };
}

export function details(job: JobRecord, contentLocation: string | null) {
  const quality = job.content_stats?.quality ?? null;
  const sectionsDone = job.chunks_completed + job.chunks_skipped;
  return {
    job: {
      id: job.parameters.content_job_id,
      granulatorJobId: job.parameters.granulator_job_id ?? null,
      topic: job.parameters.topic,
      structureType: job.parameters.structure_type,
      language: languageOf(job),
      status: seedStatus(job.status),
      totalSections: job.chunks_total,
      sectionsCompleted: sectionsDone,
      currentSection: job.status === 'running' ? (job.content_stats?.current_section ?? null) : null,
      progressPercentage: job.progress_percent,
      totalWords: wordsOf(job),
      tokensUsed: tokensOf(job),
      costUsd: roundCost(job.cost_usd),
      startedAt: job.started_at,
      completedAt: job.completed_at,
      estimatedCompletion: estimatedCompletion(job),
      processingTimeMs: processingTimeMs(job),
      contentStorageType: contentLocation ? 's3' : null,
      contentLocation,
      contentSize: job.content_stats?.content_size ?? null,
      qualityScore: quality?.overallScore ?? null,
      readabilityScore: quality?.readability ?? null,
      coherenceScore: quality?.coherence ?? null,
      completenessScore: quality?.completeness ?? null,
      aiProvider: 'google',
      modelsUsed: [job.model],
      retryCount: job.content_stats?.retry_count ?? 0,
      errorMessage: job.error_message,
      createdAt: job.created_at,
      updatedAt: job.updated_at,
      executionArn: job.execution_arn,
    },
    sections: {
      total: job.chunks_total,
      completed: sectionsDone,
      failed: job.chunks_failed,
      pending: Math.max(0, job.chunks_total - sectionsDone - job.chunks_failed),
    },
  };
}

export function statusView(job: JobRecord, now = Date.now()) {
  const progress = {
    percentage: job.progress_percent,
    sectionsCompleted: job.chunks_completed + job.chunks_skipped,
    totalSections: job.chunks_total,
    currentSection: job.status === 'running' ? (job.content_stats?.current_section ?? null) : null,
  };
  return {
    jobId: job.parameters.content_job_id,
    status: seedStatus(job.status),
    progress,
    metrics: { wordsGenerated: wordsOf(job), tokensUsed: tokensOf(job), costUsd: roundCost(job.cost_usd) },
    timing: {
      startedAt: job.started_at,
      estimatedCompletion: estimatedCompletion(job, now),
      elapsedMs: job.started_at
        ? (job.completed_at ? Date.parse(job.completed_at) : now) - Date.parse(job.started_at)
        : 0,
    },
    realtime: {
      status: seedStatus(job.status),
      progress: {
        percentage: progress.percentage,
        currentSection: progress.currentSection,
        sectionsCompleted: progress.sectionsCompleted,
        totalSections: progress.totalSections,
      },
      message: job.progress_message,
      updatedAt: job.updated_at,
    },
  };
}
