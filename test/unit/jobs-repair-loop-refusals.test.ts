import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { failureOf } from '#jobs/chunk-common.ts';
import {
  applyAnswer,
  newRepairState,
  nextCall,
  outcomeOf,
  type RepairSpec,
  wantsCall,
} from '#jobs/repair-loop.ts';
import type { ModelAnswer } from '#platform/gemini/gemini-client.ts';
import { afterRefusal, refusalOf } from '#platform/gemini/refusals.ts';

const usage = { input_tokens: 10, output_tokens: 0, thinking_tokens: 0, cached_tokens: 0 };
const refused = (over: Partial<ModelAnswer>): ModelAnswer => ({
  text: '',
  finishReason: undefined,
  usage,
  raw: {},
  modelVersion: undefined,
  ...over,
});

const spec: RepairSpec<string> = {
  count: 3,
  maxCalls: 4,
  prompt: (need) => `Write ${need} questions`,
  schema: () => ({}),
  check: () => ({ accepted: [], rejected: [] }),
  admit: async (questions) => ({ kept: questions, refused: [] }),
};

describe('refusalOf', () => {
  it('reads a blocked prompt from its blockReason, with no rephrased try', () => {
    assert.deepEqual(refusalOf({ blockReason: 'SAFETY' }), {
      what: 'prompt',
      reason: 'SAFETY',
      message: 'Gemini blocked the prompt: SAFETY',
      rephrase: undefined,
    });
  });

  it('offers one rephrased try for RECITATION and SAFETY stops only', () => {
    assert.match(refusalOf({ finishReason: 'RECITATION' })?.rephrase ?? '', /own original words/);
    assert.match(refusalOf({ finishReason: 'SAFETY' })?.rephrase ?? '', /educational/);
    for (const reason of ['PROHIBITED_CONTENT', 'SPII', 'BLOCKLIST', 'LANGUAGE']) {
      const refusal = refusalOf({ finishReason: reason });
      assert.equal(refusal?.message, `Gemini stopped the answer: ${reason}`);
      assert.equal(refusal?.rephrase, undefined, reason);
    }
  });

  it('is none for STOP, MAX_TOKENS and OTHER, which the repair loop treats as unusable answers', () => {
    for (const reason of ['STOP', 'MAX_TOKENS', 'OTHER', undefined])
      assert.equal(refusalOf({ finishReason: reason }), undefined);
  });
});

describe('the repair loop after a refusal', () => {
  it('stops at once after a blocked prompt, and the failure says so', async () => {
    const state = newRepairState<string>();
    await applyAnswer(spec, state, refused({ blockReason: 'PROHIBITED_CONTENT' }), 0);

    assert.equal(wantsCall(spec, state), false);
    const failure = failureOf({ questionCount: 3 }, 'chunk x', outcomeOf(spec, state));
    assert.match(
      failure.message,
      /^Gemini blocked the prompt: PROHIBITED_CONTENT, for chunk x \(0 of 3 questions kept after 1 model calls/,
    );
    assert.deepEqual(failure.usage, usage);
  });

  it('asks once more with original wording after RECITATION, then stops', async () => {
    const state = newRepairState<string>();
    await applyAnswer(spec, state, refused({ finishReason: 'RECITATION' }), 0);

    assert.equal(wantsCall(spec, state), true);
    const { prompt } = nextCall(spec, state);
    assert.match(prompt, /^Write 3 questions\n\n.*own original words/s);

    await applyAnswer(spec, state, refused({ finishReason: 'RECITATION' }), 0);
    assert.equal(wantsCall(spec, state), false);
    assert.equal(state.refused, 'Gemini stopped the answer: RECITATION (also after a rephrased try)');
  });
});

describe('afterRefusal, the one rule both loops follow', () => {
  const safety = {
    what: 'answer',
    reason: 'SAFETY',
    message: 'Gemini stopped the answer: SAFETY',
    rephrase: 'Keep it educational.',
  } as const;
  const prohibited = {
    what: 'answer',
    reason: 'PROHIBITED_CONTENT',
    message: 'Gemini stopped the answer: PROHIBITED_CONTENT',
    rephrase: undefined,
  } as const;

  it('rephrases once where rewording can help, then refuses for good', () => {
    assert.deepEqual(afterRefusal(safety, undefined), { rephrase: 'Keep it educational.' });
    assert.deepEqual(afterRefusal(safety, 'Keep it educational.'), {
      refused: 'Gemini stopped the answer: SAFETY (also after a rephrased try)',
    });
  });

  it('refuses at once what no rewording changes', () => {
    assert.deepEqual(afterRefusal(prohibited, undefined), {
      refused: 'Gemini stopped the answer: PROHIBITED_CONTENT',
    });
  });
});
