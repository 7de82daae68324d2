/**
 * What each Gemini model accepts and how it thinks, by model id, with the page each fact comes
 * from. Prices and retirement dates live apart, in the price table (`pricing.ts`).
 *
 * Sources (read December 2026):
 * - Thinking levels per model and their defaults: "Gemini thinking", section "Thinking levels",
 *   https://ai.google.dev/gemini-api/docs/generate-content/thinking#thinking-levels, and the
 *   model guides, e.g. "Developer's guide to Gemini 3.8 Flash" (supported thinking levels LOW,
 *   MEDIUM, HIGH, default MEDIUM; maximum output 65,536 tokens),
 *   https://docs.cloud.google.com/gemini-enterprise-agent-platform/models/guides/gemini-3-8-flash.
 *   From 3.7 Flash on, an explicit MINIMAL "will return an API validation error"
 *   (https://ai.google.dev/gemini-api/docs/latest-model). Gemini 2.5 models take a token
 *   `thinkingBudget` instead and answer an error to `thinkingLevel`.
 * - Thought tokens are billed as output ("response pricing is the sum of output tokens and
 *   thinking tokens", https://ai.google.dev/gemini-api/docs/thinking) and `maxOutputTokens`
 *   caps thoughts and answer together: a request's thoughts can use up the whole limit and end
 *   the answer with finishReason MAX_TOKENS (measured and reported in
 *   https://github.com/googleapis/python-genai/issues/2062).
 * - Sampling: the Gemini 3 developer guide asks to leave temperature at its default 1.0 (lower
 *   values can cause looping or degraded reasoning), https://ai.google.dev/gemini-api/docs/gemini-3;
 *   from Gemini 3.6 Flash and 3.5 Flash-Lite on, temperature, topP and topK are deprecated and
 *   ignored, https://ai.google.dev/gemini-api/docs/generate-content/whats-new-gemini-3.6.
 */

/** `GenerationConfig.thinkingConfig.thinkingLevel`, as the generateContent API spells it. */
export const THINKING_LEVELS = ['MINIMAL', 'LOW', 'MEDIUM', 'HIGH'] as const;
export type ThinkingLevel = (typeof THINKING_LEVELS)[number];

export interface ModelCapabilities {
  /** Levels the model accepts and the one it thinks at when none is sent; none for 2.5 models. */
  thinking?: { levels: readonly ThinkingLevel[]; default: ThinkingLevel };
  /** Whether temperature, topP and topK are documented (not deprecated) for the model. */
  samplingParameters: boolean;
  /** The model's largest `maxOutputTokens`, thoughts included. */
  maxOutputTokens: number;
}

const ALL_LEVELS: readonly ThinkingLevel[] = THINKING_LEVELS;
const NO_MINIMAL: readonly ThinkingLevel[] = ['LOW', 'MEDIUM', 'HIGH'];

const MODELS: Record<string, ModelCapabilities> = {
  'gemini-3.8-flash': {
    thinking: { levels: NO_MINIMAL, default: 'MEDIUM' },
    samplingParameters: false,
    maxOutputTokens: 65_536,
  },
  'gemini-3.7-flash': {
    thinking: { levels: NO_MINIMAL, default: 'MEDIUM' },
    samplingParameters: false,
    maxOutputTokens: 65_536,
  },
  'gemini-3.6-flash': {
    thinking: { levels: ALL_LEVELS, default: 'MEDIUM' },
    samplingParameters: false,
    maxOutputTokens: 65_536,
  },
  // Deprecated: Gemini serves its requests with 3.6 Flash, which ignores sampling parameters.
  'gemini-3.5-flash': {
    thinking: { levels: ALL_LEVELS, default: 'MEDIUM' },
    samplingParameters: false,
    maxOutputTokens: 65_536,
  },
  'gemini-3.5-flash-lite': {
    thinking: { levels: ALL_LEVELS, default: 'MINIMAL' },
    samplingParameters: false,
    maxOutputTokens: 65_536,
  },
  'gemini-3.1-pro-preview': {
    thinking: { levels: NO_MINIMAL, default: 'HIGH' },
    samplingParameters: true,
    maxOutputTokens: 65_536,
  },
  'gemini-2.5-flash-lite': { samplingParameters: true, maxOutputTokens: 65_536 },
  'gemini-2.5-flash': { samplingParameters: true, maxOutputTokens: 65_536 },
  'gemini-2.5-pro': { samplingParameters: true, maxOutputTokens: 65_536 },
};

