import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { TokenUsage } from '#jobs/job.ts';
import { costOf, priceTable } from '#platform/gemini/pricing.ts';

const MODEL = 'gemini-3.8-flash';
const usage = (overrides: Partial<TokenUsage> = {}): TokenUsage => ({
  input_tokens: 0,
  output_tokens: 0,
  thinking_tokens: 0,
  cached_tokens: 0,
  ...overrides,
});

describe('costOf', () => {
  const price = priceTable.models[MODEL];

  it('prices input and output per million tokens', () => {
    assert.ok(price);

    const cost = costOf(MODEL, usage({ input_tokens: 1_000_000, output_tokens: 2_000_000 }));

    assert.equal(cost, price.input_per_million + 2 * price.output_per_million);
  });

  it('bills cached input at the cached rate, not on top of the full rate', () => {
    assert.ok(price);

    const cost = costOf(MODEL, usage({ input_tokens: 1_000_000, cached_tokens: 400_000 }));

    assert.ok(
      Math.abs(cost - (0.6 * price.input_per_million + 0.4 * price.cached_input_per_million)) < 1e-12,
      String(cost),
    );
  });

  it('bills thinking tokens at the output rate', () => {
    assert.ok(price);

    const cost = costOf(MODEL, usage({ output_tokens: 500_000, thinking_tokens: 500_000 }));

    assert.equal(cost, price.output_per_million);
  });

  it('uses each model’s own prices', () => {
    const tokens = usage({ input_tokens: 1_000_000 });

    assert.notEqual(costOf('gemini-2.5-flash-lite', tokens), costOf('gemini-2.5-pro', tokens));
    assert.equal(costOf('gemini-2.5-pro', tokens), priceTable.models['gemini-2.5-pro']?.input_per_million);
  });

  it('costs 0 for a model missing from the table', () => {
    assert.equal(costOf('gemini-unknown', usage({ input_tokens: 1_000_000, output_tokens: 1_000_000 })), 0);
  });

  it('costs 0 for no tokens', () => {
    assert.equal(costOf(MODEL, usage()), 0);
  });
});
