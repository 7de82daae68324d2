/**
 * Open questions are longer than multiple-choice ones: estimates and budget reservations count
 * their output as such, and their calls get room for a model answer.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { assessmentBasics, OPEN_OUTPUT_TOKENS_PER_QUESTION } from '#assessments/kind-basics.ts';
import { questionCallTuning } from '#jobs/chunk-common.ts';
import { chunkUsage, DEFAULT_OUTPUT_TOKENS_PER_QUESTION } from '#jobs/estimate.ts';

const parameters = {
  query: 'photosynthesis',
  bloom_mix: { remember: 2 },
  subjective_mix: { remember: 2 },
};

describe('open questions in estimates and output limits', () => {
  it('estimates an open chunk at the open questions’ output size, an MCQ chunk at the default', () => {
    const chunks = assessmentBasics.chunks?.('assessment', parameters, {} as never) ?? [];
    const open = chunks.find((c) => c.key.includes('__open__'));
    const mcq = chunks.find((c) => !c.key.includes('__open__'));
    assert.ok(open && mcq, JSON.stringify(chunks.map((c) => c.key)));

    assert.equal(chunkUsage(open).output_tokens, OPEN_OUTPUT_TOKENS_PER_QUESTION * open.questionCount);
    assert.equal(chunkUsage(mcq).output_tokens, DEFAULT_OUTPUT_TOKENS_PER_QUESTION * mcq.questionCount);
    assert.ok(OPEN_OUTPUT_TOKENS_PER_QUESTION > DEFAULT_OUTPUT_TOKENS_PER_QUESTION);
  });

  it('gives a call for open questions more room than one for as many MCQs', () => {
    const settings = { thinking: { questions: 'LOW', repair: 'LOW' } } as never;
    const size = { need: 5, maxTokensStops: 0 };
    const mcq = questionCallTuning(settings, 'gemini-3.8-flash', 1, size);
    const open = questionCallTuning(settings, 'gemini-3.8-flash', 1, { ...size, tokensPerQuestion: 800 });

    assert.ok((open.maxOutputTokens ?? 0) > (mcq.maxOutputTokens ?? 0), JSON.stringify({ mcq, open }));
  });
});
