/**
 * Starting a content job (`POST /api/execute`): read the request, resolve a structure given by
 * reference, refuse what cannot run, answer a dry run, take a job slot, start the job, and wait
 * a bounded time for it to finish. Failures are `ContentApiError`s with the seed's codes.
 */
import { isTerminal, type JobRecord, type JobStatus } from '#jobs/job.ts';
import * as service from '#jobs/job-service.ts';
import * as jobStore from '#jobs/job-store.ts';
import * as results from '#jobs/results-store.ts';
import { DEFAULTS, ENV, generationSettings, intEnv } from '#platform/config.ts';
import { BudgetReached } from '#platform/errors.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import { MAX_NESTING, nestedDeeperThan } from '#platform/http.ts';
import { s3Keys } from '#platform/keys.ts';
import { contentBasics, contentKinds } from '../kind-basics.ts';
import { chooseModel } from '../model-choice.ts';
import { contentParameters, type ExecuteRequest, parseExecuteRequest } from '../request.ts';
import { readStructure } from '../structure.ts';
import { contentDryRun } from './economy.ts';
import { ContentApiError, readingRequest } from './envelope.ts';
import { recordIdOf } from './job-views.ts';
import { emptyStats, type StoredContent } from './jobs.ts';
import { acquireJobSlot } from './rate-limits.ts';
import { fetchStructure } from './structure-reference.ts';
import { recordJobEvent } from './usage-stats.ts';

const PRESIGNED_URL_SECONDS = 900;

/** What became of the request: a plan, the finished content, or a job still running. */
export type StartOutcome =
  | { kind: 'dry-run'; plan: ReturnType<typeof contentDryRun> }
  | { kind: 'completed'; body: Awaited<ReturnType<typeof successBody>> }
  | { kind: 'running'; contentJobId: number; status: JobStatus; waitSeconds: number };

/** Starts the content job `body` asks for (the request body as JSON) for `owner`. */
export async function startContentJob(owner: string, body: unknown): Promise<StartOutcome> {
  const request = await readingRequest(async () => {
    const resolved = await resolveReference(parseExecuteRequest(body));
    // A structure that cannot be read is refused now, as a 400, rather than failing the job later.
    readStructure(resolved.input.structureType, resolved.input.structure);
    return resolved;
  });
  if (request.config.dryRun)
    return { kind: 'dry-run', plan: await readingRequest(() => contentDryRun(request)) };
  const { job, contentJobId } = await start(owner, request);
  const waitSeconds = intEnv(ENV.syncWaitSeconds, DEFAULTS.syncWaitSeconds, 0);
  const finished = await service.waitForJob(owner, job.job_id, waitSeconds * 1000, contentKinds);
  if (finished.status === 'completed') {
    return { kind: 'completed', body: await successBody(finished.job_id, owner, request) };
  }
  if (finished.status === 'failed') throw failureOf(finished, contentJobId);
  return { kind: 'running', contentJobId, status: finished.status, waitSeconds };
}

/** The request with a structure given by URL fetched into `input.structure`. */
async function resolveReference(request: ExecuteRequest): Promise<ExecuteRequest> {
  const reference = request.input.structureReference;
  if (!reference || request.input.structure) return request;
  if (reference.type !== 'url') {
    throw new ContentApiError(
      400,
      'INVALID_STRUCTURE',
      `structureReference of type "${reference.type}" names storage this service cannot read`,
      'Send the structure inline in input.structure, or a structureReference {"type": "url", "location": "https://..."} (a presigned S3 URL works)',
      { field: 'structureReference' },
    );
  }
  let resolved: ExecuteRequest;
  try {
    resolved = {
      ...request,
      input: { ...request.input, structure: await fetchStructure(reference.location) },
    };
  } catch (error) {
    throw new ContentApiError(
      400,
      'INVALID_STRUCTURE',
      `structureReference could not be read: ${(error as Error).message}`,
      'Check that the URL answers 200 with the structure as JSON',
      { field: 'structureReference' },
    );
  }
  // An inline structure this deep was refused by the parser; a fetched one is checked here.
  if (nestedDeeperThan(resolved.input.structure, MAX_NESTING)) {
    throw new ContentApiError(
      400,
      'INVALID_STRUCTURE',
      `structureReference points to a structure nested more than ${MAX_NESTING} levels deep`,
      'Send the structure as its lists of items (modules of lessons, steps, chapters...), not nested deeper',
      { field: 'structureReference' },
    );
  }
  return resolved;
}

