/**
 * Document-grounded assessments: upload documents, generate an assessment with a Bloom's mix,
 * poll `GET /job_status?job_id=…` (the seed's exact bodies), save and edit assessments, and
 * export a finished or saved one for an LMS (`?format=`). Thin: each route parses the request,
 * calls the documents service, the job service or `saved-assessments.ts`, and maps the answer
 * to the seed's bodies; the HTTP edge (`httpApi`) routes and answers errors.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { isExportFormat } from '#exports/index.ts';
import { exportResponse, requestedFormat } from '#exports/response.ts';
import type { JobRecord } from '#jobs/job.ts';
import * as service from '#jobs/job-service.ts';
import * as results from '#jobs/results-store.ts';
import { InvalidRequest } from '#platform/errors.ts';
import {
  detailEnvelope,
  httpApi,
  json,
  noContent,
  parseBody,
  parseQuery,
  type RouteTable,
  validate,
} from '#platform/http.ts';
import { s3Keys } from '#platform/keys.ts';
import { languageField } from '#platform/language.ts';
import { withPowertools } from '#platform/middleware.ts';
import { reviewRoutes } from '#review/review-api.ts';
import { assessmentInState, reviewFilterOf } from '#review/review-filter.ts';
import { type AssessmentQuestion, editedQuestionSchema } from './assessment.ts';
import { MAX_ASSESSMENT_QUESTIONS, parseBloomMix, splitMix, totalOf } from './bloom.ts';
import {
  completeUpload,
  issueUploadUrl,
  ownedDocument,
  ownedDocuments,
  readyDocument,
  uploadDocument,
} from './documents/document-service.ts';
import { type DocumentRecord, deleteDocument } from './documents/document-store.ts';
import { EDUMATE_CLIENT, withEduMateNames } from './edumate.ts';
import { edumateRoutes } from './edumate-api.ts';
import { assessmentBasics } from './kind-basics.ts';
import { editedOpenQuestionsSchema, type OpenQuestion } from './open-questions.ts';
import { openEditGate } from './review-gates.ts';
import {
  deleteAssessment,
  editAssessment,
  jobQuestions,
  ownedAssessment,
  ownersJob,
  SEED_STATUS,
  saveAssessment,
} from './saved-assessments.ts';
import type { SavedAssessment } from './saved-store.ts';
import * as saved from './saved-store.ts';
import { startAssessment } from './start-assessment.ts';
import { uploadOf } from './upload-request.ts';

// --- job_status ------------------------------------------------------------------------

async function jobStatusBody(job: JobRecord) {
  const status = SEED_STATUS[job.status];
  switch (job.status) {
    case 'completed': {
      if (job.job_type !== 'assessment') return { status, result: { summary: job.result_summary } };
      const result = await results.getJson<{
        mcqs: AssessmentQuestion[];
        subjective_questions?: OpenQuestion[];
      }>(s3Keys.assessmentResult(job.owner, job.job_id));
      const stored = result?.mcqs ?? [];
      // A job EduMate's client started gets its field names too (see withEduMateNames).
      const mcqs = job.parameters.client === EDUMATE_CLIENT ? stored.map(withEduMateNames) : stored;
      // `mcqs` first and as the seed has it; open questions only when the job asked for them.
      const open = job.parameters.subjective_mix
        ? { subjective_questions: result?.subjective_questions ?? [] }
        : {};
      return { status, result: { mcqs, ...open } };
    }
    case 'failed':
      return { status, error: job.error_message ?? 'The job failed' };
    case 'cancelled':
      return { status, error: 'The job was cancelled' };
    default:
      return { status };
  }
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
  /** Not in the seed: how many of the bloom_mix's questions are open ones (EduMate's name). */
  subjective_count: z
    .number({ error: 'must be a whole number of open questions, 0 or more' })
    .int('must be a whole number of open questions, 0 or more')
    .min(0, 'must be 0 or more')
    .optional(),
  title: z.string().trim().min(1).max(200).optional(),
  /** Not in the seed: the language questions are written in (ISO 639-1, default "en"). */
  language: languageField,
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

/** 202 with the document, ingesting. */
const ingesting = (record: DocumentRecord) =>
  json(202, documentView(record), { location: `/documents/${record.document_id}` });

