/**
 * Review decisions and edits of generated questions. An edit goes through the same quality gate
 * as a generated question (`checkQuestions`, with the question's bank for the near-duplicate
 * check, itself left out); a failing edit changes nothing, a passing one becomes a new version.
 */
import { listBank } from '#jobs/bank-store.ts';
import { checkQuestions } from '#jobs/questions.ts';
import { NearDuplicateIndex } from '#jobs/similarity.ts';
import { generationSettings } from '#platform/config.ts';
import { DomainError, InvalidRequest } from '#platform/errors.ts';
import { contentEditGate, sectionSiblings, stillBeingWritten } from './content-edit-gate.ts';
import type { BulkReviewBody, PatchQuestionBody } from './review-schemas.ts';
import {
  getReview,
  getReviews,
  type QuestionContent,
  type QuestionType,
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

/** 409: a question its job may still write again (content-edit-gate.ts `stillBeingWritten`). */
export class QuestionBeingWritten extends DomainError {
  constructor(message: string) {
    super(message, 409);
  }
}

/** Refuses a decision or edit of questions their job may still write again. */
async function refuseUnfinished(owner: string, records: ReviewRecord[]): Promise<void> {
  const why = await stillBeingWritten(owner, records);
  if (why) throw new QuestionBeingWritten(why);
}

/** 400: an edit the quality gate refuses, with its reasons. */
export class EditRefused extends InvalidRequest {
  readonly reasons: string[];
  constructor(reasons: string[]) {
    super(`The edit did not pass the quality gate: ${reasons.join('; ')}`);
    this.reasons = reasons;
  }
}

/** Who decides: the API key's name (its id when the name is unknown) and its id. */
export interface Reviewer {
  name: string;
  keyId: string;
}

export async function ownedQuestion(owner: string, id: string): Promise<ReviewRecord> {
  const record = await getReview(owner, id);
  if (!record) throw new QuestionNotFound(id);
  return record;
}

const EDIT_FIELDS = ['question', 'options', 'correct_answer', 'explanation'] as const;
export type EditFields = Pick<PatchQuestionBody, (typeof EDIT_FIELDS)[number]>;

/**
 * A product's quality gate for an edit of one of its questions: the question as edited, or the
 * gate's reasons. `bank` holds the rest of the question's bank, for the near-duplicate check.
 */
export type EditGate = (
  current: QuestionContent,
  edit: EditFields,
  bank: NearDuplicateIndex,
) => { question: QuestionContent } | { reasons: string[] };

/** The gates of the question types a product adds (the assessments' open questions). */
export type EditGates = Partial<Record<QuestionType, EditGate>>;

function runGate(items: unknown[], current: QuestionContent, bank: NearDuplicateIndex) {
  const result = checkQuestions(items, {
    difficulty: typeof current.difficulty === 'number' ? current.difficulty : 0,
    defaultCategory: typeof current.category === 'string' ? current.category : 'general',
    seen: new Set(),
    bank,
    gate: generationSettings().gate,
  });
  return result.accepted[0] ?? result.rejected.flatMap((r) => r.reasons);
}

/** A quiz bank's question: options as `{id, text}`, the answer an option id. */
export const quizEditGate: EditGate = (current, edit, bank) => {
  if (edit.options?.some((o) => typeof o === 'string')) {
    return {
      reasons: ['options: must be {"id", "text"} objects with ids a, b, c and d, as the question lists them'],
    };
  }
  const checked = runGate(
    [
      {
        question: edit.question ?? current.question,
        options: edit.options ?? current.options,
        correct_answer: edit.correct_answer ?? current.correct_answer,
        explanation: edit.explanation ?? current.explanation,
        category: current.category,
        tags: current.tags,
        bloom_level: current.bloom_level,
      },
    ],
    current,
    bank,
  );
  if (Array.isArray(checked)) return { reasons: checked };
  const { question, options, correct_answer, explanation } = checked;
  return { question: { ...current, question, options, correct_answer, explanation } };
};

/**
 * An assessment's MCQ (lambdas/assessments/assessment.ts): options as strings, the answer the
 * correct option's text. Checked by the same gate as generated MCQs, with ids a to d given in order.
 */
export const mcqEditGate: EditGate = (current, edit, bank) => {
  if (edit.options?.some((o) => typeof o !== 'string')) {
    return { reasons: ['options: must be four strings, as the question lists them'] };
  }
  const texts = (edit.options ?? current.options) as string[];
  const answer = edit.correct_answer ?? String(current.correct_answer);
  const ids = ['a', 'b', 'c', 'd'];
  const index = texts.indexOf(answer);
  const checked = runGate(
    [
      {
        question: edit.question ?? current.question,
        options: texts.map((text, i) => ({ id: ids[i] ?? String(i), text })),
        correct_answer: index >= 0 ? (ids[index] ?? '') : answer,
        explanation: edit.explanation ?? current.explanation,
        bloom_level: current.bloom_level,
      },
    ],
    current,
    bank,
  );
  if (Array.isArray(checked)) {
    const notAnOption = index < 0 ? ['correct_answer: must be the text of one of the options'] : [];
    return { reasons: [...notAnOption, ...checked.filter((r) => !r.startsWith('correct_answer'))] };
  }
  const options = checked.options.map((o) => o.text);
  const correct = checked.options.find((o) => o.id === checked.correct_answer)?.text ?? answer;
  return {
    question: {
      ...current,
      question: checked.question,
      options,
      correct_answer: correct,
      explanation: checked.explanation,
    },
  };
};

const BUILT_IN_GATES: EditGates = { quiz: quizEditGate, mcq: mcqEditGate, content: contentEditGate };

/** The question as edited, checked by its type's gate against the rest of its bank; refused with the gate's reasons. */
export async function checkedEdit(
  owner: string,
  record: ReviewRecord,
  body: PatchQuestionBody,
  gates: EditGates = {},
): Promise<QuestionContent> {
  const gate = gates[record.type ?? 'quiz'] ?? BUILT_IN_GATES[record.type ?? 'quiz'];
  if (!gate) throw new InvalidRequest(`Edits of ${record.type} questions are not taken here`);
  // A content question is in no bank: its section's other questions are what it must not repeat.
  const others =
    record.type === 'content'
      ? await sectionSiblings(owner, record)
      : (await listBank(owner, record.bank_scope))
          .filter((entry) => entry.question_id !== record.id)
          .map((entry) => entry.text);
  const outcome = gate(record.question, body, new NearDuplicateIndex(others));
  if ('reasons' in outcome) throw new EditRefused(outcome.reasons);
  // The checked question keeps its id, its generator's metadata and its provenance.
  return { ...outcome.question, id: record.id };
}

const isEdit = (body: PatchQuestionBody) => EDIT_FIELDS.some((field) => body[field] !== undefined);

/** PATCH /questions/{id}: a decision, a note and/or an edit, as one write. */
export async function patchQuestion(
  owner: string,
  reviewer: Reviewer,
  id: string,
  body: PatchQuestionBody,
  gates: EditGates = {},
): Promise<ReviewRecord> {
  const record = await ownedQuestion(owner, id);
  await refuseUnfinished(owner, [record]);
  const now = new Date().toISOString();
  const edited = isEdit(body) ? await checkedEdit(owner, record, body, gates) : undefined;
  const next: ReviewRecord = {
    ...record,
    ...(body.review ? { state: body.review } : {}),
    ...(body.note !== undefined ? { note: body.note } : {}),
    reviewer: reviewer.name,
    reviewer_key_id: reviewer.keyId,
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
      author: reviewer.name,
      author_key_id: reviewer.keyId,
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
  reviewer: Reviewer,
  body: BulkReviewBody,
): Promise<ReviewRecord[]> {
  const found = await getReviews(owner, body.ids);
  const missing = body.ids.filter((id) => !found.has(id));
  if (missing.length > 0) throw new QuestionNotFound(missing.join(', '));
  const records = [...new Set(body.ids)].map((id) => found.get(id) as ReviewRecord);
  await refuseUnfinished(owner, records);
  const now = new Date().toISOString();
  const done: ReviewRecord[] = [];
  for (const record of records) {
    const next = decided(record, body.review, reviewer, now, body.note);
    await save(owner, record, next);
    done.push(next);
  }
  return done;
}

export function decided(
  record: ReviewRecord,
  state: ReviewState,
  reviewer: Reviewer,
  at: string,
  note?: string,
): ReviewRecord {
  return {
    ...record,
    state,
    reviewer: reviewer.name,
    reviewer_key_id: reviewer.keyId,
    reviewed_at: at,
    ...(note !== undefined ? { note } : {}),
  };
}

async function save(owner: string, current: ReviewRecord, next: ReviewRecord, version?: VersionRecord) {
  try {
    await saveReview(owner, current, next, version);
  } catch (error) {
    if (error instanceof ReviewConflict) throw new QuestionChanged(error.message);
    throw error;
  }
}
