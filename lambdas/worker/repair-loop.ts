/**
 * The generate–check–replace loop shared by every kind of chunk: ask the model for what is
 * still missing, keep what passes the checks and is admitted to its bank as new, and ask again
 * for replacements of the rest, telling the model why each was rejected, up to a bound.
 */
import type { TokenUsage } from '../domain/jobs.ts';
import { type ChunkQuality, chunkQualityOf } from '../domain/quality-report.ts';
import { modelAnswerSchema, type Rejection, rejectionOf } from '../domain/questions.ts';
import type { ModelAnswer } from '../gemini/gemini-client.ts';

export interface RepairLoop<Q> {
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
  /** One model call (with its own retries); `call` counts from 1. */
  ask(prompt: string, schema: unknown, call: number): Promise<ModelAnswer>;
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

export async function runRepairLoop<Q>(loop: RepairLoop<Q>): Promise<RepairOutcome<Q>> {
  const kept: Q[] = [];
  const keptCalls: number[] = [];
  const rejected: Rejection[] = [];
  let lastRejected: Rejection[] = [];
  const usage = zeroUsage();
  let calls = 0;
  while (kept.length < loop.count && calls < loop.maxCalls) {
    calls += 1;
    const need = loop.count - kept.length;
    const answer = await loop.ask(loop.prompt(need, lastRejected, kept), loop.schema(need), calls);
    addUsage(usage, answer.usage);
    const { items, problem } = itemsOf(answer);
    if (problem) {
      lastRejected = [rejectionOf(-1, '', [{ check: 'unusable_answer', reason: problem }])];
      rejected.push(...lastRejected);
      continue;
    }
    const checked = loop.check(items.slice(0, need), kept);
    const round = [...checked.rejected];
    if (items.length < need) {
      round.push(
        rejectionOf(-1, '', [
          { check: 'too_few_returned', reason: `only ${items.length} of ${need} questions were returned` },
        ]),
      );
    }
    const admitted = await loop.admit(checked.accepted);
    for (const question of admitted.kept) {
      kept.push(question);
      keptCalls.push(calls);
    }
    round.push(...admitted.refused);
    lastRejected = round;
    rejected.push(...round);
  }
  return {
    kept,
    keptCalls,
    quality: chunkQualityOf(loop.count, keptCalls, rejected),
    calls,
    rejected,
    lastRejected,
    usage,
  };
}
