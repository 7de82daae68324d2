/**
 * The repair loop prices each answer when its call was made and as the model that served it,
 * so a chunk whose calls straddle gemini-3.8-flash's price change on 2027-01-01 pays each
 * call's own rate.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it, vi } from 'vitest';
import type { RepairLoop } from '#jobs/repair-loop.ts';
import { runRepairLoop } from '#jobs/repair-loop.ts';
import type { ModelAnswer } from '#platform/gemini/gemini-client.ts';

const MILLION_EACH = {
  input_tokens: 1_000_000,
  output_tokens: 1_000_000,
  thinking_tokens: 0,
  cached_tokens: 0,
};

/** A loop wanting one item per call, whose calls happen at the given moments. */
function loop(model: string, callTimes: string[], modelVersion: string | undefined): RepairLoop<string> {
  return {
    model,
    count: callTimes.length,
    maxCalls: callTimes.length,
    prompt: () => 'one more',
    schema: () => ({}),
    // Only the first item of each answer is wanted, so each call keeps one.
    check: (items) => ({ accepted: items.slice(0, 1) as string[], rejected: [] }),
    admit: async (questions) => ({ kept: questions, refused: [] }),
    ask: async (_prompt, _schema, call): Promise<ModelAnswer> => {
      vi.setSystemTime(new Date(callTimes[call - 1] ?? ''));
      const answer: ModelAnswer = {
        text: JSON.stringify({ questions: [`item ${call}`] }),
        finishReason: 'STOP',
        usage: MILLION_EACH,
        raw: {},
        modelVersion,
      };
      // The answer arrives later than the call was made: it is priced at the call's time.
      vi.setSystemTime(new Date(Date.parse(callTimes[call - 1] ?? '') + 5_000));
      return answer;
    },
  };
}

describe('repair loop pricing', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('prices a call on 2026-12-31 and one on 2027-01-01 each at its own rate', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });

    const outcome = await runRepairLoop(
      loop('gemini-3.8-flash', ['2026-12-31T23:59:58Z', '2027-01-01T00:00:00Z'], 'gemini-3.8-flash'),
    );

    assert.equal(outcome.calls, 2);
    assert.equal(outcome.costUsd, 0.75 + 3.75 + (1.5 + 7.5));
  });

  it('prices each call as the model its response names', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });

    const outcome = await runRepairLoop(
      loop('gemini-3.5-flash', ['2026-12-06T12:00:00Z'], 'gemini-3.6-flash'),
    );

    assert.equal(outcome.costUsd, 1.5 + 7.5, "gemini-3.6-flash's rate, not 3.5 Flash's $1.50 / $9.00");
  });
});
