/**
 * Thinking as Gemini 3 models do it: a level per request (the model's default when none is
 * sent), thought tokens reported in `usageMetadata.thoughtsTokenCount`, and thoughts and answer
 * sharing `maxOutputTokens`, so thoughts that leave too little room cut the answer and end it with
 * finishReason MAX_TOKENS. A level the model does not accept is refused with 400.
 *
 * This table is the simulator's own reading of the documentation, kept apart from the service's
 * (`lambdas/platform/gemini/model-capabilities.ts`) so that a mistake in one shows in tests
 * instead of being shared by the client and its stand-in. Sources:
 * - levels and defaults: https://ai.google.dev/gemini-api/docs/generate-content/thinking#thinking-levels
 *   and the model guides (3.8 Flash: LOW, MEDIUM, HIGH, default MEDIUM,
 *   https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/guides/gemini-3-8-flash);
 *   an explicit MINIMAL on 3.7 Flash and later "will return an API validation error"
 *   (https://ai.google.dev/gemini-api/docs/latest-model), answered as
 *   `400 INVALID_ARGUMENT "Thinking level MINIMAL is not supported for this model. Please retry
 *   with other thinking level."` (the body Gemini returns, quoted in
 *   https://github.com/egoist/chatwise-releases/issues/1206); Gemini 2.5 models take a
 *   `thinkingBudget` and answer an error to a `thinkingLevel`;
 * - thoughts count against `maxOutputTokens` (measured: thoughtsTokenCount + candidatesTokenCount
 *   land on the limit and the answer ends MAX_TOKENS, https://github.com/googleapis/python-genai/issues/2062);
 * - with no `maxOutputTokens`, the limit is the model's output ceiling, 65,536 tokens.
 */
import type { EffectiveConfig } from './config.ts';
import { type ApiErrorBody, errorBody } from './errors.ts';
import { asCount, field, isRecord } from './json.ts';
import { unitFrom } from './random.ts';

const LEVELS = ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH'] as const;
type Level = (typeof LEVELS)[number];

const ALL: readonly Level[] = LEVELS;
const NO_MINIMAL: readonly Level[] = ['LOW', 'MEDIUM', 'HIGH'];

const MODEL_LEVELS: Record<string, { levels: readonly Level[]; default: Level }> = {
  'gemini-3.8-flash': { levels: NO_MINIMAL, default: 'MEDIUM' },
  'gemini-3.7-flash': { levels: NO_MINIMAL, default: 'MEDIUM' },
  'gemini-3.6-flash': { levels: ALL, default: 'MEDIUM' },
  'gemini-3.5-flash': { levels: ALL, default: 'MEDIUM' },
  'gemini-3.5-flash-lite': { levels: ALL, default: 'MINIMAL' },
  'gemini-3.1-pro-preview': { levels: NO_MINIMAL, default: 'HIGH' },
};

/** Models that think by token budget and refuse a level. */
const BUDGET_MODELS = new Set(['gemini-2.5-flash-lite', 'gemini-2.5-flash', 'gemini-2.5-pro']);

const OUTPUT_CEILING = 65_536;

/**
 * Thought tokens of one answer at each level, before a spread of ±25% drawn from the request:
 * deterministic, and of the size real calls report for structured answers of a few thousand
 * tokens.
 */
const THOUGHTS_BY_LEVEL: Record<Level, number> = { MINIMAL: 128, LOW: 1024, MEDIUM: 3072, HIGH: 8192 };

function thinkingConfigOf(generationConfig: Record<string, unknown> | undefined) {
  const thinking = field(generationConfig, 'thinkingConfig');
  return isRecord(thinking) ? thinking : undefined;
}

function invalid(message: string): ApiErrorBody {
  return errorBody(400, 'INVALID_ARGUMENT', message);
}

/** The 400 Gemini answers to the request's thinking config, or none when the model takes it. */
export function thinkingRefusal(
  model: string,
  generationConfig: Record<string, unknown> | undefined,
): ApiErrorBody | undefined {
  const thinking = thinkingConfigOf(generationConfig);
  const level = field(thinking, 'thinkingLevel');
  if (level === undefined || level === 'THINKING_LEVEL_UNSPECIFIED') return undefined;
  if (typeof level !== 'string' || !(LEVELS as readonly string[]).includes(level))
    return invalid(
      `Invalid value at 'generation_config.thinking_config.thinking_level' (type.googleapis.com/google.ai.generativelanguage.v1beta.ThinkingConfig.ThinkingLevel), ${JSON.stringify(level)}`,
    );
  if (field(thinking, 'thinkingBudget') !== undefined)
    return invalid('[simulated] thinking_budget and thinking_level cannot be set in the same request.');
  if (BUDGET_MODELS.has(model)) return invalid('Thinking level is not supported for this model.');
  const known = MODEL_LEVELS[model];
  if (known && !known.levels.includes(level as Level))
    return invalid(
      `Thinking level ${level} is not supported for this model. Please retry with other thinking level.`,
    );
  return undefined;
}

/**
 * thoughtsTokenCount of an answer: the configured fixed count when the simulator is told one
 * (capped by the request's thinkingBudget), otherwise by the level the request sends or the
 * model's default, drawn from the request. Budget models think only when given a budget.
 */
export function thoughtsFor(
  config: EffectiveConfig,
  model: string,
  generationConfig: Record<string, unknown> | undefined,
  ref: string,
): number {
  const thinking = thinkingConfigOf(generationConfig);
  const budget = asCount(field(thinking, 'thinkingBudget'));
  if (config.thoughtsTokens !== undefined)
    return Math.max(0, Math.min(config.thoughtsTokens, budget ?? Number.POSITIVE_INFINITY));
  const sent = field(thinking, 'thinkingLevel');
  const level = (LEVELS as readonly unknown[]).includes(sent)
    ? (sent as Level)
    : MODEL_LEVELS[model]?.default;
  const spread = 0.75 + 0.5 * unitFrom(config.seed, 'thoughts', ref);
  if (level) return Math.round(THOUGHTS_BY_LEVEL[level] * spread);
  // A budget model (or one the table does not know): thinks only when given a budget (-1: dynamic).
  if (budget === undefined || budget === 0) return 0;
  return budget < 0 ? Math.round(THOUGHTS_BY_LEVEL.MEDIUM * spread) : Math.round(budget * spread);
}

/** The request's `maxOutputTokens`, or the model's ceiling when it sends none. */
export function outputLimitOf(generationConfig: Record<string, unknown> | undefined): number {
  const limit = asCount(field(generationConfig, 'maxOutputTokens'));
  return limit !== undefined && limit > 0 ? Math.min(limit, OUTPUT_CEILING) : OUTPUT_CEILING;
}

/**
 * Thoughts come first and take what they need of the limit; the visible answer gets the rest,
 * cut at about four characters a token when it does not fit (then the answer ends MAX_TOKENS).
 */
export function fitToLimit(
  thoughts: number,
  visibleText: string,
  visibleTokens: number,
  limit: number,
): { thoughts: number; text: string; tokens: number; cut: boolean } {
  const spent = Math.min(thoughts, limit);
  const room = limit - spent;
  if (visibleTokens <= room) return { thoughts: spent, text: visibleText, tokens: visibleTokens, cut: false };
  return { thoughts: spent, text: visibleText.slice(0, room * 4), tokens: room, cut: true };
}
