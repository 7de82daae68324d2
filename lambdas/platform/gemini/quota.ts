/**
 * Quotas that do not clear in minutes. Gemini answers every exhausted quota with 429
 * RESOURCE_EXHAUSTED; its `google.rpc.QuotaFailure` detail names the quota (`quotaId`, e.g.
 * "GenerateRequestsPerMinutePerProjectPerModel-FreeTier" or
 * "GenerateRequestsPerDayPerProjectPerModel-FreeTier") and a `google.rpc.RetryInfo` detail says
 * when to try again. A per-day quota will not clear for hours, so waiting for it only cycles a
 * chunk through its redeliveries: the job should end and say when the quota resets.
 *
 * Sources (checked December 2026):
 * - "Requests per day (RPD) quotas reset at midnight Pacific time."
 *   https://ai.google.dev/gemini-api/docs/rate-limits
 * - QuotaFailure { violations: [{ subject, description, quotaMetric, quotaId, quotaDimensions,
 *   quotaValue }] } and RetryInfo { retryDelay }:
 *   https://github.com/googleapis/googleapis/blob/master/google/rpc/error_details.proto
 * - Gemini bodies naming per-day quotas ("GenerateRequestsPerDayPerProjectPerModel",
 *   "GenerateRequestsPerDayPerProjectPerModel-FreeTier"):
 *   https://github.com/google-gemini/gemini-cli/issues/8437,
 *   https://github.com/langgenius/dify/issues/19838
 */

/** What a job's failure message starts with when a Gemini quota, not a fault, stopped it. */
export const QUOTA_EXHAUSTED = 'Gemini quota exhausted';

export interface QuotaStop {
  /** The quota that ran out, as Gemini names it; undefined when the 429 named none. */
  quotaId: string | undefined;
  /** The model it was counted for, when Gemini said. */
  model: string | undefined;
  /** When the quota resets: the next midnight Pacific time (ISO 8601). */
  resetsAt: string;
}

interface Violation {
  quotaId?: string;
  quotaMetric?: string;
  quotaDimensions?: { model?: string };
}

interface ErrorDetails {
  /** Whether the body was Gemini's error envelope: only then does a missing RetryInfo say anything. */
  envelope: boolean;
  violations: Violation[];
  hasRetryInfo: boolean;
}

function detailsOf(body: string): ErrorDetails {
  const found: ErrorDetails = { envelope: false, violations: [], hasRetryInfo: false };
  try {
    const parsed = JSON.parse(body) as { error?: { details?: unknown } };
    found.envelope = typeof parsed.error === 'object' && parsed.error !== null;
    const details = Array.isArray(parsed.error?.details) ? parsed.error.details : [];
    for (const detail of details as { '@type'?: string; violations?: unknown }[]) {
      const type = detail?.['@type'] ?? '';
      if (type.endsWith('google.rpc.RetryInfo')) found.hasRetryInfo = true;
      if (type.endsWith('google.rpc.QuotaFailure') && Array.isArray(detail.violations))
        found.violations.push(...(detail.violations as Violation[]));
    }
  } catch {
    // Not JSON (a batch request's error carries only a message): no details.
  }
  return found;
}

/** A per-day quota: "...PerDay..." in its id, or "per_day" in its metric. */
const isDaily = (v: Violation) => /PerDay/i.test(v.quotaId ?? '') || /per_day/i.test(v.quotaMetric ?? '');
const isPerMinute = (v: Violation) =>
  /PerMinute/i.test(v.quotaId ?? '') || /per_minute/i.test(v.quotaMetric ?? '');

/**
 * The quota stop a 429 body describes, if waiting will not help: a violation of a per-day quota
 * (whatever RetryInfo says, since a retry in seconds meets the same day's quota), or a 429
 * whose error envelope has no RetryInfo and names no per-minute quota to wait for. A bare message
 * (a batch request's error) says nothing either way: it stays a rate limit.
 */
export function quotaStopOf(body: string, now = new Date()): QuotaStop | undefined {
  const { envelope, violations, hasRetryInfo } = detailsOf(body);
  const daily = violations.find(isDaily);
  const mayClear = !envelope || hasRetryInfo || (violations.length > 0 && violations.every(isPerMinute));
  if (!daily && mayClear) return undefined;
  return {
    quotaId: daily?.quotaId,
    model: daily?.quotaDimensions?.model,
    resetsAt: nextPacificMidnight(now).toISOString(),
  };
}

/** The readable message of a quota stop, starting with QUOTA_EXHAUSTED. */
export function quotaStopMessage(stop: QuotaStop): string {
  const what = stop.quotaId
    ? `the daily Gemini quota ${stop.quotaId}${stop.model ? ` for ${stop.model}` : ''} ran out`
    : 'Gemini answered 429 without a retry delay, so a quota ran out that does not clear in minutes';
  return `${QUOTA_EXHAUSTED}: ${what}; it resets at midnight Pacific time (${stop.resetsAt})`;
}

/** Hours behind UTC of Pacific time at `at` (7 in summer, 8 in winter). */
function pacificOffsetHours(at: Date): number {
  const hour = Number(
    new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/Los_Angeles',
      hour: 'numeric',
      hourCycle: 'h23',
    }).format(at),
  );
  return (at.getUTCHours() - hour + 24) % 24;
}

/** The first midnight in America/Los_Angeles after `now`. */
export function nextPacificMidnight(now: Date): Date {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone: 'America/Los_Angeles',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(now);
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const wallMidnight = Date.UTC(part('year'), part('month') - 1, part('day') + 1);
  // The offset that applies at that midnight (a DST change happens at 02:00, after it).
  for (const hours of [8, 7]) {
    const candidate = new Date(wallMidnight + hours * 3_600_000);
    if (pacificOffsetHours(candidate) === hours) return candidate;
  }
  return new Date(wallMidnight + 8 * 3_600_000);
}

/**
 * Quota stops this container has met, by key and model: until the reset, a call that would
 * meet the same exhausted quota is not made (each chunk of the job left would otherwise spend
 * a request on the same 429).
 */
const stops = new Map<string, QuotaStop & { message: string }>();
const stopKey = (apiKey: string, model: string) => `${apiKey}|${model}`;

export function rememberQuotaStop(apiKey: string, model: string, stop: QuotaStop, message: string): void {
  stops.set(stopKey(apiKey, model), { ...stop, message });
}

/** The quota stop still in force for this key and model, if any. */
export function quotaStopInForce(
  apiKey: string,
  model: string,
  now = Date.now(),
): (QuotaStop & { message: string }) | undefined {
  const stop = stops.get(stopKey(apiKey, model));
  if (stop && Date.parse(stop.resetsAt) > now) return stop;
  stops.delete(stopKey(apiKey, model));
  return undefined;
}

/** For tests: forget every remembered stop. */
export function forgetQuotaStops(): void {
  stops.clear();
}
