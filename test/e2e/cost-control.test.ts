/**
 * Cost control through the Quiz Generator API on the local stack: a dry run that starts
 * nothing and calls no model, a job that stops at its max_cost_usd (within one chunk's cost)
 * and a new job with a raised budget that generates only the rest, and a key's monthly budget.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { BASE, type Harness, startHarness } from '../support/e2e.ts';

const SECTOR = 'finance';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ settings: { questionsPerCareerLevel: 3, llmMaxConcurrency: 3 } });
});

afterAll(async () => {
  await h?.stop();
});

/** Polls a job with the key that owns it until it ends. */
async function waitAs(key: string, jobId: string) {
  for (let i = 0; i < 1200; i++) {
    const job = (await h.call('GET', `${BASE}/jobs/${jobId}`, undefined, key)).body;
    if (['completed', 'failed', 'cancelled'].includes(job.status)) return job;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`job ${jobId} did not end`);
}

async function start(body: Record<string, unknown>, key = h.key) {
  const response = await h.call('POST', `${BASE}/generate/sector/async`, body, key);
  assert.equal(response.status, 202, response.text);
  return response.body.job_id as string;
}

describe('dry run', () => {
  it('answers chunks, tokens, cost and the quota time without starting a job or calling the model', async () => {
    const before = h.stack.simulator?.stats().totalCalls;
    const jobsBefore = (await h.call('GET', `${BASE}/jobs`)).body.total;

    const response = await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR, dry_run: true });

    assert.equal(response.status, 200, response.text);
    const dry = response.body;
    assert.equal(dry.dry_run, true);
    assert.equal(dry.job_type, 'sector');
    assert.equal(dry.chunks_total, 45, '9 careers x 5 levels');
    assert.equal(dry.chunks_from_checkpoint, 0);
    assert.equal(dry.estimate.chunks, 45);
    assert.equal(dry.estimate.questions, 135);
    assert.ok(dry.estimate.calls >= 45);
    assert.ok(dry.estimate.input_tokens > 0 && dry.estimate.output_tokens > 0);
    assert.ok(dry.estimate.cost_usd > 0);
    assert.equal(dry.estimate.minimum_seconds, Math.ceil((dry.estimate.calls / 6000) * 60));
    assert.match(dry.estimate.basis, /prices of 2026-/);
    assert.equal(h.stack.simulator?.stats().totalCalls, before, 'no model call');
    assert.equal((await h.call('GET', `${BASE}/jobs`)).body.total, jobsBefore, 'no job');
  });

  it('counts the checkpoint and learns tokens per question from finished jobs', async () => {
    const level = await h.call('POST', `${BASE}/generate/career-level`, {
      sector: SECTOR,
      career: 'ACCOUNTANT',
      level: 1,
    });
    assert.equal(level.status, 200, level.text);

    const dry = (await h.call('POST', `${BASE}/generate/sector`, { sector: SECTOR, dry_run: true })).body;

    assert.equal(dry.chunks_from_checkpoint, 1);
    assert.equal(dry.estimate.chunks, 44);
    assert.match(dry.estimate.basis, /measured on your last 1 finished job/);
  });

  it('refuses a bad max_cost_usd with a message that says what to send', async () => {
    const response = await h.call('POST', `${BASE}/generate/sector/async`, {
      sector: SECTOR,
      max_cost_usd: -1,
    });
    assert.equal(response.status, 400);
    assert.match(response.body.detail, /max_cost_usd.*more than 0/);
  });
});

