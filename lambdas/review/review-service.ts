/**
 * Review decisions and edits of generated questions. An edit goes through the same quality gate
 * as a generated question (`checkQuestions`, with the question's bank for the near-duplicate
 * check, itself left out); a failing edit changes nothing, a passing one becomes a new version.
 */
import { listBank } from '#jobs/bank-store.ts';
import { checkQuestions, type Question } from '#jobs/questions.ts';
import { NearDuplicateIndex } from '#jobs/similarity.ts';
import { generationSettings } from '#platform/config.ts';
import { DomainError, InvalidRequest } from '#platform/errors.ts';
import type { BulkReviewBody, PatchQuestionBody } from './review-schemas.ts';
import {
  getReview,
  getReviews,
  ReviewConflict,
  type ReviewRecord,
  type ReviewState,
  saveReview,
  type VersionRecord,
} from './review-store.ts';

/** 404: no question with this id among the key's questions (another key's are not told apart). */
export class QuestionNotFound extends DomainError {
  constructor(id: string) {
    super(`Question not found: ${id}`, 404);
  }
}

/** 409: another request changed the question first. */
export class QuestionChanged extends DomainError {
  constructor(message: string) {
    super(message, 409);
  }
}

/** 400: an edit the quality gate refuses, with its reasons. */
export class EditRefused extends InvalidRequest {
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super(`The edit did not pass the quality gate: ${reasons.join('; ')}`);
    this.reasons = reasons;
  }
}

export async function ownedQuestion(owner: string, id: string): Promise<ReviewRecord> {
  const record = await getReview(owner, id);
  if (!record) throw new QuestionNotFound(id);
  return record;
}

const EDIT_FIELDS = ['question', 'options', 'correct_answer', 'explanation'] as const;

/** The question as edited, checked by the gate against the rest of its bank; refused with the gate's reasons. */
export async function checkedEdit(
  owner: string,
  record: ReviewRecord,
  body: PatchQuestionBody,
): Promise<Question> {
  const current = record.question;
  const item = {
    question: body.question ?? current.question,
    options: body.options ?? current.options,
    correct_answer: body.correct_answer ?? current.correct_answer,
    explanation: body.explanation ?? current.explanation,
    category: current.category,
    tags: current.tags,
    bloom_level: current.bloom_level,
  };
  const others = (await listBank(owner, record.bank_scope)).filter(
    (entry) => entry.question_id !== record.id,
  );
  const result = checkQuestions([item], {
    difficulty: current.difficulty,
    defaultCategory: current.category,
    seen: new Set(),
    bank: new NearDuplicateIndex(others.map((entry) => entry.text)),
    gate: generationSettings().gate,
  });
  const accepted = result.accepted[0];
  if (!accepted) throw new EditRefused(result.rejected.flatMap((r) => r.reasons));
  // The checked question keeps its id, its generator's metadata and its provenance.
  return { ...current, ...pick(accepted), id: current.id };
}

function pick(q: Question): Pick<Question, (typeof EDIT_FIELDS)[number]> {
  return {
    question: q.question,
    options: q.options,
    correct_answer: q.correct_answer,
    explanation: q.explanation,
  };
}

const isEdit = (body: PatchQuestionBody) => EDIT_FIELDS.some((field) => body[field] !== undefined);

/** PATCH /questions/{id}: a decision, a note and/or an edit, as one write. */
export async function patchQuestion(
  owner: string,
  reviewer: string,
  id: string,
  body: PatchQuestionBody,
): Promise<ReviewRecord> {
  const record = await ownedQuestion(owner, id);
  const now = new Date().toISOString();
  const edited = isEdit(body) ? await checkedEdit(owner, record, body) : undefined;
  const next: ReviewRecord = {
    ...record,
    ...(body.review ? { state: body.review } : {}),
    ...(body.note !== undefined ? { note: body.note } : {}),
    reviewer,
    reviewed_at: now,
  };
  let version: VersionRecord | undefined;
  if (edited) {
    next.question = edited;
    next.version = record.version + 1;
    version = {
      id,
      version: next.version,
      question: edited,
      author: reviewer,
      created_at: now,
      note: body.note ?? null,
    };
  }
  await save(owner, record, next, version);
  return next;
}

/** POST /questions/review: one decision for every listed question, or none if one is not the key's. */
export async function reviewMany(
  owner: string,
  reviewer: string,
  body: BulkReviewBody,
): Promise<ReviewRecord[]> {
  const found = await getReviews(owner, body.ids);
  const missing = body.ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw new QuestionNotFound(missing.join(', '));
  const now = new Date().toISOString();
  const done: ReviewRecord[] = [];
  for (const id of new Set(body.ids)) {
    const record = found.get(id) as ReviewRecord;
    const next = decided(record, body.review, reviewer, now, body.note);
    await save(owner, record, next);
    done.push(next);
  }
  return done;
}

export function decided(
  record: ReviewRecord,
  state: ReviewState,
  reviewer: string,
  at: string,
  note?: string,
): ReviewRecord {
  return { ...record, state, reviewer, reviewed_at: at, ...(note !== undefined ? { note } : {}) };
}

async function save(owner: string, current: ReviewRecord, next: ReviewRecord, version?: VersionRecord) {
  try {
    await saveReview(owner, current, next, version);
  } catch (error) {
    if (error instanceof ReviewConflict) throw new QuestionChanged(error.message);
    throw error;
  }
}
