/**
 * The review API's request schemas, in one module so that they validate the requests and can be
 * described (OpenAPI) from the same source. Named after their routes.
 */
import * as z from 'zod';
import { BLOOM_LEVELS, LIMITS, OPTION_IDS } from '#jobs/questions.ts';
import { MAX_INSTRUCTIONS_CHARS } from './regenerate-basics.ts';
import { REVIEW_STATES } from './review-store.ts';

/** The most questions one bulk decision takes: 4 batch writes' worth, answered within API Gateway's 29 s. */
export const MAX_BULK_REVIEW_IDS = 100;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;
export const MAX_NOTE_CHARS = 1000;

/** A question's id, as GET /questions lists it (the generated question's UUID). */
export const questionIdSchema = z.uuid('must be a question id (a UUID, as GET /questions lists it)');

const decision = z.enum(['approved', 'rejected'], { error: 'must be "approved" or "rejected"' });
const note = z.string().max(MAX_NOTE_CHARS, `must be at most ${MAX_NOTE_CHARS} characters`);

/**
 * A job id: a quiz-bank or assessment job's UUID, or a content job's id as the Content Generator
 * API shows it (`17`) or as its record is named (`content-17`, content/api/job-views.ts
 * `recordIdOf`; the review records of a content job carry the latter as their `job_id`).
 */
const CONTENT_JOB_ID = /^(?:content-)?[1-9]\d{0,15}$/;
const uuid = z.uuid();
const jobIdSchema = z
  .string()
  .refine((id) => uuid.safeParse(id).success || CONTENT_JOB_ID.test(id), {
    message: 'must be a job id: a UUID, or a content job’s id as GET /api/jobs lists it',
  })
  .transform((id) => (/^\d+$/.test(id) ? `content-${id}` : id));

/** `GET /questions` query string. */
export const listQuestionsQuerySchema = z.strictObject({
  job_id: jobIdSchema.optional(),
  sector: z.string().min(1).max(100).optional(),
  career: z.string().min(1).max(100).optional(),
  level: z
    .string()
    .regex(/^[1-5]$/, 'must be a level from 1 to 5')
    .transform(Number)
    .optional(),
  assessment_id: z.uuid('must be an assessment job id (a UUID)').optional(),
  review: z.enum(REVIEW_STATES, { error: `must be one of ${REVIEW_STATES.join(', ')}` }).optional(),
  bloom_level: z.enum(BLOOM_LEVELS, { error: `must be one of ${BLOOM_LEVELS.join(', ')}` }).optional(),
  limit: z
    .string()
    .regex(/^\d+$/, `must be a whole number from 1 to ${MAX_PAGE_SIZE}`)
    .transform(Number)
    .pipe(z.number().min(1, 'must be 1 or more').max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`))
    .optional(),
  cursor: z.string().max(200).optional(),
});

const option = z.strictObject({
  id: z.enum(OPTION_IDS, { error: `must be one of ${OPTION_IDS.join(', ')}` }),
  text: z.string().max(LIMITS.optionChars * 2),
});

/**
 * `PATCH /questions/{id}` body: a decision, a note, and edits of the question's text. Options are
 * written as the question lists them: `{id, text}` objects for a quiz bank's question, strings
 * for an assessment's MCQ (whose `correct_answer` is the correct option's text).
 */
export const patchQuestionBodySchema = z
  .strictObject({
    review: decision.optional(),
    note: note.optional(),
    question: z
      .string()
      .max(LIMITS.questionChars * 2)
      .optional(),
    options: z
      .array(
        z.union([option, z.string().max(LIMITS.optionChars * 2)], {
          error:
            'each option must be {"id": "a" to "d", "text": "..."} for a quiz-bank question, or a string for an assessment MCQ',
        }),
      )
      .max(8, 'must be the four options')
      .optional(),
    correct_answer: z
      .string()
      .max(LIMITS.optionChars * 2)
      .optional(),
    explanation: z
      .string()
      .max(LIMITS.explanationChars * 2)
      .optional(),
  })
  .refine((body) => Object.keys(body).length > 0, {
    message: 'must change something: review, note, question, options, correct_answer or explanation',
  });

/** `POST /questions/review` body: one decision for many questions. */
export const bulkReviewBodySchema = z.strictObject({
  ids: z
    .array(questionIdSchema)
    .min(1, 'must list at least one question id')
    .max(MAX_BULK_REVIEW_IDS, `must list at most ${MAX_BULK_REVIEW_IDS} question ids per request`),
  review: decision,
  note: note.optional(),
});

/** `POST /questions/{id}/regenerate` body (optional: an empty body asks for a different question). */
export const regenerateBodySchema = z.strictObject({
  instructions: z
    .string({ error: 'must be a string: what the new question should do differently ("make it harder")' })
    .trim()
    .min(1, 'must not be empty; leave it out to ask for a different question without instructions')
    .max(MAX_INSTRUCTIONS_CHARS, `must be at most ${MAX_INSTRUCTIONS_CHARS} characters`)
    .optional(),
});

/** `review=` of result downloads and exports: only questions in this review state. */
export const reviewFilterSchema = z.enum(REVIEW_STATES, {
  error: `must be one of ${REVIEW_STATES.join(', ')}`,
});

export type ListQuestionsQuery = z.infer<typeof listQuestionsQuerySchema>;
export type PatchQuestionBody = z.infer<typeof patchQuestionBodySchema>;
export type BulkReviewBody = z.infer<typeof bulkReviewBodySchema>;
export type RegenerateBody = z.infer<typeof regenerateBodySchema>;
