import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { TokenUsage } from '#jobs/job.ts';
import type { ModelAnswer } from '#platform/gemini/gemini-client.ts';
import {
  callCost,
  costOf,
  isRetired,
  liveModels,
  pricedModel,
  priceTable,
  rateAt,
  servingModel,
} from '#platform/gemini/pricing.ts';

const MODEL = 'gemini-3.8-flash';
/** A day on which every rate of the table below is the first one. */
const AT = '2026-12-06T12:00:00Z';
const usage = (overrides: Partial<TokenUsage> = {}): TokenUsage => ({
  input_tokens: 0,
  output_tokens: 0,
  thinking_tokens: 0,
  cached_tokens: 0,
  ...overrides,
});
const MILLION_EACH = usage({ input_tokens: 1_000_000, output_tokens: 1_000_000 });

describe('costOf', () => {
  const price = rateAt(MODEL, AT);

  it('prices input and output per million tokens', () => {
    assert.ok(price);

    const cost = costOf(MODEL, usage({ input_tokens: 1_000_000, output_tokens: 2_000_000 }), { at: AT });

    assert.equal(cost, price.input_per_million + 2 * price.output_per_million);
  });

  it('bills cached input at the cached rate, not on top of the full rate', () => {
    assert.ok(price);

    const cost = costOf(MODEL, usage({ input_tokens: 1_000_000, cached_tokens: 400_000 }), { at: AT });

    assert.ok(
      Math.abs(cost - (0.6 * price.input_per_million + 0.4 * price.cached_input_per_million)) < 1e-12,
      String(cost),
    );
  });

  it('bills thinking tokens at the output rate', () => {
    assert.ok(price);

    const cost = costOf(MODEL, usage({ output_tokens: 500_000, thinking_tokens: 500_000 }), { at: AT });

    assert.equal(cost, price.output_per_million);
  });

  it('uses each model’s own prices', () => {
    const tokens = usage({ input_tokens: 1_000_000 });

    assert.notEqual(
      costOf('gemini-2.5-flash-lite', tokens, { at: AT }),
      costOf('gemini-2.5-pro', tokens, { at: AT }),
    );
    assert.equal(
      costOf('gemini-2.5-pro', tokens, { at: AT }),
      rateAt('gemini-2.5-pro', AT)?.input_per_million,
    );
  });

  it('bills batch mode at the table’s batch share', () => {
    assert.equal(
      costOf(MODEL, MILLION_EACH, { at: AT, batch: true }),
      costOf(MODEL, MILLION_EACH, { at: AT }) * priceTable.batch_price_share,
    );
  });

  it('costs 0 for a model missing from the table', () => {
    assert.equal(costOf('gemini-unknown', MILLION_EACH, { at: AT }), 0);
  });

  it('costs 0 for no tokens', () => {
    assert.equal(costOf(MODEL, usage(), { at: AT }), 0);
  });
});

describe('dated prices', () => {
  // The pricing page: $0.75 / $3.75 "through December 31, 2026", $1.50 / $7.50 "starting January 1, 2027".
  it('prices a call on 2026-12-31 at the 2026 rate of gemini-3.8-flash', () => {
    assert.equal(costOf(MODEL, MILLION_EACH, { at: '2026-12-31T23:59:59Z' }), 0.75 + 3.75);
  });

  it('prices a call on 2027-01-01 at the 2027 rate of gemini-3.8-flash', () => {
    assert.equal(costOf(MODEL, MILLION_EACH, { at: '2027-01-01T00:00:00Z' }), 1.5 + 7.5);
  });

  it('prices a batch call at the rate of its own day too', () => {
    assert.equal(
      costOf(MODEL, MILLION_EACH, { at: new Date('2027-03-01T00:00:00Z'), batch: true }),
      (1.5 + 7.5) / 2,
    );
  });

  it('publishes gemini-3.5-flash at $1.50 / $9.00', () => {
    assert.deepEqual(
      [rateAt('gemini-3.5-flash', AT)?.input_per_million, rateAt('gemini-3.5-flash', AT)?.output_per_million],
      [1.5, 9],
    );
  });

  it('keeps its sources and as-of date', () => {
    assert.ok(priceTable.sources.includes('https://ai.google.dev/gemini-api/docs/pricing'));
    assert.match(priceTable.as_of, /^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('served model', () => {
  const answer = (modelVersion: string | undefined): Pick<ModelAnswer, 'usage' | 'modelVersion'> => ({
    usage: MILLION_EACH,
    modelVersion,
  });

  it('prices a call as the model its response says served it', () => {
    assert.equal(pricedModel('gemini-3.5-flash', 'gemini-3.6-flash'), 'gemini-3.6-flash');
    assert.equal(callCost('gemini-3.5-flash', answer('gemini-3.6-flash'), { at: AT }), 1.5 + 7.5);
  });

  it('prices a deprecated id as its successor when the response names no known model', () => {
    assert.equal(servingModel('gemini-3.5-flash'), 'gemini-3.6-flash');
    assert.equal(callCost('gemini-3.5-flash', answer(undefined), { at: AT }), 1.5 + 7.5);
    assert.equal(callCost('gemini-3.5-flash', answer('models/gemini-v9-internal'), { at: AT }), 1.5 + 7.5);
  });

  it('reads a modelVersion with the models/ prefix', () => {
    assert.equal(pricedModel('gemini-3.6-flash', 'models/gemini-3.8-flash'), 'gemini-3.8-flash');
  });

  it('prices a live model as itself', () => {
    assert.equal(callCost(MODEL, answer(MODEL), { at: AT }), 0.75 + 3.75);
  });
});

describe('retirement', () => {
  it('retires gemini-2.5-flash and gemini-2.5-pro on 2026-12-01', () => {
    for (const model of ['gemini-2.5-flash', 'gemini-2.5-pro']) {
      assert.equal(isRetired(model, '2026-11-30T23:59:59Z'), false, model);
      assert.equal(isRetired(model, '2026-12-01T00:00:00Z'), true, model);
    }
  });

  it('lists the live models of a day, deprecated but served ones included', () => {
    const live = liveModels(AT);
    assert.ok(live.includes(MODEL) && live.includes('gemini-3.5-flash'), live.join());
    assert.ok(!live.includes('gemini-2.5-flash') && !live.includes('gemini-2.5-pro'), live.join());
  });
});
