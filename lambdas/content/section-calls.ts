/**
 * The model calls of one content loop, a section's (content-job.ts) or a regenerated question's
 * (regenerate.ts), and what both keep of them: tokens and cost added up, answers stopped at the
 * output limit counted (the next call asks with a higher one: prompts.ts, chunk-common.ts), and
 * refusals handled by the one rule every loop follows (platform/gemini/refusals.ts: one
 * rephrased try where rewording can help, then no more calls).
 */
import type { ModelTuning, modelCaller } from '#jobs/chunk-common.ts';
import { addUsage, zeroUsage } from '#jobs/repair-loop.ts';
import type { ModelAnswer } from '#platform/gemini/gemini-client.ts';
import { callCost } from '#platform/gemini/pricing.ts';
import { afterRefusal, refusalOf } from '#platform/gemini/refusals.ts';

type Ask = ReturnType<typeof modelCaller>;

export class SectionCalls {
  readonly usage = zeroUsage();
  costUsd = 0;
  /** Calls made so far; the call being made is number `calls` once `call` has counted it. */
  calls = 0;
  maxTokensStops = 0;
  /** Why the model refused for good: set, no call follows. */
  refused: string | undefined;
  /** Added to every later prompt after a refusal that rewording can help with. */
  private rephrase: string | undefined;
  private readonly ask: Ask;
  private readonly model: string;
  private readonly maxCalls: number;

  constructor(ask: Ask, model: string, maxCalls: number) {
    this.ask = ask;
    this.model = model;
    this.maxCalls = maxCalls;
  }

  /** Whether the loop may call again: calls left, and no refusal for good. */
  get more(): boolean {
    return this.calls < this.maxCalls && this.refused === undefined;
  }

  /**
   * One call, tuned for its number and the output-limit stops before it. Gives the answer to
   * check, or a refusal's message (for the next prompt's problems; `refused` says whether
   * there is a next one).
   */
  async call(
    prompt: string,
    responseSchema: unknown,
    tuning: (call: number, maxTokensStops: number) => ModelTuning,
  ): Promise<{ answer: ModelAnswer } | { refusal: string }> {
    this.calls += 1;
    const at = Date.now();
    const answer = await this.ask(
      this.rephrase ? `${prompt}\n\n${this.rephrase}` : prompt,
      responseSchema,
      this.calls,
      tuning(this.calls, this.maxTokensStops),
    );
    addUsage(this.usage, answer.usage);
    this.costUsd += callCost(this.model, answer, { at });
    if (answer.finishReason === 'MAX_TOKENS') this.maxTokensStops += 1;
    const refusal = refusalOf(answer);
    if (!refusal) return { answer };
    const next = afterRefusal(refusal, this.rephrase);
    if ('refused' in next) this.refused = next.refused;
    else this.rephrase = next.rephrase;
    return { refusal: refusal.message };
  }
}