/** POST /documents as JSON: the file in base64, or its size for an upload URL. */
async function createFromJson(owner: string, event: APIGatewayProxyEvent) {
  const raw = parseBody(event, z.record(z.string(), z.unknown()));
  if (typeof raw.content_base64 === 'string') {
    const body = validate(inlineJsonBody, raw, 'body');
    return ingesting(
      await uploadDocument(owner, {
        filename: body.filename,
        declaredType: body.content_type,
        bytes: Buffer.from(body.content_base64, 'base64'),
      }),
    );
  }
  const body = validate(presignBody, raw, 'body');
  const { document, url, headers, expiresInSeconds } = await issueUploadUrl(owner, {
    filename: body.filename,
    contentType: body.content_type,
    sizeBytes: body.size_bytes,
  });
  return json(
    201,
    {
      ...documentView(document),
      upload: { method: 'PUT', url, headers, expires_in_seconds: expiresInSeconds },
      complete: { method: 'POST', path: `/documents/${document.document_id}/complete` },
    },
    { location: `/documents/${document.document_id}` },
  );
}

const documentIdOf = (event: APIGatewayProxyEvent) => event.pathParameters?.document_id ?? '';

// --- saved assessments -----------------------------------------------------------------

// An assessment may hold only open questions; saveAssessment and editAssessment check that
// what is kept holds at least one question of either type.
const mcqsSchema = z.array(editedQuestionSchema).max(500);
const saveBody = z.strictObject({
  job_id: z.string({ error: 'is required: the id of a finished assessment job' }),
  title: z.string().trim().min(1, 'must not be empty').max(200).optional(),
  mcqs: mcqsSchema.optional(),
  subjective_questions: editedOpenQuestionsSchema.optional(),
});
const updateBody = z
  .strictObject({
    title: z.string().trim().min(1, 'must not be empty').max(200).optional(),
    mcqs: mcqsSchema.optional(),
    subjective_questions: editedOpenQuestionsSchema.optional(),
  })
  .refine(
    (b) => b.title !== undefined || b.mcqs !== undefined || b.subjective_questions !== undefined,
    'give a new title, new mcqs, new subjective_questions, or any of them',
  );

const assessmentIdOf = (event: APIGatewayProxyEvent) => event.pathParameters?.assessment_id ?? '';

/** The request schemas, for the OpenAPI document (assessments-openapi.ts). */
export const assessmentsSchemas = {
  jobStatusQuery,
  generateBody,
  presignBody,
  inlineJsonBody,
  saveBody,
  updateBody,
};

function assessmentView(a: SavedAssessment) {
  const { owner: _owner, ...view } = a;
  return view;
}

// --- routes ----------------------------------------------------------------------------

