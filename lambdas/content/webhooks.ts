/**
 * Progress and completion callbacks for content jobs (`config.progressCallbackUrl`).
 *
 * Signing, Stripe-style so a captured request cannot be replayed later:
 *   X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * `t` is taken at each attempt, so a retry an hour later still verifies within the tolerance;
 * the body (and its `deliveryId`) is the same on every attempt, so receivers dedupe on it.
 *
 * Secrets: every owner (API key) has its own, derived as HMAC-SHA256(WEBHOOK_SIGNING_SECRET,
 * "quizgen-webhook:v1:<owner>"). Nothing is stored: the service can recompute any owner's
 * secret, and one owner's secret says nothing about another's. Changing WEBHOOK_SIGNING_SECRET
 * rotates every owner's secret at once; receivers may accept several `v1=` values meanwhile.
 *
 * Targets: a callback URL must be http(s) and every address its host resolves to must be
 * public; loopback, link-local (the instance metadata address), private, CGNAT, multicast and
 * reserved ranges are refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS=true (the local stack and
 * the tests only). The request then goes to the very address that was checked, with the
 * original host in `Host` and in TLS SNI, so DNS answering differently a second time (DNS
 * rebinding) cannot redirect it. Redirects are not followed, for the same reason.
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { lookup as dnsLookup } from 'node:dns/promises';
import http, { validateHeaderName, validateHeaderValue } from 'node:http';
import https from 'node:https';
import { isIP, isIPv4 } from 'node:net';
import { DEFAULTS, ENV, optionalEnv, positiveEnv } from '#platform/config.ts';
import { DomainError } from '#platform/errors.ts';

export const WEBHOOK_HEADERS = {
  signature: 'X-Webhook-Signature',
  id: 'X-Webhook-Id',
  event: 'X-Webhook-Event',
} as const;

export const WEBHOOK_USER_AGENT = 'quizgen-webhooks/1';
export const DEFAULT_CALLBACK_RETRIES = 3;
export const MAX_CALLBACK_RETRIES = 10;
export const DEFAULT_TIMEOUT_SECONDS = DEFAULTS.webhookTimeoutSeconds;
export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;
/** A short service secret would make every derived secret guessable. */
const MIN_SIGNING_SECRET_LENGTH = 32;

// ---------------------------------------------------------------------------------------------
// Events

export type WebhookEventKind = 'generation.progress' | 'generation.completed' | 'generation.failed';

export interface JobProgress {
  percentage: number;
  sectionsCompleted: number;
  totalSections: number;
  currentSection: string | null;
}

export interface JobResult {
  totalWords: number;
  qualityScore: number;
  costUsd: number;
}

export interface JobError {
  /** One of the seed's error codes, e.g. GENERATION_FAILED or QUALITY_THRESHOLD_NOT_MET. */
  code: string;
  message: string;
}

export interface WebhookJob {
  jobId: number;
  /**
   * The job's internal status. Informational only: the payload carries the seed's status for
   * the event (`processing`, `completed`, `failed`), whatever the pipeline calls it.
   */
  status?: string;
  progress?: JobProgress;
  result?: JobResult;
  error?: JobError;
}

interface EventCommon {
  jobId: number;
  timestamp: string;
  /** The same on every attempt of one delivery: receivers dedupe on it. */
  deliveryId: string;
}

export interface ProgressEvent extends EventCommon {
  event: 'generation.progress';
  status: 'processing';
  progress: JobProgress;
}

export interface CompletedEvent extends EventCommon {
  event: 'generation.completed';
  status: 'completed';
  result: JobResult;
}

export interface FailedEvent extends EventCommon {
  event: 'generation.failed';
  status: 'failed';
  error: JobError;
}

export type WebhookEvent = ProgressEvent | CompletedEvent | FailedEvent;

