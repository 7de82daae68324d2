/**
 * Batch mode is bounded: a batch that outlives the job's batch window is cancelled and its open
 * chunks fail (recorded, so a new job generates them), instead of the loop looking at it until
 * the execution runs out of history events; and the looks back off meanwhile.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { BASE, type Harness, startHarness } from '../support/e2e.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    // A batch that would take ten minutes.
    simulator: { seed: 7, batchLatencyMs: 600_000 },
    settings: {
      questionsPerCareerLevel: 3,
      batchPollSeconds: 1,
      batchPollMaxSeconds: 2,
      batchWindowSeconds: 5,
    },
  });
});

afterAll(async () => {
  await h?.stop();
});

describe('batch window', () => {
  it('ends the rounds of a batch that outlives the window: batch cancelled, open chunks failed, job finished', async () => {
    const started = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'finance',
      career: 'FINANCIAL_ANALYST',
      level: 2,
      mode: 'batch',
    });
    assert.equal(started.status, 202, started.text);
    const id = started.body.job_id;

    let job: any;
    for (let i = 0; i < 300; i++) {
      job = (await h.call('GET', `${BASE}/jobs/${id}`)).body;
      if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    assert.equal(job.status, 'failed');
    assert.match(job.error_message, /did not finish within the batch window/);
    assert.equal(job.chunks.failed, 1);
    assert.equal(h.stack.simulator?.stats().batches.cancelled, 1, 'the batch in flight was cancelled');
    // The job record reads failed as Finalize job writes it; the execution ends a moment later.
    let execution = h.stack.stepFunctions.list().find((e) => e.name === id);
    for (let i = 0; i < 50 && execution?.status === 'RUNNING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      execution = h.stack.stepFunctions.list().find((e) => e.name === id);
    }
    assert.equal(execution?.status, 'SUCCEEDED', 'the job ended through Finalize job');
  });
});
