/**
 * The outbound address guard: a URL a caller gave this service (a webhook target, a structure
 * reference) is called only when it is http(s) and every address its host resolves to is
 * public; loopback, link-local (the instance metadata address), private, CGNAT, multicast and
 * reserved ranges are refused unless the caller allows private targets (the local stack and
 * the tests only). The request then goes to the very address that was checked, with the
 * original host in `Host` and in TLS SNI, so DNS answering differently a second time (DNS
 * rebinding) cannot redirect it. Redirects are not followed, for the same reason.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, isIPv4 } from 'node:net';
import { DomainError } from './errors.ts';

/**
 * 400: a callback URL this service will not call. `transient` when only DNS failed. The message
 * names `progressCallbackUrl`, where the webhooks' targets come from; the structure-reference
 * fetch reports `reason` alone.
 */
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

/** A pinned request that did not finish within its `timeoutMs`. */
export class AttemptTimeout extends Error {
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
