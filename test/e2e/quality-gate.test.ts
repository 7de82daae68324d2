/**
 * The quality gate end to end: a sector job against a simulator that injects bad items (a
 * duplicated option and an answer key that names no option) and near-copies of earlier
 * questions. The job's quality report shows the gate at work, and none of the bad items is in
 * the sector file.
 *
 * At these rates about one call in five is spoiled, and faults are drawn by call order, which
 * the workers' interleaving decides. So now and then one chunk draws a spoiled answer on all
 * four of its calls and fails, as the gate promises (a few jobs in a hundred). The user's remedy
 * is the test's: a new job with the same parameters generates only the missing chunks. Every
 * check below still holds in that case, against the two jobs together.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { similarity } from '#jobs/similarity.ts';
import { assertProductionQuestion, BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';

const SECTOR = 'finance';
const THRESHOLD = 0.7;

let h: Harness;
let jobId: string;
/** The first job's chunks that ran out of model calls, when some did. */
let exhausted: { chunk_key: string; error: string }[] = [];
/** The job that generated those chunks again (none when the first job completed). */
let resumeId: string | undefined;

/** A chunk the gate could not fill in its calls: the one failure these faults can cause. */
const OUT_OF_CALLS = /^Only \d+ of 4 questions passed the checks after 4 model calls/;

beforeAll(async () => {
  h = await startHarness({
    simulator: { seed: 11, faults: { badItems: 0.25, nearDuplicate: 0.25 } },
    settings: { questionsPerCareerLevel: 4, nearDuplicateThreshold: THRESHOLD },
  });
  const started = await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR });
  assert.equal(started.status, 202, started.text);
  jobId = started.body.job_id;
  const job = await waitForJob(h, jobId, undefined, 240_000);
  if (job.status === 'completed') return;
  assert.equal(job.status, 'failed', JSON.stringify(job));
  for (const failed of job.result_summary.failed_chunks) assert.match(failed.error, OUT_OF_CALLS);
  exhausted = job.result_summary.failed_chunks;
  const again = await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR });
  assert.equal(again.status, 202, again.text);
  resumeId = again.body.job_id;
  const resumed = await waitForJob(h, again.body.job_id, undefined, 240_000);
  assert.equal(resumed.status, 'completed', JSON.stringify(resumed));
  assert.equal(resumed.chunks.skipped_from_checkpoint, job.chunks.total - exhausted.length);
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
    assert.equal(
      report.passed_first_time + report.repaired + report.failed,
      report.requested,
      'every slot counted',
    );
    assert.deepEqual(
      report.failed_chunks.map((c: { chunk_key: string }) => c.chunk_key).sort(),
      exhausted.map((c) => c.chunk_key).sort(),
      'the chunks that failed are the ones the job named',
    );
    if (resumeId) {
      const again = (await h.call('GET', `${BASE}/jobs/${resumeId}/quality`)).body;
      assert.equal(again.requested, 4 * exhausted.length, 'the new job generated only the missing chunks');
      assert.equal(again.failed, 0);
      assert.deepEqual(again.failed_chunks, []);
    } else {
      assert.equal(report.failed, 0);
    }
    assert.ok(report.by_check.duplicate_options > 0, JSON.stringify(report.by_check));
    assert.ok(report.by_check.answer > 0, JSON.stringify(report.by_check));
    assert.ok(report.by_check.near_duplicate > 0, JSON.stringify(report.by_check));
  });

  it('the sector file holds none of the bad items, and every question carries its provenance', async () => {
    const response = await h.call('GET', `${BASE}/results/sectors/${SECTOR}`);
    assert.equal(response.status, 200, response.text);
    const report = (await h.call('GET', `${BASE}/jobs/${jobId}/quality`)).body;
    const again = resumeId ? (await h.call('GET', `${BASE}/jobs/${resumeId}/quality`)).body : undefined;
    const redone = new Set(exhausted.map((c) => c.chunk_key));
    let repaired = 0;
    let repairedAgain = 0;
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
          const redoneHere = redone.has(`${SECTOR}__${career}__${levelName.replace('level_', '')}`);
          if (q.provenance.validation === 'repaired') {
            if (redoneHere) repairedAgain += 1;
            else repaired += 1;
          }
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
    if (!again) {
      assert.equal(repaired, report.repaired);
      return;
    }
    // The chunks generated again hold the new job's questions; the first job's report also
    // counted what those chunks kept before they failed (at most 4 − missing each).
    assert.equal(repairedAgain, again.repaired);
    const keptThenDropped = report.failed_chunks.reduce(
      (n: number, c: { missing: number }) => n + 4 - c.missing,
      0,
    );
    assert.ok(repaired <= report.repaired && repaired >= report.repaired - keptThenDropped);
  });

  it('another key cannot read the report', async () => {
    const response = await h.call('GET', `${BASE}/jobs/${jobId}/quality`, undefined, h.otherKey);
    assert.equal(response.status, 404);
  });
});
