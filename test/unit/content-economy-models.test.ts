import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { estimate, pricing } from '#content/api/economy.ts';

describe('economy and the price table', () => {
  it('offers no model shut down on 2026-12-01 as an alternative', () => {
    const models = estimate({ estimatedTokens: 10_000 }).alternatives.map((a) => a.model);

    assert.ok(models.length > 0);
    assert.ok(!models.includes('gemini-2.5-flash') && !models.includes('gemini-2.5-pro'), models.join());
  });

  it('lists a deprecated id at the price of the model that serves it', () => {
    const listed = pricing().providers[0]?.models.find((m) => m.model === 'gemini-3.5-flash');

    assert.equal(listed?.pricing.completionRaw, 7.5 / 1000, "gemini-3.6-flash's $7.50 per million");
  });
});
