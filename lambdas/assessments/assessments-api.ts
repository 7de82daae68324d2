/**
 * Document-grounded assessments: upload documents, generate an assessment with a Bloom's mix,
 * poll `GET /job_status?job_id=…` (the seed's exact bodies), save and edit assessments, and
 * export a finished or saved one for an LMS (`?format=`). Thin: each route validates, calls the
 * stores and services, answers.
 */
import { randomUUID } from 'node:crypto';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { z } from 'zod';
import { bankFromAssessment, type ExportFormat, isExportFormat } from '#exports/index.ts';
import { exportResponse, requestedFormat } from '#exports/response.ts';
import type { JobRecord, JobStatus } from '#jobs/job.ts';
import * as service from '#jobs/job-service.ts';
import * as jobStore from '#jobs/job-store.ts';
import * as results from '#jobs/results-store.ts';
import { s3 } from '#platform/clients.ts';
import { DEFAULTS, ENV, intEnv, requireEnv } from '#platform/config.ts';
import {
  DomainError,
  InvalidRequest,
  JobNotFound,
  JobStateConflict,
  ResultNotFound,
} from '#platform/errors.ts';
import {
  clipMessage,
  errorResponse,
  header,
  json,
  noContent,
  ownerOf,
  parseBody,
  parseQuery,
  validate,
} from '#platform/http.ts';
import { s3Keys } from '#platform/keys.ts';
import { withPowertools } from '#platform/middleware.ts';
import { boundaryOf, parseMultipart } from '#platform/multipart.ts';
import { logger } from '#platform/powertools.ts';
import { type AssessmentQuestion, editedQuestionSchema } from './assessment.ts';
import { parseBloomMix, totalOf } from './bloom.ts';
import {
  DocumentNotFound,
  DocumentStateConflict,
  reconcileDocument,
  startIngestion,
} from './documents/document-service.ts';
import {
  createDocument,
  type DocumentRecord,
  deleteDocument,
  documentKeys,
  getDocument,
  listDocuments,
} from './documents/document-store.ts';
import { DocumentRejected, detectContentType } from './documents/extract.ts';
import { assessmentBasics } from './kind-basics.ts';
import * as saved from './saved-store.ts';

/** Most questions one assessment may ask for. */
export const MAX_ASSESSMENT_QUESTIONS = 100;
const UPLOAD_URL_SECONDS = 3600;

type Route = (event: APIGatewayProxyEvent, owner: string) => Promise<APIGatewayProxyResult>;

class PayloadTooLarge extends DomainError {
  constructor(message: string) {
    super(message, 413);
  }
}

const uuid = z.uuid();

// --- job_status ------------------------------------------------------------------------

/** The seed's statuses: RQ's names for our job states. */
const SEED_STATUS: Record<JobStatus, string> = {
  pending: 'queued',
  running: 'started',
  completed: 'finished',
  failed: 'failed',
  cancelled: 'canceled',
};

async function jobStatusBody(job: JobRecord) {
  const status = SEED_STATUS[job.status];
  switch (job.status) {
    case 'completed': {
      if (job.job_type !== 'assessment') return { status, result: { summary: job.result_summary } };
      const result = await results.getJson<{ mcqs: AssessmentQuestion[] }>(
        s3Keys.assessmentResult(job.owner, job.job_id),
      );
      return { status, result: { mcqs: result?.mcqs ?? [] } };
    }
    case 'failed':
      return { status, error: job.error_message ?? 'The job failed' };
    case 'cancelled':
      return { status, error: 'The job was cancelled' };
    default:
      return { status };
  }
}

/**
 * A finished assessment job's MCQs as an export. Unlike the seed's job_status bodies, a job
 * that is not there or not finished is an error: there is no file to send.
 */
async function exportJob(owner: string, jobId: string, format: ExportFormat) {
  const found = uuid.safeParse(jobId).success ? await jobStore.getJob(jobId) : undefined;
  if (!found || found.owner !== owner) throw new JobNotFound(jobId);
  const job = await service.reconcile(found);
  if (job.job_type !== 'assessment') throw new InvalidRequest(`Job ${jobId} is not an assessment job`);
  if (job.status !== 'completed') {
    throw new JobStateConflict(
      `Job ${jobId} is ${SEED_STATUS[job.status]}; only a finished assessment can be exported`,
    );
  }
  const result = await results.getJson<{ mcqs: AssessmentQuestion[] }>(s3Keys.assessmentResult(owner, jobId));
  if (!result) throw new ResultNotFound(`The questions of job ${jobId} are no longer kept`);
  const title = job.parameters.title ?? job.parameters.query ?? 'Assessment';
  // Without a grant to write exports anywhere, one too large for a response is a 413; an
  // assessment has at most MAX_ASSESSMENT_QUESTIONS questions, far below that.
  return exportResponse(bankFromAssessment(title, result.mcqs), format);
}

