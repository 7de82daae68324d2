/**
 * Progress and completion callbacks for content jobs (`config.progressCallbackUrl`): the events
 * of `webhook-events.ts`, signed as `webhook-signing.ts` says, delivered with retries.
 *
 * Secrets: every owner (API key) has its own, derived as HMAC-SHA256(WEBHOOK_SIGNING_SECRET,
 * "quizgen-webhook:v1:<owner>"). Nothing is stored: the service can recompute any owner's
 * secret, and one owner's secret says nothing about another's. Changing WEBHOOK_SIGNING_SECRET
 * rotates every owner's secret at once; receivers may accept several `v1=` values meanwhile.
 *
 * Targets: a callback URL goes through the platform's outbound address guard
 * (`platform/outbound.ts`), which refuses non-public addresses unless
 * WEBHOOK_ALLOW_PRIVATE_TARGETS=true (the local stack and the tests only) and connects to the
 * very address it checked.
 */
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { DEFAULTS, ENV, optionalEnv, positiveEnv } from '#platform/config.ts';
import {
  AttemptTimeout,
  CallbackUrlRefused,
  checkCallbackUrl,
  type HostLookup,
  pinnedRequest,
} from '#platform/outbound.ts';
import type { WebhookEvent } from './webhook-events.ts';
import { hmacHex, signPayload } from './webhook-signing.ts';

export const WEBHOOK_HEADERS = {
  signature: 'X-Webhook-Signature',
  id: 'X-Webhook-Id',
  event: 'X-Webhook-Event',
} as const;

export const WEBHOOK_USER_AGENT = 'quizgen-webhooks/1';
export const DEFAULT_CALLBACK_RETRIES = 3;
export const MAX_CALLBACK_RETRIES = 10;
export const DEFAULT_TIMEOUT_SECONDS = DEFAULTS.webhookTimeoutSeconds;
/** A short service secret would make every derived secret guessable. */
const MIN_SIGNING_SECRET_LENGTH = 32;

/**
 * The owner's webhook secret, derived from the service's signing secret (WEBHOOK_SIGNING_SECRET
 * unless given), so nothing is stored. Throws when it is missing or too short to be a secret.
 */
export function webhookSecretFor(owner: string, serviceSecret?: string): string {
  const service = (serviceSecret ?? optionalEnv(ENV.webhookSigningSecret))?.trim();
  if (!service) throw new Error(`Missing required environment variable ${ENV.webhookSigningSecret}`);
  if (service.length < MIN_SIGNING_SECRET_LENGTH) {
    throw new Error(
      `${ENV.webhookSigningSecret} must be at least ${MIN_SIGNING_SECRET_LENGTH} characters (e.g. openssl rand -hex 32)`,
    );
  }
  return `whsec_${hmacHex(service, `quizgen-webhook:v1:${owner}`)}`;
}

// ---------------------------------------------------------------------------------------------
// Delivery

export interface DeliveryOptions {
  /** This owner's secret (`webhookSecretFor(owner)`). */
  secret: string;
  /** Retries after the first attempt: the request's `callbackRetries` (default 3, at most 10). */
  retries?: number;
  /** Per attempt; default WEBHOOK_TIMEOUT_SECONDS (10 s). */
  timeoutMs?: number;
  /** Default WEBHOOK_ALLOW_PRIVATE_TARGETS === 'true'. */
  allowPrivate?: boolean;
  /** First backoff (default 1 000 ms); doubles each retry, with jitter. */
  backoffBaseMs?: number;
  /** Longest wait between attempts, `Retry-After` included (default 30 000 ms). */
  backoffMaxMs?: number;
  lookup?: HostLookup;
  /**
   * When the sending function must be done (epoch ms): no attempt or wait runs past it, so a
   * function never times out mid-delivery and, retried by its caller, sends it all again.
   * Retries that do not fit are given up. Default: none.
   */
  deadline?: number;
}

/** The shortest attempt worth starting before the deadline. */
const MIN_ATTEMPT_MS = 1000;

export interface DeliveryResult {
  delivered: boolean;
  attempts: number;
  /** HTTP status of the last attempt that got a response. */
  lastStatus: number | null;
  /** Why the last attempt failed; null when it succeeded. */
  lastError: string | null;
  deliveryId: string;
}

/** Hop-by-hop and framing headers, and ours: a caller's `callbackHeaders` cannot set these. */
const RESERVED_HEADERS = new Set([
  'host',
  'content-length',
  'content-type',
  'user-agent',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'proxy-connection',
]);

