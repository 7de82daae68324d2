/**
 * `/api/economy/pricing` and `/api/economy/estimate` from the one price table
 * (`data/pricing.json`): only the Gemini models this service can call, each priced per 1k
 * tokens the way the seed shows prices.
 */
import { DEFAULTS, ENV, generationSettings, optionalEnv } from '#platform/config.ts';
import { typicalThoughtTokens } from '#platform/gemini/model-capabilities.ts';
import { costOf, isRetired, priceTable, type Rate, rateAt, servingModel } from '#platform/gemini/pricing.ts';
import { chooseModel } from '../model-choice.ts';
import { needsOutline, type OutlineSize, outlineSize } from '../outline.ts';
import { planSections, stagesOf } from '../plan.ts';
import { temperatureNote } from '../prompts.ts';
import type { ExecuteRequest } from '../request.ts';

/** The seed's rule of thumb: about 750 words per 1 000 tokens. */
export const WORDS_PER_TOKEN = 0.75;
/** Share of tokens that are prompt (input) when generating long content: the seed's 20/80. */
export const PROMPT_SHARE = 0.2;

/** Dollars as the seed writes them ("$0.0025"), to the millionth. */
const money = (usd: number) => (usd === 0 ? 'Free' : `$${Number.parseFloat(usd.toFixed(6))}`);

interface ModelPrice {
  model: string;
  promptPer1k: number;
  completionPer1k: number;
  retiresOn: string | undefined;
}

/** Every model of the table at the rate in force today (a deprecated id at its successor's). */
function models(): ModelPrice[] {
  const now = Date.now();
  return Object.entries(priceTable.models).map(([model, p]) => {
    const rate = rateAt(servingModel(model), now) as Rate;
    return {
      model,
      promptPer1k: rate.input_per_million / 1000,
      completionPer1k: rate.output_per_million / 1000,
      retiresOn: p.retires_on,
    };
  });
}

export function defaultModel(): string {
  return optionalEnv(ENV.geminiModel) ?? DEFAULTS.geminiModel;
}

/**
 * USD for `tokens` split 20/80 between prompt and completion, plus `thinking` thought tokens
 * billed at the completion rate (in `completionCost`).
 */
function costFor(price: ModelPrice, tokens: number, thinking = 0) {
  const prompt = Math.round(tokens * PROMPT_SHARE);
  const completion = tokens - prompt;
  const promptCost = (prompt / 1000) * price.promptPer1k;
  const completionCost = ((completion + thinking) / 1000) * price.completionPer1k;
  return { prompt, completion, promptCost, completionCost, total: promptCost + completionCost };
}

/** Visible output of one typical section call ("lesson: 1500-2000 tokens" in the pricing notes). */
const SECTION_OUTPUT_TOKENS = 2000;

/**
 * Thought tokens of generating `completion` visible tokens of content with `model`: one section
 * call per typical section's output, each thinking as the sections' configured level does.
 */
function thinkingFor(model: string, completion: number): number {
  const calls = completion > 0 ? Math.ceil(completion / SECTION_OUTPUT_TOKENS) : 0;
  return calls * typicalThoughtTokens(model, generationSettings().thinking.sections);
}

export function pricing() {
  const all = models();
  const live = all.filter((m) => !m.retiresOn || Date.parse(m.retiresOn) > Date.now());
  const byTotal = [...live].sort((a, b) => costFor(a, 1000).total - costFor(b, 1000).total);
  const cheapest = byTotal[0];
  const priciest = byTotal.at(-1);
  return {
    providers: [
      {
        provider: 'google',
        models: all.map((m) => ({
          model: m.model,
          pricing: {
            promptPer1k: money(m.promptPer1k),
            completionPer1k: money(m.completionPer1k),
            promptRaw: m.promptPer1k,
            completionRaw: m.completionPer1k,
          },
          example1k: money(costFor(m, 1000).total),
          example10k: money(costFor(m, 10_000).total),
          ...(m.retiresOn ? { retiresOn: m.retiresOn } : {}),
        })),
      },
    ],
    recommendations: {
      costEffective: cheapest && {
        provider: 'google',
        model: cheapest.model,
        reason: 'Lowest price per token of the models this service calls',
      },
      balanced: {
        provider: 'google',
        model: defaultModel(),
        reason: 'The model this deployment is configured to use',
      },
      highQuality: priciest && {
        provider: 'google',
        model: priciest.model,
        reason: 'The most capable (and most expensive) model in the price table',
      },
    },
    notes: {
      tokenEstimation: 'Roughly 750 words per 1000 tokens',
      typicalContent: {
        lesson: '1500-2000 tokens',
        module: '5000-8000 tokens',
        course: '50000-100000 tokens',
      },
      currency: priceTable.currency,
    },
    lastUpdated: priceTable.as_of,
  };
}

/** The prompt of one section: instructions, the outline, what earlier sections said. */
const SECTION_PROMPT_TOKENS = 1500;

/**
 * `config.dryRun`: the sections the request would generate (or, for an empty structure, the
 * outline its word total supports plus the call that writes it), their tokens from the word
 * targets, the cost and the least time the requests-per-minute quota allows. Nothing starts.
 */