/** The seed writes timestamps without milliseconds: `2025-01-08T10:00:18Z`. */
function isoSeconds(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function required<T>(value: T | undefined, field: string, kind: WebhookEventKind): T {
  if (value === undefined) throw new TypeError(`A ${kind} event needs job.${field}`);
  return value;
}

/** The seed's callback payloads, field for field, plus a fresh `deliveryId`. */
export function buildEvent(kind: WebhookEventKind, job: WebhookJob, now: Date = new Date()): WebhookEvent {
  const timestamp = isoSeconds(now);
  const deliveryId = randomUUID();
  switch (kind) {
    case 'generation.progress': {
      const p = required(job.progress, 'progress', kind);
      return {
        event: kind,
        jobId: job.jobId,
        status: 'processing',
        progress: {
          percentage: p.percentage,
          sectionsCompleted: p.sectionsCompleted,
          totalSections: p.totalSections,
          currentSection: p.currentSection,
        },
        timestamp,
        deliveryId,
      };
    }
    case 'generation.completed': {
      const r = required(job.result, 'result', kind);
      return {
        event: kind,
        jobId: job.jobId,
        status: 'completed',
        result: { totalWords: r.totalWords, qualityScore: r.qualityScore, costUsd: r.costUsd },
        timestamp,
        deliveryId,
      };
    }
    case 'generation.failed': {
      const e = required(job.error, 'error', kind);
      return {
        event: kind,
        jobId: job.jobId,
        status: 'failed',
        error: { code: e.code, message: e.message },
        timestamp,
        deliveryId,
      };
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Signatures

function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/** The `X-Webhook-Signature` value for `body` (the exact bytes sent) at `timestamp` (unix seconds). */
export function signPayload(secret: string, body: string, timestamp: number): string {
  if (!Number.isInteger(timestamp) || timestamp < 0) {
    throw new TypeError('timestamp must be a whole number of unix seconds');
  }
  return `t=${timestamp},v1=${hmacHex(secret, `${timestamp}.${body}`)}`;
}

/**
 * True when `header` carries a `v1` signature of `body` under `secret` whose `t` is within
 * `toleranceSeconds` of now (either way: a receiver's clock may be ahead). Several `v1` values
 * are accepted so a receiver can check during a secret rotation. Compares in constant time.
 */
export function verifySignature(
  secret: string,
  header: string | undefined | null,
  body: string,
  toleranceSeconds: number = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (name === 'v1' && value !== undefined && /^[0-9a-f]{64}$/i.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, `${timestamp}.${body}`), 'hex');
  let valid = false;
  // Every candidate is compared, so timing does not tell which one matched.
  for (const candidate of candidates) {
    valid = timingSafeEqual(expected, Buffer.from(candidate, 'hex')) || valid;
  }
  return valid;
}

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
// Target checks (SSRF)

/** 400: a callback URL this service will not call. `transient` when only DNS failed. */
export class CallbackUrlRefused extends DomainError {
  readonly reason: string;
  readonly transient: boolean;
  constructor(reason: string, transient = false) {
    super(`progressCallbackUrl refused: ${reason}`, 400);
    this.reason = reason;
    this.transient = transient;
  }
}

export interface ResolvedAddress {
  address: string;
  family: number;
}

export type HostLookup = (hostname: string) => Promise<ResolvedAddress[]>;

const systemLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface CheckOptions {
  allowPrivate: boolean;
  /** Resolver; defaults to the system's (`dns.lookup`, as every other connection uses). */
  lookup?: HostLookup;
}

export interface CheckedTarget {
  url: URL;
  /** The host as written in the URL, without IPv6 brackets. */
  hostname: string;
  /** The address that was checked and that the request must connect to. */
  address: string;
  family: 4 | 6;
}

type Range = readonly [network: string, bits: number, label: string];

const IPV4_REFUSED: readonly Range[] = [
  ['0.0.0.0', 8, 'unspecified ("this network")'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'carrier-grade NAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local (includes the instance metadata address)'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved (includes broadcast)'],
];

/** Ranges whose addresses embed an IPv4 address, judged by that address. */
const IPV6_EMBEDDING_IPV4: readonly Range[] = [
  ['::ffff:0:0', 96, 'IPv4-mapped'],
  ['64:ff9b::', 96, 'NAT64'],
];

const IPV6_REFUSED: readonly Range[] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  ['64:ff9b:1::', 48, 'local NAT64'],
  ['100::', 64, 'discard-only'],
  ['2001:db8::', 32, 'documentation'],
  ['fc00::', 7, 'unique local (private; includes fd00:ec2::254, the IPv6 metadata address)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local (deprecated)'],
  ['ff00::', 8, 'multicast'],
];

function ipv4ToInt(address: string): number {
  return address.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function ipv4Refusal(address: string): string | undefined {
  const value = ipv4ToInt(address);
  for (const [network, bits, label] of IPV4_REFUSED) {
    const size = 2 ** (32 - bits);
    if (Math.floor(value / size) === Math.floor(ipv4ToInt(network) / size)) return label;
  }
  return undefined;
}

/** An IPv6 address (as `net.isIPv6` accepts it) as a 128-bit integer. */
function ipv6ToBigInt(address: string): bigint {
  let text = address.split('%')[0] ?? '';
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (isIPv4(tail)) {
    const v4 = ipv4ToInt(tail);
    text = `${text.slice(0, text.length - tail.length)}${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const groups = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const left = groups(head);
  const right = rest === undefined ? [] : groups(rest);
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  return all.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function inPrefix(value: bigint, network: string, bits: number): boolean {
  const shift = BigInt(128 - bits);
  return value >> shift === ipv6ToBigInt(network) >> shift;
}

function intToIpv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join('.');
}

function ipv6Refusal(address: string): string | undefined {
  const value = ipv6ToBigInt(address);
  for (const [network, bits, label] of IPV6_EMBEDDING_IPV4) {
    if (inPrefix(value, network, bits)) {
      const inner = ipv4Refusal(intToIpv4(Number(value & 0xffffffffn)));
      return inner === undefined ? undefined : `${label} ${inner}`;
    }
  }
  // 6to4 (2002:AABB:CCDD::/48) routes to the IPv4 address AABBCCDD.
  if (inPrefix(value, '2002::', 16)) {
    const inner = ipv4Refusal(intToIpv4(Number((value >> 80n) & 0xffffffffn)));
    if (inner !== undefined) return `6to4 ${inner}`;
  }
  for (const [network, bits, label] of IPV6_REFUSED) {
    if (inPrefix(value, network, bits)) return label;
  }
  return undefined;
}

/** Why an IP address may not be called back, or undefined when it is a public address. */
export function addressRefusal(address: string): string | undefined {
  const family = isIP(address.split('%')[0] ?? '');
  if (family === 4) return ipv4Refusal(address);
  if (family === 6) return ipv6Refusal(address);
  return 'not an IP address';
}

/**
 * Checks a callback URL and resolves its host. Throws `CallbackUrlRefused` when the scheme is
 * not http(s) or when any address the host resolves to is not public (unless `allowPrivate`):
 * one private answer among public ones is enough to refuse, since the connection could use it.
 */
export async function checkCallbackUrl(url: string, options: CheckOptions): Promise<CheckedTarget> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new CallbackUrlRefused('not a valid URL');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CallbackUrlRefused(`scheme ${parsed.protocol.replace(/:$/, '')} is not http or https`);
  }
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (hostname === '') throw new CallbackUrlRefused('no host');

  let addresses: ResolvedAddress[];
  if (isIP(hostname)) {
    addresses = [{ address: hostname, family: isIP(hostname) }];
  } else {
    try {
      addresses = await (options.lookup ?? systemLookup)(hostname);
    } catch (error) {
      const code = (error as { code?: string }).code ?? (error as Error).message;
      throw new CallbackUrlRefused(`host ${hostname} does not resolve (${code})`, true);
    }
    if (addresses.length === 0) throw new CallbackUrlRefused(`host ${hostname} does not resolve`, true);
  }

  if (!options.allowPrivate) {
    for (const { address } of addresses) {
      const refusal = addressRefusal(address);
      if (refusal !== undefined) {
        throw new CallbackUrlRefused(`${hostname} resolves to ${address}, a ${refusal} address`);
      }
    }
  }
  // IPv4 first: a Lambda function outside a dual-stack VPC has no IPv6 route out.
  const chosen = addresses.find((a) => a.family === 4) ?? (addresses[0] as ResolvedAddress);
  return { url: parsed, hostname, address: chosen.address, family: chosen.family === 6 ? 6 : 4 };
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
}

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

class AttemptTimeout extends Error {
  constructor(ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = 'AttemptTimeout';
  }
}

export interface PinnedResponse {
  status: number;
  retryAfter: string | undefined;
  /** The body, when `readBodyMaxBytes` asked for it and the status was 200. */
  body?: Buffer;
}

export interface PinnedRequest {
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** Read a 200 answer's body, refusing one larger than this; otherwise the body is drained unread. */
  readBodyMaxBytes?: number;
}

/**
 * One HTTP exchange with a checked target, connected to the address that was checked rather
 * than to whatever the name resolves to now (no DNS rebinding), on a fresh connection. The
 * timeout covers the whole exchange (and the body, when it is read), not just socket idleness.
 */
export function pinnedRequest(target: CheckedTarget, request: PinnedRequest): Promise<PinnedResponse> {
  const secure = target.url.protocol === 'https:';
  const headers: Record<string, string> = { ...request.headers, Host: target.url.host };
  if (request.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(request.body));
  const options: https.RequestOptions = {
    host: target.address,
    family: target.family,
    port: target.url.port === '' ? (secure ? 443 : 80) : Number(target.url.port),
    path: `${target.url.pathname}${target.url.search}`,
    method: request.method,
    headers,
    // One connection per exchange: a pooled socket could outlive the check that allowed it.
    agent: false,
  };
  if (target.url.username !== '') {
    options.auth = `${decodeURIComponent(target.url.username)}:${decodeURIComponent(target.url.password)}`;
  }
  // SNI and certificate checks use the name; an IP literal needs neither SNI nor a servername.
  if (secure && isIP(target.hostname) === 0) options.servername = target.hostname;

  return new Promise((resolve, reject) => {
    const outgoing = (secure ? https.request : http.request)(options, (response) => {
      const status = response.statusCode ?? 0;
      const retryAfter = response.headers['retry-after'];
      const maxBytes = request.readBodyMaxBytes;
      if (maxBytes === undefined || status !== 200) {
        clearTimeout(timer);
        // The body is of no use; drain it so the socket closes, but never wait on it.
        response.resume();
        outgoing.setTimeout(request.timeoutMs, () => outgoing.destroy());
        resolve({ status, retryAfter });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) outgoing.destroy(new Error(`the answer is larger than ${maxBytes} bytes`));
        else chunks.push(chunk);
      });
      response.on('end', () => {
        clearTimeout(timer);
        resolve({ status, retryAfter, body: Buffer.concat(chunks) });
      });
    });
    const timer = setTimeout(
      () => outgoing.destroy(new AttemptTimeout(request.timeoutMs)),
      request.timeoutMs,
    );
    outgoing.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    outgoing.end(request.body);
  });
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
  for (let attempt = 1; attempt <= retries + 1; attempt++) {
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
        timeoutMs,
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
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  return result;
}