/**
 * A model this table does not know: nothing optional is sent (no thinking level, no sampling
 * parameters), so the request asks only what every current model accepts.
 */
const UNKNOWN: ModelCapabilities = { samplingParameters: false, maxOutputTokens: 65_536 };

export function capabilitiesOf(model: string): ModelCapabilities {
  return MODELS[model] ?? UNKNOWN;
}

export function isKnownModel(model: string): boolean {
  return model in MODELS;
}

/**
 * The level to send for work configured at `level`: none for a model without thinking levels
 * (or one this table does not know), the level itself where the model accepts it, otherwise the
 * nearest level above that it accepts (MINIMAL becomes LOW on 3.8 Flash) rather than a request
 * Gemini refuses. Settings are checked against the configured model at synth time; a model
 * chosen per request (the content API's `config.model`) may accept fewer levels.
 */
export function thinkingLevelFor(model: string, level: ThinkingLevel): ThinkingLevel | undefined {
  const thinking = capabilitiesOf(model).thinking;
  if (!thinking) return undefined;
  if (thinking.levels.includes(level)) return level;
  const rank = THINKING_LEVELS.indexOf(level);
  return (
    THINKING_LEVELS.find((l, i) => i > rank && thinking.levels.includes(l)) ??
    [...thinking.levels].reverse().find((l) => THINKING_LEVELS.indexOf(l) < rank)
  );
}

/**
 * Thought tokens a call typically spends at each level, for estimates and budget reservations.
 * Gemini treats levels as relative allowances, not token counts; these are planning figures for
 * structured answers of a few thousand tokens (a 3.6 Flash call at MEDIUM already spent more than
 * 1,200 thought tokens on a short answer in the measurements of
 * https://github.com/vectorize-io/hindsight/issues/3365). History replaces them once a user's
 * jobs have measured their own.
 */
export const TYPICAL_THOUGHT_TOKENS: Record<ThinkingLevel, number> = {
  MINIMAL: 128,
  LOW: 1024,
  MEDIUM: 3072,
  HIGH: 8192,
};

/**
 * Room for thoughts on top of the visible answer's budget: well above the typical figure, since
 * thoughts that run out of room end the answer with MAX_TOKENS and cut JSON, which is paid for
 * and unusable. A call that still ends MAX_TOKENS asks again with a raised limit
 * (`outputLimit`'s `maxTokensStops`).
 */
export const THOUGHT_ALLOWANCE: Record<ThinkingLevel, number> = {
  MINIMAL: 1024,
  LOW: 4096,
  MEDIUM: 8192,
  HIGH: 24_576,
};

/** The level a model thinks at for work configured at `level`, as far as the table knows. */
function effectiveLevel(model: string, level: ThinkingLevel | undefined): ThinkingLevel | undefined {
  const sent = level ? thinkingLevelFor(model, level) : undefined;
  return sent ?? capabilitiesOf(model).thinking?.default;
}

/** Thought tokens one call is expected to spend (0 for a model without thinking levels). */
export function typicalThoughtTokens(model: string, level: ThinkingLevel | undefined): number {
  const effective = effectiveLevel(model, level);
  return effective ? TYPICAL_THOUGHT_TOKENS[effective] : 0;
}

/**
 * `maxOutputTokens` for a call whose visible answer needs up to `visibleTokens`: that plus room
 * for the thoughts of its level, doubled for each earlier answer of the same work that ended
 * MAX_TOKENS, never past the model's ceiling. Asking again with the limit that was just too small
 * would only pay for the same cut answer.
 */
export function outputLimit(options: {
  model: string;
  visibleTokens: number;
  level: ThinkingLevel | undefined;
  maxTokensStops?: number;
}): number {
  const { model, visibleTokens, level, maxTokensStops = 0 } = options;
  const effective = effectiveLevel(model, level);
  const base = Math.ceil(visibleTokens) + (effective ? THOUGHT_ALLOWANCE[effective] : 0);
  const ceiling = capabilitiesOf(model).maxOutputTokens;
  return Math.min(ceiling, base * 2 ** Math.min(maxTokensStops, 16));
}

export function isThinkingLevel(value: unknown): value is ThinkingLevel {
  return typeof value === 'string' && (THINKING_LEVELS as readonly string[]).includes(value);
}
