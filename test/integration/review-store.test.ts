/**
 * The review store against real local DynamoDB (dynalite, which enforces the 400 KB item limit):
 * a chunk's questions recorded pending at version 1, pages that never skip or repeat a question
 * whatever the filters, a write that lost a race refused rather than overwriting, and counts by job.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { Question } from '#jobs/questions.ts';
import type { QuestionContent } from '#review/review-store.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type Store = typeof import('#review/review-store.ts');

let aws: LocalAws;
let store: Store;

beforeAll(async () => {
  aws = await startLocalAws();
  store = await import('#review/review-store.ts');
});

afterAll(async () => {
  await aws?.stop();
});

const question = (i: number, bloom: Question['bloom_level'] = 'apply'): Question => ({
  id: randomUUID(),
  question: `Question number ${i}: which option is right?`,
  options: ['a', 'b', 'c', 'd'].map((id) => ({ id: id as 'a', text: `Option ${id} of ${i}` })),
  correct_answer: 'a',
  explanation: 'Because option a is right.',
  difficulty: 2,
  category: 'web',
  tags: ['html'],
  bloom_level: bloom,
});

const origin = (jobId: string, level: number) => ({
  job_id: jobId,
  chunk_key: `technology__FRONTEND_DEVELOPER__${level}`,
  bank_scope: 'technology__FRONTEND_DEVELOPER',
  sector: 'technology',
  career: 'FRONTEND_DEVELOPER',
  level,
});

describe('review store', () => {
  it('records more questions than one batch write takes, each pending at version 1 with its version item', async () => {
    const owner = `owner-${randomUUID()}`;
    const jobId = randomUUID();
    const questions = Array.from({ length: 30 }, (_, i) => question(i));
    await store.recordQuestions(owner, origin(jobId, 1), questions);
    const page = await store.listReviews(owner, { job_id: jobId }, 200);
    assert.equal(page.records.length, 30);
    assert.equal(page.nextAfter, undefined);
    for (const record of page.records) {
      assert.equal(record.state, 'pending');
      assert.equal(record.version, 1);
    }
    const first = questions[0] as Question;
    const versions = await store.listVersions(owner, first.id);
    assert.deepEqual(
      versions.map((v) => [v.version, v.author, v.question.question]),
      [[1, store.GENERATOR, first.question]],
    );
    assert.deepEqual(await store.reviewCounts(owner, jobId), { pending: 30, approved: 0, rejected: 0 });
  });

  it('pages through filtered records without skipping or repeating one', async () => {
    const owner = `owner-${randomUUID()}`;
    const jobA = randomUUID();
    const jobB = randomUUID();
    const a = Array.from({ length: 13 }, (_, i) => question(i, i % 2 === 0 ? 'apply' : 'analyze'));
    await store.recordQuestions(owner, origin(jobA, 2), a);
    await store.recordQuestions(
      owner,
      origin(jobB, 3),
      Array.from({ length: 9 }, (_, i) => question(100 + i)),
    );
    const wanted = a
      .filter((q) => q.bloom_level === 'analyze')
      .map((q) => q.id)
      .sort();
    const seen: string[] = [];
    let after: string | undefined;
    do {
      const page = await store.listReviews(owner, { job_id: jobA, bloom_level: 'analyze' }, 2, after);
      assert.ok(page.records.length <= 2);
      seen.push(...page.records.map((r) => r.id));
      after = page.nextAfter;
    } while (after);
    assert.deepEqual(seen, wanted);
    assert.deepEqual((await store.listReviews(owner, { level: 3 }, 100)).records.length, 9);
    // Another owner's partition holds none of them.
    assert.deepEqual((await store.listReviews(`owner-${randomUUID()}`, {}, 100)).records, []);
  });

  it('refuses a write made from a record another write changed since', async () => {
    const owner = `owner-${randomUUID()}`;
    const q = question(1);
    await store.recordQuestions(owner, origin(randomUUID(), 1), [q]);
    const read = (await store.getReview(owner, q.id)) as NonNullable<Awaited<ReturnType<Store['getReview']>>>;
    await store.saveReview(owner, read, { ...read, state: 'approved', reviewer: 'k1', reviewed_at: 'now' });
    await assert.rejects(
      store.saveReview(owner, read, { ...read, state: 'rejected', reviewer: 'k2', reviewed_at: 'now' }),
      store.ReviewConflict,
    );
    assert.equal((await store.getReview(owner, q.id))?.state, 'approved');
    // Two edits of one version: the second's version item already exists.
    const now = (await store.getReview(owner, q.id)) as typeof read;
    const v2 = {
      id: q.id,
      version: 2,
      question: q as unknown as QuestionContent,
      author: 'k1',
      created_at: 'now',
      note: null,
    };
    await store.saveReview(owner, now, { ...now, version: 2 }, v2);
    await assert.rejects(store.saveReview(owner, now, { ...now, version: 2 }, v2), store.ReviewConflict);
    assert.deepEqual(
      (await store.listVersions(owner, q.id)).map((v) => v.version),
      [1, 2],
    );
  });

  it('finds records by id in batches of 100, leaving out ids it does not hold', async () => {
    const owner = `owner-${randomUUID()}`;
    const questions = Array.from({ length: 120 }, (_, i) => question(i));
    await store.recordQuestions(owner, origin(randomUUID(), 4), questions);
    const ids = [...questions.map((q) => q.id), randomUUID()];
    const found = await store.getReviews(owner, ids);
    assert.equal(found.size, 120);
  });
});