function isReserved(name: string): boolean {
  const lower = name.toLowerCase();
  return RESERVED_HEADERS.has(lower) || lower.startsWith('x-webhook-');
}

/** The caller's headers minus reserved and malformed ones (which `http.request` would throw on). */
export function callerHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (typeof value !== 'string' || isReserved(name)) continue;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch {
      continue;
    }
    kept[name] = value;
  }
  return kept;
}

function envTimeoutMs(): number {
  return positiveEnv(ENV.webhookTimeoutSeconds, DEFAULT_TIMEOUT_SECONDS) * 1000;
}

export function allowPrivateTargetsFromEnv(): boolean {
  return optionalEnv(ENV.webhookAllowPrivateTargets) === 'true';
}

function retryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Exponential with "equal jitter": half the step fixed, half random, so retries spread out. */
export function backoffDelayMs(retry: number, baseMs: number, maxMs: number, random = Math.random): number {
  const step = Math.min(maxMs, baseMs * 2 ** (retry - 1));
  return step / 2 + random() * (step / 2);
}

function describeError(error: unknown): string {
  if (error instanceof AttemptTimeout) return error.message;
  const code = (error as { code?: string }).code;
  const message = error instanceof Error ? error.message : String(error);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * Sends `event` to `url`, signed, retrying network errors, timeouts, 408, 429 and 5xx with
 * backoff (honouring `Retry-After`, capped). Other answers are final: 2xx delivered, 3xx
 * (redirects are not followed) and other 4xx not. A URL refused by the target check is not
 * retried either, unless only its DNS lookup failed. Never throws for a failed delivery.
 */
export async function deliver(
  url: string,
  headers: Record<string, string> | undefined,
  event: WebhookEvent,
  options: DeliveryOptions,
): Promise<DeliveryResult> {
  const retries = Math.min(
    MAX_CALLBACK_RETRIES,
    Math.max(0, Math.floor(options.retries ?? DEFAULT_CALLBACK_RETRIES)),
  );
  const timeoutMs = options.timeoutMs ?? envTimeoutMs();
  const allowPrivate = options.allowPrivate ?? allowPrivateTargetsFromEnv();
  const baseMs = options.backoffBaseMs ?? 1000;
  const maxMs = options.backoffMaxMs ?? 30_000;
  const body = JSON.stringify(event);
  const fixed = {
    ...callerHeaders(headers),
    'Content-Type': 'application/json',
    'User-Agent': WEBHOOK_USER_AGENT,
    [WEBHOOK_HEADERS.id]: event.deliveryId,
    [WEBHOOK_HEADERS.event]: event.event,
  };

  const result: DeliveryResult = {
    delivered: false,
    attempts: 0,
    lastStatus: null,
    lastError: null,
    deliveryId: event.deliveryId,
  };
  const left = () =>
    options.deadline === undefined ? Number.POSITIVE_INFINITY : options.deadline - Date.now();
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
    if (left() < MIN_ATTEMPT_MS) {
      result.lastError = `${result.lastError ?? 'not sent'}; no time left in this invocation for attempt ${attempt}`;
      return result;
    }
    result.attempts = attempt;
    let retryAfterMs: number | undefined;
    try {
      // Checked on every attempt: what the name resolves to may have changed since the last.
      const target = await checkCallbackUrl(url, { allowPrivate, lookup: options.lookup });
      const signature = signPayload(options.secret, body, Math.floor(Date.now() / 1000));
      const response = await pinnedRequest(target, {
        method: 'POST',
        headers: { ...fixed, [WEBHOOK_HEADERS.signature]: signature },
        body,
        // The last attempt before the deadline gets what is left.
        timeoutMs: Math.max(1, Math.min(timeoutMs, left())),
      });
      result.lastStatus = response.status;
      if (response.status >= 200 && response.status < 300) {
        result.delivered = true;
        result.lastError = null;
        return result;
      }
      result.lastError = `HTTP ${response.status}`;
      if (!retryableStatus(response.status)) return result;
      retryAfterMs = parseRetryAfter(response.retryAfter);
    } catch (error) {
      if (error instanceof CallbackUrlRefused) {
        result.lastError = error.message;
        if (!error.transient) return result;
      } else {
        result.lastError = describeError(error);
      }
    }
    if (attempt <= retries) {
      const wait = Math.min(maxMs, retryAfterMs ?? backoffDelayMs(attempt, baseMs, maxMs));
      if (wait + MIN_ATTEMPT_MS > left()) {
        result.lastError = `${result.lastError}; retries given up after ${attempt} attempts: no time left in this invocation`;
        return result;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return result;
}
