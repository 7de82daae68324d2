/** Cost of model calls from the one price table, `data/pricing.json`. */
import { z } from 'zod';
import pricingJson from '../../data/pricing.json' with { type: 'json' };
import type { TokenUsage } from './jobs.ts';

const priceTableSchema = z.object({
  as_of: z.string(),
  currency: z.literal('USD'),
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
 */
export function costOf(model: string, usage: TokenUsage): number {
  const price = priceTable.models[model];
  if (!price) return 0;
  const freshInput = Math.max(0, usage.input_tokens - usage.cached_tokens);
  return (
    (freshInput * price.input_per_million +
      usage.cached_tokens * price.cached_input_per_million +
      (usage.output_tokens + usage.thinking_tokens) * price.output_per_million) /
    1_000_000
  );
}
