/**
 * Batch mode through the local API: cancelling a job whose Gemini batch is still running
 * cancels the batch too, so Gemini stops it and bills none of its requests.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { BASE, type Harness, startHarness } from '../support/e2e.ts';

let h: Harness;

beforeAll(async () => {
  // A batch that would take a minute: the job is cancelled long before it ends.
  h = await startHarness({
    simulator: { seed: 5, batchLatencyMs: 60_000 },
    settings: { questionsPerCareerLevel: 3, batchPollSeconds: 1 },
  });
});

afterAll(async () => {
  await h?.stop();
});

describe('batch mode, cancelled', () => {
  it('cancels the running Gemini batch when the job is cancelled; nothing of it is billed', async () => {
    h.stack.simulator?.resetStats();
    const started = await h.call('POST', `${BASE}/generate/sector/async`, {
      sector: 'finance',
      mode: 'batch',
    });
    assert.equal(started.status, 202, started.text);
    const id = started.body.job_id;

    for (let i = 0; i < 300 && (h.stack.simulator?.stats().batches.created ?? 0) === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    assert.equal(h.stack.simulator?.stats().batches.created, 1, 'the round was submitted');

    const cancelled = await h.call('POST', `${BASE}/jobs/${id}/cancel`);
    assert.equal(cancelled.status, 200, cancelled.text);
    assert.equal(cancelled.body.status, 'cancelled');

    const stats = h.stack.simulator?.stats().batches;
    assert.equal(stats?.cancelled, 1, 'the batch was cancelled at Gemini');
    assert.equal(stats?.answered, 0, 'none of its requests was answered');
    assert.equal((stats?.promptTokens ?? 0) + (stats?.candidatesTokens ?? 0), 0, 'nothing was billed');
    const job = (await h.call('GET', `${BASE}/jobs/${id}`)).body;
    assert.equal(job.status, 'cancelled');
    assert.equal(job.cost_usd ?? 0, 0);
  });
});
