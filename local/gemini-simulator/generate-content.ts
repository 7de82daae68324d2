/**
 * generateContent: one call's way from the key check through the quota window and its fault
 * to an answer, each call ending in exactly one counted outcome.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { answerFor, generationConfigOf, promptTexts, tokensFor } from './answers.ts';
import { checkDailyQuota, countDailyRequest } from './daily-quota.ts';
import {
  type ApiErrorBody,
  DEADLINE_EXCEEDED,
  errorBody,
  INTERNAL,
  quotaError,
  UNAVAILABLE,
} from './errors.ts';
import { chooseFault, injected429 } from './faults.ts';
import { checkKey, readJson, sendJson, wait } from './http.ts';
import { unitFrom } from './random.ts';
import { responseSchemaOf, schemaComplexityProblem } from './schema-complexity.ts';
import { countOutcome, type SimulatorState } from './state.ts';
import { thinkingRefusal } from './thinking.ts';

const QUOTA_WINDOW_MS = 60_000;

/** The 429 a call gets when it would exceed rpm or tpm over the last minute of accepted calls. */
function checkQuota(
  state: SimulatorState,
  now: number,
  promptTokens: number,
  model: string,
): ApiErrorBody | undefined {
  const { config } = state;
  state.quotaWindow = state.quotaWindow.filter((e) => e.at > now - QUOTA_WINDOW_MS);
  const window = state.quotaWindow;
  let delay = 0;
  let violated: ['requests' | 'input_token_count', number] | undefined;
  if (config.rpm !== undefined && window.length + 1 > config.rpm) {
    // The slot frees when the entry that keeps the window full slides out.
    const blocker = window[window.length - Math.floor(config.rpm)] ?? window[0];
    delay = Math.max(delay, (blocker?.at ?? now) + QUOTA_WINDOW_MS - now);
    violated = ['requests', config.rpm];
  }
  if (config.tpm !== undefined) {
    let used = window.reduce((sum, e) => sum + e.tokens, 0);
    if (used + promptTokens > config.tpm) {
      let freeAt = now + QUOTA_WINDOW_MS;
      for (const e of window) {
        used -= e.tokens;
        if (used + promptTokens <= config.tpm) {
          freeAt = e.at + QUOTA_WINDOW_MS;
          break;
        }
      }
      delay = Math.max(delay, freeAt - now);
      violated ??= ['input_token_count', config.tpm];
    }
  }
  return violated ? quotaError(model, violated[0], violated[1], delay) : undefined;
}

// The state's config and stats are read anew after every await: the admin endpoint may replace
// the config, and a reset the stats, while a call waits.
export async function generateContent(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  model: string,
  signal: AbortSignal,
): Promise<void> {
  state.stats.totalCalls += 1;
  state.stats.callsByModel[model] = (state.stats.callsByModel[model] ?? 0) + 1;
  const authError = checkKey(state.config, req, url);
  if (authError) {
    countOutcome(state, 'auth');
    return sendJson(res, authError.error.code, authError);
  }
  let body: Record<string, unknown>;
  try {
    body = await readJson(req);
  } catch (err) {
    countOutcome(state, 'bad_request');
    throw err;
  }
  // A thinking level the model does not take is refused before anything is counted against quota.
  const refusal = thinkingRefusal(model, generationConfigOf(body));
  if (refusal) {
    countOutcome(state, 'bad_request');
    return sendJson(res, refusal.error.code, refusal);
  }
  const tooComplex = schemaComplexityProblem(responseSchemaOf(body));
  if (tooComplex) {
    countOutcome(state, 'bad_request');
    return sendJson(res, 400, errorBody(400, 'INVALID_ARGUMENT', tooComplex));
  }
  const { all } = promptTexts(body);
  const promptTokens = tokensFor(all.reduce((n, t) => n + t.length, 0));
  const index = state.callIndex++;

  if (index < state.config.failFirstCalls) {
    countOutcome(state, '503');
    return sendJson(res, 503, UNAVAILABLE());
  }
  const overDay = checkDailyQuota(state, model, Date.now());
  if (overDay) {
    countOutcome(state, '429_daily');
    return sendJson(res, 429, overDay);
  }
  const overQuota = checkQuota(state, Date.now(), promptTokens, model);
  if (overQuota) {
    countOutcome(state, '429_quota');
    return sendJson(res, 429, overQuota);
  }
  const fault = chooseFault(state.config, index);
  if (fault === 'error429') {
    countOutcome(state, '429_injected');
    return sendJson(res, 429, injected429(state.config, model));
  }
  state.quotaWindow.push({ at: Date.now(), tokens: promptTokens });
  countDailyRequest(state, model, Date.now());
  state.stats.acceptedCalls += 1;

  if (fault === 'hang') {
    countOutcome(state, 'hang');
    if (await wait(state.config.hangMs, signal)) sendJson(res, 504, DEADLINE_EXCEEDED());
    return;
  }
  const { min, max } = state.config.latencyMs;
  const latency =
    (min + unitFrom(state.config.seed, 'latency', index) * (max - min)) * state.config.latencyScale;
  if (!(await wait(latency, signal))) {
    countOutcome(state, 'aborted');
    return;
  }

  if (fault === 'error500') {
    countOutcome(state, '500');
    return sendJson(res, 500, INTERNAL());
  }
  if (fault === 'error503') {
    countOutcome(state, '503');
    return sendJson(res, 503, UNAVAILABLE());
  }

  const answer = answerFor(state, body, model, fault, index);
  countOutcome(state, answer.outcome);
  const { stats } = state;
  stats.promptTokens += answer.promptTokens;
  stats.candidatesTokens += answer.candidatesTokens;
  stats.thoughtsTokens += answer.thoughtsTokens;
  stats.totalTokens += answer.promptTokens + answer.candidatesTokens + answer.thoughtsTokens;
  sendJson(res, 200, answer.response);
}
