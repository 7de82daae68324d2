/**
 * The assessments API's part of `/openapi.json` (seed 001, with EduMate's own routes as aliases):
 * one entry per route of its route table (assessments-api.ts with edumate-api.ts), the request
 * schemas being the ones its routes validate with. The answers' schemas are written here.
 */
import * as z from 'zod';
import { EXPORT_FORMATS } from '#exports/index.ts';
import { type ApiDescription, detailErrorSchema, type JsonSchema } from '#platform/openapi.ts';
import {
  bulkReviewBodySchema,
  listQuestionsQuerySchema,
  patchQuestionBodySchema,
  regenerateBodySchema,
} from '#review/review-schemas.ts';
import { assessmentsSchemas as s } from './assessments-api.ts';
import { edumateSchemas as e } from './edumate-api.ts';
import { edumateGenerateSchema } from './edumate-generate.ts';

const formatQuery = z.object({
  format: z
    .enum(['json', ...EXPORT_FORMATS.map((f) => f.id)])
    .optional()
    .describe('json (default) or an LMS export format'),
});

/** A file as a form field, as EduMate's client and curl -F send it. */
const fileForm: Record<string, JsonSchema> = {
  'multipart/form-data': {
    schema: {
      type: 'object',
      properties: { file: { type: 'string', contentMediaType: 'application/octet-stream' } },
      required: ['file'],
    },
  },
};

const anyObject = z.record(z.string(), z.unknown());
const document = anyObject.describe('A document: id, filename, type, size, status and ingestion details');
const assessment = anyObject.describe('A saved assessment: id, title, mcqs, subjective_questions, dates');
/** Who decided is an API key: by its name (what people call it), and its id. */
const review = z.object({
  state: z.enum(['pending', 'approved', 'rejected']),
  reviewer: z
    .string()
    .nullable()
    .describe(
      "The name of the API key that decided last (API Gateway's name for it; the key's id if the name could not be read); null while pending",
    ),
  reviewer_key_id: z.string().nullable().describe('The id of that API key; null while pending'),
  reviewed_at: z.string().nullable().describe('When it was decided (ISO 8601); null while pending'),
  note: z.string().nullable(),
  version: z.number().int().describe('The current version: 1 as generated, one more per edit'),
});
const reviewedQuestion = z
  .object({
    id: z.string(),
    review,
    replaces: z.string().optional().describe('The question this one was regenerated to replace'),
  })
  .catchall(z.unknown())
  .describe('A generated question as its product writes it, with its id, origin and review');
const version = z.object({
  version: z.number().int(),
  author: z.string().describe("`generator` for the generated version, else the editing API key's name"),
  author_key_id: z.string().nullable().describe("The editing API key's id; null for the generated version"),
  created_at: z.string(),
  note: z.string().nullable(),
  question: anyObject,
});
const questionPage = z.object({
  questions: z.array(reviewedQuestion),
  next_cursor: z.string().nullable().describe('Pass as cursor for the next page; null on the last'),
});
const jobStatus = anyObject.describe(
  'The job’s status as the seed answers it: {"status": null} when unknown; the mcqs when finished',
);

