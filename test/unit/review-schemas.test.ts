/**
 * The review API's request schemas and the review filter of downloads: what each accepts, what
 * it refuses and with which message, and which questions a review state keeps (and as which version).
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { describe, it } from 'vitest';
import { InvalidRequest } from '#platform/errors.ts';
import { validate } from '#platform/http.ts';
import { inState } from '#review/review-filter.ts';
import {
  bulkReviewBodySchema,
  listQuestionsQuerySchema,
  MAX_BULK_REVIEW_IDS,
  patchQuestionBodySchema,
} from '#review/review-schemas.ts';
import type { ReviewRecord } from '#review/review-store.ts';
import { matches } from '#review/review-store.ts';

const refusal = (schema: Parameters<typeof validate>[0], value: unknown, where: string) => {
  try {
    validate(schema, value, where);
  } catch (error) {
    assert.ok(error instanceof InvalidRequest);
    return error.message;
  }
  assert.fail('accepted');
};

describe('review request schemas', () => {
  it('reads the list filters from strings and refuses unknown ones by name', () => {
    const jobId = randomUUID();
    assert.deepEqual(
      validate(listQuestionsQuerySchema, { job_id: jobId, level: '3', limit: '20' }, 'query'),
      {
        job_id: jobId,
        level: 3,
        limit: 20,
      },
    );
    assert.match(
      refusal(listQuestionsQuerySchema, { limit: '0' }, 'query'),
      /query\.limit: must be 1 or more/,
    );
    assert.match(
      refusal(listQuestionsQuerySchema, { limit: '201' }, 'query'),
      /query\.limit: must be at most 200/,
    );
    assert.match(refusal(listQuestionsQuerySchema, { level: '6' }, 'query'), /query\.level/);
    assert.match(
      refusal(listQuestionsQuerySchema, { review: 'done' }, 'query'),
      /pending, approved, rejected/,
    );
    assert.match(refusal(listQuestionsQuerySchema, { colour: 'red' }, 'query'), /colour/);
  });

  it("takes a content job's id as the content API shows it or as its records name it, and nothing else", () => {
    assert.deepEqual(validate(listQuestionsQuerySchema, { job_id: '17' }, 'query'), { job_id: 'content-17' });
    assert.deepEqual(validate(listQuestionsQuerySchema, { job_id: 'content-17' }, 'query'), {
      job_id: 'content-17',
    });
    for (const wrong of ['content-x', '0', 'content-', '17a', 'quiz-17']) {
      assert.match(
        refusal(listQuestionsQuerySchema, { job_id: wrong }, 'query'),
        /query\.job_id: must be a job id: a UUID, or a content job’s id/,
        wrong,
      );
    }
  });

  it('takes a decision, a note or an edit, and refuses an empty patch or a pending decision', () => {
    assert.deepEqual(validate(patchQuestionBodySchema, { review: 'rejected', note: 'x' }, 'body'), {
      review: 'rejected',
      note: 'x',
    });
    assert.match(refusal(patchQuestionBodySchema, {}, 'body'), /must change something/);
    assert.match(refusal(patchQuestionBodySchema, { review: 'pending' }, 'body'), /"approved" or "rejected"/);
    assert.match(
      refusal(patchQuestionBodySchema, { options: [{ id: 'e', text: 'x' }] }, 'body'),
      /body\.options\.0: each option must be/,
    );
    assert.match(refusal(patchQuestionBodySchema, { difficulty: 3 }, 'body'), /difficulty/);
  });

  it(`bounds a bulk decision at ${MAX_BULK_REVIEW_IDS} ids, each a question id`, () => {
    const ids = Array.from({ length: MAX_BULK_REVIEW_IDS }, () => randomUUID());
    assert.equal(validate(bulkReviewBodySchema, { ids, review: 'approved' }, 'body').ids.length, 100);
    assert.match(
      refusal(bulkReviewBodySchema, { ids: [...ids, randomUUID()], review: 'approved' }, 'body'),
      /at most 100 question ids/,
    );
    assert.match(refusal(bulkReviewBodySchema, { ids: ['q1'], review: 'approved' }, 'body'), /body\.ids\.0/);
  });
});

const record = (id: string, state: ReviewRecord['state'], text: string): ReviewRecord =>
  ({
    id,
    type: 'quiz',
    job_id: 'job',
    chunk_key: 'c',
    bank_scope: 's',
    sector: 'technology',
    level: 2,
    bloom_level: 'apply',
    state,
    reviewer: null,
    reviewed_at: null,
    note: null,
    version: 2,
    created_at: 'now',
    revision: 1,
    question: {
      id,
      question: text,
      options: [{ id: 'a', text: 'x' }],
      correct_answer: 'a',
      explanation: 'edited',
    },
  }) as unknown as ReviewRecord;

describe('review filter', () => {
  it('keeps the questions in the state, as their latest version; one without a record counts as pending', () => {
    const questions = [
      { id: 'q1', question: 'old 1', extra: 1 },
      { id: 'q2', question: 'old 2' },
      { id: 'q3', question: 'old 3' },
    ];
    const records = new Map([
      ['q1', record('q1', 'approved', 'new 1')],
      ['q2', record('q2', 'rejected', 'new 2')],
    ]);
    const approved = inState(questions, records, 'approved');
    assert.deepEqual(approved, [
      {
        id: 'q1',
        question: 'new 1',
        extra: 1,
        options: [{ id: 'a', text: 'x' }],
        correct_answer: 'a',
        explanation: 'edited',
      },
    ]);
    assert.deepEqual(
      inState(questions, records, 'pending').map((q) => q.id),
      ['q3'],
    );
  });

  it('matches every filter given and ignores those absent', () => {
    const r = record('q', 'approved', 'x');
    assert.ok(matches(r, {}));
    assert.ok(matches(r, { sector: 'technology', level: 2, review: 'approved', bloom_level: 'apply' }));
    assert.ok(!matches(r, { level: 3 }));
    assert.ok(!matches(r, { assessment_id: 'a' }));
  });
});