/** `?format=` of job_status and a saved assessment: the JSON as ever, or an export. */
const assessmentFormat = (event: APIGatewayProxyEvent) => requestedFormat(event, ['json']);

const jobStatusQuery = z.object({
  job_id: z
    .string({ error: 'is required: the job id returned by POST /generate_assessment' })
    .min(1, 'must not be empty'),
});

// --- generate_assessment ---------------------------------------------------------------

const generateBody = z.strictObject({
  query: z
    .string()
    .trim()
    .min(3, 'must say what the questions are about (3 characters or more)')
    .max(2000)
    .optional(),
  topic: z
    .string()
    .trim()
    .min(3, 'must say what the questions are about (3 characters or more)')
    .max(2000)
    .optional(),
  document_id: z.string().optional(),
  bloom_mix: z.unknown(),
  title: z.string().trim().min(1).max(200).optional(),
  /** Not in the seed: answer what the assessment would cost, without starting it. */
  dry_run: z.boolean({ error: 'must be true or false' }).optional(),
  /** Not in the seed: the most the assessment may spend. */
  max_cost_usd: z
    .number({ error: 'must be a number of US dollars, such as 0.5' })
    // DynamoDB stores no number below 1e-130; a millionth of a dollar, as the content API's maxCostUsd.
    .min(0.000001, 'must be more than 0: at least 0.000001')
    .max(100_000, 'must be at most 100000')
    .optional(),
});

async function requireReadyDocument(owner: string, id: string): Promise<DocumentRecord> {
  // Document ids are UUIDs: anything else names no document (and an empty or 2 KB string is not
  // even a key DynamoDB can look up).
  const record = uuid.safeParse(id).success ? await getDocument(owner, id) : undefined;
  if (!record) throw new DocumentNotFound(id);
  const current = await reconcileDocument(record);
  if (current.status === 'ready') return current;
  if (current.status === 'failed') {
    throw new DocumentStateConflict(`Document ${id} failed to ingest (${current.error}); upload it again`);
  }
  throw new DocumentStateConflict(
    `Document ${id} is ${current.status}, not ready; poll GET /documents/${id} until its status is "ready"`,
  );
}

// --- documents -------------------------------------------------------------------------

const presignBody = z.strictObject({
  filename: z.string({ error: 'is required, e.g. "notes.pdf"' }).trim().min(1).max(255),
  content_type: z.string().optional(),
  size_bytes: z.number({ error: 'is required: the file size in bytes' }).int().positive('must be above 0'),
  content_base64: z
    .undefined({ error: 'send either size_bytes for an upload URL or content_base64' })
    .optional(),
});
const inlineJsonBody = z.strictObject({
  filename: z.string({ error: 'is required, e.g. "notes.pdf"' }).trim().min(1).max(255),
  content_type: z.string().optional(),
  content_base64: z.string().min(1, 'must not be empty'),
});

function documentView(record: DocumentRecord) {
  const { owner: _owner, ...view } = record;
  return view;
}

function bodyBytes(event: APIGatewayProxyEvent): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

interface Upload {
  filename: string;
  declaredType?: string;
  bytes: Buffer;
}