export const assessmentsApiDescription: ApiDescription = {
  tag: 'Assessments',
  summary: 'Assessments grounded in uploaded documents, Bloom levels, saved assessments (seed 001, EduMate)',
  basePath: '',
  errorSchema: detailErrorSchema,
  operations: {
    'GET /questions': {
      summary: 'Generated questions with their review state, filtered and paged',
      query: listQuestionsQuerySchema,
      responses: { '200': { description: 'A page of questions', schema: questionPage } },
    },
    'POST /questions/review': {
      summary: 'Approve or reject many questions at once',
      body: bulkReviewBodySchema,
      responses: {
        '200': {
          description: 'The questions as decided',
          schema: z.object({ questions: z.array(reviewedQuestion) }),
        },
        '409': {
          description:
            'A question changed meanwhile, or is of a content job still running with quality checks on (a quality round may write it again); nothing was decided',
        },
      },
    },
    'PATCH /questions/{id}': {
      summary: 'Approve, reject or edit one question (an edit passes the quality gate or changes nothing)',
      body: patchQuestionBodySchema,
      responses: {
        '200': { description: 'The question, a new version when edited', schema: reviewedQuestion },
        '409': {
          description:
            'The question changed meanwhile, or is of a content job still running with quality checks on (a quality round may write it again)',
        },
      },
    },
    'GET /questions/{id}/history': {
      summary: 'Every version of a question, with who made it and when',
      responses: {
        '200': {
          description: 'The versions, oldest first',
          schema: z.object({ id: z.string(), review, versions: z.array(version) }),
        },
      },
    },
    'GET /job_status': {
      summary: 'An assessment job’s status and, when finished, its questions',
      query: s.jobStatusQuery.extend(formatQuery.shape),
      responses: { '200': { description: 'Status (or the export for ?format=)', schema: jobStatus } },
    },
    'POST /generate_assessment': {
      summary: 'Start an assessment job',
      body: s.generateBody,
      responses: {
        '200': { description: 'The dry run’s estimate (dry_run: true)', schema: anyObject },
        '202': {
          description: 'Started',
          schema: z.object({
            job_id: z.uuid(),
            status: z.string(),
            total_questions: z.number(),
            bloom_mix: z.record(z.string(), z.number()),
            mcq_count: z.number().optional(),
            subjective_count: z.number().optional(),
          }),
          headers: { location: 'Where to follow the job' },
        },
        '402': { description: 'The key’s monthly budget or max_cost_usd does not cover it' },
      },
    },
    'GET /documents': {
      summary: 'This key’s documents',
      responses: {
        '200': {
          description: 'Documents',
          schema: z.object({ documents: z.array(document), total: z.number() }),
        },
      },
    },
    'POST /documents': {
      summary: 'Upload a document (form field "file" or base64 JSON), or ask for an upload URL',
      body: z.union([s.inlineJsonBody, s.presignBody]),
      otherBodies: fileForm,
      responses: {
        '201': { description: 'An upload URL; POST …/complete after the PUT', schema: document },
        '202': { description: 'Uploaded, ingesting', schema: document },
        '413': { description: 'Larger than the upload limit' },
        '415': { description: 'Not a PDF, Markdown or text file' },
      },
    },
    'GET /documents/{document_id}': {
      summary: 'One document',
      responses: { '200': { description: 'Document', schema: document } },
    },
    'DELETE /documents/{document_id}': {
      summary: 'Delete a document',
      responses: { '204': { description: 'Deleted' } },
    },
    'POST /documents/{document_id}/complete': {
      summary: 'Tell the service an upload through the URL finished',
      responses: { '202': { description: 'Ingesting', schema: document } },
    },
    'GET /assessments': {
      summary: 'Saved assessments',
      responses: {
        '200': {
          description: 'Assessments',
          schema: z.object({ assessments: z.array(assessment), total: z.number() }),
        },
      },
    },
    'POST /assessments': {
      summary: 'Save a finished job’s questions, optionally edited',
      body: s.saveBody,
      responses: { '201': { description: 'Saved', schema: assessment, headers: { location: 'Its URL' } } },
    },
    'GET /assessments/{assessment_id}': {
      summary: 'One saved assessment',
      query: formatQuery,
      responses: {
        '200': { description: 'The assessment (or the export for ?format=)', schema: assessment },
      },
    },
    'PUT /assessments/{assessment_id}': {
      summary: 'Edit a saved assessment',
      body: s.updateBody,
      responses: { '200': { description: 'The edited assessment', schema: assessment } },
    },
    'DELETE /assessments/{assessment_id}': {
      summary: 'Delete a saved assessment',
      responses: { '204': { description: 'Deleted' } },
    },
    // EduMate's routes (suyash-sketch/edu-mate frontend/src/api.js and backend/app/routes).
    'POST /chunking': {
      summary: 'EduMate: upload a document (form field "file") for chunking',
      otherBodies: fileForm,
      responses: { '200': { description: 'The chunking job and collection name', schema: anyObject } },
    },
    'GET /chunking/status': {
      summary: 'EduMate: a chunking job’s status',
      query: e.chunkingStatusQuery,
      responses: { '200': { description: 'Status', schema: anyObject } },
    },
    'POST /chat': {
      summary: 'EduMate: start questions on a collection (query string parameters)',
      query: e.chatQuery,
      responses: { '200': { description: 'The job', schema: anyObject } },
    },
    'POST /generate': {
      summary: 'EduMate: start MCQs and open questions by Bloom level',
      body: edumateGenerateSchema,
      responses: {
        '200': {
          description: 'The job',
          schema: anyObject,
          headers: { location: 'Where to follow the job' },
        },
        '422': {
          description: 'The request is invalid (FastAPI’s status for it); the message says what to fix',
        },
      },
    },
    'POST /api/assessments/save': {
      summary: 'EduMate: save a finished job’s questions',
      body: e.saveBody,
      responses: { '200': { description: 'Saved', schema: anyObject } },
    },
    'GET /api/assessments/history': {
      summary: 'EduMate: saved assessments',
      responses: { '200': { description: 'History', schema: z.array(anyObject) } },
    },
    'GET /api/assessments/{assessment_id}': {
      summary: 'EduMate: one saved assessment',
      responses: { '200': { description: 'The assessment', schema: anyObject } },
    },
    'POST /questions/{id}/regenerate': {
      summary:
        'Review: a job writing a new question in place of this one (pending, `replaces` naming it; this one becomes rejected)',
      body: regenerateBodySchema,
      responses: {
        '202': {
          description: 'The job started; follow it at GET /jobs/{job_id}',
          schema: z.object({ job_id: z.string() }),
        },
        '409': { description: 'The question was already replaced; the message names its replacement' },
      },
    },
  },
};
