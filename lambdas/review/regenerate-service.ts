/**
 * `POST /questions/{id}/regenerate`: starts a job that writes one new question in place of a
 * reviewed one (the kind is quiz-bank/regenerate.ts). Refused before any job starts when the
 * question is not the key's (404), cannot be regenerated yet (400) or was replaced already (409).
 */
import { startJob } from '#jobs/job-service.ts';
import { DomainError, InvalidRequest } from '#platform/errors.ts';
import { QUESTION_REGENERATION, regenerationBasics } from './regenerate-basics.ts';
import type { RegenerateBody } from './review-schemas.ts';
import { ownedQuestion } from './review-service.ts';

/** 409: the question already has a replacement; regenerate that one instead. */
export class AlreadyReplaced extends DomainError {
  constructor(id: string, by: string) {
    super(
      `Question ${id} was already replaced by question ${by}; regenerate ${by} instead if it needs another try`,
      409,
    );
  }
}

export async function requestRegeneration(owner: string, id: string, body: RegenerateBody) {
  const record = await ownedQuestion(owner, id);
  if (record.replaced_by) throw new AlreadyReplaced(id, record.replaced_by);
  if (record.type !== 'quiz') {
    // An assessment's questions are grounded in its document's passages, which a one-question
    // job would have to retrieve again: not built yet.
    throw new InvalidRequest(
      `Only quiz-bank multiple-choice questions can be regenerated yet; question ${id} is an assessment's ${record.type === 'open' ? 'open question' : 'multiple-choice question'}: edit it with PATCH /questions/${id} instead`,
    );
  }
  const job = await startJob(owner, regenerationBasics, QUESTION_REGENERATION, {
    question_id: id,
    ...(body.instructions ? { instructions: body.instructions } : {}),
  });
  return { job_id: job.job_id };
}