export function contentDryRun(request: ExecuteRequest) {
  const settings = generationSettings();
  const { model, note } = chooseModel(request.config, settings.model);
  const outline = needsOutline(request);
  const sections = outline ? undefined : planSections(request);
  const size = outline
    ? outlineSize(request.input.structureType, request.input.wordCountEstimates.total)
    : undefined;
  const count = sections?.length ?? estimatedSections(size);
  const calls = count + (outline ? 1 : 0);
  // Thoughts are billed as output: each section's call at the sections' level, the outline's at its own.
  const thinking =
    count * typicalThoughtTokens(model, settings.thinking.sections) +
    (outline ? typicalThoughtTokens(model, settings.thinking.outline) : 0);
  const usage = {
    input_tokens: calls * SECTION_PROMPT_TOKENS,
    output_tokens: Math.round(request.input.wordCountEstimates.total / WORDS_PER_TOKEN),
    thinking_tokens: thinking,
    cached_tokens: 0,
  };
  const notes = [note, temperatureNote(request, model)].filter((n): n is string => n !== undefined);
  return {
    dryRun: true,
    structureType: request.input.structureType,
    sections: count,
    stages: sections ? stagesOf(sections).length : null,
    outlineCall: outline,
    estimate: {
      provider: 'google',
      model,
      calls,
      // Completion is the content's own tokens; the thoughts come on top (billed as completion).
      tokens: {
        prompt: usage.input_tokens,
        completion: usage.output_tokens,
        thinking: usage.thinking_tokens,
        total: usage.input_tokens + usage.output_tokens + usage.thinking_tokens,
      },
      cost: Number(costOf(servingModel(model), usage, { at: Date.now() }).toFixed(6)),
      minimumSeconds: Math.ceil((calls / settings.requestsPerMinute) * 60),
      basis: `completion tokens from wordCountEstimates.total (${WORDS_PER_TOKEN} words a token) plus the thoughts of each call at the configured thinking levels (sections ${settings.thinking.sections}, outline ${settings.thinking.outline}; billed as output), ${SECTION_PROMPT_TOKENS} prompt tokens a call, prices of ${priceTable.as_of}, time at ${settings.requestsPerMinute} requests a minute`,
    },
    ...(request.config.maxCostUsd !== undefined ? { maxCostUsd: request.config.maxCostUsd } : {}),
    ...(notes.length > 0 ? { notes } : {}),
  };
}

/** Sections of an outline of this size: its items, their lessons, and the fixed sections around them. */
function estimatedSections(size: OutlineSize | undefined): number {
  if (!size) return 0;
  const perItem = 1 + (size.lessonsPerItem ?? 0);
  return size.items * perItem + 2;
}

export interface EstimateRequest {
  provider?: string;
  model?: string;
  structureType?: string;
  estimatedTokens?: number;
  wordCount?: number;
}

export function estimate(request: EstimateRequest) {
  const all = models();
  const chosen =
    all.find((m) => m.model === (request.model ?? defaultModel())) ??
    all.find((m) => m.model === defaultModel());
  if (!chosen) throw new Error('The configured model is not in the price table');
  const tokens = request.estimatedTokens ?? Math.round((request.wordCount ?? 0) / WORDS_PER_TOKEN);
  const thinkingOf = (model: string) => thinkingFor(model, tokens - Math.round(tokens * PROMPT_SHARE));
  const thinking = thinkingOf(chosen.model);
  const cost = costFor(chosen, tokens, thinking);
  return {
    estimate: {
      provider: 'google',
      model: chosen.model,
      structureType: request.structureType ?? null,
      // The client's tokens split 20/80 (`total` stays theirs, as the seed has it), and the
      // thoughts generating them takes on top, billed as completion and in the cost.
      tokens: { prompt: cost.prompt, completion: cost.completion, thinking, total: tokens },
      cost: {
        prompt: money(cost.promptCost),
        completion: money(cost.completionCost),
        total: money(cost.total),
        totalRaw: Number(cost.total.toFixed(6)),
      },
      pricing: { promptPer1k: money(chosen.promptPer1k), completionPer1k: money(chosen.completionPer1k) },
    },
    // A model past its shutdown date is no alternative: every call to it answers 404.
    alternatives: all
      .filter((m) => m.model !== chosen.model && !isRetired(m.model, Date.now()))
      .map((m) => {
        const other = costFor(m, tokens, thinkingOf(m.model)).total;
        const savings = cost.total - other;
        return {
          provider: 'google',
          model: m.model,
          cost: money(other),
          savings: savings >= 0 ? money(savings) : `-${money(-savings)}`,
          note: savings >= 0 ? 'Cheaper for the same tokens' : 'More expensive; may give higher quality',
        };
      }),
    assumptions: {
      inputOutputRatio: `${PROMPT_SHARE * 100}/${(1 - PROMPT_SHARE) * 100}`,
      wordsPerToken: WORDS_PER_TOKEN,
      thinking: `${generationSettings().thinking.sections} thinking level, one call per ${SECTION_OUTPUT_TOKENS} completion tokens; thoughts are billed as completion`,
      pricesAsOf: priceTable.as_of,
    },
  };
}
