/**
 * What a generation will cost before it runs: tokens per chunk from the real prompts (about
 * four characters a token, as Gemini's tokenizer averages on English), an output size per
 * question and the thoughts of each call at the configured thinking level (billed as output),
 * measured on the owner's own finished jobs when there are any, otherwise the defaults below;
 * cost at the price table's rates; and the least time the requests-per-minute quota allows.
 */

import { costOf, priceTable, servingModel } from '#platform/gemini/pricing.ts';
import type { TokenUsage } from './job.ts';
import type { ListedChunk } from './kind.ts';

/** Characters per token, for prompts we have not sent yet. */
export const CHARS_PER_TOKEN = 4;
/** Output tokens of one question (stem, four options, explanation, tags) when no history says otherwise. */
export const DEFAULT_OUTPUT_TOKENS_PER_QUESTION = 160;
/**
 * Extra calls per chunk for replacing rejected questions when no history says otherwise: the
 * gate rejects a few percent of questions, and a replacement call asks only for those.
 */
export const DEFAULT_REPAIR_OVERHEAD = 0.1;

/** Per-question figures measured on finished jobs: tokens in, out and thought. */
export interface UsageHistory {
  jobs: number;
  input_tokens_per_question: number;
  output_tokens_per_question: number;
  thinking_tokens_per_question: number;
}

export interface Estimate {
  chunks: number;
  questions: number;
  calls: number;
  input_tokens: number;
  output_tokens: number;
  /** Thought tokens, billed as output. */
  thinking_tokens: number;
  cost_usd: number;
  /** The quota bound: calls ÷ requests per minute. */
  minimum_seconds: number;
  model: string;
  basis: string;
}

/**
 * Tokens of one chunk's first call: its prompt in, its questions out, and the call's thoughts
 * (`thinkingTokensPerCall`, the typical figure of the configured level; see
 * `typicalThoughtTokens`), or what the owner's history measured per question.
 */
export function chunkUsage(
  chunk: ListedChunk,
  history?: UsageHistory,
  thinkingTokensPerCall = 0,
): TokenUsage {
  if (history) {
    return {
      input_tokens: Math.round(history.input_tokens_per_question * chunk.questionCount),
      output_tokens: Math.round(history.output_tokens_per_question * chunk.questionCount),
      thinking_tokens: Math.round(history.thinking_tokens_per_question * chunk.questionCount),
      cached_tokens: 0,
    };
  }
  return {
    input_tokens: chunk.promptTokens(),
    output_tokens:
      (chunk.outputTokensPerQuestion ?? DEFAULT_OUTPUT_TOKENS_PER_QUESTION) * chunk.questionCount,
    thinking_tokens: thinkingTokensPerCall,
    cached_tokens: 0,
  };
}

/** The owner's measured figures, from finished jobs' token counts (none when there are none). */
export function historyOf(
  finished: {
    input_tokens: number;
    output_tokens: number;
    thinking_tokens?: number;
    questions_generated: number;
  }[],
): UsageHistory | undefined {
  const useful = finished.filter((job) => job.questions_generated > 0 && job.output_tokens > 0);
  const questions = useful.reduce((sum, job) => sum + job.questions_generated, 0);
  if (questions === 0) return undefined;
  return {
    jobs: useful.length,
    input_tokens_per_question: useful.reduce((sum, job) => sum + job.input_tokens, 0) / questions,
    output_tokens_per_question: useful.reduce((sum, job) => sum + job.output_tokens, 0) / questions,
    thinking_tokens_per_question:
      useful.reduce((sum, job) => sum + (job.thinking_tokens ?? 0), 0) / questions,
  };
}

export function estimateChunks(
  chunks: ListedChunk[],
  options: {
    model: string;
    requestsPerMinute: number;
    history?: UsageHistory;
    batch?: boolean;
    /** Thought tokens of one call at the configured level, when no history says otherwise. */
    thinkingTokensPerCall?: number;
  },
): Estimate {
  const { model, requestsPerMinute, history, batch, thinkingTokensPerCall = 0 } = options;
  let input = 0;
  let output = 0;
  let thinking = 0;
  for (const chunk of chunks) {
    const usage = chunkUsage(chunk, history, thinkingTokensPerCall);
    input += usage.input_tokens;
    output += usage.output_tokens;
    thinking += usage.thinking_tokens;
  }
  // History already includes the replacement calls in its per-question figures.
  const overhead = history ? 0 : DEFAULT_REPAIR_OVERHEAD;
  const calls = Math.ceil(chunks.length * (1 + DEFAULT_REPAIR_OVERHEAD));
  const usage: TokenUsage = {
    input_tokens: Math.round(input * (1 + overhead)),
    output_tokens: Math.round(output * (1 + overhead)),
    thinking_tokens: Math.round(thinking * (1 + overhead)),
    cached_tokens: 0,
  };
  const priced = priceTable.models[model] !== undefined;
  return {
    chunks: chunks.length,
    questions: chunks.reduce((sum, chunk) => sum + chunk.questionCount, 0),
    calls,
    input_tokens: usage.input_tokens,
    output_tokens: usage.output_tokens,
    thinking_tokens: usage.thinking_tokens,
    // Today's rate of the model that will answer (a deprecated id is priced as its successor).
    cost_usd: roundUsd(costOf(servingModel(model), usage, { batch, at: Date.now() })),
    // Batch mode is not bound by the interactive quota: Gemini answers within 24 hours, mostly far sooner.
    minimum_seconds: batch ? 0 : Math.ceil((calls / requestsPerMinute) * 60),
    model,
    basis: [
      history
        ? `tokens per question measured on your last ${history.jobs} finished job(s)`
        : `tokens from the prompts (${CHARS_PER_TOKEN} characters a token), ${DEFAULT_OUTPUT_TOKENS_PER_QUESTION} output tokens a question and ${thinkingTokensPerCall} thought tokens a call (billed as output), plus ${DEFAULT_REPAIR_OVERHEAD * 100}% for replacing rejected questions`,
      priced ? `prices of ${priceTable.as_of}` : `${model} is not in the price table, so its cost shows as 0`,
      batch
        ? `batch mode at ${priceTable.batch_price_share * 100}% of the price, answered within 24 hours`
        : `time at ${requestsPerMinute} requests a minute`,
    ].join('; '),
  };
}

export function roundUsd(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}
