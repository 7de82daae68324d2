/**
 * Regenerating one reviewed question as a job (`POST /questions/{id}/regenerate`): its job types
 * and what the job service needs to start and name such a job. The generation itself is the
 * product's kind (quiz-bank/regenerate.ts, assessments/regenerate.ts, content/regenerate.ts), so
 * the API's bundle stays free of the model clients. Each question type's regeneration is its own
 * job type, since a job type belongs to one kind (jobs/kind.ts `kindsOf`) and products never
 * import each other.
 */
import type { KindBasics } from '#jobs/kind.ts';
import type { QuestionType } from './review-store.ts';

export const QUESTION_REGENERATION = 'question_regeneration';
/** An assessment's MCQ or open question, regenerated from its document's passages. */
export const ASSESSMENT_QUESTION_REGENERATION = 'assessment_question_regeneration';
/** A content job's quiz or module-assessment question, regenerated for its section. */
export const CONTENT_QUESTION_REGENERATION = 'content_question_regeneration';

/** The job's one chunk, named after the question it replaces (unique: a question is replaced once). */
export const regenerationChunkKey = (questionId: string) => `regenerate__${questionId}`;

/** The most characters of a reviewer's instructions: a sentence or two, not a document. */
export const MAX_INSTRUCTIONS_CHARS = 500;

export const regenerationBasics: KindBasics = {
  types: [QUESTION_REGENERATION],
  title: (job) => `the regeneration of question ${job.parameters.question_id ?? ''}`,
};

export const assessmentRegenerationBasics: KindBasics = {
  types: [ASSESSMENT_QUESTION_REGENERATION],
  title: (job) => `the regeneration of assessment question ${job.parameters.question_id ?? ''}`,
};

export const contentRegenerationBasics: KindBasics = {
  types: [CONTENT_QUESTION_REGENERATION],
  title: (job) => `the regeneration of content question ${job.parameters.question_id ?? ''}`,
};

/** The job type (with its basics) that regenerates a question of each type. */
export const REGENERATION_BY_TYPE: Partial<Record<QuestionType, { basics: KindBasics; jobType: string }>> = {
  quiz: { basics: regenerationBasics, jobType: QUESTION_REGENERATION },
  mcq: { basics: assessmentRegenerationBasics, jobType: ASSESSMENT_QUESTION_REGENERATION },
  open: { basics: assessmentRegenerationBasics, jobType: ASSESSMENT_QUESTION_REGENERATION },
  content: { basics: contentRegenerationBasics, jobType: CONTENT_QUESTION_REGENERATION },
};