/** The file in the request: a multipart form (`curl -F file=@notes.pdf`), JSON with base64, or the raw body. */
function uploadOf(event: APIGatewayProxyEvent): Upload | undefined {
  const contentType = (header(event, 'content-type') ?? '').toLowerCase();
  if (contentType.startsWith('multipart/form-data')) {
    const boundary = boundaryOf(header(event, 'content-type') ?? '');
    if (!boundary) throw new InvalidRequest('multipart/form-data without a boundary');
    const parts = parseMultipart(bodyBytes(event), boundary);
    const file = parts.find((p) => p.filename !== undefined) ?? parts.find((p) => p.name === 'file');
    if (!file)
      throw new InvalidRequest(
        'The form has no file; send it as a file field, e.g. curl -F "file=@notes.pdf"',
      );
    return { filename: file.filename || 'document', declaredType: file.contentType, bytes: file.data };
  }
  if (contentType.startsWith('application/json') || contentType === '') return undefined;
  const filename =
    event.queryStringParameters?.filename ??
    /filename="?([^";]+)"?/i.exec(header(event, 'content-disposition') ?? '')?.[1] ??
    'document';
  return { filename, declaredType: contentType.split(';')[0]?.trim(), bytes: bodyBytes(event) };
}

async function acceptInline(owner: string, upload: Upload): Promise<APIGatewayProxyResult> {
  // As the JSON forms' "filename" (max 255): a form or a header can carry a name of megabytes,
  // which the document record (a DynamoDB item, at most 400 KB) cannot.
  if (upload.filename.length > 255) {
    throw new InvalidRequest(`The file name is ${upload.filename.length} characters long; at most 255`);
  }
  const max = intEnv(ENV.inlineUploadMaxBytes, DEFAULTS.inlineUploadMaxBytes, 1);
  if (upload.bytes.length > max) {
    throw new PayloadTooLarge(
      `The file is ${upload.bytes.length} bytes; files over ${max} bytes go through an upload URL: POST /documents with {"filename": "...", "size_bytes": ${upload.bytes.length}}`,
    );
  }
  if (upload.bytes.length === 0) throw new InvalidRequest('The file is empty');
  const contentType = detectContentType(upload.filename, upload.declaredType, upload.bytes);
  const record = newDocument(owner, upload.filename, contentType, upload.bytes.length);
  await createDocument(record);
  await s3.send(
    new PutObjectCommand({
      Bucket: requireEnv(ENV.bucketName),
      Key: documentKeys.source(owner, record.document_id),
      Body: upload.bytes,
      ContentType: contentType,
    }),
  );
  const started = await startIngestion(record);
  return json(202, documentView(started), { location: `/documents/${record.document_id}` });
}

function newDocument(
  owner: string,
  filename: string,
  contentType: DocumentRecord['content_type'],
  size: number,
): DocumentRecord {
  const now = new Date().toISOString();
  return {
    document_id: randomUUID(),
    owner,
    filename,
    content_type: contentType,
    size_bytes: size,
    status: 'awaiting_upload',
    error: null,
    pages: null,
    passages: null,
    characters: null,
    embedding_model: null,
    created_at: now,
    updated_at: now,
    ingest_started_at: null,
    ingested_at: null,
  };
}

async function createUploadUrl(owner: string, event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  const raw = parseBody(event, z.record(z.string(), z.unknown()));
  if (typeof raw.content_base64 === 'string') {
    const body = validate(inlineJsonBody, raw, 'body');
    return acceptInline(owner, {
      filename: body.filename,
      declaredType: body.content_type,
      bytes: Buffer.from(body.content_base64, 'base64'),
    });
  }
  const body = validate(presignBody, raw, 'body');
  const max = intEnv(ENV.documentMaxBytes, DEFAULTS.documentMaxBytes, 1);
  if (body.size_bytes > max)
    throw new PayloadTooLarge(`The file is ${body.size_bytes} bytes; at most ${max} bytes are accepted`);
  const contentType = detectContentType(body.filename, body.content_type);
  const record = newDocument(owner, body.filename, contentType, body.size_bytes);
  await createDocument(record);
  // The signature covers the type and the length, so the upload cannot be larger than declared.
  const url = await getSignedUrl(
    s3,
    new PutObjectCommand({
      Bucket: requireEnv(ENV.bucketName),
      Key: documentKeys.source(owner, record.document_id),
      ContentType: contentType,
      ContentLength: body.size_bytes,
    }),
    { expiresIn: UPLOAD_URL_SECONDS, signableHeaders: new Set(['content-type', 'content-length']) },
  );
  return json(
    201,
    {
      ...documentView(record),
      upload: {
        method: 'PUT',
        url,
        headers: { 'content-type': contentType, 'content-length': String(body.size_bytes) },
        expires_in_seconds: UPLOAD_URL_SECONDS,
      },
      complete: { method: 'POST', path: `/documents/${record.document_id}/complete` },
    },
    { location: `/documents/${record.document_id}` },
  );
}

