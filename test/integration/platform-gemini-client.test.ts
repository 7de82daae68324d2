import assert from 'node:assert/strict';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { outcomesOf, replayOutcomes, resetSimulator } from '../support/gemini.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type GeminiClient = typeof import('#platform/gemini/gemini-client.ts');
type Quota = typeof import('#platform/gemini/quota.ts');
type Questions = typeof import('#jobs/questions.ts');

let sim: GeminiSimulator;
let aws: LocalAws;
let client: GeminiClient;
let quota: Quota;
let questions: Questions;

beforeAll(async () => {
  sim = await startGeminiSimulator();
  aws = await startLocalAws({ env: { GEMINI_BASE_URL: sim.url } });
  client = await import('#platform/gemini/gemini-client.ts');
  quota = await import('#platform/gemini/quota.ts');
  questions = await import('#jobs/questions.ts');
});

afterAll(async () => {
  await sim?.close();
  await aws?.stop();
});

beforeEach(() => {
  resetSimulator(sim);
  quota.forgetQuotaStops();
});

const request = (overrides: Partial<Parameters<GeminiClient['callModel']>[0]> = {}) => ({
  apiKey: 'test-key',
  model: 'gemini-3.8-flash',
  systemInstruction: 'You write multiple-choice questions.',
  prompt: 'Write exactly 2 questions about CSS.',
  responseSchema: questions.questionsResponseSchema(2),
  timeoutMs: 5000,
  ...overrides,
});

type Retry = { kind: string; attempt: number; delayMs: number };

const policy = (
  retries: Retry[] = [],
  overrides: Partial<Parameters<GeminiClient['callModelWithRetries']>[1]> = {},
) => ({
  maxAttempts: 5,
  baseDelayMs: 10,
  maxDelayMs: 50,
  requestsPerMinute: 60_000,
  deadline: Date.now() + 30_000,
  onRetry: (error: { kind: string }, attempt: number, delayMs: number) =>
    retries.push({ kind: error.kind, attempt, delayMs }),
  ...overrides,
});