const routes: RouteTable = {
  'GET /job_status': async (event, owner) => {
    const { job_id: jobId } = parseQuery(event, jobStatusQuery);
    const format = assessmentFormat(event);
    const review = reviewFilterOf(event);
    if (isExportFormat(format) || review) {
      // Unlike the seed's job_status bodies, a job that is not there or not finished is an
      // error: there is no file to send. Without a grant to write exports anywhere, one too
      // large for a response is a 413; an assessment has at most MAX_ASSESSMENT_QUESTIONS
      // questions, far below that.
      const { title, mcqs, subjective_questions } = await jobQuestions(owner, jobId);
      // `review=`: only the questions in that review state, as last edited (lambdas/review/).
      const chosen = review
        ? await assessmentInState(owner, jobId, review)
        : { mcqs, open: subjective_questions };
      const chosenMcqs = chosen.mcqs as AssessmentQuestion[];
      const chosenOpen = (chosen.open ?? []) as OpenQuestion[];
      if (!isExportFormat(format)) {
        const open = subjective_questions?.length ? { subjective_questions: chosenOpen } : {};
        return json(200, { status: SEED_STATUS.completed, result: { mcqs: chosenMcqs, ...open } });
      }
      return exportResponse((x) => x.bankFromAssessment(title, chosenMcqs, chosenOpen), format);
    }
    const job = await ownersJob(owner, jobId);
    // Unknown, expired, or another key's: the seed's "not found" body.
    if (!job) return json(200, { status: null });
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
    const total = totalOf(mix);
    const subjective = body.subjective_count;
    if (subjective !== undefined && subjective > total) {
      throw new InvalidRequest(
        `body.subjective_count: is ${subjective}, more than the ${total} questions of the bloom_mix; it says how many of them are open questions`,
      );
    }
    // Open questions take their levels from the mix as EduMate splits it (bloom.ts splitMix).
    const split = subjective === undefined ? undefined : splitMix(mix, total - subjective, subjective);
    if (body.document_id !== undefined) await readyDocument(owner, body.document_id);
    const parameters = {
      query,
      bloom_mix: split ? split.mcq : mix,
      ...(split ? { subjective_mix: split.open } : {}),
      language: body.language,
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
    const job = await startAssessment(owner, parameters, body.max_cost_usd);
    return json(
      202,
      {
        job_id: job.job_id,
        status: SEED_STATUS[job.status],
        total_questions: total,
        bloom_mix: mix,
        ...(subjective !== undefined ? { mcq_count: total - subjective, subjective_count: subjective } : {}),
      },
      { location: `/job_status?job_id=${job.job_id}` },
    );
  },
  'GET /documents': async (_event, owner) => {
    const documents = await ownedDocuments(owner);
    return json(200, { documents: documents.map(documentView), total: documents.length });
  },
  'POST /documents': async (event, owner) => {
    const upload = uploadOf(event);
    return upload ? ingesting(await uploadDocument(owner, upload)) : createFromJson(owner, event);
  },
  'GET /documents/{document_id}': async (event, owner) =>
    json(200, documentView(await ownedDocument(owner, documentIdOf(event)))),
  'DELETE /documents/{document_id}': async (event, owner) => {
    const record = await ownedDocument(owner, documentIdOf(event));
    await deleteDocument(owner, record.document_id);
    return noContent();
  },
  'POST /documents/{document_id}/complete': async (event, owner) => {
    const record = await ownedDocument(owner, documentIdOf(event));
    return json(202, documentView(await completeUpload(record)));
  },
  'GET /assessments': async (_event, owner) => {
    const list = await saved.listAssessments(owner);
    return json(200, { assessments: list, total: list.length });
  },
  'POST /assessments': async (event, owner) => {
    const { job_id: jobId, ...edits } = parseBody(event, saveBody);
    const assessment = await saveAssessment(owner, jobId, edits);
    return json(201, assessmentView(assessment), { location: `/assessments/${assessment.assessment_id}` });
  },
  'GET /assessments/{assessment_id}': async (event, owner) => {
    const format = assessmentFormat(event);
    // A saved assessment is the owner's own copy, edited by PUT: review states are the
    // generated questions', which job_status filters.
    if (reviewFilterOf(event) !== undefined) {
      throw new InvalidRequest(
        'query.review: a saved assessment is not filtered by review state; use GET /job_status?job_id=<the job that generated it>&review=...',
      );
    }
    const assessment = await ownedAssessment(owner, assessmentIdOf(event));
    if (!isExportFormat(format)) return json(200, assessmentView(assessment));
    // A saved assessment fits in one table item (MAX_SAVED_BYTES), so its export fits a response.
    return exportResponse(
      (x) => x.bankFromAssessment(assessment.title, assessment.mcqs, assessment.subjective_questions ?? []),
      format,
    );
  },
  'PUT /assessments/{assessment_id}': async (event, owner) => {
    const current = await ownedAssessment(owner, assessmentIdOf(event));
    return json(200, assessmentView(await editAssessment(current, parseBody(event, updateBody))));
  },
  'DELETE /assessments/{assessment_id}': async (event, owner) => {
    await deleteAssessment(owner, assessmentIdOf(event));
    return noContent();
  },
  // EduMate's own routes, so its client works here unchanged (see edumate-api.ts).
  ...edumateRoutes,
  // The review API (lambdas/review/): at the same root, in the same envelope.
  ...reviewRoutes({ open: openEditGate }),
};

export const route = httpApi({ routes, envelope: detailEnvelope });

export const handler = withPowertools(route);