/** Takes one of the owner's job slots, keeps the request for the workers, starts the job. */
async function start(
  owner: string,
  request: ExecuteRequest,
): Promise<{ job: JobRecord; contentJobId: number }> {
  if (!(await geminiApiKey())) {
    throw new ContentApiError(
      503,
      'AI_PROVIDER_ERROR',
      'GEMINI_API_KEY not configured',
      'Put the Gemini API key in the secret the stack created (see the README)',
      {
        provider: 'google',
      },
    );
  }
  const settings = generationSettings();
  const contentJobId = await jobStore.nextCounter('content-job');
  const jobId = recordIdOf(contentJobId);
  const slot = await acquireJobSlot(
    owner,
    jobId,
    intEnv(ENV.contentMaxConcurrentJobs, DEFAULTS.contentMaxConcurrentJobs, 1),
    {
      reclaim: async (ids) => {
        const jobs = await Promise.all(ids.map((id) => jobStore.getJob(id)));
        return ids.filter((_, i) => !jobs[i] || isTerminal(jobs[i].status));
      },
    },
  );
  if (!slot.allowed) {
    throw new ContentApiError(
      429,
      'RESOURCE_LIMIT_EXCEEDED',
      'Too many generation jobs running',
      `Wait for one of your ${slot.active} running jobs to finish, or cancel one`,
      { limit: slot.limit, active: slot.active },
    );
  }
  await results.putJson(s3Keys.contentRequest(owner, jobId), request);
  const model = chooseModel(request.config, settings.model).model;
  let job: JobRecord;
  try {
    job = await service.startJob(
      owner,
      contentBasics,
      'content',
      {
        content_job_id: contentJobId,
        granulator_job_id:
          typeof request.input.granulatorJobId === 'number' ? request.input.granulatorJobId : null,
        topic: request.input.topic,
        structure_type: request.input.structureType,
        language: contentParameters(request).language,
      },
      { jobId, model, contentStats: emptyStats(), maxCostUsd: request.config.maxCostUsd },
    );
  } catch (error) {
    // The seed's code for a used-up monthly budget is a 429, where the quiz APIs answer 402.
    if (!(error instanceof BudgetReached)) throw error;
    throw new ContentApiError(
      429,
      'RESOURCE_LIMIT_EXCEEDED',
      error.message,
      'Raise the monthly budget (PUT /api/v1/quiz-generator/budget) or wait for next month',
    );
  }
  await recordJobEvent(owner, {
    type: 'created',
    structureType: request.input.structureType,
    at: job.created_at,
  });
  return { job, contentJobId };
}

/** Why a job that failed while the request waited stopped, in the seed's codes. */
function failureOf(job: JobRecord, contentJobId: number): ContentApiError {
  const details = { jobId: contentJobId, context: job.error_message };
  if (job.error_message?.startsWith('QUALITY_THRESHOLD_NOT_MET')) {
    return new ContentApiError(
      422,
      'QUALITY_THRESHOLD_NOT_MET',
      'Generated content below quality threshold',
      // Not the temperature: Gemini 3 models are to keep their default, and 3.6 and later ignore it.
      'Lower qualityRequirements.minQualityScore, or retry with another model (config.aiModel)',
      details,
    );
  }
  if (job.stop_reason === 'budget') {
    return new ContentApiError(
      429,
      'RESOURCE_LIMIT_EXCEEDED',
      'Cost limit reached',
      'Raise config.maxCostUsd (or the monthly budget) and retry the job with POST /api/jobs/{id}/retry; finished sections are kept',
      details,
    );
  }
  return new ContentApiError(
    500,
    'GENERATION_FAILED',
    'AI generation failed',
    'Retry the job with POST /api/jobs/{id}/retry',
    details,
  );
}

/** The seed's success body: content inline under the inline limit, else a reference to S3. */
async function successBody(jobId: string, owner: string, request: ExecuteRequest) {
  const job = await service.getJob(owner, jobId, contentKinds);
  const key = s3Keys.contentResult(owner, jobId);
  const stored = await results.getJson<StoredContent & { notes?: string[]; model?: string }>(key);
  const size = job.content_stats?.content_size ?? 0;
  const inlineMax = intEnv(ENV.contentInlineMaxBytes, DEFAULTS.contentInlineMaxBytes, 0);
  const inline = size < inlineMax;
  const tokens = { input: job.input_tokens, output: job.output_tokens + job.thinking_tokens };
  const duration =
    job.started_at && job.completed_at ? Date.parse(job.completed_at) - Date.parse(job.started_at) : 0;
  return {
    success: true,
    output: {
      jobId: job.parameters.content_job_id,
      granulatorJobId: job.parameters.granulator_job_id ?? null,
      topic: request.input.topic,
      structureType: request.input.structureType,
      ...(inline
        ? { content: stored?.content ?? null }
        : {
            contentReference: {
              type: 's3',
              location: key,
              size,
              url: await results.presignedGetUrl(key, PRESIGNED_URL_SECONDS),
              expiresInSeconds: PRESIGNED_URL_SECONDS,
            },
          }),
      summary: {
        ...(stored?.summary ?? {}),
        generationTime: duration,
        tokensUsed: { ...tokens, total: tokens.input + tokens.output },
        costUsd: job.cost_usd,
      },
      qualityMetrics: stored?.qualityMetrics ?? null,
      readyForPackaging: true,
      packagingMetadata: { availableFormats: ['json'], recommendedFormat: 'json' },
    },
    usage: { tokens },
    duration,
    cost: job.cost_usd,
    metadata: {
      aiProvider: 'google',
      models: [stored?.model ?? job.model],
      batchesProcessed: job.chunks_total,
      retries: job.content_stats?.retry_count ?? 0,
      notes: stored?.notes ?? request.notes,
    },
  };
}