describe('callModelWithRetries against the Gemini simulator', () => {
  it('returns the JSON text, the finish reason, the token usage and the raw response', async () => {
    sim.configure({ thoughtsTokens: 40 });

    const answer = await client.callModelWithRetries(request(), policy());

    const parsed = JSON.parse(answer.text) as { questions: unknown[] };
    assert.equal(parsed.questions.length, 2);
    assert.equal(answer.finishReason, 'STOP');
    const stats = sim.stats();
    assert.equal(answer.usage.input_tokens, stats.promptTokens);
    assert.equal(answer.usage.output_tokens, stats.candidatesTokens);
    assert.equal(answer.usage.thinking_tokens, 40);
    assert.equal(answer.usage.cached_tokens, 0);
    assert.ok(answer.usage.input_tokens > 0 && answer.usage.output_tokens > 0);
    assert.ok(JSON.stringify(answer.raw).includes('usageMetadata'));
  });

  it('reads a blocked prompt: its blockReason, the prompt tokens billed, promptFeedback kept raw', async () => {
    sim.configure({ faults: { blockedPrompt: 1 }, blockReason: 'PROHIBITED_CONTENT' });

    const answer = await client.callModelWithRetries(request(), policy());

    assert.equal(answer.blockReason, 'PROHIBITED_CONTENT');
    assert.equal(answer.text, '');
    assert.equal(answer.finishReason, undefined);
    assert.ok(answer.usage.input_tokens > 0);
    const raw = answer.raw as { promptFeedback?: { blockReason?: string } };
    assert.equal(raw.promptFeedback?.blockReason, 'PROHIBITED_CONTENT');
    assert.equal(sim.stats().totalCalls, 1, 'a 200 is not retried');
  });

  it('does not wait for a daily quota, and spends no further request on it until the reset', async () => {
    sim.configure({ rpd: 1 });
    const retries: Retry[] = [];
    await client.callModelWithRetries(request(), policy(retries));

    for (let i = 0; i < 2; i++) {
      await assert.rejects(client.callModelWithRetries(request(), policy(retries)), (error: unknown) => {
        assert.ok(error instanceof client.ModelCallError);
        assert.equal(error.kind, 'quota_exhausted');
        assert.equal(error.quota?.quotaId, 'GenerateRequestsPerDayPerProjectPerModel');
        assert.match(error.message, /resets at midnight Pacific time/);
        return true;
      });
    }
    assert.deepEqual(retries, []);
    assert.equal(sim.stats().totalCalls, 2, 'one 429, then none');
    assert.deepEqual(outcomesOf(sim.stats()), { ok: 1, '429_daily': 1 });
  });

  it('retries transient 503s and succeeds', async () => {
    sim.configure({ failFirstCalls: 2 });
    const retries: Retry[] = [];

    const answer = await client.callModelWithRetries(request(), policy(retries));

    assert.equal(answer.finishReason, 'STOP');
    assert.deepEqual(
      retries.map((r) => [r.kind, r.attempt]),
      [
        ['transient', 1],
        ['transient', 2],
      ],
    );
    assert.deepEqual(outcomesOf(sim.stats()), { '503': 2, ok: 1 });
  });

  it('gives up after maxAttempts calls with the last transient failure', async () => {
    sim.configure({ failFirstCalls: 10 });

    await assert.rejects(
      client.callModelWithRetries(request(), policy([], { maxAttempts: 3 })),
      (error: unknown) => {
        assert.ok(error instanceof client.ModelCallError);
        assert.equal(error.kind, 'transient');
        assert.equal(error.status, 503);
        assert.match(error.message, /UNAVAILABLE/);
        return true;
      },
    );
    assert.equal(sim.stats().totalCalls, 3);
  });

  it('does not retry a permanent failure (a key the API refuses)', async () => {
    sim.configure({ apiKey: 'the-right-key' });
    const retries: Retry[] = [];

    await assert.rejects(client.callModelWithRetries(request({ apiKey: 'a-wrong-key' }), policy(retries)), {
      name: 'ModelCallError',
      kind: 'permanent',
      status: 400,
    });
    assert.deepEqual(retries, []);
    assert.equal(sim.stats().totalCalls, 1);
  });

  it('waits the retryDelay a 429 announces before calling again', async () => {
    await replayOutcomes(sim, { error429: 0.5 }, ['429_injected', 'ok']);
    sim.configure({ injected429DelayMs: 400 });
    const retries: Retry[] = [];
    const started = Date.now();

    const answer = await client.callModelWithRetries(request(), policy(retries));

    const elapsed = Date.now() - started;
    assert.equal(answer.finishReason, 'STOP');
    assert.equal(retries.length, 1);
    assert.equal(retries[0]?.kind, 'rate_limited');
    // The backoff for anything else would be under baseDelayMs (10 ms).
    assert.ok((retries[0]?.delayMs ?? 0) >= 400, `waited ${retries[0]?.delayMs} ms`);
    assert.ok(elapsed >= 400, `took ${elapsed} ms`);
    assert.deepEqual(outcomesOf(sim.stats()), { '429_injected': 1, ok: 1 });
  });

  it('does not start a retry that could not finish before the deadline', async () => {
    sim.configure({ failFirstCalls: 5 });
    const retries: Retry[] = [];

    await assert.rejects(
      client.callModelWithRetries(
        request({ timeoutMs: 5000 }),
        policy(retries, { deadline: Date.now() + 2000 }),
      ),
      { name: 'ModelCallError', kind: 'transient' },
    );
    assert.deepEqual(retries, []);
    assert.equal(sim.stats().totalCalls, 1);
  });

  it('treats a call that outlives its timeout as transient', async () => {
    sim.configure({ latencyMs: { min: 3000, max: 3000 } });

    await assert.rejects(
      client.callModelWithRetries(request({ timeoutMs: 200 }), policy([], { maxAttempts: 1 })),
      (error: unknown) => {
        assert.ok(error instanceof client.ModelCallError);
        assert.equal(error.kind, 'transient');
        assert.equal(error.status, undefined);
        return true;
      },
    );
  });

  it('keeps to the shared requests-per-minute budget', async () => {
    const started = Date.now();

    for (let i = 0; i < 3; i++)
      await client.callModelWithRetries(request(), policy([], { requestsPerMinute: 300 }));

    // Three calls 200 ms apart: the third starts at least 400 ms after the first.
    assert.ok(Date.now() - started >= 400, `took ${Date.now() - started} ms`);
    assert.equal(sim.stats().outcomes.ok, 3);
  });
});
