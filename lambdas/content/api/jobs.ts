/** The content jobs routes: list, details, status, content, retry and cancel, for one owner. */

import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { isTerminal, type JobRecord } from '#jobs/job.ts';
import * as service from '#jobs/job-service.ts';
import * as jobStore from '#jobs/job-store.ts';
import * as results from '#jobs/results-store.ts';
import { s3Keys } from '#platform/keys.ts';
import { contentJobEnded } from '../job-events.ts';
import { contentBasics, contentKinds } from '../kind-basics.ts';
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

export function jobDetails(job: JobRecord) {
  return details(job, job.status === 'completed' ? s3Keys.contentResult(job.owner, job.job_id) : null);
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

export async function jobContent(job: JobRecord) {
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
  return {
    jobId: job.parameters.content_job_id,
    topic: job.parameters.topic,
    structureType: job.parameters.structure_type,
    content: stored.content,
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
