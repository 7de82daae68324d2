/**
 * The quality gate end to end: a sector job against a simulator that injects bad items (a
 * duplicated option and an answer key that names no option) and near-copies of earlier
 * questions. The job's quality report shows the gate at work, and none of the bad items is in
 * the sector file.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { similarity } from '#jobs/similarity.ts';
import { assertProductionQuestion, BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';

const SECTOR = 'finance';
const THRESHOLD = 0.7;

let h: Harness;
let jobId: string;

beforeAll(async () => {
  h = await startHarness({
    simulator: { seed: 11, faults: { badItems: 0.25, nearDuplicate: 0.25 } },
    settings: { questionsPerCareerLevel: 4, nearDuplicateThreshold: THRESHOLD },
  });
  const started = await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR });
  assert.equal(started.status, 202, started.text);
  jobId = started.body.job_id;
  const job = await waitForJob(h, jobId, undefined, 240_000);
  assert.equal(job.status, 'completed', JSON.stringify(job));
});

afterAll(async () => {
  await h?.stop();
});

describe('quality gate on a sector job with injected bad items', () => {
  it('the simulator did inject bad items and near-duplicates', () => {
    const stats = h.stack.simulator?.stats();
    assert.ok(stats && stats.outcomes.bad_items > 0, 'bad items were injected');
    assert.ok(stats && stats.outcomes.near_duplicate > 0, 'near-duplicates were injected');
  });

  it("the job's quality report counts what passed first time, what was repaired, and why", async () => {
    const response = await h.call('GET', `${BASE}/jobs/${jobId}/quality`);
    assert.equal(response.status, 200, response.text);
    const report = response.body;
    if (process.env.SHOW_QUALITY_REPORT) console.log(JSON.stringify(report));
    assert.equal(report.job_id, jobId);
    assert.match(report.gate_version, /^quality-gate\//);
    assert.ok(report.rejected > 0, 'the gate rejected items');
    assert.ok(report.repaired > 0, 'rejected items were replaced by repaired ones');
    assert.equal(report.passed_first_time + report.repaired, report.requested, 'every slot filled');
    assert.equal(report.failed, 0);
    assert.deepEqual(report.failed_chunks, []);
    assert.ok(report.by_check.duplicate_options > 0, JSON.stringify(report.by_check));
    assert.ok(report.by_check.answer > 0, JSON.stringify(report.by_check));
    assert.ok(report.by_check.near_duplicate > 0, JSON.stringify(report.by_check));
  });

  it('the sector file holds none of the bad items, and every question carries its provenance', async () => {
    const response = await h.call('GET', `${BASE}/results/sectors/${SECTOR}`);
    assert.equal(response.status, 200, response.text);
    const report = (await h.call('GET', `${BASE}/jobs/${jobId}/quality`)).body;
    let repaired = 0;
    let total = 0;
    for (const [career, levels] of Object.entries<any>(response.body)) {
      const texts: string[] = [];
      for (const [levelName, { quiz_pool }] of Object.entries<any>(levels)) {
        for (const q of quiz_pool) {
          assertProductionQuestion(q, Number(levelName.replace('level_', '')));
          assert.doesNotMatch(q.correct_answer, /not-in-enum/);
          assert.equal(q.provenance.gate_version, report.gate_version);
          assert.equal(q.provenance.prompt_template, 'quiz-chunk');
          assert.ok(['passed_first_time', 'repaired'].includes(q.provenance.validation));
          if (q.provenance.validation === 'repaired') repaired += 1;
          texts.push(q.question);
          total += 1;
        }
      }
      for (let i = 0; i < texts.length; i++) {
        for (let j = i + 1; j < texts.length; j++) {
          const score = similarity(texts[i] as string, texts[j] as string);
          assert.ok(score < THRESHOLD, `${career}: "${texts[i]}" and "${texts[j]}" (${score.toFixed(2)})`);
        }
      }
    }
    assert.equal(total, report.requested);
    assert.equal(repaired, report.repaired);
  });

  it('another key cannot read the report', async () => {
    const response = await h.call('GET', `${BASE}/jobs/${jobId}/quality`, undefined, h.otherKey);
    assert.equal(response.status, 404);
  });
});
