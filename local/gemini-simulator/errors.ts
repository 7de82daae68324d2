/**
 * Errors as Gemini answers them (`{ error: { code, message, status, details } }`), with the
 * details real clients read: a quota failure and its retry delay, an invalid key.
 */
import type { IncomingMessage } from 'node:http';

export interface ApiErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

export function errorBody(code: number, status: string, message: string, details?: unknown[]): ApiErrorBody {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

/** google.protobuf.Duration in JSON: seconds with up to millisecond precision, e.g. "7s", "0.5s". */
export function formatRetryDelay(ms: number): string {
  const millis = Math.max(1, Math.ceil(ms));
  return `${Number((millis / 1000).toFixed(3))}s`;
}

export interface QuotaExceeded {
  model: string;
  /** e.g. "generativelanguage.googleapis.com/generate_content_requests". */
  quotaMetric: string;
  /** e.g. "GenerateRequestsPerMinutePerProjectPerModel". */
  quotaId: string;
  limit: number;
  /** How long to wait (RetryInfo); none for a quota that only resets with its day. */
  retryDelayMs?: number;
}

/**
 * Gemini's 429 for a quota: RESOURCE_EXHAUSTED with a QuotaFailure naming the quota, a Help link
 * and, for the per-minute quotas, a RetryInfo with the delay (the message says it too).
 */
export function quotaExceeded(quota: QuotaExceeded): ApiErrorBody {
  const delay = quota.retryDelayMs === undefined ? undefined : formatRetryDelay(quota.retryDelayMs);
  const { model, quotaMetric, quotaId, limit } = quota;
  return errorBody(
    429,
    'RESOURCE_EXHAUSTED',
    `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. [simulated] Quota exceeded for metric: ${quotaMetric}, limit: ${limit}, model: ${model}.${delay ? ` Please retry in ${delay}.` : ''}`,
    [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          { quotaMetric, quotaId, quotaDimensions: { location: 'global', model }, quotaValue: String(limit) },
        ],
      },
      {
        '@type': 'type.googleapis.com/google.rpc.Help',
        links: [
          {
            description: 'Learn more about Gemini API quotas',
            url: 'https://ai.google.dev/gemini-api/docs/rate-limits',
          },
        ],
      },
      ...(delay ? [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay }] : []),
    ],
  );
}

/** The per-minute generateContent quotas: requests, and input tokens (TPM). */
export function quotaError(
  model: string,
  metric: 'requests' | 'input_token_count',
  limit: number,
  delayMs: number,
) {
  return quotaExceeded({
    model,
    quotaMetric: `generativelanguage.googleapis.com/generate_content_${metric === 'requests' ? 'requests' : 'input_token_count'}`,
    quotaId:
      metric === 'requests'
        ? 'GenerateRequestsPerMinutePerProjectPerModel'
        : 'GenerateContentInputTokensPerModelPerMinute',
    limit,
    retryDelayMs: delayMs,
  });
}

export const UNAVAILABLE = () =>
  errorBody(503, 'UNAVAILABLE', '[simulated] The model is overloaded. Please try again later.');
export const DEADLINE_EXCEEDED = () =>
  errorBody(504, 'DEADLINE_EXCEEDED', '[simulated] Deadline expired before operation could complete.');
export const INTERNAL = () =>
  errorBody(
    500,
    'INTERNAL',
    '[simulated] An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  );

/** Ends a request early: whatever throws it, the server answers with its body and code. */
export class HttpError extends Error {
  readonly body: ApiErrorBody;
  constructor(body: ApiErrorBody) {
    super(body.error.message);
    this.body = body;
  }
}

export function notServed(req: IncomingMessage, url: URL): HttpError {
  return new HttpError(
    errorBody(
      404,
      'NOT_FOUND',
      `[simulated] ${req.method} ${url.pathname} is not served by the Gemini simulator.`,
    ),
  );
}
