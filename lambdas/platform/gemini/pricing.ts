/**
 * Cost of model calls from the one price table, `data/pricing.json`, and the models it lists:
 * which are live on a day, which are retired, which deprecated id a newer model serves.
 *
 * Sources (also listed in the table): https://ai.google.dev/gemini-api/docs/pricing (rates and
 * their dated changes; Batch API at 50 %), https://ai.google.dev/gemini-api/docs/deprecations
 * (a shut-down model "is completely turned off, and the endpoint is no longer available").
 */
import { priceTable, type Rate } from './price-table.ts';

export { priceTable, type Rate };

/** The tokens a model call used, as usageMetadata reports them (thinking billed as output). */
export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
  thinking_tokens: number;
  cached_tokens: number;
}

/** A moment as epoch ms: call times come as Dates, ISO strings or numbers. */
export type When = Date | string | number;
const msOf = (at: When) => (at instanceof Date ? at.getTime() : typeof at === 'string' ? Date.parse(at) : at);
const dayMs = (isoDay: string) => Date.parse(`${isoDay}T00:00:00Z`);

/** The rate of `model` in force at `at`; undefined for a model the table does not list. */
export function rateAt(model: string, at: When): Rate | undefined {
  const periods = priceTable.models[model]?.prices;
  if (!periods) return undefined;
  const when = msOf(at);
  let rate = periods[0];
  for (const period of periods) if (period.from !== undefined && dayMs(period.from) <= when) rate = period;
  return rate;
}

/** Whether `model` was shut down by `at` (its retires_on day has begun). */
export function isRetired(model: string, at: When): boolean {
  const retiresOn = priceTable.models[model]?.retires_on;
  return retiresOn !== undefined && dayMs(retiresOn) <= msOf(at);
}

/** The generation models of the table that the API still serves at `at`, deprecated ones included. */
export function liveModels(at: When): string[] {
  return Object.keys(priceTable.models).filter((model) => !isRetired(model, at));
}

/** The model Gemini answers `model` with: its successor when deprecated and served by one. */
export function servingModel(model: string): string {
  return priceTable.models[model]?.served_by ?? model;
}

/**
 * The model a call is priced as: the one the response's `modelVersion` names ("The model version
 * used to generate the response", GenerateContentResponse in the API reference) when the table
 * knows it, otherwise the model that serves the requested id.
 */
export function pricedModel(requested: string, modelVersion?: string): string {
  const served = modelVersion?.replace(/^models\//, '');
  if (served && priceTable.models[served]) return served;
  return servingModel(requested);
}

export interface PricingOptions {
  /** When the call was made: it is priced at the rate in force then. */
  at: When;
  /** Made in Gemini's batch mode (billed at the table's batch share). */
  batch?: boolean;
}

/**
 * USD for one call's tokens at the rate in force at `options.at`. Cached input is billed at the
 * cached rate and thinking at the output rate; a model missing from the table costs 0 (the job
 * reports its model, so this shows). Calls made in batch mode cost the table's batch share.
 */
export function costOf(model: string, usage: TokenUsage, options: PricingOptions): number {
  const price = rateAt(model, options.at);
  if (!price) return 0;
  const freshInput = Math.max(0, usage.input_tokens - usage.cached_tokens);
  const full =
    (freshInput * price.input_per_million +
      usage.cached_tokens * price.cached_input_per_million +
      (usage.output_tokens + usage.thinking_tokens) * price.output_per_million) /
    1_000_000;
  return options.batch ? full * priceTable.batch_price_share : full;
}

/** USD of one answered call, priced as the model that served it at the time it was made. */
export function callCost(
  requested: string,
  answer: { usage: TokenUsage; modelVersion?: string | undefined },
  options: PricingOptions,
): number {
  return costOf(pricedModel(requested, answer.modelVersion), answer.usage, options);
}