function documentIdOf(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.document_id ?? '';
  if (!uuid.safeParse(id).success) throw new DocumentNotFound(id);
  return id;
}

async function ownedDocument(owner: string, event: APIGatewayProxyEvent): Promise<DocumentRecord> {
  const id = documentIdOf(event);
  const record = await getDocument(owner, id);
  if (!record) throw new DocumentNotFound(id);
  return reconcileDocument(record);
}

// --- saved assessments -----------------------------------------------------------------

class AssessmentNotFound extends DomainError {
  constructor(id: string) {
    super(`Assessment not found: ${id}`, 404);
  }
}

const mcqsSchema = z.array(editedQuestionSchema).min(1, 'must hold at least one question').max(500);
const saveBody = z.strictObject({
  job_id: z.string({ error: 'is required: the id of a finished assessment job' }),
  title: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  mcqs: mcqsSchema.optional(),
});
const updateBody = z
  .strictObject({
    title: z.string().trim().min(1, 'must not be empty').max(200).optional(),
    mcqs: mcqsSchema.optional(),
  })
  .refine((b) => b.title !== undefined || b.mcqs !== undefined, 'give a new title, new mcqs, or both');

function assessmentIdOf(event: APIGatewayProxyEvent): string {
  const id = event.pathParameters?.assessment_id ?? '';
  if (!uuid.safeParse(id).success) throw new AssessmentNotFound(id);
  return id;
}

async function ownedAssessment(owner: string, event: APIGatewayProxyEvent) {
  const id = assessmentIdOf(event);
  const found = await saved.getAssessment(owner, id);
  if (!found) throw new AssessmentNotFound(id);
  return found;
}

function assessmentView(a: saved.SavedAssessment) {
  const { owner: _owner, ...view } = a;
  return view;
}

// --- routes ----------------------------------------------------------------------------

