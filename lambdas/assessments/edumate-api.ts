/**
 * EduMate's routes, served by the assessments API so that EduMate's own client
 * (suyash-sketch/edu-mate `frontend/src/api.js`, commit e36119690f28094105c3f3adacfcba313ac55470)
 * works against this service with only its host and key changed. Thin aliases: each parses
 * EduMate's request, calls the use case in `edumate.ts`, and answers EduMate's body. Errors go
 * out in the `{"detail": "..."}` envelope EduMate's FastAPI uses too. Starting a chat answers
 * a job id polled with the existing `GET /job_status`.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import * as z from 'zod';
import { BLOOM_LEVELS } from '#jobs/questions.ts';
import { InvalidRequest } from '#platform/errors.ts';
import { header, json, parseBody, parseQuery, type RouteTable } from '#platform/http.ts';
import { languageField } from '#platform/language.ts';
import { editedQuestionSchema } from './assessment.ts';
import { MAX_ASSESSMENT_QUESTIONS } from './bloom.ts';
import { uploadDocument } from './documents/document-service.ts';
import {
  chunkingStarted,
  chunkingStatus,
  detail,
  EDUMATE_DEFAULT_BLOOMS,
  history,
  saveContent,
  startChat,
  startGenerate,
} from './edumate.ts';
import { parseEduMateGenerate, readEduMateBody } from './edumate-generate.ts';
import { editedOpenQuestionsSchema } from './open-questions.ts';
import { uploadOf } from './upload-request.ts';

// --- chunking ------------------------------------------------------------------------------

/**
 * Without a file EduMate answers 200 `{"status": "failed", "error": "Provide either 'file' ..."}`.
 * Here it is a 400 in the envelope, as every route of this service answers bad input: EduMate's
 * client treats any answer but `status: "queued"` as a failed upload, and axios rejects a 400,
 * so the client lands in the same error branch either way, while other clients and the logs
 * see the request for what it was.
 */
const SEND_FILE =
  'send the file as the multipart form field "file" (curl -F "file=@notes.pdf"); PDF, Markdown and plain text are read';
const NO_FILE = `No file: ${SEND_FILE}`;

const chunkingStatusQuery = z.object({
  job_id: z.string({ error: 'is required: the job_id POST /chunking answered' }).min(1, 'must not be empty'),
});

// --- chat ----------------------------------------------------------------------------------

const chatQuery = z.object({
  query: z
    .string({
      error: 'is required as a query parameter: what the questions are about, e.g. ?query=photosynthesis',
    })
    .trim()
    .min(3, 'must say what the questions are about (3 characters or more)')
    .max(2000, 'must be at most 2000 characters'),
  collection_name: z
    .string({ error: 'is required as a query parameter: the collection_name POST /chunking answered' })
    .min(1, 'must not be empty'),
  blooms_requirements: z.string().optional(),
  /** Not EduMate's: the language of the questions (ISO 639-1, default "en"). */
  language: languageField,
});

// --- saved assessments -----------------------------------------------------------------------

const levels = BLOOM_LEVELS.join(', ');

/** `{"remember": 5, "apply": 0, ...}`, as the client keeps its counts (zeros included). */
const bloomFactors = z
  .record(
    z.string(),
    z
      .number({ error: `must be a whole number of questions` })
      .int('must be a whole number of questions')
      .min(0, 'must be 0 or more')
      .max(MAX_ASSESSMENT_QUESTIONS, `must be at most ${MAX_ASSESSMENT_QUESTIONS}`),
    { error: `must be an object of Bloom levels to counts, e.g. {"remember": 5, "apply": 2}` },
  )
  .superRefine((factors, ctx) => {
    for (const name of Object.keys(factors)) {
      if (!(BLOOM_LEVELS as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `is not a Bloom level; use ${levels}`,
        });
      }
    }
  });

const CONTENT_SHAPE = 'must be the result of a finished job, {"mcqs": [...]} as GET /job_status answers it';

const contentJson = z
  .strictObject(
    {
      mcqs: z.array(editedQuestionSchema, { error: `is required: ${CONTENT_SHAPE}` }).max(500),
      subjective_questions: editedOpenQuestionsSchema.optional(),
    },
    { error: CONTENT_SHAPE },
  )
  .refine(
    (c) => c.mcqs.length + (c.subjective_questions?.length ?? 0) > 0,
    'holds no questions: save the result of a job that made some',
  );

/** EduMate's `SaveAssessmentRequest` (backend/app/schemas/assessment.py): all three required. */
const saveBody = z.strictObject({
  chapter_name: z
    .string({ error: 'is required: the name the assessment is listed under' })
    .trim()
    .min(1, 'must not be empty')
    .max(200, 'must be at most 200 characters'),
  bloom_factors: bloomFactors,
  content_json: contentJson,
});

const assessmentIdOf = (event: APIGatewayProxyEvent) => event.pathParameters?.assessment_id ?? '';

/** The request schemas, for the OpenAPI document (assessments-openapi.ts). */
export const edumateSchemas = { chunkingStatusQuery, chatQuery, saveBody };

// --- routes --------------------------------------------------------------------------------

/** EduMate answers 200 to each of these (FastAPI's default), so this does too. */
export const edumateRoutes: RouteTable = {
  'POST /chunking': async (event, owner) => {
    if (event.queryStringParameters?.doc_path !== undefined) {
      throw new InvalidRequest(`query.doc_path: a path on the server is not read here; ${SEND_FILE}`);
    }
    // EduMate takes the file only as a form field (FastAPI's `File`), so only a form is read here.
    const multipart = (header(event, 'content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
    const upload = multipart ? uploadOf(event) : undefined;
    if (!upload) throw new InvalidRequest(NO_FILE);
    return json(200, chunkingStarted(await uploadDocument(owner, upload)));
  },
  'GET /chunking/status': async (event, owner) => {
    const { job_id: jobId } = parseQuery(event, chunkingStatusQuery);
    return json(200, await chunkingStatus(owner, jobId));
  },
  'POST /chat': async (event, owner) => {
    const query = parseQuery(event, chatQuery);
    return json(
      200,
      await startChat(owner, {
        query: query.query,
        collectionName: query.collection_name,
        bloomsRequirements: query.blooms_requirements ?? EDUMATE_DEFAULT_BLOOMS,
        language: query.language,
      }),
    );
  },
  'POST /generate': async (event, owner) => {
    const request = parseEduMateGenerate(readEduMateBody(event), MAX_ASSESSMENT_QUESTIONS);
    // FastAPI answers a route returning a plain dict with 200 (edu-mate generation.py, `/generate`).
    const started = await startGenerate(owner, request);
    return json(200, started, { location: `/job_status?job_id=${started.job_id}` });
  },
  'POST /api/assessments/save': async (event, owner) => {
    const body = parseBody(event, saveBody);
    return json(
      200,
      await saveContent(owner, {
        chapterName: body.chapter_name,
        bloomFactors: body.bloom_factors,
        mcqs: body.content_json.mcqs,
        subjectiveQuestions: body.content_json.subjective_questions,
      }),
    );
  },
  'GET /api/assessments/history': async (_event, owner) => json(200, await history(owner)),
  'GET /api/assessments/{assessment_id}': async (event, owner) =>
    json(200, await detail(owner, assessmentIdOf(event))),
};
