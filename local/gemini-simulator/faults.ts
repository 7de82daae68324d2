/**
 * Faults: which one a call draws under the configured rates, and what each does to an answer.
 * The HTTP ones (error429, error500, error503, hang) replace the answer with an error; the
 * content ones shape a 200: malformedJson, truncated and safety break its text, badItems and
 * nearDuplicate keep it valid JSON that only a validator or a near-duplicate check rejects.
 */
import { type EffectiveConfig, FAULT_KINDS, type FaultKind } from './config.ts';
import { type ApiErrorBody, DEADLINE_EXCEEDED, INTERNAL, quotaError, UNAVAILABLE } from './errors.ts';
import { unitFrom } from './random.ts';
import { safetyRatings } from './refusals.ts';
import type { ArraySite, GenContext } from './schema-answers.ts';
import type { Outcome } from './state.ts';

/** The fault a uniform draw `u` lands on under the configured rates, if any. */
export function faultFor(config: EffectiveConfig, u: number): FaultKind | undefined {
  let edge = 0;
  for (const kind of FAULT_KINDS) {
    edge += config.faults[kind] ?? 0;
    if (u < edge) return kind;
  }
  return undefined;
}

/** The fault of the generateContent call with this index. */
export function chooseFault(config: EffectiveConfig, index: number): FaultKind | undefined {
  return faultFor(config, unitFrom(config.seed, 'fault', index));
}

export function injected429(config: EffectiveConfig, model: string): ApiErrorBody {
  return quotaError(model, 'requests', config.rpm ?? 60, config.injected429DelayMs);
}

/** The error a fault answers with instead of a response, for the faults that are HTTP errors. */
export function faultError(
  config: EffectiveConfig,
  fault: FaultKind | undefined,
  model: string,
): ApiErrorBody | undefined {
  return fault === 'error429'
    ? injected429(config, model)
    : fault === 'error500'
      ? INTERNAL()
      : fault === 'error503'
        ? UNAVAILABLE()
        : fault === 'hang'
          ? DEADLINE_EXCEEDED()
          : undefined;
}

/**
 * badItems and nearDuplicate spoil a generated answer in place; every answer's texts are
 * remembered, for a later nearDuplicate to echo.
 */
export function spoilAnswer(ctx: GenContext, fault: FaultKind | undefined, recentTexts: string[]): void {
  if (fault === 'badItems') corrupt(ctx);
  if (fault === 'nearDuplicate') echoEarlier(ctx, recentTexts);
  rememberTexts(ctx, recentTexts);
}

/**
 * badItems: valid JSON a validator must still reject. Two options of the innermost option-like
 * array (items keyed by an enum) share their text, and one enum answer that is not an item's key
 * (say a correct answer) names no allowed value; each falls back to the nearest similar site.
 */
function corrupt(ctx: GenContext): void {
  const { arrays, enums } = ctx.sites;
  const list = arrays.find((a) => a.enumKey && a.textKey) ?? arrays.find((a) => a.textKey ?? a.enumKey);
  const key = list?.textKey ?? list?.enumKey;
  const [first, second] = list?.items ?? [];
  if (key !== undefined && first && second) second[key] = first[key];
  const inList = new Set<unknown>(list?.items);
  const site = enums.find((e) => !e.slotted) ?? enums.find((e) => !inList.has(e.holder)) ?? enums[0];
  if (site) site.holder[site.key] = '[simulated] not-in-enum';
}

/** The outermost list of items with a text (the questions of an answer), if any. */
function outerTextSite(ctx: GenContext): (ArraySite & { textKey: string }) | undefined {
  const site = ctx.sites.arrays.at(-1);
  return site?.textKey ? (site as ArraySite & { textKey: string }) : undefined;
}

const RECENT_TEXTS = 200;

function rememberTexts(ctx: GenContext, recent: string[]): void {
  const site = outerTextSite(ctx);
  for (const item of site?.items ?? []) {
    const text = site ? item[site.textKey] : undefined;
    if (typeof text === 'string') recent.push(text);
  }
  recent.splice(0, Math.max(0, recent.length - RECENT_TEXTS));
}

/**
 * nearDuplicate: the last item's text becomes a light rewording of an earlier answer's item
 * (another chunk of the same run, as a model repeating itself would), or of this answer's first
 * item when there is no earlier answer. Valid JSON; only a near-duplicate check catches it.
 */
function echoEarlier(ctx: GenContext, recent: string[]): void {
  const site = outerTextSite(ctx);
  const last = site?.items.at(-1);
  if (!site || !last) return;
  const earlier =
    recent.length > 0 ? recent[Math.floor(ctx.rand() * recent.length)] : site.items[0]?.[site.textKey];
  if (typeof earlier === 'string' && site.items.length + recent.length >= 2)
    last[site.textKey] = `Briefly, ${earlier}`;
}

export interface ShapedCandidate {
  outcome: Outcome;
  finishReason: string;
  /** None when the answer is blocked. */
  parts: { text: string }[] | undefined;
  safetyRatings?: Record<string, unknown>[];
}

/**
 * The candidate a content fault makes of the answer's text (no fault: the text as it is). A
 * `policyStop` ends with `stopReason` and no content (`blockedPrompt` has no candidate at all:
 * see answers.ts).
 */
export function shapeCandidate(
  text: string,
  fault: FaultKind | undefined,
  stopReason = 'RECITATION',
): ShapedCandidate {
  let finishReason = 'STOP';
  let outcome: Outcome =
    fault === 'badItems' ? 'bad_items' : fault === 'nearDuplicate' ? 'near_duplicate' : 'ok';
  let parts: { text: string }[] | undefined = [{ text }];
  if (fault === 'malformedJson') {
    outcome = 'malformed';
    parts = [{ text: `[simulated] This is not JSON. ${text.slice(0, Math.max(1, text.length - 2))},,` }];
  } else if (fault === 'truncated') {
    outcome = 'truncated';
    finishReason = 'MAX_TOKENS';
    parts = [{ text: text.slice(0, Math.floor(text.length / 2)) }];
  } else if (fault === 'safety') {
    return {
      outcome: 'safety',
      finishReason: 'SAFETY',
      parts: undefined,
      safetyRatings: safetyRatings(true),
    };
  } else if (fault === 'policyStop') {
    return {
      outcome: 'policy_stop',
      finishReason: stopReason,
      parts: undefined,
      safetyRatings: safetyRatings(stopReason === 'SAFETY'),
    };
  }
  return { outcome, finishReason, parts };
}
