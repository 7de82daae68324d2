/**
 * Scenarios 2 and 6: a whole sector, then everything (all sectors and soft skills) with the
 * shipped catalog at one question per chunk, ending in the combined bank.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    settings: { questionsPerCareerLevel: 1, questionsPerSoftSkillsJob: 5, llmMaxConcurrency: 8 },
  });
});

afterAll(async () => {
  await h?.stop();
});

describe('scenario 2: an entire sector', () => {
  it('generates every career and level of finance into finance.json', async () => {
    const sectors = await h.call('GET', `${BASE}/sectors`);
    const careers = Object.values(sectors.body.sector_details.finance).flat();
    const started = await h.call('POST', `${BASE}/generate/sector/async`, { sector: 'finance' });
    assert.equal(started.body.message, "Sector generation started for 'finance'");
    const job = await waitForJob(h, started.body.job_id, undefined, 180_000);
    assert.equal(job.status, 'completed');
    assert.equal(job.result_summary.chunks_total, careers.length * 5);
    const file = await h.call('GET', `${BASE}/results/sectors/finance`);
    assert.deepEqual(Object.keys(file.body).sort(), [...careers].sort());
  });
});

describe('scenario 6: full generation', () => {
  it('generates all sectors and soft skills, skipping finance, into the combined bank', async () => {
    const started = await h.call('POST', `${BASE}/generate/full/async`, { include_soft_skills: true });
    assert.equal(started.status, 202);
    assert.equal(started.body.message, 'Full generation started (all sectors)');
    assert.equal(started.body.job_type, 'full');
    const job = await waitForJob(h, started.body.job_id, undefined, 600_000);
    assert.equal(job.status, 'completed', job.error_message);
    assert.equal(job.result_summary.chunks_skipped_from_checkpoint, 45);
    assert.equal(job.result_summary.chunks_total, 5 * 45 + 5);
    assert.equal(job.result_summary.chunks_completed, 4 * 45 + 5);

    const combined = await h.call('GET', `${BASE}/results/combined?format=url`);
    assert.equal(combined.status, 200);
    const bank = (await (await fetch(combined.body.download_url)).json()) as Record<string, any>;
    assert.deepEqual(Object.keys(bank), [
      'technology',
      'finance',
      'health_social_care',
      'education',
      'construction',
      'soft_skills',
    ]);
    const questions = Object.entries(bank).reduce((n, [group, file]) => {
      const pools =
        group === 'soft_skills'
          ? Object.values(file)
          : Object.values(file).flatMap((l: any) => Object.values(l));
      return n + pools.reduce((m: number, p: any) => m + p.quiz_pool.length, 0);
    }, 0);
    assert.equal(questions, 5 * 45 + 5);
  });
});
