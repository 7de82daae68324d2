/**
 * Regenerating a reviewed question end to end, through HTTP on the local stack with the
 * simulator: a career level is generated; one question is regenerated with instructions; the
 * job runs to completion; the new question is pending with `replaces`, the old one rejected by
 * the key with a note, the new key in the old key's position; a review=pending download and
 * export carry the new question in the old one's place; another key gets 404; regenerating the
 * old one again is a 409. (The instructions reaching the prompt: test/unit/regenerate.test.ts.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';
import { readGift } from '../support/export-parsers.ts';

let h: Harness;
let jobId: string;
let before: any[];

const LEVEL = `${BASE}/results/sectors/technology/careers/FRONTEND_DEVELOPER/levels/1`;
const listed = async () =>
  (await h.call('GET', `/questions?job_id=${jobId}&limit=200`)).body.questions as any[];

beforeAll(async () => {
  h = await startHarness({ settings: { questionsPerCareerLevel: 4 } });
  const started = await h.call('POST', `${BASE}/generate/career-level/async`, {
    sector: 'technology',
    career: 'FRONTEND_DEVELOPER',
    level: 1,
  });
  assert.equal(started.status, 202, started.text);
  jobId = started.body.job_id;
  const job = await waitForJob(h, jobId);
  assert.equal(job.status, 'completed', JSON.stringify(job.error_message ?? job.result_summary));
  before = (await h.call('GET', LEVEL)).body.quiz_pool;
  assert.equal(before.length, 4);
});

afterAll(async () => {
  await h?.stop();
});

describe('POST /questions/{id}/regenerate', () => {
  let oldId: string;
  let newId: string;

  it('refuses bad input in the detail envelope, and another key with 404', async () => {
    oldId = before[1].id;
    const long = await h.call('POST', `/questions/${oldId}/regenerate`, { instructions: 'x'.repeat(501) });
    assert.equal(long.status, 400, long.text);
    assert.match(long.body.detail, /body\.instructions: must be at most 500 characters/);
    const notId = await h.call('POST', '/questions/not-an-id/regenerate', {});
    assert.equal(notId.status, 400, notId.text);
    assert.match(notId.body.detail, /path\.id/);
    const other = await h.call('POST', `/questions/${oldId}/regenerate`, {}, h.otherKey);
    assert.equal(other.status, 404, other.text);
    assert.match(other.body.detail, /Question not found/);
  });

  it('runs a one-question job: the new question pending with replaces, the old one rejected', async () => {
    const oldQuestion = before[1];
    const started = await h.call('POST', `/questions/${oldId}/regenerate`, {
      instructions: 'make it harder',
    });
    assert.equal(started.status, 202, started.text);
    assert.match(started.body.job_id, /^[0-9a-f-]{36}$/);
    const job = await waitForJob(h, started.body.job_id);
    assert.equal(job.status, 'completed', JSON.stringify(job.error_message ?? job.result_summary));

    const questions = await listed();
    assert.equal(questions.length, 5);
    const replacement = questions.find((q) => q.replaces === oldId);
    assert.ok(replacement, 'a question names the old one in replaces');
    newId = replacement.id;
    assert.notEqual(newId, oldId);
    assert.equal(replacement.review.state, 'pending');
    assert.equal(replacement.level, 1);
    assert.equal(replacement.career, 'FRONTEND_DEVELOPER');
    assert.equal(replacement.bloom_level, oldQuestion.bloom_level, 'the same Bloom level');
    assert.notEqual(replacement.question, oldQuestion.question);
    // The key sits where the old one's did, so the bank's key positions stay balanced.
    assert.equal(replacement.correct_answer, oldQuestion.correct_answer);

    const old = questions.find((q) => q.id === oldId);
    assert.equal(old.review.state, 'rejected');
    assert.match(old.review.reviewer, /\S/);
    assert.match(old.review.note, new RegExp(`Replaced by question ${newId}`));
    assert.equal(old.replaced_by, newId);
  });

  it('downloads and exports with review=pending carry the new question in the old one’s place', async () => {
    const pending = await h.call('GET', `${LEVEL}?review=pending`);
    assert.equal(pending.status, 200, pending.text);
    assert.deepEqual(
      pending.body.quiz_pool.map((q: any) => q.id),
      [before[0].id, newId, before[2].id, before[3].id],
    );
    const rejected = await h.call('GET', `${LEVEL}?review=rejected`);
    assert.deepEqual(
      rejected.body.quiz_pool.map((q: any) => q.id),
      [oldId],
    );
    const replacement = (await listed()).find((q) => q.id === newId);
    const gift = await h.call('GET', `${LEVEL}?format=gift&review=pending`);
    assert.equal(gift.status, 200, gift.text);
    const texts = readGift(gift.text).questions.map((q) => q.question);
    assert.equal(texts.length, 4);
    assert.ok(texts.includes(replacement.question), 'the export holds the new question');
    assert.ok(!texts.includes(before[1].question), 'and not the old one');
    // Unfiltered, the result file is as generated.
    const whole = await h.call('GET', LEVEL);
    assert.deepEqual(
      whole.body.quiz_pool.map((q: any) => q.id),
      before.map((q) => q.id),
    );
  });

  it('answers 409 to a second regeneration of the replaced question, naming its replacement', async () => {
    const again = await h.call('POST', `/questions/${oldId}/regenerate`, {});
    assert.equal(again.status, 409, again.text);
    assert.match(again.body.detail, new RegExp(`already replaced by question ${newId}`));
  });
});

const BIN = fileURLToPath(new URL('../../bin/quizgen.js', import.meta.url));

/** Runs `quizgen` against the harness with its first key. */
async function quizgen(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const home = await mkdtemp(join(tmpdir(), 'quizgen-regenerate-cli-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    QUIZGEN_URL: h.url,
    QUIZGEN_API_KEY: h.key,
    XDG_CONFIG_HOME: home,
  };
  delete env.QUIZGEN_DEBUG;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: home });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('quizgen review regenerate', () => {
  it('regenerates a question with instructions, watches the job, and the replacement is listed', async () => {
    const id = before[3].id as string;
    const run = await quizgen(['review', 'regenerate', id, '--instructions', 'use a workplace scenario']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`Completed the replacement of question ${id}: 1 questions`));
    const questions = await listed();
    assert.equal(questions.find((q) => q.id === id).review.state, 'rejected');
    assert.equal(questions.find((q) => q.replaces === id)?.review.state, 'pending');

    const again = await quizgen(['review', 'regenerate', id]);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already replaced/);
  });
});
