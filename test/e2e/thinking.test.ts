/**
 * Thinking end to end, against a simulator that thinks as Gemini 3 does (gemini-3.8-flash at
 * MEDIUM unless told otherwise, thoughts counted against maxOutputTokens): jobs complete with the
 * default settings, record exactly the thought tokens Gemini reported, and estimates count them.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { costOf } from '#platform/gemini/pricing.ts';
import { BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';

let h: Harness;

const simulator = () => {
  const sim = h.stack.simulator;
  assert.ok(sim, 'the local stack runs the simulator');
  return sim;
};

/** A course the granulator structured: 2 modules of 2 lessons, and no `config` at all. */
const course = {
  action: 'generate',
  input: {
    granulatorJobId: 9,
    topic: 'CSS Grid',
    structureType: 'course',
    structure: {
      modules: [1, 2].map((m) => ({
        title: `Module ${m}`,
        lessons: [1, 2].map((l) => ({ title: `Lesson ${m}.${l}` })),
      })),
    },
    wordCountEstimates: { total: 4000 },
    contentMetadata: {},
  },
};

beforeAll(async () => {
  h = await startHarness({ env: { CONTENT_REQUESTS_PER_MINUTE: '100000' } });
});

afterAll(async () => {
  await h?.stop();
});

describe('thinking', () => {
  it('completes a course without config: every section has room for its thoughts', async () => {
    simulator().resetStats();

    const response = await h.call('POST', '/api/execute', course);

    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.success, true);
    const stats = simulator().stats();
    assert.equal(stats.outcomes.truncated, 0, 'no answer ended MAX_TOKENS');
    assert.ok(stats.thoughtsTokens > 0, 'the simulator thought');
    // Output as the seed reports it: visible answer and thoughts, both billed as output.
    assert.equal(response.body.usage.tokens.output, stats.candidatesTokens + stats.thoughtsTokens);
  });

  it('accepts config.temperature, and says in the job’s notes that gemini-3.8-flash was not sent it', async () => {
    const response = await h.call('POST', '/api/execute', { ...course, config: { temperature: 0.3 } });

    assert.equal(response.status, 200, response.text);
    assert.ok(
      response.body.metadata.notes.some((n: string) => /^config\.temperature \(0\.3\) was not sent/.test(n)),
      JSON.stringify(response.body.metadata.notes),
    );
  });

  it('records on a career-level job exactly the thought tokens Gemini reported', async () => {
    simulator().resetStats();

    const started = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'technology',
      career: 'BACKEND_DEVELOPER',
      level: 2,
    });
    assert.equal(started.status, 202, started.text);
    const job = await waitForJob(h, started.body.job_id);

    assert.equal(job.status, 'completed', job.error_message);
    const stats = simulator().stats();
    assert.ok(stats.thoughtsTokens > 0);
    assert.equal(job.tokens.thinking_tokens, stats.thoughtsTokens);
    assert.equal(job.tokens.output_tokens, stats.candidatesTokens);
    const usage = {
      input_tokens: job.tokens.input_tokens,
      output_tokens: job.tokens.output_tokens,
      thinking_tokens: job.tokens.thinking_tokens,
      cached_tokens: job.tokens.cached_tokens,
    };
    assert.ok(
      Math.abs(job.cost_usd - costOf(job.model, usage, { at: Date.now() })) <= 1e-6,
      'thoughts are billed as output',
    );
  });

  it('counts the thoughts of the configured level in a dry run and its cost', async () => {
    // The other key has no finished jobs, so no history replaces the level's figures.
    const response = await h.call(
      'POST',
      `${BASE}/generate/career-level/async`,
      { sector: 'technology', career: 'DATA_SCIENTIST', level: 3, dry_run: true },
      h.otherKey,
    );

    assert.equal(response.status, 200, response.text);
    const { estimate } = response.body;
    // One chunk, its first call at MEDIUM (3,072 thought tokens typical) plus 10% for replacements.
    assert.equal(estimate.thinking_tokens, Math.round(3072 * 1.1));
    const cost = costOf(
      estimate.model,
      {
        input_tokens: estimate.input_tokens,
        output_tokens: estimate.output_tokens,
        thinking_tokens: estimate.thinking_tokens,
        cached_tokens: 0,
      },
      { at: Date.now() },
    );
    assert.ok(Math.abs(estimate.cost_usd - cost) <= 1e-6);
    assert.match(estimate.basis, /3072 thought tokens a call/);
  });

  it('counts the thoughts of every section in a content dry run', async () => {
    const response = await h.call('POST', '/api/execute', { ...course, config: { dryRun: true } });

    assert.equal(response.status, 200, response.text);
    const { estimate } = response.body.data;
    // Sections think at LOW (1,024 thought tokens typical each).
    assert.ok(estimate.tokens.thinking >= 1024 * 4, JSON.stringify(estimate.tokens));
    assert.equal(estimate.tokens.thinking % 1024, 0);
    assert.match(estimate.basis, /thinking levels \(sections LOW, outline MEDIUM/);
  });
});
