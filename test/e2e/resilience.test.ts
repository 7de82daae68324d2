/**
 * Failures end to end: a sector job completes through injected 429s and 5xx without going
 * over the concurrency setting; a chunk that keeps failing fails its job by name and a new
 * job generates only it (scenario 5); a stack stopped mid-job loses no finished chunk and a
 * new job generates only what is missing (scenario 4).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { BASE, startHarness, waitForJob } from '../support/e2e.ts';

describe('injected 429s and 5xx', () => {
  it('a sector job completes with every chunk and never exceeds the concurrency setting', async () => {
    const h = await startHarness({
      settings: { llmMaxConcurrency: 3 },
      simulator: {
        latencyMs: { min: 20, max: 60 },
        faults: { error429: 0.15, error503: 0.15, error500: 0.05 },
        injected429DelayMs: 200,
      },
    });
    try {
      const started = await h.call('POST', `${BASE}/generate/sector/async`, { sector: 'finance' });
      const job = await waitForJob(h, started.body.job_id, undefined, 240_000);
      assert.equal(job.status, 'completed', JSON.stringify(job.error_message));
      assert.equal(job.result_summary.chunks_completed, 45);
      assert.equal(job.result_summary.questions_generated, 45 * 3);

      const stats = h.stack.simulator?.stats();
      assert.ok(stats);
      const injected = stats.outcomes['429_injected'] + stats.outcomes['503'] + stats.outcomes['500'];
      assert.ok(injected > 0, 'faults were injected');
      assert.ok(stats.peakInFlight <= 3, `peak concurrency ${stats.peakInFlight} exceeds the setting 3`);
      assert.ok(stats.peakInFlight > 1, 'chunks ran in parallel');

      const sector = await h.call('GET', `${BASE}/results/sectors/finance`);
      assert.equal(Object.keys(sector.body).length, 9);
      for (const levels of Object.values(sector.body) as any[]) {
        assert.deepEqual(Object.keys(levels), ['level_1', 'level_2', 'level_3', 'level_4', 'level_5']);
        for (const pool of Object.values(levels) as any[]) assert.equal(pool.quiz_pool.length, 3);
      }
    } finally {
      await h.stop();
    }
  });
});

describe('scenario 5: investigate a failed job', () => {
  it('names the failed chunk, keeps the others, and a new job generates only the failed one', async () => {
    const h = await startHarness();
    try {
      // Every answer for DATA_SCIENTIST level 3 is unusable; the sector's other chunks are fine.
      h.stack.simulator?.configure({ faults: { malformedJson: 1 } });
      const first = await h.call('POST', `${BASE}/generate/career-level/async`, {
        sector: 'technology',
        career: 'DATA_SCIENTIST',
        level: 3,
      });
      const failed = await waitForJob(h, first.body.job_id);
      assert.equal(failed.status, 'failed');
      assert.match(failed.error_message, /technology__DATA_SCIENTIST__3/);
      assert.match(failed.error_message, /not valid JSON/);
      assert.equal(failed.result_summary.chunks_failed, 1);

      const listed = await h.call('GET', `${BASE}/jobs?status=failed`);
      assert.ok(listed.body.jobs.some((j: any) => j.job_id === first.body.job_id));

      h.stack.simulator?.configure({ faults: { malformedJson: 0 } });
      const retry = await h.call('POST', `${BASE}/generate/career-level/async`, {
        sector: 'technology',
        career: 'DATA_SCIENTIST',
        level: 3,
      });
      const done = await waitForJob(h, retry.body.job_id);
      assert.equal(done.status, 'completed');
      assert.equal(done.result_summary.chunks_completed, 1);

      const deleted = await h.call('DELETE', `${BASE}/jobs/${first.body.job_id}`);
      assert.equal(deleted.status, 204);
      assert.equal((await h.call('GET', `${BASE}/jobs/${first.body.job_id}`)).status, 404);
    } finally {
      await h.stop();
    }
  });
});

describe('scenario 4: resume after a restart', () => {
  it('keeps every finished chunk across a stop mid-job; the new job generates only the rest', async () => {
    const first = await startHarness({
      simulator: { latencyMs: { min: 150, max: 150 } },
      settings: { llmMaxConcurrency: 2 },
    });
    const dataDir = first.dataDir;
    const started = await first.call('POST', `${BASE}/generate/sector/async`, { sector: 'construction' });
    const jobId = started.body.job_id;
    await waitForJob(first, jobId, (job) => job.chunks.completed >= 6);
    await first.stop(false);

    const second = await startHarness({ dataDir, settings: { llmMaxConcurrency: 2 } });
    try {
      assert.equal(second.key, first.key, 'the API key survives the restart');
      const orphan = await waitForJob(second, jobId);
      assert.equal(orphan.status, 'failed', 'the interrupted job is not left running');
      assert.match(orphan.error_message, /start a new job/);

      const checkpoint = await second.call('GET', `${BASE}/checkpoint`);
      const kept = checkpoint.body.chunks.filter((c: string) => c.startsWith('construction__'));
      assert.ok(kept.length >= 6, `finished chunks survive the restart (${kept.length})`);

      const resumed = await second.call('POST', `${BASE}/generate/sector/async`, { sector: 'construction' });
      const job = await waitForJob(second, resumed.body.job_id, undefined, 180_000);
      assert.equal(job.status, 'completed');
      assert.equal(job.result_summary.chunks_skipped_from_checkpoint, kept.length);
      assert.equal(job.result_summary.chunks_completed, 45 - kept.length);

      const sector = await second.call('GET', `${BASE}/results/sectors/construction`);
      const pools = Object.values(sector.body).flatMap((levels: any) => Object.values(levels)) as any[];
      assert.equal(pools.length, 45);
    } finally {
      await second.stop();
    }
  });
});
