/**
 * The review API end to end, through HTTP on the local stack with the simulator: a generated
 * career level's questions start pending; a reviewer approves, rejects with a note, edits (the
 * gate refuses a bad edit and changes nothing; a good one is version 2), decides in bulk, and
 * exports only the approved ones. Another key sees none of it.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';
import { readGift } from '../support/export-parsers.ts';

let h: Harness;
let jobId: string;
/** The job's questions as first listed, in the API's order. */
let ids: string[];

const LEVEL = `${BASE}/results/sectors/technology/careers/FRONTEND_DEVELOPER/levels/2`;

beforeAll(async () => {
  h = await startHarness({ settings: { questionsPerCareerLevel: 6 } });
  const started = await h.call('POST', `${BASE}/generate/career-level/async`, {
    sector: 'technology',
    career: 'FRONTEND_DEVELOPER',
    level: 2,
  });
  assert.equal(started.status, 202, started.text);
  jobId = started.body.job_id;
  const job = await waitForJob(h, jobId);
  assert.equal(job.status, 'completed', JSON.stringify(job.error_message ?? job.result_summary));
});

afterAll(async () => {
  await h?.stop();
});

const reviewOf = async (id: string) => {
  const listed = await h.call('GET', `/questions?job_id=${jobId}&limit=200`);
  return listed.body.questions.find((q: any) => q.id === id);
};

