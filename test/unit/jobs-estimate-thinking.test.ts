import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { estimate as economyEstimate } from '#content/api/economy.ts';
import { chunkReserveUsd } from '#jobs/chunk-budget.ts';
import { chunkUsage, DEFAULT_REPAIR_OVERHEAD, estimateChunks, historyOf } from '#jobs/estimate.ts';
import type { JobRecord } from '#jobs/job.ts';
import type { JobKind, ListedChunk } from '#jobs/kind.ts';
import type { GenerationSettings } from '#platform/config.ts';
import { costOf } from '#platform/gemini/pricing.ts';

const MODEL = 'gemini-3.8-flash';
const chunk = (key: string, questionCount = 25): ListedChunk => ({
  key,
  questionCount,
  promptTokens: () => 800,
});

describe('estimates include thinking', () => {
  it('count the thoughts of each chunk’s call at the configured level', () => {
    const usage = chunkUsage(chunk('a'), undefined, 3072);

    assert.equal(usage.thinking_tokens, 3072);

    const estimate = estimateChunks([chunk('a'), chunk('b')], {
      model: MODEL,
      requestsPerMinute: 60,
      thinkingTokensPerCall: 3072,
    });
    assert.equal(estimate.thinking_tokens, Math.round(2 * 3072 * (1 + DEFAULT_REPAIR_OVERHEAD)));
    const withoutThoughts = costOf(
      MODEL,
      {
        input_tokens: estimate.input_tokens,
        output_tokens: estimate.output_tokens,
        thinking_tokens: 0,
        cached_tokens: 0,
      },
      { at: Date.now() },
    );
    assert.ok(estimate.cost_usd > withoutThoughts, 'thoughts are priced as output');
  });

  it('learn thought tokens per question from finished jobs, and use them', () => {
    const history = historyOf([
      { input_tokens: 1000, output_tokens: 4000, thinking_tokens: 6000, questions_generated: 25 },
      { input_tokens: 1000, output_tokens: 4000, thinking_tokens: 4000, questions_generated: 25 },
    ]);

    assert.equal(history?.thinking_tokens_per_question, 200);
    const estimate = estimateChunks([chunk('a', 10)], {
      model: MODEL,
      requestsPerMinute: 60,
      history,
      thinkingTokensPerCall: 3072,
    });
    assert.equal(estimate.thinking_tokens, 2000, 'the measured figure, not the level’s');
  });
});

describe('budget reservations include thinking', () => {
  const settings = {
    model: MODEL,
    thinking: { questions: 'HIGH', sections: 'LOW', outline: 'MEDIUM', repair: 'MEDIUM' },
  } as unknown as GenerationSettings;
  const job = {
    job_id: 'j',
    job_type: 'career_level',
    parameters: {},
    model: MODEL,
    chunks_completed: 0,
    chunks_failed: 0,
    cost_usd: 0,
  } as unknown as JobRecord;
  const listing = { chunks: () => [chunk('a')] } as unknown as JobKind;
  const unlisting = {} as unknown as JobKind;

  it('reserve a listed chunk’s thoughts at the questions’ level', () => {
    const reserved = chunkReserveUsd(job, 'a', settings, listing);
    const visibleOnly =
      costOf(MODEL, { ...chunkUsage(chunk('a')), thinking_tokens: 0 }, { at: Date.now() }) * 1.1 * 1.2;
    const withThoughts =
      costOf(MODEL, chunkUsage(chunk('a'), undefined, 8192), { at: Date.now() }) * 1.1 * 1.2;

    assert.ok(Math.abs(reserved - withThoughts) < 1e-12, `${reserved} vs ${withThoughts}`);
    assert.ok(reserved > visibleOnly);
  });

  it('reserve a content section’s thoughts at the sections’ level', () => {
    const reserved = chunkReserveUsd(job, 'content__overview', settings, unlisting);
    const expected =
      costOf(
        MODEL,
        { input_tokens: 2000, output_tokens: 2500, thinking_tokens: 1024, cached_tokens: 0 },
        { at: Date.now() },
      ) *
      1.1 *
      1.2;

    assert.ok(Math.abs(reserved - expected) < 1e-12, `${reserved} vs ${expected}`);
  });
});

describe('the economy estimate includes thinking', () => {
  it('adds the thoughts of the section calls the tokens take, priced as completion', () => {
    const result = economyEstimate({ model: MODEL, estimatedTokens: 10_000 });

    // 8,000 completion tokens: 4 section calls at LOW (1,024 thought tokens each).
    assert.equal(result.estimate.tokens.thinking, 4 * 1024);
    assert.equal(result.estimate.tokens.total, 10_000, 'the client’s tokens, as the seed has it');
    const expected = costOf(
      MODEL,
      {
        input_tokens: 2000,
        output_tokens: 8000,
        thinking_tokens: 4 * 1024,
        cached_tokens: 0,
      },
      { at: Date.now() },
    );
    assert.ok(Math.abs(result.estimate.cost.totalRaw - expected) < 1e-6);
  });
});
