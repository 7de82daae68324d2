/**
 * The chaos suite, short form: one run of each scenario (test/chaos/), a sector each. Model
 * faults at set rates; chunk workers killed at four points mid-chunk; the whole stack killed
 * with SIGKILL mid-job and started again. Each run must complete (or resume to completion)
 * with every chunk's questions exactly once, no chunk lost and every retry within its bounds.
 * `node test/chaos/run.ts --runs 10` is the long form; CHAOS_SEED picks other faults here.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { describe as describeReport } from '../chaos/report.ts';
import { FAILING_SCENARIOS, SCENARIO_NAMES, SCENARIOS } from '../chaos/scenarios.ts';

// A seed whose first 45 calls draw every kind of fault, a hang among the first 12 (before the storm
// of 429s); fault draws depend on the seed and the call index only.
const seed = Number(process.env.CHAOS_SEED ?? 20_261_184);

describe('chaos suite (short form)', () => {
  for (const name of SCENARIO_NAMES.filter((n) => !FAILING_SCENARIOS.includes(n))) {
    it(`${name}: completes with every chunk exactly once, within the retry bounds`, async () => {
      const report = await SCENARIOS[name]({ run: 1, seed });
      console.log([describeReport(report), ...report.notes].join('\n'));
      assert.deepEqual(report.problems, [], `seed ${seed}: ${report.problems.join('\n')}`);
      assert.equal(report.lost, 0);
      assert.equal(report.duplicates, 0);
      assert.equal(report.chunks.completed, report.chunks.planned);
    });
  }

  it('every-chunk-fails: a full bank whose every chunk fails ends failed with a bounded message', async () => {
    const report = await SCENARIOS['every-chunk-fails']({ run: 1, seed });
    console.log([describeReport(report), ...report.notes].join('\n'));
    assert.deepEqual(report.problems, []);
    assert.equal(report.chunks.failed, report.chunks.planned);
    assert.equal(report.chunks.completed, 0);
  });
});
