/**
 * Cues a test-wise learner uses, end to end: a sector job against a simulator that puts every
 * key at option "b" and makes it clearly the longest option. The gate asks for rewrites of the
 * longest keys (the simulator answers a repair call with a fixed question), and keys are moved
 * to balanced positions as chunks are kept, so the sector's quality report shows each position
 * within three points of a quarter and the longest-option share under a third.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { namesOptionLetter } from '#jobs/key-cues.ts';
import { BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';

const SECTOR = 'technology';

let h: Harness;
let jobId: string;
let assessmentId: string;

beforeAll(async () => {
  h = await startHarness({
    simulator: { seed: 7, keyPosition: 'b', longestKey: true },
    settings: { questionsPerCareerLevel: 2, llmMaxConcurrency: 8 },
  });
  const started = await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR });
  assert.equal(started.status, 202, started.text);
  jobId = started.body.job_id;
  // An assessment of 20 MCQs (no document) alongside: its own bank, balanced on its own.
  const assessment = await h.call('POST', '/generate_assessment', {
    query: 'photosynthesis',
    bloom_mix: { remember: 12, apply: 8 },
  });
  assert.equal(assessment.status, 202, assessment.text);
  assessmentId = assessment.body.job_id;
  const [job, assessed] = await Promise.all([
    waitForJob(h, jobId, undefined, 240_000),
    waitForJob(h, assessmentId, undefined, 240_000),
  ]);
  assert.equal(job.status, 'completed', JSON.stringify(job));
  assert.equal(assessed.status, 'completed', JSON.stringify(assessed));
});

afterAll(async () => {
  await h?.stop();
});

describe('key cues on a sector job against a simulator biased to key "b", the longest', () => {
  it('the quality report shows each key position within 3 points of 25% and a longest-option share under a third', async () => {
    const response = await h.call('GET', `${BASE}/jobs/${jobId}/quality`);
    assert.equal(response.status, 200, response.text);
    const { key_cues: cues, requested, by_check: byCheck } = response.body;
    if (process.env.SHOW_QUALITY_REPORT) console.log(JSON.stringify(response.body));
    assert.equal(cues.questions, requested, 'every kept question is measured');
    for (const position of ['a', 'b', 'c', 'd']) {
      const share = cues.positions[position].share;
      assert.ok(Math.abs(share - 0.25) <= 0.03, `position ${position}: ${share}`);
    }
    assert.ok(cues.longest_option.share < 1 / 3, `longest-option share ${cues.longest_option.share}`);
    // The bias was there and the gate saw it: the first answers' longest keys were rejected.
    assert.ok(byCheck.key_longest >= requested, JSON.stringify(byCheck));
  });

  it('the sector file agrees: keys spread over a–d, none clearly the longest, explanations free of letters', async () => {
    const response = await h.call('GET', `${BASE}/results/sectors/${SECTOR}`);
    assert.equal(response.status, 200, response.text);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    let total = 0;
    for (const levels of Object.values<any>(response.body)) {
      for (const { quiz_pool } of Object.values<any>(levels)) {
        for (const q of quiz_pool) {
          counts[q.correct_answer] = (counts[q.correct_answer] ?? 0) + 1;
          total += 1;
          const key = q.options.find((o: { id: string }) => o.id === q.correct_answer).text.length;
          const longest = Math.max(
            ...q.options
              .filter((o: { id: string }) => o.id !== q.correct_answer)
              .map((o: { text: string }) => o.text.length),
          );
          assert.ok(
            key < 1.5 * longest || key - longest < 15,
            `clearly longest key kept: ${JSON.stringify(q)}`,
          );
          assert.equal(namesOptionLetter(q.explanation), false, q.explanation);
        }
      }
    }
    assert.equal(total, 9 * 5 * 2);
    for (const [position, count] of Object.entries(counts)) {
      assert.ok(Math.abs(count / total - 0.25) <= 0.03, `${position}: ${count} of ${total}`);
    }
  });

  it("an assessment's MCQs come out even too: 5 of 20 keys at each option, none the longest", async () => {
    const report = (await h.call('GET', `${BASE}/jobs/${assessmentId}/quality`)).body;
    assert.equal(report.key_cues.questions, 20, JSON.stringify(report));
    for (const position of ['a', 'b', 'c', 'd']) assert.equal(report.key_cues.positions[position].count, 5);
    assert.equal(report.key_cues.longest_option.count, 0);
    const status = await h.call('GET', `/job_status?job_id=${assessmentId}`);
    assert.equal(status.status, 200, status.text);
    const counts: number[] = [0, 0, 0, 0];
    for (const q of status.body.result.mcqs) {
      const at: number = q.options.indexOf(q.correct_answer);
      counts[at] = (counts[at] ?? 0) + 1;
    }
    assert.deepEqual(counts, [5, 5, 5, 5]);
  });
});
