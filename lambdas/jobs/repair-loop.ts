/**
 * The generate–check–replace loop shared by every kind of chunk: ask the model for what is
 * still missing, keep what passes the checks and is admitted to its bank as new, and ask again
 * for replacements of the rest, telling the model why each was rejected, up to a bound.
 */

import type { ModelAnswer } from '#platform/gemini/gemini-client.ts';
import { callCost } from '#platform/gemini/pricing.ts';
import { afterRefusal, refusalOf } from '#platform/gemini/refusals.ts';
import type { TokenUsage } from './job.ts';
import { type ChunkQuality, chunkQualityOf } from './quality-report.ts';
import { modelAnswerSchema, type Rejection, rejectionOf } from './questions.ts';

/** What a chunk of questions asks and checks; `RepairLoop` adds how to call the model. */
export interface RepairSpec<Q> {
  count: number;
  maxCalls: number;
  prompt(need: number, lastRejected: Rejection[], kept: Q[]): string;
  schema(need: number): unknown;
  /** Checks raw items, given the questions kept so far. */
  check(items: unknown[], kept: Q[]): { accepted: Q[]; rejected: Rejection[] };
  /**
   * Adds questions that passed the checks to their bank, refusing those another chunk already
   * has (or has a near-copy of); see question-bank.ts.
   */
  admit(questions: Q[]): Promise<{ kept: Q[]; refused: Rejection[] }>;
}

/** What sizes a call's output limit: the questions it asks for, and earlier answers cut short. */
export interface CallSize {
  need: number;
  /** Answers of this chunk that ended MAX_TOKENS so far: each doubles the next limit. */
  maxTokensStops: number;
}

export interface RepairLoop<Q> extends RepairSpec<Q> {
  /** The model `ask` requests: each answer is priced as the model that served it (callCost). */
  model: string;
  /** One model call (with its own retries); `call` counts from 1. */
  ask(prompt: string, schema: unknown, call: number, size: CallSize): Promise<ModelAnswer>;
}

/** Where a chunk stands between model calls; plain data, so batch mode can keep it in S3. */
export interface RepairState<Q> {
  kept: Q[];
  keptCalls: number[];
  rejected: Rejection[];
  lastRejected: Rejection[];
  usage: TokenUsage;
  /**
   * USD of the answers so far, each priced when it was made: a chunk's calls can straddle a
   * price change. Absent in a batch state written before costs were kept per answer.
   */
  costUsd?: number;
  calls: number;
  /** Answers that ended MAX_TOKENS (absent in states kept before it was counted). */
  maxTokensStops?: number;
  /**
   * Added to every later prompt after Gemini stopped an answer for a reason rewording can
   * help with (see refusals.ts); set once, so a chunk gets one rephrased try, not more.
   */
  rephrase?: string;
  /** Gemini refused in a way asking again will not change: the chunk makes no more calls. */
  refused?: string;
}

export interface RepairOutcome<Q> {
  kept: Q[];
  /** The model call each kept question came from (1 = the first answer). */
  keptCalls: number[];
  quality: ChunkQuality;
  calls: number;
  rejected: Rejection[];
  lastRejected: Rejection[];
  usage: TokenUsage;
  costUsd: number;
  /** Why Gemini refused the chunk for good, when it did ("Gemini blocked the prompt: SAFETY"). */
  refused?: string;
}

export const zeroUsage = (): TokenUsage => ({
  input_tokens: 0,
  output_tokens: 0,
  thinking_tokens: 0,
  cached_tokens: 0,
});

export function addUsage(total: TokenUsage, more: TokenUsage): void {
  total.input_tokens += more.input_tokens;
  total.output_tokens += more.output_tokens;
  total.thinking_tokens += more.thinking_tokens;
  total.cached_tokens += more.cached_tokens;
}

/** Parses the model's JSON; an unusable answer becomes one rejection that says why. */
export function itemsOf(answer: ModelAnswer): { items: unknown[]; problem?: string } {
  if (answer.finishReason && answer.finishReason !== 'STOP') {
    return { items: [], problem: `the answer stopped early (finishReason ${answer.finishReason})` };
  }
  try {
    const parsed = modelAnswerSchema.safeParse(JSON.parse(answer.text));
    if (!parsed.success) return { items: [], problem: 'the answer did not have a "questions" array' };
    return { items: parsed.data.questions };
  } catch {
    return { items: [], problem: 'the answer was not valid JSON' };
  }
}

