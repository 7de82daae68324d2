/**
 * The Content Generator API's part of `/openapi.json` (seed 002): one entry per route of its
 * route table (content-api.ts), the request schemas being the ones its routes validate with.
 * Answers are `{"success": true, "data": ...}` and errors the seed's `success: false` envelope
 * (envelope.ts); the data's schemas are written here.
 */
import * as z from 'zod';
import type { ApiDescription, OperationDescription, ResponseDescription } from '#platform/openapi.ts';
import { executeRequestParts as p, STRUCTURE_TYPES } from '../request.ts';
import { contentSchemas as s } from './content-api.ts';
import { SEED_STATUSES } from './job-views.ts';
import { contentQuery, listJobsQuery } from './jobs.ts';

/** envelope.ts `failureBody`. */
const contentError = z
  .object({
    success: z.literal(false),
    error: z.string().describe('What went wrong'),
    metadata: z.object({
      timestamp: z.string(),
      details: z
        .object({
          code: z.string().describe('The seed’s error code, e.g. INVALID_REQUEST, JOB_NOT_FOUND'),
          suggestion: z.string().describe('How to fix the request'),
        })
        .catchall(z.unknown()),
    }),
  })
  .describe('The error envelope of the Content Generator API');

/**
 * The execute request. `parseExecuteRequest` (request.ts) reads it field by field, so the
 * refusals name the seed's error codes; the parts it validates with zod are its own schemas.
 */
const executeRequest = z.object({
  action: z.literal('generate').optional(),
  input: z.object({
    granulatorJobId: p.granulatorJobIdSchema.optional(),
    topic: z.string().max(500),
    structureType: z.enum(STRUCTURE_TYPES),
    structure: z
      .record(z.string(), z.unknown())
      .optional()
      .describe('The Content Granulator’s structure, or {} to have it outlined'),
    structureReference: p.referenceSchema.optional(),
    wordCountEstimates: p.wordCountSchema,
    contentMetadata: p.metadataSchema.optional(),
  }),
  config: p.configSchema.optional(),
});

const daysQuery = z.object({
  days: z.coerce.number().int().min(1).max(365).default(7).describe('The period, in days'),
});

const data = (
  description: string,
  schema: z.ZodType = z.record(z.string(), z.unknown()),
): ResponseDescription => ({
  description,
  schema: z.object({ success: z.literal(true), data: schema }),
});

const job = z.record(z.string(), z.unknown()).describe('A content job as the seed lists it');
const jobStatus = z.object({ jobId: z.number(), status: z.enum(SEED_STATUSES) }).catchall(z.unknown());

const read = (summary: string, description: string, extra: Partial<OperationDescription> = {}) => ({
  summary,
  ...extra,
  responses: { '200': data(description) },
});

export const contentApiDescription: ApiDescription = {
  tag: 'Content Generator',
  summary: 'Course content, quizzes, novels, workflows, knowledge maps and learning paths (seed 002)',
  basePath: '',
  errorSchema: contentError,
  operations: {
    'GET /': {
      summary: 'The content service’s health',
      public: true,
      responses: {
        '200': data('Healthy', z.object({ service: z.string(), status: z.string(), version: z.string() })),
      },
    },
    'GET /help': {
      summary: 'Endpoints and authentication',
      public: true,
      responses: { '200': data('Help') },
    },
    'POST /api/execute': {
      summary: 'Generate content from a structure',
      body: executeRequest,
      responses: {
        '200': {
          description: 'Finished (the body both as the seed has it and under data), or the dry run’s plan',
          schema: z.record(z.string(), z.unknown()),
        },
        '202': {
          ...data('Still running: poll statusUrl or wait for the webhook', jobStatus),
          headers: { location: 'The job’s status URL' },
        },
        '429': { description: 'Too many requests or concurrent jobs for this key' },
      },
    },
    'GET /api/templates': read('Templates', 'The templates'),
    'POST /api/templates': {
      summary: 'Create a template',
      body: s.templateInputSchema,
      responses: { '200': data('The template') },
    },
    'GET /api/templates/{name}': read('One template', 'The template'),
    'PUT /api/templates/{name}': {
      summary: 'Replace a template',
      body: s.templateInputSchema,
      responses: { '200': data('The template') },
    },
    'GET /api/jobs': {
      summary: 'This key’s content jobs',
      query: listJobsQuery,
      responses: { '200': data('A page of jobs', z.object({ jobs: z.array(job) }).catchall(z.unknown())) },
    },
    'GET /api/jobs/{id}': read(
      'One content job',
      'The job, and after the seed’s fields (for a quiz or a course) `questions`: its questions’ key positions, longest-option share, gate rejections and review states',
    ),
    'GET /api/jobs/{id}/status': {
      summary: 'A job’s status',
      responses: { '200': data('Status', jobStatus) },
    },
    'GET /api/jobs/{id}/content': read(
      'A finished job’s content',
      'The content, or a reference to it; with review=, only the questions in that review state, as last edited',
      { query: contentQuery },
    ),
    'POST /api/jobs/{id}/retry': {
      summary: 'Retry a failed or cancelled job, optionally with config overrides',
      body: s.retryBody,
      responses: { '200': data('The retried job') },
    },
    'POST /api/jobs/{id}/cancel': read('Cancel a job', 'The cancelled job'),
    'GET /api/stats': read('Usage overview', 'Stats'),
    'GET /api/analytics': read('Usage by day', 'Analytics', { query: daysQuery }),
    'GET /api/economy/pricing': read('Model prices', 'Pricing'),
    'POST /api/economy/estimate': {
      summary: 'Estimate the cost of some words or tokens',
      body: s.estimateBody,
      responses: { '200': data('The estimate') },
    },
    'GET /api/economy/stats': read('Spend by model', 'Economy stats', { query: daysQuery }),
    'GET /api/webhooks/secret': {
      summary: 'The secret that signs this key’s webhooks',
      responses: {
        '200': data(
          'The secret and how to check a signature',
          z.object({
            secret: z.string(),
            signatureHeader: z.string(),
            scheme: z.string(),
            toleranceSeconds: z.number(),
          }),
        ),
      },
    },
  },
};