const routes: Record<string, Route> = {
  'GET /job_status': async (event, owner) => {
    const { job_id: jobId } = parseQuery(event, jobStatusQuery);
    const format = assessmentFormat(event);
    if (isExportFormat(format)) return exportJob(owner, jobId, format);
    const job = uuid.safeParse(jobId).success ? await jobStore.getJob(jobId) : undefined;
    // Unknown, expired, or another key's: the seed's "not found" body.
    if (!job || job.owner !== owner) return json(200, { status: null });
    return json(200, await jobStatusBody(await service.reconcile(job)));
  },
  'POST /generate_assessment': async (event, owner) => {
    const body = parseBody(event, generateBody);
    const query = body.query ?? body.topic;
    if (!query)
      throw new InvalidRequest(
        'body.query: is required: what the questions are about, e.g. "photosynthesis"',
      );
    if (body.bloom_mix === undefined) {
      throw new InvalidRequest(
        'body.bloom_mix: is required, e.g. "5 remember, 3 understand" or {"remember": 5}',
      );
    }
    const mix = parseBloomMix(body.bloom_mix, MAX_ASSESSMENT_QUESTIONS);
    if (body.document_id !== undefined) await requireReadyDocument(owner, body.document_id);
    const parameters = {
      query,
      bloom_mix: mix,
      ...(body.document_id ? { document_id: body.document_id } : {}),
      ...(body.title ? { title: body.title } : {}),
    };
    if (body.dry_run) {
      return json(
        200,
        await service.dryRun(owner, assessmentBasics, 'assessment', parameters, {
          maxCostUsd: body.max_cost_usd,
        }),
      );
    }
    const job = await service.startJob(owner, assessmentBasics, 'assessment', parameters, {
      retentionSeconds: intEnv(ENV.assessmentRetentionHours, DEFAULTS.assessmentRetentionHours, 1) * 3600,
      timeoutSeconds: intEnv(ENV.assessmentTimeoutSeconds, DEFAULTS.assessmentTimeoutSeconds, 1),
      maxCostUsd: body.max_cost_usd,
    });
    return json(
      202,
      { job_id: job.job_id, status: SEED_STATUS[job.status], total_questions: totalOf(mix), bloom_mix: mix },
      { location: `/job_status?job_id=${job.job_id}` },
    );
  },
  'GET /documents': async (_event, owner) => {
    const documents = await Promise.all((await listDocuments(owner)).map(reconcileDocument));
    return json(200, { documents: documents.map(documentView), total: documents.length });
  },
  'POST /documents': async (event, owner) => {
    const upload = uploadOf(event);
    return upload ? acceptInline(owner, upload) : createUploadUrl(owner, event);
  },
  'GET /documents/{document_id}': async (event, owner) =>
    json(200, documentView(await ownedDocument(owner, event))),
  'DELETE /documents/{document_id}': async (event, owner) => {
    const record = await ownedDocument(owner, event);
    await deleteDocument(owner, record.document_id);
    return noContent();
  },
  'POST /documents/{document_id}/complete': async (event, owner) => {
    const record = await ownedDocument(owner, event);
    const max = intEnv(ENV.documentMaxBytes, DEFAULTS.documentMaxBytes, 1);
    const started = await startIngestion(record);
    if (started.size_bytes > max)
      throw new PayloadTooLarge(`The file is ${started.size_bytes} bytes; at most ${max} bytes are accepted`);
    return json(202, documentView(started));
  },
  'GET /assessments': async (_event, owner) => {
    const list = await saved.listAssessments(owner);
    return json(200, { assessments: list, total: list.length });
  },
  'POST /assessments': async (event, owner) => {
    const body = parseBody(event, saveBody);
    const job = uuid.safeParse(body.job_id).success ? await jobStore.getJob(body.job_id) : undefined;
    if (!job || job.owner !== owner) throw new JobNotFound(body.job_id);
    if (job.job_type !== 'assessment') throw new InvalidRequest(`Job ${job.job_id} is not an assessment job`);
    if (job.status !== 'completed') {
      throw new JobStateConflict(
        `Job ${job.job_id} is ${SEED_STATUS[job.status]}; only a finished assessment can be saved`,
      );
    }
    const generated = await results.getJson<{ mcqs: AssessmentQuestion[] }>(
      s3Keys.assessmentResult(owner, job.job_id),
    );
    const now = new Date().toISOString();
    const assessment: saved.SavedAssessment = {
      assessment_id: randomUUID(),
      owner,
      title: body.title ?? job.parameters.title ?? job.parameters.query ?? 'Assessment',
      query: job.parameters.query ?? null,
      document_id: job.parameters.document_id ?? null,
      job_id: job.job_id,
      mcqs: body.mcqs ?? generated?.mcqs ?? [],
      created_at: now,
      updated_at: now,
    };
    await saved.putAssessment(assessment);
    return json(201, assessmentView(assessment), { location: `/assessments/${assessment.assessment_id}` });
  },
  'GET /assessments/{assessment_id}': async (event, owner) => {
    const format = assessmentFormat(event);
    const assessment = await ownedAssessment(owner, event);
    if (!isExportFormat(format)) return json(200, assessmentView(assessment));
    // A saved assessment fits in one table item (MAX_SAVED_BYTES), so its export fits a response.
    return exportResponse(bankFromAssessment(assessment.title, assessment.mcqs), format);
  },
  'PUT /assessments/{assessment_id}': async (event, owner) => {
    const current = await ownedAssessment(owner, event);
    const body = parseBody(event, updateBody);
    const updated: saved.SavedAssessment = {
      ...current,
      ...(body.title !== undefined ? { title: body.title } : {}),
      ...(body.mcqs !== undefined ? { mcqs: body.mcqs } : {}),
      updated_at: new Date().toISOString(),
    };
    await saved.putAssessment(updated);
    return json(200, assessmentView(updated));
  },
  'DELETE /assessments/{assessment_id}': async (event, owner) => {
    const id = assessmentIdOf(event);
    if (!(await saved.deleteAssessment(owner, id))) throw new AssessmentNotFound(id);
    return noContent();
  },
};

export async function route(event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> {
  try {
    const handler = routes[`${event.httpMethod} ${event.resource}`];
    if (!handler) return json(404, { detail: 'Not Found' });
    return await handler(event, ownerOf(event));
  } catch (error) {
    if (error instanceof DocumentRejected) {
      const status = error.reason === 'unsupported_type' ? 415 : error.reason === 'too_large' ? 413 : 400;
      return json(status, { detail: clipMessage(error.message) });
    }
    if (error instanceof InvalidRequest) logger.info('Rejected request', { detail: error.message });
    return errorResponse(error);
  }
}

export const handler = withPowertools(route);
