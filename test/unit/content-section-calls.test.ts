/**
 * The model calls of a content loop (a section's, a regenerated question's): what is added up,
 * and the refusal rule (one rephrased try where rewording can help, then no more calls).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { SectionCalls } from '#content/section-calls.ts';
import type { ModelTuning } from '#jobs/chunk-common.ts';
import { generationSettings } from '#platform/config.ts';
import type { ModelAnswer } from '#platform/gemini/gemini-client.ts';

const MODEL = generationSettings().model;

interface Asked {
  prompt: string;
  call: number;
  tuning: ModelTuning;
}

/** A caller answering with `answers` in turn, recording what it was asked. */
function scripted(answers: Partial<ModelAnswer>[]) {
  const asked: Asked[] = [];
  const ask = async (prompt: string, _schema: unknown, call: number, tuning: ModelTuning = {}) => {
    asked.push({ prompt, call, tuning });
    return {
      text: '{}',
      finishReason: 'STOP',
      usage: { input_tokens: 100, output_tokens: 50, thinking_tokens: 10, cached_tokens: 0 },
      raw: {},
      modelVersion: MODEL,
      ...answers[asked.length - 1],
    } as ModelAnswer;
  };
  return { ask, asked };
}

const byStops = (call: number, maxTokensStops: number): ModelTuning => ({
  maxOutputTokens: 1000 * (1 + maxTokensStops),
  temperature: call / 10,
});

describe('SectionCalls', () => {
  it('adds up tokens and cost, counts MAX_TOKENS stops and tunes each call by its number and the stops before it', async () => {
    const { ask, asked } = scripted([{ finishReason: 'MAX_TOKENS' }, {}, {}]);
    const calls = new SectionCalls(ask, MODEL, 3);
    for (let i = 0; i < 3; i++) assert.ok('answer' in (await calls.call('Write it', {}, byStops)));
    assert.equal(calls.calls, 3);
    assert.equal(calls.more, false, 'no call left');
    assert.equal(calls.maxTokensStops, 1);
    assert.deepEqual(calls.usage, {
      input_tokens: 300,
      output_tokens: 150,
      thinking_tokens: 30,
      cached_tokens: 0,
    });
    assert.ok(calls.costUsd > 0);
    assert.deepEqual(
      asked.map(({ call, tuning }) => [call, tuning.maxOutputTokens]),
      [
        [1, 1000],
        [2, 2000],
        [3, 2000],
      ],
    );
  });

  it('gives a SAFETY stop one rephrased try, added to every later prompt, and stops after a second refusal', async () => {
    const { ask, asked } = scripted([{ finishReason: 'SAFETY' }, {}, { finishReason: 'SAFETY' }]);
    const calls = new SectionCalls(ask, MODEL, 5);
    assert.deepEqual(await calls.call('Write it', {}, byStops), {
      refusal: 'Gemini stopped the answer: SAFETY',
    });
    assert.equal(calls.more, true);
    assert.ok('answer' in (await calls.call('Write it', {}, byStops)));
    assert.deepEqual(await calls.call('Write it again', {}, byStops), {
      refusal: 'Gemini stopped the answer: SAFETY',
    });
    assert.equal(asked[0]?.prompt, 'Write it');
    assert.match(asked[1]?.prompt ?? '', /^Write it\n\n.*educational/s);
    assert.match(asked[2]?.prompt ?? '', /^Write it again\n\n.*educational/s);
    assert.equal(calls.refused, 'Gemini stopped the answer: SAFETY (also after a rephrased try)');
    assert.equal(calls.more, false, 'the same request would be refused again');
  });

  it('asks nothing more after a refusal rewording cannot help with, or a blocked prompt', async () => {
    for (const [answer, message] of [
      [{ finishReason: 'SPII' }, 'Gemini stopped the answer: SPII'],
      [{ blockReason: 'PROHIBITED_CONTENT' }, 'Gemini blocked the prompt: PROHIBITED_CONTENT'],
    ] as const) {
      const calls = new SectionCalls(scripted([answer]).ask, MODEL, 5);
      assert.deepEqual(await calls.call('Write it', {}, byStops), { refusal: message });
      assert.equal(calls.refused, message);
      assert.equal(calls.more, false);
      assert.equal(calls.calls, 1);
    }
  });
});
