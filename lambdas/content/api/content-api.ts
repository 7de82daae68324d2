/**
 * The Content Generator API: `/api/execute`, templates, jobs, stats, analytics and economy,
 * with the seed's envelope, error codes and rate-limit headers; `/` and `/help` without a key.
 * Thin: each route validates, calls a module of this folder or a service, and answers.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { isTerminal } from '#jobs/job.ts';
import * as service from '#jobs/job-service.ts';
import * as jobStore from '#jobs/job-store.ts';
import * as results from '#jobs/results-store.ts';
import { DEFAULTS, ENV, generationSettings, intEnv } from '#platform/config.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import { MAX_NESTING, nestedDeeperThan, ownerOf } from '#platform/http.ts';
import { s3Keys } from '#platform/keys.ts';
import { withPowertools } from '#platform/middleware.ts';
import { contentBasics, contentKinds } from '../kind-basics.ts';
import { ContentRequestError, chooseModel, type ExecuteRequest, parseExecuteRequest } from '../request.ts';
import { ownerWebhookSecret } from '../signing-secret.ts';
import { readStructure } from '../structure.ts';
import {
  getTemplate,
  listTemplates,
  putTemplate,
  type TemplateInput,
  templateInputSchema,
} from '../templates.ts';
import { contentDryRun, estimate, pricing } from './economy.ts';
import { ContentApiError, errorResult, failure, ok, raw } from './envelope.ts';
import { recordIdOf, seedStatus } from './job-views.ts';
import {
  cancelContentJob,
  emptyStats,
  invalid,
  jobContent,
  jobDetails,
  jobStatus,
  listContentJobs,
  ownedContentJob,
  retryContentJob,
  type StoredContent,
} from './jobs.ts';
import {
  acquireJobSlot,
  checkRequestRate,
  rateLimitExceededDetails,
  rateLimitHeaders,
} from './rate-limits.ts';
import { fetchStructure } from './structure-reference.ts';
import { analytics, economyStats, recordJobEvent, statsOverview } from './usage-stats.ts';

type Route = (event: APIGatewayProxyEvent, owner: string) => Promise<APIGatewayProxyResult>;

const PRESIGNED_URL_SECONDS = 900;

function jsonBody(event: APIGatewayProxyEvent): unknown {
  const text =
    event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (!text || text.trim() === '') return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new ContentApiError(
      400,
      'INVALID_REQUEST',
      'Request body is not valid JSON',
      'Send a JSON object with Content-Type: application/json',
    );
  }
}

function daysOf(event: APIGatewayProxyEvent): number {
  const raw = event.queryStringParameters?.days;
  if (raw === undefined) return 7;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 365)
    throw invalid('days', 'days: must be a whole number from 1 to 365');
  return Number(raw);
}

// --- /api/execute ------------------------------------------------------------------------

async function execute(event: APIGatewayProxyEvent, owner: string): Promise<APIGatewayProxyResult> {
  let request: ExecuteRequest;
  try {
    request = parseExecuteRequest(jsonBody(event));
  } catch (error) {
    if (error instanceof ContentRequestError) {
      throw new ContentApiError(
        error.status,
        error.code,
        error.message,
        error.suggestion,
        error.field ? { field: error.field } : {},
      );
    }
    throw error;
  }
  const reference = request.input.structureReference;
  if (reference && !request.input.structure) {
    if (reference.type !== 'url') {
      throw new ContentApiError(
        400,
        'INVALID_STRUCTURE',
        `structureReference of type "${reference.type}" names storage this service cannot read`,
        'Send the structure inline in input.structure, or a structureReference {"type": "url", "location": "https://..."} (a presigned S3 URL works)',
        { field: 'structureReference' },
      );
    }
    try {
      request = {
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
    if (nestedDeeperThan(request.input.structure, MAX_NESTING)) {
      throw new ContentApiError(
        400,
        'INVALID_STRUCTURE',
        `structureReference points to a structure nested more than ${MAX_NESTING} levels deep`,
        'Send the structure as its lists of items (modules of lessons, steps, chapters...), not nested deeper',
        { field: 'structureReference' },
      );
    }
  }
  // A structure that cannot be read is refused now, as a 400, rather than failing the job later.
  readStructure(request.input.structureType, request.input.structure);
  if (request.config.dryRun) return ok(contentDryRun(request));
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
  const job = await service.startJob(
    owner,
    contentBasics,
    'content',
    {
      content_job_id: contentJobId,
      granulator_job_id:
        typeof request.input.granulatorJobId === 'number' ? request.input.granulatorJobId : null,
      topic: request.input.topic,
      structure_type: request.input.structureType,
    },
    { jobId, model, contentStats: emptyStats(), maxCostUsd: request.config.maxCostUsd },
  );
  await recordJobEvent(owner, {
    type: 'created',
    structureType: request.input.structureType,
    at: job.created_at,
  });
  const waitSeconds = intEnv(ENV.syncWaitSeconds, DEFAULTS.syncWaitSeconds, 0);
  const finished = await service.waitForJob(owner, job.job_id, waitSeconds * 1000, contentKinds);
  if (finished.status === 'completed') return raw(await successBody(finished.job_id, owner, request));
  if (finished.status === 'failed' && finished.error_message?.startsWith('QUALITY_THRESHOLD_NOT_MET')) {
    throw new ContentApiError(
      422,
      'QUALITY_THRESHOLD_NOT_MET',
      'Generated content below quality threshold',
      'Lower qualityRequirements.minQualityScore, or retry with another model or temperature',
      { jobId: contentJobId, context: finished.error_message },
    );
  }
  if (finished.status === 'failed' && finished.stop_reason === 'budget') {
    throw new ContentApiError(
      429,
      'RESOURCE_LIMIT_EXCEEDED',
      'Cost limit reached',
      'Raise config.maxCostUsd (or the monthly budget) and retry the job with POST /api/jobs/{id}/retry; finished sections are kept',
      { jobId: contentJobId, context: finished.error_message },
    );
  }
  if (finished.status === 'failed') {
    throw new ContentApiError(
      500,
      'GENERATION_FAILED',
      'AI generation failed',
      'Retry the job with POST /api/jobs/{id}/retry',
      {
        jobId: contentJobId,
        context: finished.error_message,
      },
    );
  }
  return raw(
    {
      success: true,
      data: {
        jobId: contentJobId,
        status: seedStatus(finished.status),
        message: `Generation is still running after ${waitSeconds} s; poll the status URL or wait for the webhook`,
        statusUrl: `/api/jobs/${contentJobId}/status`,
        contentUrl: `/api/jobs/${contentJobId}/content`,
      },
    },
    202,
    { location: `/api/jobs/${contentJobId}/status` },
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

// --- routes ------------------------------------------------------------------------------

const estimateBody = z.object({
  provider: z.string().optional(),
  model: z.string().optional(),
  structureType: z.string().optional(),
  estimatedTokens: z.number().int().positive().optional(),
  wordCount: z.number().int().positive().optional(),
});

const HELP = {
  service: 'quizgen content generator',
  authentication:
    'Send your API key as X-API-Key: <key> or Authorization: Bearer <key> (X-Worker-ID optional)',
  endpoints: [
    'POST /api/execute',
    'GET /api/templates',
    'GET /api/templates/{name}',
    'POST /api/templates',
    'PUT /api/templates/{name}',
    'GET /api/jobs',
    'GET /api/jobs/{id}',
    'GET /api/jobs/{id}/status',
    'GET /api/jobs/{id}/content',
    'POST /api/jobs/{id}/retry',
    'POST /api/jobs/{id}/cancel',
    'GET /api/stats',
    'GET /api/analytics?days=7',
    'GET /api/economy/pricing',
    'POST /api/economy/estimate',
    'GET /api/economy/stats?days=7',
  ],
  structureTypes: ['course', 'quiz', 'novel', 'workflow', 'knowledge_map', 'learning_path'],
};

const routes: Record<string, Route> = {
  'GET /': async () => ok({ service: 'quizgen content generator', status: 'healthy', version: '1' }),
  'GET /help': async () => ok(HELP),
  'POST /api/execute': execute,
  'GET /api/templates': async (event, owner) => {
    const q = event.queryStringParameters ?? {};
    const templates = await listTemplates(owner, {
      contentType: q.content_type,
      structureType: q.structure_type,
    });
    return ok({ templates, total: templates.length });
  },
  'GET /api/templates/{name}': async (event, owner) => {
    const template = await getTemplate(owner, event.pathParameters?.name ?? '');
    if (!template) {
      throw new ContentApiError(
        404,
        'TEMPLATE_NOT_FOUND',
        'Template not found',
        'GET /api/templates lists the templates',
        {
          name: event.pathParameters?.name,
        },
      );
    }
    return ok({ template });
  },
  'POST /api/templates': async (event, owner) =>
    ok({ template: await saveTemplate(owner, jsonBody(event)) }, 201),
  'PUT /api/templates/{name}': async (event, owner) => {
    const body = jsonBody(event);
    const name = event.pathParameters?.name ?? '';
    return ok({ template: await saveTemplate(owner, { ...(body as object), name }, name) });
  },
  'GET /api/jobs': async (event, owner) =>
    ok(await listContentJobs(owner, event.queryStringParameters ?? {})),
  'GET /api/jobs/{id}': async (event, owner) => ok(jobDetails(await ownedContentJob(owner, event))),
  'GET /api/jobs/{id}/status': async (event, owner) => ok(jobStatus(await ownedContentJob(owner, event))),
  'GET /api/jobs/{id}/content': async (event, owner) =>
    ok(await jobContent(await ownedContentJob(owner, event))),
  'POST /api/jobs/{id}/retry': async (event, owner) => {
    const job = await ownedContentJob(owner, event);
    const body = z
      .object({ config: z.record(z.string(), z.unknown()).optional() })
      .safeParse(jsonBody(event));
    if (!body.success) throw invalid('config', 'config: must be an object of settings to override');
    return ok(
      await retryContentJob(job, async () => {
        if (!body.data.config) return undefined;
        // The override is validated like a new request's config, then kept for the retried run.
        const request = await results.getJson<ExecuteRequest>(s3Keys.contentRequest(owner, job.job_id));
        if (!request) return undefined;
        const merged = parseExecuteRequest({
          ...request,
          config: { ...request.config, ...body.data.config },
        });
        await results.putJson(s3Keys.contentRequest(owner, job.job_id), merged);
        // A raised cost limit lets a job stopped at its budget go on (its spend so far counts).
        return merged.config.maxCostUsd === undefined
          ? undefined
          : { max_cost_usd: merged.config.maxCostUsd };
      }),
    );
  },
  'POST /api/jobs/{id}/cancel': async (event, owner) =>
    ok(await cancelContentJob(owner, await ownedContentJob(owner, event))),
  'GET /api/stats': async (_event, owner) =>
    ok(
      await statsOverview(owner, {
        maxConcurrentJobs: intEnv(ENV.contentMaxConcurrentJobs, DEFAULTS.contentMaxConcurrentJobs, 1),
        defaultModel: generationSettings().model,
        qualityThreshold: 75,
      }),
    ),
  'GET /api/analytics': async (event, owner) => ok(await analytics(owner, daysOf(event))),
  'GET /api/economy/pricing': async () => ok(pricing()),
  'POST /api/economy/estimate': async (event) => {
    const body = estimateBody.safeParse(jsonBody(event));
    if (!body.success) {
      const issue = body.error.issues[0];
      throw invalid(
        String(issue?.path[0] ?? 'body'),
        `${String(issue?.path[0] ?? 'body')}: ${issue?.message}`,
      );
    }
    if (body.data.estimatedTokens === undefined && body.data.wordCount === undefined) {
      throw new ContentApiError(
        400,
        'MISSING_REQUIRED_FIELD',
        'Missing required field',
        'Include estimatedTokens or wordCount',
        {
          field: 'estimatedTokens',
        },
      );
    }
    return ok(estimate(body.data));
  },
  'GET /api/economy/stats': async (event, owner) => ok(await economyStats(owner, daysOf(event))),
  'GET /api/webhooks/secret': async (_event, owner) =>
    ok({
      secret: await ownerWebhookSecret(owner),
      signatureHeader: 'X-Webhook-Signature',
      scheme: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the secret>',
      toleranceSeconds: 300,
    }),
};

async function saveTemplate(owner: string, body: unknown, name?: string) {
  const parsed = templateInputSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = String(issue?.path[0] ?? 'body');
    throw new ContentApiError(
      400,
      'MISSING_REQUIRED_FIELD',
      `${field}: ${issue?.message ?? 'invalid'}`,
      `Fix "${field}" in the template`,
      { field },
    );
  }
  const input: TemplateInput = { ...parsed.data, ...(name ? { name } : {}) };
  return putTemplate(owner, input);
}

const PUBLIC = new Set(['GET /', 'GET /help']);

export async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const key = `${event.httpMethod} ${event.resource}`;
  const handler = routes[key];
  if (!handler) return failure(404, 'NOT_FOUND', 'Not found', 'GET /help lists the endpoints');
  if (PUBLIC.has(key)) return handler(event, '');
  const owner = ownerOf(event);
  let limitHeaders: Record<string, string> = {};
  try {
    const rate = await checkRequestRate(
      owner,
      intEnv(ENV.contentRequestsPerMinute, DEFAULTS.contentRequestsPerMinute, 1),
    );
    limitHeaders = rateLimitHeaders(rate);
    if (!rate.allowed) {
      const { code: _code, suggestion, ...details } = rateLimitExceededDetails(rate);
      return failure(429, 'RATE_LIMIT_EXCEEDED', 'Rate limit exceeded', suggestion, details, limitHeaders);
    }
    const result = await handler(event, owner);
    return { ...result, headers: { ...result.headers, ...limitHeaders } };
  } catch (error) {
    return errorResult(error, limitHeaders);
  }
}

export const handler = withPowertools(route);
