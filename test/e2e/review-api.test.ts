/**
 * The review API end to end, through HTTP on the local stack with the simulator: a generated
 * career level's questions start pending; a reviewer approves, rejects with a note, edits (the
 * gate refuses a bad edit and changes nothing; a good one is version 2), decides in bulk, and
 * exports only the approved ones. Another key sees none of it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';
import { readGift } from '../support/export-parsers.ts';
import { type QuizgenResult, runQuizgen } from '../support/quizgen.ts';

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
        reviewer_key_id: null,
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

  it("approves one, rejects one with a note, filters by state, and names the reviewer by the key's name", async () => {
    // The local stack's keys are named `default` and `second` (local/stack-data-dir.ts); the
    // review API asks API Gateway's GetApiKey for the name (the local control plane here).
    const key = h.stack.apiKeys[0];
    assert.equal(key?.name, 'default');
    const approved = await h.call('PATCH', `/questions/${ids[0]}`, { review: 'approved' });
    assert.equal(approved.status, 200, approved.text);
    assert.equal(approved.body.review.state, 'approved');
    assert.equal(approved.body.review.reviewer, 'default');
    assert.equal(approved.body.review.reviewer_key_id, key?.id);
    assert.match(approved.body.review.reviewed_at, /^\d{4}-\d\d-\d\dT/);
    const rejected = await h.call('PATCH', `/questions/${ids[1]}`, { review: 'rejected', note: 'too easy' });
    assert.equal(rejected.status, 200, rejected.text);
    assert.equal(rejected.body.review.state, 'rejected');
    assert.equal(rejected.body.review.note, 'too easy');
    assert.equal(
      (await reviewOf(ids[1] as string)).review.reviewer,
      'default',
      'the listing shows the name too',
    );

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
    assert.equal(history.body.versions[0].author_key_id, null);
    assert.equal(history.body.versions[1].author, 'default');
    assert.equal(history.body.versions[1].author_key_id, h.stack.apiKeys[0]?.id);
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

describe('review API: assessments', () => {
  let assessmentId: string;
  let mcqs: any[];
  let open: any[];

  beforeAll(async () => {
    const started = await h.call('POST', '/generate_assessment', {
      topic: 'photosynthesis in green plants',
      bloom_mix: '3 remember, 1 apply',
      subjective_count: 1,
    });
    assert.equal(started.status, 202, started.text);
    assessmentId = started.body.job_id;
    let status: any;
    for (let i = 0; i < 1200; i++) {
      status = (await h.call('GET', `/job_status?job_id=${assessmentId}`)).body;
      if (['finished', 'failed', null].includes(status?.status)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status.status, 'finished', JSON.stringify(status));
    const listed = await h.call('GET', `/questions?assessment_id=${assessmentId}`);
    assert.equal(listed.status, 200, listed.text);
    mcqs = listed.body.questions.filter((q: any) => q.type === 'mcq');
    open = listed.body.questions.filter((q: any) => q.type === 'open');
  });

  it("lists an assessment's MCQs and open question pending, in their own shapes", () => {
    assert.equal(mcqs.length, 3);
    assert.equal(open.length, 1);
    for (const q of [...mcqs, ...open]) {
      assert.equal(q.assessment_id, assessmentId);
      assert.equal(q.review.state, 'pending');
    }
    for (const q of mcqs) {
      assert.equal(q.options.length, 4);
      assert.ok(q.options.includes(q.correct_answer));
    }
    assert.match(open[0].model_answer, /\S/);
  });

  it('edits an MCQ in its own shape through the gate, and refuses options on an open question', async () => {
    const mcq = mcqs[0];
    const bad = await h.call('PATCH', `/questions/${mcq.id}`, { correct_answer: 'not an option' });
    assert.equal(bad.status, 400, bad.text);
    assert.ok(bad.body.reasons.includes('correct_answer: must be the text of one of the options'), bad.text);
    const options = ['Chlorophyll', 'Keratin', 'Hemoglobin', 'Collagen'];
    const good = await h.call('PATCH', `/questions/${mcq.id}`, {
      question: 'Which pigment absorbs the light that drives photosynthesis?',
      options,
      correct_answer: 'Chlorophyll',
      explanation: 'Chlorophyll absorbs red and blue light; the others are animal proteins.',
      review: 'approved',
    });
    assert.equal(good.status, 200, good.text);
    assert.deepEqual(good.body.options, options);
    assert.equal(good.body.correct_answer, 'Chlorophyll');
    assert.equal(good.body.review.version, 2);

    const refused = await h.call('PATCH', `/questions/${open[0].id}`, { options: ['a', 'b', 'c', 'd'] });
    assert.equal(refused.status, 400, refused.text);
    assert.match(refused.body.detail, /open question has no options/);
  });

  it('exports and lists only the approved questions of job_status, as edited', async () => {
    const approve = await h.call('POST', '/questions/review', {
      ids: [mcqs[1].id, open[0].id],
      review: 'approved',
    });
    assert.equal(approve.status, 200, approve.text);
    const json = await h.call('GET', `/job_status?job_id=${assessmentId}&review=approved`);
    assert.equal(json.status, 200, json.text);
    assert.equal(json.body.result.mcqs.length, 2);
    assert.equal(json.body.result.mcqs.filter((q: any) => q.correct_answer === 'Chlorophyll').length, 1);
    assert.equal(json.body.result.subjective_questions.length, 1);
    const gift = await h.call('GET', `/job_status?job_id=${assessmentId}&format=gift&review=approved`);
    assert.equal(gift.status, 200, gift.text);
    const parsed = readGift(gift.text).questions;
    assert.equal(parsed.length, 3, gift.text);
    assert.ok(
      parsed.some((q) => q.question === 'Which pigment absorbs the light that drives photosynthesis?'),
    );
    const rejected = await h.call('GET', `/job_status?job_id=${assessmentId}&review=rejected`);
    assert.deepEqual(rejected.body.result.mcqs, []);
  });
});

/** Runs `quizgen` against the harness with its first key. */
function quizgen(args: string[], home: string): Promise<QuizgenResult> {
  return runQuizgen(args, { url: h.url, key: h.key, home });
}

