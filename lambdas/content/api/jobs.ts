/** The content jobs routes: list, details, status, content, retry and cancel, for one owner. */

import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { isTerminal, type JobRecord } from '#jobs/job.ts';
import * as service from '#jobs/job-service.ts';
import * as jobStore from '#jobs/job-store.ts';
import { jobQualityReport } from '#jobs/quality-report.ts';
import * as results from '#jobs/results-store.ts';
import { s3Keys } from '#platform/keys.ts';
import { reviewFilterSchema } from '#review/review-schemas.ts';
import { REVIEW_STATES, type ReviewState, reviewCounts } from '#review/review-store.ts';
import { contentJobEnded } from '../job-events.ts';
import { contentBasics, contentKinds } from '../kind-basics.ts';
import { contentInState } from '../question-review.ts';
import type { SectionSpec } from '../sections.ts';
import { ContentApiError } from './envelope.ts';
import {
  details,
  jobStatusOf,
  listItem,
  recordIdOf,
  SEED_STATUSES,
  seedStatus,
  statusView,
} from './job-views.ts';

const listQuery = z.object({
  status: z.enum(SEED_STATUSES, { error: `must be one of ${SEED_STATUSES.join(', ')}` }).optional(),
  limit: z.coerce
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(100, 'must be at most 100')
    .default(20),
  offset: z.coerce.number().int('must be a whole number').min(0, 'must be 0 or more').default(0),
});

/** The request schema, for the OpenAPI document (content-openapi.ts). */
export const listJobsQuery = listQuery;

/**
 * `GET /api/jobs/{id}/content` query: `review=` keeps only the content's questions in that review
 * state (lambdas/review/), each as last edited; without it the content is the seed's, unfiltered.
 */
export const contentQuery = z.object({ review: reviewFilterSchema.optional() });

export function invalid(field: string, message: string): ContentApiError {
  return new ContentApiError(400, 'INVALID_REQUEST', message, `Fix "${field}" and send the request again`, {
    field,
  });
}

export async function listContentJobs(owner: string, query: Record<string, string | undefined>) {
  const parsed = listQuery.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(
      String(issue?.path[0] ?? 'query'),
      `${String(issue?.path[0] ?? 'query')}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const { status, limit, offset } = parsed.data;
  const page = await service.listJobs(
    owner,
    status ? jobStatusOf(status) : undefined,
    limit,
    offset,
    contentBasics.list,
    contentKinds,
  );
  return {
    jobs: page.jobs.map(listItem),
    total: page.total,
    page: Math.floor(offset / limit) + 1,
    pageSize: limit,
    hasNext: offset + page.jobs.length < page.total,
    hasPrev: offset > 0,
  };
}

/** The owner's content job by the seed's numeric id; anything else is "Job not found". */
export async function ownedContentJob(owner: string, event: APIGatewayProxyEvent): Promise<JobRecord> {
  const raw = event.pathParameters?.id ?? '';
  const notFound = new ContentApiError(
    404,
    'JOB_NOT_FOUND',
    'Job not found',
    'Check the job id: GET /api/jobs lists your jobs',
    {
      jobId: raw,
    },
  );
  if (!/^[1-9]\d{0,15}$/.test(raw)) throw notFound;
  try {
    const job = await service.getJob(owner, recordIdOf(Number(raw)), contentKinds);
    if (job.job_type !== 'content') throw notFound;
    return job;
  } catch (error) {
    if (error instanceof ContentApiError) throw error;
    if ((error as Error).name === 'JobNotFound') throw notFound;
    throw error;
  }
}

const QUESTION_STRUCTURES = ['quiz', 'course'];

/**
 * The seed's job details, and after them (for a quiz or a course) `questions`: the quality gate's figures for the content's
 * questions (key positions and the longest-option share over the whole job, rejections by
 * check) and how many of them are pending, approved and rejected, as a quiz bank's quality
 * report counts them (GET /api/v1/jobs/{id}/quality).
 */
export async function jobDetails(job: JobRecord) {
  const seed = details(job, job.status === 'completed' ? s3Keys.contentResult(job.owner, job.job_id) : null);
  // Only quizzes and courses (their module assessments) hold questions; the review count reads
  // the key's review records, so the other types are spared it.
  if (!QUESTION_STRUCTURES.includes(String(job.parameters.structure_type))) return seed;
  const [chunks, review] = await Promise.all([
    jobStore.listChunkRecords(job.job_id),
    reviewCounts(job.owner, job.job_id),
  ]);
  const report = jobQualityReport(
    chunks.map((r) => ({ chunk_key: r.chunk_key, status: r.status, quality: r.quality ?? undefined })),
  );
  return {
    ...seed,
    questions: {
      gate_version: report.gate_version,
      requested: report.requested,
      rejected: report.rejected,
      by_check: report.by_check,
      key_cues: report.key_cues,
      review,
    },
  };
}

/** The request's `review=`, or a 400 in the seed's envelope saying what it takes. */
export function reviewQueryOf(event: APIGatewayProxyEvent): ReviewState | undefined {
  const parsed = contentQuery.safeParse({ review: event.queryStringParameters?.review ?? undefined });
  if (!parsed.success) {
    throw invalid(
      'review',
      `review: must be one of ${REVIEW_STATES.join(', ')} (only the content's questions in that review state), or left out for all of them`,
    );
  }
  return parsed.data.review;
}

