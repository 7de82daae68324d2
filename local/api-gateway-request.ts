/**
 * What the gateway reads of a request: the route it is for (with API Gateway's precedence of
 * literal segments over parameters over greedy paths), its headers and query as the proxy
 * event carries them, and its body within the payload limit.
 */

import type { IncomingMessage } from 'node:http';
import type { Route } from './api-gateway-template.ts';

const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

export interface Match {
  route: Route;
  pathParameters: Record<string, string>;
}

/** API Gateway precedence: a literal segment beats `{param}`, which beats `{proxy+}`. */
function matchPath(templateSegments: string[], segments: string[], params: Record<string, string>): boolean {
  if (templateSegments.length === 0) return segments.length === 0;
  const [head, ...rest] = templateSegments;
  if (head === undefined) return false;
  if (head.startsWith('{') && head.endsWith('+}')) {
    if (segments.length === 0) return false;
    params[head.slice(1, -2)] = segments.join('/');
    return true;
  }
  const [segment, ...remaining] = segments;
  if (segment === undefined) return false;
  if (head.startsWith('{') && head.endsWith('}')) {
    params[head.slice(1, -1)] = segment;
    return matchPath(rest, remaining, params);
  }
  return head === segment && matchPath(rest, remaining, params);
}

function specificity(resourcePath: string): number[] {
  return resourcePath
    .split('/')
    .filter(Boolean)
    .map((part) => (part.endsWith('+}') ? 0 : part.startsWith('{') ? 1 : 2));
}

function compareSpecificity(a: Route, b: Route): number {
  const sa = specificity(a.resourcePath);
  const sb = specificity(b.resourcePath);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const diff = (sb[i] ?? -1) - (sa[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export function findRoutes(routes: Route[], pathname: string): Match[] {
  const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  const segments = trimmed.split('/').filter(Boolean).map(safeDecode);
  const matches: Match[] = [];
  for (const route of routes) {
    const params: Record<string, string> = {};
    if (matchPath(route.resourcePath.split('/').filter(Boolean), segments, params)) {
      matches.push({ route, pathParameters: params });
    }
  }
  // All methods of the most specific matching resource; a less specific one is not a fallback.
  matches.sort((a, b) => compareSpecificity(a.route, b.route));
  const best = matches[0]?.route.resourcePath;
  return matches.filter((match) => match.route.resourcePath === best);
}

/**
 * Maps keyed by what the client sent: without a prototype, so a header or query parameter named
 * `constructor` or `__proto__` is just a key, as it is to API Gateway.
 */
function clientKeyed<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

export function collectHeaders(req: IncomingMessage) {
  const headers = clientKeyed<string>();
  const multiValueHeaders = clientKeyed<string[]>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = value;
    const list = multiValueHeaders[name] ?? [];
    list.push(value);
    multiValueHeaders[name] = list;
  }
  return { headers, multiValueHeaders };
}

/**
 * The request target as a URL. A path is read as a path even when it starts with `//`, which a
 * relative URL would take for a host (`//` alone is not even a valid one); anything else that is
 * not a URL is a path no route has.
 */
export function requestUrl(target: string): URL | undefined {
  try {
    return new URL(target.startsWith('/') ? `http://localhost${target}` : target, 'http://localhost');
  } catch {
    return undefined;
  }
}

export function collectQuery(url: URL) {
  const single = clientKeyed<string>();
  const multi = clientKeyed<string[]>();
  for (const [key, value] of url.searchParams) {
    single[key] = value;
    const list = multi[key] ?? [];
    list.push(value);
    multi[key] = list;
  }
  const empty = Object.keys(single).length === 0;
  return { single: empty ? null : single, multi: empty ? null : multi };
}

export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

export function sourceIpOf(req: IncomingMessage): string {
  return req.socket?.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
}

export function isBinary(contentType: string | undefined, binaryMediaTypes: string[]): boolean {
  if (!contentType) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return binaryMediaTypes.some((pattern) => {
    const normalized = pattern.toLowerCase();
    if (normalized === '*/*') return true;
    if (normalized.endsWith('/*')) return type.startsWith(normalized.slice(0, -1));
    return normalized === type;
  });
}

/**
 * The request body, or 'too-large' past API Gateway's 10 MB. The rest of a body that is too
 * large is read and dropped rather than left unread: leaving the loop early would destroy the
 * request and its socket, and the client would get a reset instead of the 413 AWS answers.
 */
export async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_PAYLOAD_BYTES ? 'too-large' : Buffer.concat(chunks);
}

/** Reads and drops a body the gateway answers without, so the client gets the answer, not a reset. */
export async function discardBody(req: IncomingMessage): Promise<void> {
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('error', () => resolve());
    req.resume();
  });
}