describe('review API', () => {
  it('lists a generated career level pending, with its origin, and pages with a cursor', async () => {
    const all = await h.call('GET', `/questions?job_id=${jobId}`);
    assert.equal(all.status, 200, all.text);
    assert.equal(all.body.questions.length, 6);
    assert.equal(all.body.next_cursor, null);
    for (const q of all.body.questions) {
      assert.equal(q.job_id, jobId);
      assert.equal(q.sector, 'technology');
      assert.equal(q.career, 'FRONTEND_DEVELOPER');
      assert.equal(q.level, 2);
      assert.deepEqual(q.review, {
        state: 'pending',
        reviewer: null,
        reviewed_at: null,
        note: null,
        version: 1,
      });
      assert.equal(q.options.length, 4);
    }
    ids = all.body.questions.map((q: any) => q.id);
    // The result file's questions are the ones listed.
    const level = await h.call('GET', LEVEL);
    assert.deepEqual(new Set(level.body.quiz_pool.map((q: any) => q.id)), new Set(ids));

    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await h.call('GET', `/questions?job_id=${jobId}&limit=4${query}`);
      assert.equal(page.status, 200, page.text);
      assert.ok(page.body.questions.length <= 4);
      paged.push(...page.body.questions.map((q: any) => q.id));
      cursor = page.body.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 2);
    assert.deepEqual(paged, ids);
  });

  it('approves one, rejects one with a note, and filters by state', async () => {
    const approved = await h.call('PATCH', `/questions/${ids[0]}`, { review: 'approved' });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.body.review.state, 'approved');
    assert.match(approved.body.review.reviewer, /\S/);
    assert.match(approved.body.review.reviewed_at, /^\d{4}-\d\d-\d\dT/);
    const rejected = await h.call('PATCH', `/questions/${ids[1]}`, { review: 'rejected', note: 'too easy' });
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal(rejected.body.review.state, 'rejected');
    assert.equal(rejected.body.review.note, 'too easy');

    const onlyRejected = await h.call('GET', `/questions?job_id=${jobId}&review=rejected`);
    assert.deepEqual(
      onlyRejected.body.questions.map((q: any) => q.id),
      [ids[1]],
    );
  });

  it('refuses an edit the gate fails with its reasons and changes nothing; a good edit is version 2', async () => {
    const id = ids[2] as string;
    const before = await reviewOf(id);
    const bad = await h.call('PATCH', `/questions/${id}`, {
      options: [
        { id: 'a', text: 'Same answer' },
        { id: 'b', text: 'Same answer' },
        { id: 'c', text: 'Another answer' },
        { id: 'd', text: 'A fourth answer' },
      ],
    });
    assert.equal(bad.status, 400, bad.text);
    assert.match(bad.body.detail, /quality gate/);
    assert.ok(bad.body.reasons.includes('two options have the same text'), bad.text);
    assert.deepEqual(await reviewOf(id), before, 'a refused edit changes nothing');

    const stem = 'Which HTML attribute gives an image a text alternative for screen readers?';
    const good = await h.call('PATCH', `/questions/${id}`, {
      question: stem,
      options: [
        { id: 'a', text: 'alt' },
        { id: 'b', text: 'title' },
        { id: 'c', text: 'src' },
        { id: 'd', text: 'role' },
      ],
      correct_answer: 'a',
      explanation: 'Screen readers read the alt attribute aloud in place of the image.',
      review: 'approved',
      note: 'rewritten',
    });
    assert.equal(good.status, 200, good.text);
    assert.equal(good.body.question, stem);
    assert.equal(good.body.review.version, 2);
    assert.equal(good.body.review.state, 'approved');

    const history = await h.call('GET', `/questions/${id}/history`);
    assert.equal(history.status, 200, history.text);
    assert.deepEqual(
      history.body.versions.map((v: any) => v.version),
      [1, 2],
    );
    assert.equal(history.body.versions[0].author, 'generator');
    assert.equal(history.body.versions[0].question.question, before.question);
    assert.equal(history.body.versions[1].author, good.body.review.reviewer);
    assert.equal(history.body.versions[1].question.question, stem);
    assert.match(history.body.versions[1].created_at, /^\d{4}-/);
  });

  it('approves in bulk, bounds the list, and exports exactly the approved questions', async () => {
    const bulk = await h.call('POST', '/questions/review', { ids: [ids[3], ids[4]], review: 'approved' });
    assert.equal(bulk.status, 200, bulk.text);
    assert.deepEqual(
      bulk.body.questions.map((q: any) => q.review.state),
      ['approved', 'approved'],
    );
    const tooMany = await h.call('POST', '/questions/review', {
      ids: Array.from({ length: 101 }, () => ids[0]),
      review: 'approved',
    });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.detail, /at most 100/);

    const approved = (await h.call('GET', `/questions?job_id=${jobId}&review=approved`)).body.questions;
    assert.equal(approved.length, 4);
    const gift = await h.call('GET', `${LEVEL}?format=gift&review=approved`);
    assert.equal(gift.status, 200, gift.text);
    const parsed = readGift(gift.text).questions;
    assert.deepEqual(new Set(parsed.map((q) => q.question)), new Set(approved.map((q: any) => q.question)));
    assert.equal(parsed.length, 4);
    // The JSON download filters the same way; pending ones are what is left.
    const pending = await h.call('GET', `${LEVEL}?review=pending`);
    assert.deepEqual(
      pending.body.quiz_pool.map((q: any) => q.id),
      [ids[5]],
    );
    const badFilter = await h.call('GET', `${LEVEL}?format=gift&review=maybe`);
    assert.equal(badFilter.status, 400);
    assert.match(badFilter.body.detail, /query\.review/);
  });

  it("counts review states in the job's quality report", async () => {
    const report = await h.call('GET', `${BASE}/jobs/${jobId}/quality`);
    assert.equal(report.status, 200, report.text);
    assert.deepEqual(report.body.review, { pending: 1, approved: 4, rejected: 1 });
  });

  it('shows another key none of it: 404 for each question, an empty list', async () => {
    const other = h.otherKey;
    const list = await h.call('GET', `/questions?job_id=${jobId}`, undefined, other);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.questions, []);
    const id = ids[5] as string;
    const patch = await h.call('PATCH', `/questions/${id}`, { review: 'approved' }, other);
    assert.equal(patch.status, 404, patch.text);
    assert.match(patch.body.detail, /Question not found/);
    assert.equal((await h.call('GET', `/questions/${id}/history`, undefined, other)).status, 404);
    const bulk = await h.call('POST', '/questions/review', { ids: [id], review: 'rejected' }, other);
    assert.equal(bulk.status, 404);
    assert.equal((await reviewOf(id)).review.state, 'pending', "another key's attempts changed nothing");
  });

  it('answers bad input with 400 in the detail envelope', async () => {
    const cases: [string, string, unknown, RegExp][] = [
      ['GET', '/questions?limit=0', undefined, /query\.limit/],
      ['GET', '/questions?review=maybe', undefined, /query\.review/],
      ['GET', '/questions?cursor=nonsense', undefined, /query\.cursor/],
      ['GET', '/questions?colour=red', undefined, /colour/],
      ['PATCH', '/questions/not-an-id', { review: 'approved' }, /path\.id/],
      ['PATCH', `/questions/${ids[0]}`, {}, /must change something/],
      ['PATCH', `/questions/${ids[0]}`, { review: 'maybe' }, /body\.review/],
      ['POST', '/questions/review', { ids: [], review: 'approved' }, /body\.ids/],
    ];
    for (const [method, path, body, detail] of cases) {
      const response = await h.call(method, path, body);
      assert.equal(response.status, 400, `${method} ${path}: ${response.text}`);
      assert.match(response.body.detail, detail, `${method} ${path}`);
    }
  });
});