describe('max_cost_usd', () => {
  it('stops the job within one chunk of its budget, keeps what it made, and a raised budget finishes the rest', async () => {
    const dry = (await h.call('POST', `${BASE}/generate/sector/async`, { sector: SECTOR, dry_run: true }))
      .body;
    const perChunk = dry.estimate.cost_usd / dry.estimate.chunks;
    const budget = Number((perChunk * 8).toFixed(6));

    const stopped = await waitAs(h.key, await start({ sector: SECTOR, max_cost_usd: budget }));

    assert.equal(stopped.status, 'failed');
    assert.equal(stopped.stop_reason, 'budget');
    assert.equal(stopped.max_cost_usd, budget);
    assert.match(stopped.error_message, /^Stopped at its budget: the job's max_cost_usd of \$/);
    assert.match(stopped.error_message, /higher max_cost_usd/);
    const made = stopped.chunks.completed;
    assert.ok(made >= 1 && made < 44, `some chunks were generated before the stop (${made})`);
    const actualPerChunk = stopped.cost_usd / made;
    assert.ok(
      stopped.cost_usd <= budget + actualPerChunk,
      `spent ${stopped.cost_usd} against ${budget} (a chunk costs about ${actualPerChunk})`,
    );

    const finished = await waitAs(h.key, await start({ sector: SECTOR, max_cost_usd: 100 }));

    assert.equal(finished.status, 'completed', finished.error_message);
    assert.equal(finished.chunks.skipped_from_checkpoint, 1 + made, 'only the rest was generated');
    assert.equal(finished.chunks.completed, 44 - made);
    const sector = await h.call('GET', `${BASE}/results/sectors/${SECTOR}`);
    assert.equal(sector.status, 200);
    const pools = Object.values<any>(sector.body).flatMap((levels) => Object.values<any>(levels));
    assert.equal(pools.length, 45);
    for (const pool of pools) assert.equal(pool.quiz_pool.length, 3);
  });
});

describe('monthly budget', () => {
  it('is set per key and stops that key’s jobs when reached, and can be cleared', async () => {
    const empty = await h.call('GET', `${BASE}/budget`, undefined, h.otherKey);
    assert.equal(empty.status, 200);
    assert.equal(empty.body.monthly_usd, null);
    assert.match(empty.body.month, /^\d{4}-\d{2}$/);

    for (const [body, message] of [
      [{ monthly_usd: -5 }, /monthly_usd.*more than 0/],
      [{ monthly_usd: 'ten' }, /monthly_usd.*number of US dollars/],
      [{}, /monthly_usd/],
    ] as const) {
      const refused = await h.call('PUT', `${BASE}/budget`, body, h.otherKey);
      assert.equal(refused.status, 400, JSON.stringify(body));
      assert.match(refused.body.detail, message);
    }

    const set = await h.call('PUT', `${BASE}/budget`, { monthly_usd: 0.000001 }, h.otherKey);
    assert.equal(set.status, 200, set.text);
    assert.equal(set.body.monthly_usd, 0.000001);
    assert.equal(
      (await h.call('GET', `${BASE}/budget`)).body.monthly_usd,
      null,
      'the other key is not affected',
    );

    const stopped = await waitAs(h.otherKey, await start({ sector: 'technology' }, h.otherKey));
    assert.equal(stopped.status, 'failed');
    assert.equal(stopped.stop_reason, 'budget');
    assert.match(stopped.error_message, /monthly budget of \$0\.000001/);
    assert.equal(stopped.chunks.completed, 0);
    assert.equal(stopped.cost_usd, 0, 'nothing spent past the budget');

    const cleared = await h.call('PUT', `${BASE}/budget`, { monthly_usd: null }, h.otherKey);
    assert.equal(cleared.body.monthly_usd, null);
    assert.equal(cleared.body.remaining_usd, null);
  });
});

describe('dry runs and budgets of the other generation requests', () => {
  const course = (extra: Record<string, unknown> = {}) => ({
    action: 'generate',
    input: {
      topic: 'Cloud computing',
      structureType: 'course',
      structure: {
        modules: [1, 2, 3].map((m) => ({
          title: `Module ${m}`,
          lessons: [1, 2, 3, 4, 5].map((l) => ({ title: `Lesson ${m}.${l}` })),
        })),
      },
      wordCountEstimates: { total: 6000 },
      contentMetadata: {},
    },
    ...extra,
  });

  it('an assessment dry run answers its chunks and cost without starting a job', async () => {
    const calls = h.stack.simulator?.stats().totalCalls;
    const response = await h.call('POST', '/generate_assessment', {
      query: 'photosynthesis',
      bloom_mix: '5 remember, 12 apply',
      dry_run: true,
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.job_type, 'assessment');
    assert.equal(response.body.estimate.chunks, 3, 'batches of 10 per Bloom level');
    assert.equal(response.body.estimate.questions, 17);
    assert.ok(response.body.estimate.cost_usd > 0);
    assert.equal(h.stack.simulator?.stats().totalCalls, calls);
  });

  it('a content dry run counts the sections (or the outline call) and prices them', async () => {
    const calls = h.stack.simulator?.stats().totalCalls;
    const planned = await h.call('POST', '/api/execute', course({ config: { dryRun: true } }));
    assert.equal(planned.status, 200, planned.text);
    assert.equal(planned.body.success, true);
    assert.equal(planned.body.data.dryRun, true);
    assert.equal(
      planned.body.data.sections,
      26,
      'overview, 3 x (introduction, 5 lessons, summary, assessment), conclusion',
    );
    assert.equal(planned.body.data.outlineCall, false);
    assert.ok(planned.body.data.estimate.cost > 0);
    assert.equal(planned.body.data.estimate.tokens.completion, 8000, '6000 words at 0.75 words a token');
    // Thoughts are billed as output: each section's call at the sections' level (LOW, 1,024 typical).
    assert.equal(planned.body.data.estimate.tokens.thinking, 26 * 1024);

    const empty = course({ config: { dryRun: true } });
    (empty.input as any).structure = {};
    const outlined = await h.call('POST', '/api/execute', empty);
    assert.equal(outlined.status, 200, outlined.text);
    assert.equal(outlined.body.data.outlineCall, true);
    assert.ok(outlined.body.data.sections > 2);
    assert.equal(h.stack.simulator?.stats().totalCalls, calls, 'no model call');
  });

  it('a content job over its maxCostUsd answers RESOURCE_LIMIT_EXCEEDED; a retry with a raised one finishes', async () => {
    const stopped = await h.call('POST', '/api/execute', course({ config: { maxCostUsd: 0.000001 } }));
    assert.equal(stopped.status, 429, stopped.text);
    assert.equal(stopped.body.metadata.details.code, 'RESOURCE_LIMIT_EXCEEDED');
    assert.match(stopped.body.metadata.details.context, /Stopped at its budget/);
    const id = stopped.body.metadata.details.jobId;

    const retried = await h.call('POST', `/api/jobs/${id}/retry`, { config: { maxCostUsd: 100 } });
    assert.equal(retried.status, 200, retried.text);
    let status: any;
    for (let i = 0; i < 600; i++) {
      status = (await h.call('GET', `/api/jobs/${id}/status`)).body.data;
      if (['completed', 'failed'].includes(status.status)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status.status, 'completed', JSON.stringify(status));
  });
});

describe('a Gemini daily quota', () => {
  it('ends the job failed, naming the quota and its reset, without cycling chunks through redeliveries', async () => {
    const sim = h.stack.simulator;
    assert.ok(sim, 'runs against the simulator');
    sim.resetStats();
    sim.configure({ rpd: 4 });
    try {
      const stopped = await waitAs(h.key, await start({ sector: 'construction' }));

      assert.equal(stopped.status, 'failed');
      assert.equal(stopped.stop_reason, 'quota');
      assert.match(
        stopped.error_message,
        /^Stopped: the daily Gemini quota GenerateRequestsPerDayPerProjectPerModel for \S+ ran out; it resets at midnight Pacific time \(\d{4}-\d\d-\d\dT\d\d:00:00\.000Z\)\. \d+ of \d+ chunks were not generated; finished chunks are kept/,
      );
      assert.ok(
        stopped.chunks.completed <= 4,
        `at most the day's 4 requests made chunks (${stopped.chunks.completed})`,
      );
      const daily429s = sim.stats().outcomes['429_daily'];
      const notGenerated = stopped.chunks.total - stopped.chunks.completed;
      assert.ok(
        daily429s >= 1 && daily429s <= notGenerated,
        `${daily429s} daily 429s for ${notGenerated} chunks: none redelivered`,
      );
    } finally {
      sim.configure({ rpd: undefined });
    }
  });
});