export const newRepairState = <Q>(): RepairState<Q> => ({
  kept: [],
  keptCalls: [],
  rejected: [],
  lastRejected: [],
  usage: zeroUsage(),
  costUsd: 0,
  calls: 0,
  maxTokensStops: 0,
});

/** Whether the chunk still lacks questions and may make another call. */
export const wantsCall = <Q>(spec: RepairSpec<Q>, state: RepairState<Q>) =>
  state.kept.length < spec.count && state.calls < spec.maxCalls && state.refused === undefined;

/** The next call's prompt and schema: the questions still missing, and why the last were rejected. */
export function nextCall<Q>(spec: RepairSpec<Q>, state: RepairState<Q>) {
  const need = spec.count - state.kept.length;
  const prompt = spec.prompt(need, state.lastRejected, state.kept);
  return {
    prompt: state.rephrase ? `${prompt}\n\n${state.rephrase}` : prompt,
    schema: spec.schema(need),
    call: state.calls + 1,
    size: { need, maxTokensStops: state.maxTokensStops ?? 0 },
  };
}

/**
 * One answer into the state: its tokens and cost (`costUsd`, priced by the caller, who knows
 * when and how it was asked) added, checked, admitted to the bank, its rejections kept.
 */
export async function applyAnswer<Q>(
  spec: RepairSpec<Q>,
  state: RepairState<Q>,
  answer: ModelAnswer,
  costUsd: number,
): Promise<void> {
  state.calls += 1;
  const need = spec.count - state.kept.length;
  addUsage(state.usage, answer.usage);
  state.costUsd = (state.costUsd ?? 0) + costUsd;
  // Thoughts and answer share the output limit; the next call asks with a higher one.
  if (answer.finishReason === 'MAX_TOKENS') state.maxTokensStops = (state.maxTokensStops ?? 0) + 1;
  const refusal = refusalOf(answer);
  if (refusal) {
    // One rephrased try where rewording can help, then no more calls (see afterRefusal).
    const next = afterRefusal(refusal, state.rephrase);
    if ('rephrase' in next) state.rephrase = next.rephrase;
    else state.refused = next.refused;
    state.lastRejected = [rejectionOf(-1, '', [{ check: 'unusable_answer', reason: refusal.message }])];
    state.rejected.push(...state.lastRejected);
    return;
  }
  const { items, problem } = itemsOf(answer);
  if (problem) {
    state.lastRejected = [rejectionOf(-1, '', [{ check: 'unusable_answer', reason: problem }])];
    state.rejected.push(...state.lastRejected);
    return;
  }
  const checked = spec.check(items.slice(0, need), state.kept);
  const round = [...checked.rejected];
  if (items.length < need) {
    round.push(
      rejectionOf(-1, '', [
        { check: 'too_few_returned', reason: `only ${items.length} of ${need} questions were returned` },
      ]),
    );
  }
  const admitted = await spec.admit(checked.accepted);
  for (const question of admitted.kept) {
    state.kept.push(question);
    state.keptCalls.push(state.calls);
  }
  round.push(...admitted.refused);
  state.lastRejected = round;
  state.rejected.push(...round);
}

export function outcomeOf<Q>(spec: RepairSpec<Q>, state: RepairState<Q>): RepairOutcome<Q> {
  return {
    ...state,
    costUsd: state.costUsd ?? 0,
    quality: chunkQualityOf(spec.count, state.keptCalls, state.rejected),
  };
}

export async function runRepairLoop<Q>(loop: RepairLoop<Q>): Promise<RepairOutcome<Q>> {
  const state = newRepairState<Q>();
  while (wantsCall(loop, state)) {
    const { prompt, schema, call, size } = nextCall(loop, state);
    const at = Date.now();
    const answer = await loop.ask(prompt, schema, call, size);
    await applyAnswer(loop, state, answer, callCost(loop.model, answer, { at }));
  }
  return outcomeOf(loop, state);
}