export function jobStatus(job: JobRecord) {
  return statusView(job);
}

export interface StoredContent {
  content: unknown;
  summary: { totalWords: number } & Record<string, unknown>;
  qualityMetrics: Record<string, number>;
  generatedAt: string;
}

export async function jobContent(job: JobRecord, review?: ReviewState) {
  if (job.status !== 'completed') {
    throw new ContentApiError(
      400,
      'INVALID_REQUEST',
      'Content not available',
      'Poll GET /api/jobs/{id}/status until it is completed',
      {
        status: seedStatus(job.status),
        message: 'Job must be completed to retrieve content',
      },
    );
  }
  const key = s3Keys.contentResult(job.owner, job.job_id);
  const stored = await results.getJson<StoredContent>(key);
  if (!stored)
    throw new ContentApiError(
      404,
      'NOT_FOUND',
      'Content not found',
      'The content may have expired; generate it again',
    );
  let content = stored.content;
  if (review) {
    const plan = await results.getJson<{ sections: SectionSpec[] }>(
      s3Keys.contentPlan(job.owner, job.job_id),
    );
    if (!plan) throw new Error(`The section plan of content job ${job.job_id} is missing`);
    content = await contentInState(job.owner, job.job_id, plan.sections, stored.content, review);
  }
  return {
    jobId: job.parameters.content_job_id,
    topic: job.parameters.topic,
    structureType: job.parameters.structure_type,
    content,
    // After the seed's keys: which review state the questions were filtered to.
    ...(review ? { review } : {}),
    metadata: {
      totalWords: stored.summary.totalWords,
      qualityScore: stored.qualityMetrics.overallScore ?? null,
      generatedAt: stored.generatedAt,
      storageType: 's3',
      size: job.content_stats?.content_size ?? null,
    },
  };
}

export async function cancelContentJob(owner: string, job: JobRecord) {
  if (isTerminal(job.status)) {
    throw new ContentApiError(
      400,
      'INVALID_REQUEST',
      'Job cannot be cancelled',
      'Only pending or processing jobs can be cancelled',
      {
        status: seedStatus(job.status),
        message: 'Job is already completed or cancelled',
      },
    );
  }
  await contentJobEnded(await service.cancelJob(owner, job.job_id, contentKinds));
  return { success: true, jobId: job.parameters.content_job_id, message: 'Job cancelled successfully' };
}

/** `applyConfig` keeps a config override for the retried run and says what changes on the job. */
export async function retryContentJob(
  job: JobRecord,
  applyConfig: (job: JobRecord) => Promise<Partial<JobRecord> | undefined>,
) {
  if (job.status !== 'failed') {
    throw new ContentApiError(
      400,
      'INVALID_REQUEST',
      'Job cannot be retried',
      'Only failed jobs can be retried',
      {
        status: seedStatus(job.status),
        message: 'Only failed jobs can be retried',
      },
    );
  }
  const retryCount = (job.content_stats?.retry_count ?? 0) + 1;
  const changes = await applyConfig(job);
  const updated = await jobStore.updateJob(job, {
    ...changes,
    content_stats: { ...(job.content_stats ?? emptyStats()), retry_count: retryCount },
  });
  await service.retryJob(updated ?? job, retryCount, contentKinds);
  return { success: true, jobId: job.parameters.content_job_id, message: 'Job queued for retry', retryCount };
}

export function emptyStats() {
  return { total_words: 0, current_section: null, content_size: null, retry_count: 0, quality: null };
}
