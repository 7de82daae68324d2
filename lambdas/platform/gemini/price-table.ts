/**
 * The one price table, `data/pricing.json`, checked against its schema. The check is the same
 * on every cold start, so the deployed bundles run it at bundle time and carry its result
 * (`lib/bundling.ts`, `PREBUILT_MODULES`): a table that fails it fails `cdk synth`, and no
 * function loads zod just for it. Sources of the figures: see `pricing.ts`.
 */
import * as z from 'zod';
import pricingJson from '#data/pricing.json' with { type: 'json' };

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2027-01-01');

const rateSchema = z.object({
  /** The first day (UTC) of this rate; the first period has none: it applies since release. */
  from: day.optional(),
  input_per_million: z.number().nonnegative(),
  output_per_million: z.number().nonnegative(),
  cached_input_per_million: z.number().nonnegative(),
});
export type Rate = z.infer<typeof rateSchema>;

const modelSchema = z.object({
  prices: z
    .array(rateSchema)
    .min(1)
    .refine(
      (periods) =>
        periods[0]?.from === undefined &&
        periods.slice(1).every((p, i) => p.from !== undefined && (periods[i]?.from ?? '') < p.from),
      'the first period has no "from", each later one a "from" after the one before',
    ),
  /** Shutdown day (UTC): from then on the API no longer serves the id. */
  retires_on: day.optional(),
  deprecated: z.boolean().optional(),
  /** The model Gemini answers a deprecated id with. */
  served_by: z.string().optional(),
});

const priceTableSchema = z
  .object({
    as_of: day,
    currency: z.literal('USD'),
    sources: z.array(z.url()).min(1),
    notes: z.array(z.string()).optional(),
    /** What a batch-mode call costs, as a share of the interactive price. */
    batch_price_share: z.number().positive().max(1),
    models: z.record(z.string(), modelSchema),
    /** Embedding models, priced per million input tokens. */
    embedding_models: z.record(z.string(), z.object({ input_per_million: z.number().nonnegative() })),
  })
  .refine(
    (table) =>
      Object.values(table.models).every((m) => m.served_by === undefined || table.models[m.served_by]),
    'served_by names a model of the table',
  );

export const priceTable = priceTableSchema.parse(pricingJson);
