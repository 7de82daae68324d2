/**
 * The per-day request quota (`rpd`), per model as Gemini counts it
 * ("GenerateRequestsPerDayPerProjectPerModel"). Once a model's accepted calls of the day reach it,
 * generateContent answers 429 RESOURCE_EXHAUSTED with a QuotaFailure naming the daily quota and,
 * unlike the per-minute quotas, no RetryInfo: waiting seconds does not help.
 *
 * Sources (checked December 2026):
 * - "Requests per day (RPD) quotas reset at midnight Pacific time."
 *   https://ai.google.dev/gemini-api/docs/rate-limits
 * - A daily-quota 429 as the API sends it (QuotaFailure with quotaMetric
 *   "generativelanguage.googleapis.com/generate_requests_per_model_per_day" and quotaId
 *   "GenerateRequestsPerDayPerProjectPerModel", then a Help link, no RetryInfo):
 *   https://github.com/langgenius/dify/issues/19838
 */
import { type ApiErrorBody, quotaExceeded } from './errors.ts';
import type { SimulatorState } from './state.ts';

/** The Pacific calendar day of `at`: the quota's day. */
export function pacificDay(at: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Los_Angeles' }).format(at);
}

const dayKey = (model: string, at: number) => `${model}|${pacificDay(at)}`;

/** The 429 a call gets when its model has used up the day's requests. */
export function checkDailyQuota(state: SimulatorState, model: string, now: number): ApiErrorBody | undefined {
  const limit = state.config.rpd;
  if (limit === undefined) return undefined;
  if ((state.dailyRequests.get(dayKey(model, now)) ?? 0) < limit) return undefined;
  return dailyQuotaError(model, limit);
}

/** Counts an accepted call against its model's day. */
export function countDailyRequest(state: SimulatorState, model: string, now: number): void {
  const key = dayKey(model, now);
  state.dailyRequests.set(key, (state.dailyRequests.get(key) ?? 0) + 1);
}

export function dailyQuotaError(model: string, limit: number): ApiErrorBody {
  // No RetryInfo: waiting seconds does not help a quota that resets with its day.
  return quotaExceeded({
    model,
    quotaMetric: 'generativelanguage.googleapis.com/generate_requests_per_model_per_day',
    quotaId: 'GenerateRequestsPerDayPerProjectPerModel',
    limit,
  });
}