describe('review from the CLI', () => {
  it('lists pending questions, approves one with a note, and downloads only the approved ones', async () => {
    const home = await mkdtemp(join(tmpdir(), 'quizgen-review-cli-'));
    const listed = await quizgen(['review', 'list', '--job', jobId, '--state', 'pending', '--json'], home);
    assert.equal(listed.code, 0, listed.stderr);
    const pending = JSON.parse(listed.stdout).questions.map((q: any) => q.id);
    assert.deepEqual(pending, [ids[5]]);

    const approved = await quizgen(['review', 'approve', '--ids', String(ids[5]), '--note', 'fine'], home);
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /Approved 1 question/);
    assert.equal((await reviewOf(ids[5] as string)).review.note, 'fine');
    // The table names who decided by the key's name.
    const table = await quizgen(['review', 'list', '--job', jobId, '--state', 'approved'], home);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`^${ids[5]}  approved .*\\(fine\\)  by default$`, 'm'));

    const file = join(home, 'approved.gift.txt');
    const args = ['--sector', 'technology', '--career', 'FRONTEND_DEVELOPER', '--level', '2'];
    const downloaded = await quizgen(
      ['download', ...args, '--format', 'gift', '--review', 'approved', '-o', file],
      home,
    );
    assert.equal(downloaded.code, 0, downloaded.stderr);
    assert.equal(readGift(await readFile(file, 'utf8')).questions.length, 5);

    const quality = await quizgen(['quality', jobId], home);
    assert.equal(quality.code, 0, quality.stderr);
    assert.match(quality.stdout, /Review: 0 pending, 5 approved, 1 rejected/);

    const refused = await quizgen(['download', '--assessment', jobId, '--review', 'approved'], home);
    assert.equal(refused.code, 64, refused.stdout);
    assert.match(refused.stderr, /--review filters generated questions/);
  });
});
