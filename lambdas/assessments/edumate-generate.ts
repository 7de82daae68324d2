/**
 * EduMate's `POST /generate` body, as its backend reads it (suyash-sketch/edu-mate
 * backend/app/schemas/question_generation/request.py, `GenerationRequest`): `query` and
 * `collection_name` (non-empty strings), `mcq_count` and `subjective_count` (whole numbers of
 * 0 or more, default 0), and `blooms` with a count of 0 or more per level (default 0); at least
 * one question, and the Bloom counts adding up to `mcq_count + subjective_count`. FastAPI answers
 * a body that breaks these rules with 422, so this route does too, in the `{"detail"}` envelope.
 * Fields it does not know are ignored, as Pydantic's default does.
 */
import * as z from 'zod';
import { BLOOM_LEVELS } from '#jobs/questions.ts';
import { DomainError, InvalidRequest } from '#platform/errors.ts';
import { describeIssues, readJson } from '#platform/http.ts';
import { languageField } from '#platform/language.ts';
import { type BloomMix, splitMix, totalOf } from './bloom.ts';

/** 422: what FastAPI answers for a request body its model refuses. */
export class UnprocessableRequest extends DomainError {
  constructor(message: string) {
    super(message, 422);
  }
}

const count = (what: string) =>
  z
    .number({ error: `must be a whole number of ${what}, 0 or more` })
    .int(`must be a whole number of ${what}, 0 or more`)
    .min(0, `must be 0 or more`)
    .default(0);

const bloomsSchema = z.strictObject(
  Object.fromEntries(BLOOM_LEVELS.map((level) => [level, count(`"${level}" questions`)])) as Record<
    (typeof BLOOM_LEVELS)[number],
    ReturnType<typeof count>
  >,
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `unknown Bloom level ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}; the levels are ${BLOOM_LEVELS.join(', ')}`
        : `must be an object of counts per Bloom level, e.g. {"remember": 2, "apply": 1}`,
  },
);

const generateSchema = z.object({
  query: z
    .string({ error: 'is required: what the questions are about' })
    .trim()
    .min(1, 'must not be empty')
    .max(2000),
  collection_name: z
    .string({ error: 'is required: the collection (document id) the questions are grounded in' })
    .trim()
    .min(1, 'must not be empty')
    .max(200),
  mcq_count: count('multiple-choice questions'),
  subjective_count: count('open questions'),
  blooms: bloomsSchema,
  /** Not in EduMate's GenerationRequest (which ignores unknown fields): the questions' language. */
  language: languageField,
});

/** The request schema, for the OpenAPI document (assessments-openapi.ts). */
export const edumateGenerateSchema = generateSchema;

export interface EduMateGenerate {
  query: string;
  collectionName: string;
  mcqCount: number;
  subjectiveCount: number;
  /** The MCQs' and the open questions' Bloom mixes, split as EduMate splits them. */
  mcqMix: BloomMix;
  subjectiveMix: BloomMix;
  /** ISO 639-1 code of the language to write in. */
  language: string;
}

/** The request, or a 422 saying what to fix; `maxTotal` caps the questions of one assessment. */
export function parseEduMateGenerate(body: unknown, maxTotal: number): EduMateGenerate {
  const parsed = generateSchema.safeParse(body);
  if (!parsed.success) throw new UnprocessableRequest(describeIssues(parsed.error, 'body'));
  const { query, collection_name, mcq_count, subjective_count, blooms, language } = parsed.data;
  const total = mcq_count + subjective_count;
  if (total === 0) {
    throw new UnprocessableRequest(
      'Choose at least one MCQ or subjective question: mcq_count + subjective_count is 0',
    );
  }
  const bloomTotal = totalOf(blooms);
  if (bloomTotal !== total) {
    throw new UnprocessableRequest(
      `The Bloom counts add up to ${bloomTotal}, but mcq_count + subjective_count is ${total} (${mcq_count} + ${subjective_count}); they must be equal`,
    );
  }
  if (total > maxTotal) {
    throw new UnprocessableRequest(`${total} questions asked for; at most ${maxTotal} per assessment`);
  }
  const { mcq, open } = splitMix(blooms, mcq_count, subjective_count);
  return {
    query,
    collectionName: collection_name,
    mcqCount: mcq_count,
    subjectiveCount: subjective_count,
    mcqMix: mcq,
    subjectiveMix: open,
    language,
  };
}

/** The JSON body of the request; a body that is not JSON is a 422 too, as FastAPI's. */
export function readEduMateBody(event: Parameters<typeof readJson>[0]): unknown {
  try {
    return readJson(event);
  } catch (error) {
    if (error instanceof InvalidRequest) throw new UnprocessableRequest(error.message);
    throw error;
  }
}
