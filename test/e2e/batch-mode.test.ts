/**
 * Batch mode end to end: a sector job with `"mode": "batch"` goes to the simulator's Batch API
 * in rounds (no interactive call), shows its progress while the batch runs, passes every
 * answer through the quality gate (bad items injected, so some chunks need a second round),
 * and is billed at the batch price.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { costOf } from '#platform/gemini/pricing.ts';
import { BASE, type Harness, startHarness } from '../support/e2e.ts';

const SECTOR = 'finance';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    simulator: { seed: 5, batchLatencyMs: 1500, faults: { badItems: 0.2 } },
    settings: { questionsPerCareerLevel: 3, batchPollSeconds: 1 },
  });
});

afterAll(async () => {
  await h?.stop();
});

describe('batch mode', () => {
  it('prices a dry run at the batch share, without the interactive quota bound', async () => {
    const interactive = (
      await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR, dry_run: true })
    ).body;
    const batch = (
      await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR, dry_run: true, mode: 'batch' })
    ).body;
    assert.ok(Math.abs(batch.estimate.cost_usd - interactive.estimate.cost_usd / 2) < 1e-5);
    assert.equal(batch.estimate.minimum_seconds, 0);
    assert.match(batch.estimate.basis, /batch mode at 50% of the price/);
  });

  it('refuses an unknown mode with the choices', async () => {
    const response = await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR, mode: 'cheap' });
    assert.equal(response.status, 400);
    assert.match(response.body.detail, /mode.*"interactive".*"batch"/);
  });

  it('generates a sector through Gemini batches, visibly, at the batch price, through the quality gate', async () => {
    h.stack.simulator?.resetStats();
    const started = await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR, mode: 'batch' });
    assert.equal(started.status, 202, started.text);
    const id = started.body.job_id;

    const messages = new Set<string>();
    let job: any;
    for (let i = 0; i < 1200; i++) {
      job = (await h.call('GET', `${BASE}/jobs/${id}`)).body;
      if (job.progress_message) messages.add(job.progress_message);
      if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }

    assert.equal(job.status, 'completed', job.error_message);
    assert.equal(job.mode, 'batch');
    assert.equal(job.chunks.completed, 45);
    assert.equal(job.questions_generated, 135);
    assert.ok(
      [...messages].some((m) => /^Batch round 1: \d+ of 45 requests answered/.test(m)),
      `progress shown while the batch ran: ${[...messages].join(' | ')}`,
    );
    const stats = h.stack.simulator?.stats();
    assert.equal(stats?.totalCalls, 0, 'no interactive generateContent call');
    assert.ok(stats && stats.batches.created >= 2, 'rejected items were asked for again in a second round');

    const report = (await h.call('GET', `${BASE}/jobs/${id}/quality`)).body;
    assert.ok(report.repaired > 0 && report.by_check.duplicate_options > 0, JSON.stringify(report));
    assert.equal(report.passed_first_time + report.repaired, 135);

    const tokens = {
      input_tokens: job.tokens.input_tokens,
      output_tokens: job.tokens.output_tokens,
      thinking_tokens: job.tokens.thinking_tokens,
      cached_tokens: job.tokens.cached_tokens,
    };
    const full = costOf(job.model, tokens, { at: Date.now() });
    assert.ok(Math.abs(job.cost_usd - full / 2) <= 1e-5, `cost ${job.cost_usd} is half of ${full}`);

    const sector = (await h.call('GET', `${BASE}/results/sectors/${SECTOR}`)).body;
    const questions = Object.values<any>(sector).flatMap((levels) =>
      Object.values<any>(levels).flatMap((level) => level.quiz_pool),
    );
    assert.equal(questions.length, 135);
    for (const q of questions) assert.equal(new Set(q.options.map((o: any) => o.text)).size, 4);
  });
});
