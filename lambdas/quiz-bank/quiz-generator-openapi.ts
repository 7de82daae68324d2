/**
 * The Quiz Generator API's part of `/openapi.json`: one entry per route of its route table
 * (quiz-generator-api.ts), the request schemas being the ones its routes validate with. The
 * answers' schemas are written here: they describe what the routes build, field by field.
 */
import * as z from 'zod';
import { EXPORT_FORMATS } from '#exports/index.ts';
import { JOB_STATUSES } from '#jobs/job.ts';
import { type ApiDescription, detailErrorSchema } from '#platform/openapi.ts';
import { BASE_PATH, quizGeneratorSchemas as s } from './quiz-generator-api.ts';

const exportFormats = EXPORT_FORMATS.map((f) => f.id);

/** `?format=` of the results routes (read by `requestedFormat`, not a zod schema). */
const resultQuery = s.resultsQuery.extend({
  format: z
    .enum(['json', 'url', 'inline', ...exportFormats])
    .optional()
    .describe('json (default; inline is its old name), url for a presigned S3 link, or an LMS export format'),
});

const job = z.object({
  job_id: z.uuid(),
  job_type: z.string(),
  status: z.enum(JOB_STATUSES),
  parameters: z.record(z.string(), z.unknown()),
  progress_percent: z.number(),
  progress_message: z.string().nullable(),
  result_summary: z.record(z.string(), z.unknown()).nullable(),
  error_message: z.string().nullable(),
  created_at: z.string(),
  started_at: z.string().nullable(),
  completed_at: z.string().nullable(),
  chunks: z.object({
    total: z.number(),
    skipped_from_checkpoint: z.number(),
    completed: z.number(),
    failed: z.number(),
  }),
  questions_generated: z.number(),
  tokens: z.record(z.string(), z.number()),
  cost_usd: z.number(),
  max_cost_usd: z.number().optional(),
  stop_reason: z.string().optional(),
  mode: z.literal('batch').optional(),
  model: z.string().nullable(),
  execution_arn: z.string().nullable(),
  execution_console_url: z.string().nullable(),
});

const started = z.object({
  message: z.string(),
  job_id: z.uuid(),
  job_type: z.string(),
  status: z.enum(JOB_STATUSES),
  progress_percent: z.number().optional(),
});

const estimate = z
  .record(z.string(), z.unknown())
  .describe('The dry run: chunks, tokens, cost and time the job would take, nothing started');

const syncDone = z.object({
  success: z.literal(true),
  message: z.string(),
  questions_generated: z.number(),
  details: z.record(z.string(), z.unknown()),
});

const budget = z.record(z.string(), z.unknown()).describe('The monthly budget and this month’s spend');

const link = z.object({ download_url: z.string(), expires_in_seconds: z.number(), size_bytes: z.number() });

const bankFile = {
  description: 'The bank as JSON, or as an LMS file for ?format=<export>',
  schema: z.record(z.string(), z.unknown()),
};
const results = {
  '200': bankFile,
  '303': { description: 'Too large to answer inline: the presigned S3 link', schema: link },
};

const generate = (body: z.ZodType, what: string, sync: boolean) => ({
  summary: sync ? `Generate ${what}, waiting for it` : `Start generating ${what}`,
  ...(sync
    ? {
        description:
          'Waits up to the sync wait (API Gateway cuts requests at 29 s), then answers 202 with where to follow the job.',
      }
    : {}),
  body,
  responses: {
    '200': sync
      ? { description: 'Finished (or the dry run’s estimate)', schema: z.union([syncDone, estimate]) }
      : { description: 'The dry run’s estimate (dry_run: true)', schema: estimate },
    '202': {
      description: 'Started (or still running): follow the job',
      schema: started,
      headers: { location: 'The job’s URL' },
    },
    '402': { description: 'The key’s monthly budget or max_cost_usd does not cover it' },
    ...(sync ? { '409': { description: 'Cancelled while the request waited' } } : {}),
  },
});

export const quizGeneratorApiDescription: ApiDescription = {
  tag: 'Quiz Generator',
  summary: 'Quiz banks by sector, career and level, and soft skills (seed 000)',
  basePath: BASE_PATH,
  errorSchema: detailErrorSchema,
  operations: {
    'GET /sectors': {
      summary: 'Sectors, careers, levels and soft-skills topics',
      responses: { '200': { description: 'The catalog', schema: z.record(z.string(), z.unknown()) } },
    },
    'GET /checkpoint': {
      summary: 'Chunks already generated for this key',
      responses: {
        '200': {
          description: 'The checkpoint',
          schema: z.object({
            has_checkpoint: z.boolean(),
            completed_chunks: z.number(),
            chunks: z.array(z.string()),
          }),
        },
      },
    },
    'GET /api-status': {
      summary: 'Whether the Gemini key is configured',
      responses: {
        '200': {
          description: 'Status',
          schema: z.object({ api_key_configured: z.boolean(), message: z.string() }),
        },
      },
    },
    'GET /jobs': {
      summary: 'This key’s jobs, newest first',
      query: s.listQuery,
      responses: {
        '200': { description: 'A page of jobs', schema: z.object({ jobs: z.array(job), total: z.number() }) },
      },
    },
    'GET /jobs/{job_id}': {
      summary: 'One job',
      responses: { '200': { description: 'The job', schema: job } },
    },
    'DELETE /jobs/{job_id}': { summary: 'Delete a job', responses: { '204': { description: 'Deleted' } } },
    'POST /jobs/{job_id}/cancel': {
      summary: 'Cancel a job',
      responses: { '200': { description: 'The cancelled job', schema: job } },
    },
    'GET /jobs/{job_id}/quality': {
      summary: 'The quality gate’s report of a job',
      responses: { '200': { description: 'The report', schema: z.record(z.string(), z.unknown()) } },
    },
    'GET /budget': {
      summary: 'The key’s monthly budget',
      responses: { '200': { description: 'Budget', schema: budget } },
    },
    'PUT /budget': {
      summary: 'Set the key’s monthly budget',
      body: s.budgetBody,
      responses: { '200': { description: 'Budget', schema: budget } },
    },
    'POST /generate/career-level': generate(s.careerLevelBody, 'one career level', true),
    'POST /generate/soft-skills': generate(s.softSkillsBody, 'the soft skills', true),
    'POST /generate/sector': generate(s.sectorBody, 'a sector', true),
    'POST /generate/career-level/async': generate(s.careerLevelBody, 'one career level', false),
    'POST /generate/soft-skills/async': generate(s.softSkillsBody, 'the soft skills', false),
    'POST /generate/sector/async': generate(s.sectorBody, 'a sector', false),
    'POST /generate/full/async': generate(s.fullBody, 'every sector', false),
    'GET /results/combined': { summary: 'The combined bank', query: resultQuery, responses: results },
    'GET /results/soft-skills': { summary: 'The soft-skills bank', query: resultQuery, responses: results },
    'GET /results/sectors/{sector}': { summary: 'A sector’s bank', query: resultQuery, responses: results },
    'GET /results/sectors/{sector}/careers/{career}/levels/{level}': {
      summary: 'One career level’s questions',
      query: resultQuery,
      pathParameters: { level: 'An integer from 1 to 5' },
      responses: { '200': bankFile },
    },
  },
};
