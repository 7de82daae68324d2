/**
 * The Content Generator API: `/api/execute`, templates, jobs, stats, analytics and economy,
 * with the seed's envelope, error codes and rate-limit headers; `/` and `/help` without a key.
 * Thin: each route parses the request, calls a use case of this folder (`start-job.ts`,
 * `jobs.ts`, ...) or a store, and answers; the HTTP edge (`httpApi`) routes, counts the rate
 * limit and answers errors.
 */

import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import * as results from '#jobs/results-store.ts';
import { DEFAULTS, ENV, generationSettings, intEnv } from '#platform/config.ts';
import { type Guard, httpApi, json, type RouteTable, readJson } from '#platform/http.ts';
import { s3Keys } from '#platform/keys.ts';
import { withPowertools } from '#platform/middleware.ts';
import { type ExecuteRequest, parseExecuteRequest } from '../request.ts';
import { ownerWebhookSecret } from '../signing-secret.ts';
import {
  getTemplate,
  listTemplates,
  putTemplate,
  type TemplateInput,
  templateInputSchema,
} from '../templates.ts';
import { estimate, pricing } from './economy.ts';
import { ContentApiError, contentEnvelope, ok, readingRequest } from './envelope.ts';
import { seedStatus } from './job-views.ts';
import {
  cancelContentJob,
  invalid,
  jobContent,
  jobDetails,
  jobStatus,
  listContentJobs,
  ownedContentJob,
  retryContentJob,
  reviewQueryOf,
} from './jobs.ts';
import { checkRequestRate, rateLimitExceededDetails, rateLimitHeaders } from './rate-limits.ts';
import { startContentJob } from './start-job.ts';
import { analytics, economyStats, statsOverview } from './usage-reports.ts';

function daysOf(event: APIGatewayProxyEvent): number {
  const raw = event.queryStringParameters?.days;
  if (raw === undefined) return 7;
  if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 365)
    throw invalid('days', 'days: must be a whole number from 1 to 365');
  return Number(raw);
}

// --- /api/execute ------------------------------------------------------------------------

async function execute(event: APIGatewayProxyEvent, owner: string) {
  const outcome = await startContentJob(owner, readJson(event));
  switch (outcome.kind) {
    case 'dry-run':
      return ok(outcome.plan);
    case 'completed':
      // The seed's success body for this endpoint is not wrapped in `data`; the original
      // worker's was (its handleExecute answers through jsonResponse, which puts the body under
      // `data`: jhaladik/ai-cto-modular-app, workers/bitware_content_generator/src/helpers/http.ts),
      // and its own test-working.sh reads `.data.output.jobId`. Both shapes, so both kinds of
      // client read it unchanged.
      return json(200, { ...outcome.body, data: outcome.body });
    case 'running': {
      const { contentJobId, status, waitSeconds } = outcome;
      return ok(
        {
          jobId: contentJobId,
          status: seedStatus(status),
          message: `Generation is still running after ${waitSeconds} s; poll the status URL or wait for the webhook`,
          statusUrl: `/api/jobs/${contentJobId}/status`,
          contentUrl: `/api/jobs/${contentJobId}/content`,
        },
        202,
        { location: `/api/jobs/${contentJobId}/status` },
      );
    }
  }
}

// --- routes ------------------------------------------------------------------------------

const estimateBody = z.object({
  provider: z.string().optional(),
  model: z.string().optional(),
  structureType: z.string().optional(),
  estimatedTokens: z.number().int().positive().optional(),
  wordCount: z.number().int().positive().optional(),
});

const retryBody = z.object({ config: z.record(z.string(), z.unknown()).optional() });

/** The request schemas, for the OpenAPI document (content-openapi.ts). */
export const contentSchemas = { estimateBody, retryBody, templateInputSchema };

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
    'GET /api/jobs/{id}/content?review=approved|pending|rejected',
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

const routes: RouteTable = {
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
    ok({ template: await saveTemplate(owner, readJson(event)) }, 201),
  'PUT /api/templates/{name}': async (event, owner) => {
    const body = readJson(event);
    const name = event.pathParameters?.name ?? '';
    return ok({ template: await saveTemplate(owner, { ...(body as object), name }, name) });
  },
  'GET /api/jobs': async (event, owner) =>
    ok(await listContentJobs(owner, event.queryStringParameters ?? {})),
  'GET /api/jobs/{id}': async (event, owner) => ok(await jobDetails(await ownedContentJob(owner, event))),
  'GET /api/jobs/{id}/status': async (event, owner) => ok(jobStatus(await ownedContentJob(owner, event))),
  'GET /api/jobs/{id}/content': async (event, owner) => {
    const review = reviewQueryOf(event);
    return ok(await jobContent(await ownedContentJob(owner, event), review));
  },
  'POST /api/jobs/{id}/retry': async (event, owner) => {
    const job = await ownedContentJob(owner, event);
    const body = retryBody.safeParse(readJson(event));
    if (!body.success) throw invalid('config', 'config: must be an object of settings to override');
    return ok(
      await retryContentJob(job, async () => {
        if (!body.data.config) return undefined;
        // The override is validated like a new request's config, then kept for the retried run.
        const request = await results.getJson<ExecuteRequest>(s3Keys.contentRequest(owner, job.job_id));
        if (!request) return undefined;
        const merged = await readingRequest(() =>
          parseExecuteRequest({ ...request, config: { ...request.config, ...body.data.config } }),
        );
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
    const body = estimateBody.safeParse(readJson(event));
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

/** The seed's per-key request rate: its headers on every keyed answer, a 429 past the limit. */
const rateLimit: Guard = async (owner) => {
  const rate = await checkRequestRate(
    owner,
    intEnv(ENV.contentRequestsPerMinute, DEFAULTS.contentRequestsPerMinute, 1),
  );
  const headers = rateLimitHeaders(rate);
  if (rate.allowed) return { headers };
  const { code: _code, suggestion, ...details } = rateLimitExceededDetails(rate);
  return {
    headers,
    refusal: new ContentApiError(429, 'RATE_LIMIT_EXCEEDED', 'Rate limit exceeded', suggestion, details),
  };
};

export const route = httpApi({
  routes,
  envelope: contentEnvelope,
  publicRoutes: ['GET /', 'GET /help'],
  guard: rateLimit,
});

export const handler = withPowertools(route);
