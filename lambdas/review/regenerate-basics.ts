/**
 * Regenerating one reviewed question as a job (`POST /questions/{id}/regenerate`): its job type
 * and what the job service needs to start and name such a job. The generation itself is the
 * kind's (kind.ts), so the API's bundle stays free of the model clients.
 */
import type { KindBasics } from '#jobs/kind.ts';

export const QUESTION_REGENERATION = 'question_regeneration';

/** The job's one chunk, named after the question it replaces (unique: a question is replaced once). */
export const regenerationChunkKey = (questionId: string) => `regenerate__${questionId}`;

/** The most characters of a reviewer's instructions: a sentence or two, not a document. */
export const MAX_INSTRUCTIONS_CHARS = 500;

export const regenerationBasics: KindBasics = {
  types: [QUESTION_REGENERATION],
  title: (job) => `the regeneration of question ${job.parameters.question_id ?? ''}`,
};
