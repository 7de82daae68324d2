/** Cost of model calls from the one price table, `data/pricing.json`. */
import { z } from 'zod';
import pricingJson from '#data/pricing.json' with { type: 'json' };

/** The tokens a model call used, as usageMetadata reports them (thinking billed as output). */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  thinking_tokens: number;
  cached_tokens: number;
}

const priceTableSchema = z.object({
  as_of: z.string(),
  currency: z.literal('USD'),
  /** What a batch-mode call costs, as a share of the interactive price. */
  batch_price_share: z.number().positive().max(1),
  models: z.record(
    z.string(),
    z.object({
      input_per_million: z.number().nonnegative(),
      output_per_million: z.number().nonnegative(),
      cached_input_per_million: z.number().nonnegative(),
      retires_on: z.string().optional(),
    }),
  ),
});

export const priceTable = priceTableSchema.parse(pricingJson);

/**
 * USD for one call's tokens. Cached input is billed at the cached rate and thinking at the
 * output rate; a model missing from the table costs 0 (the job reports its model, so this shows).
 * Calls made in Gemini's batch mode cost the table's batch share of that.
 */
export function costOf(model: string, usage: TokenUsage, options: { batch?: boolean } = {}): number {
  const price = priceTable.models[model];
  if (!price) return 0;
  const freshInput = Math.max(0, usage.input_tokens - usage.cached_tokens);
  const full =
    (freshInput * price.input_per_million +
      usage.cached_tokens * price.cached_input_per_million +
      (usage.output_tokens + usage.thinking_tokens) * price.output_per_million) /
    1_000_000;
  return options.batch ? full * priceTable.batch_price_share : full;
}
