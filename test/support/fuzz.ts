/**
 * Fuzzing the API through HTTP: for every route of `ROUTES`, reproducible streams of malformed
 * requests (path parameters, query strings, headers and bodies derived from the route's valid
 * examples by mutation, raw garbage, broken multipart forms, huge bodies), each answer checked
 * against the contract (no 5xx; a 4xx is JSON in its surface's envelope; an answer within API
 * Gateway's 29 s), and after each route's batch a known-good request that must still succeed.
 *
 * Everything random comes from one seeded generator per route, derived from the run's seed and
 * the route's method and path, so a failure is replayed with the same seed (and `--route`)
 * whatever other routes run. Used by `test/e2e/fuzz.test.ts` (short form, in `npm test`) and
 * `test/fuzz/run.ts` (long form).
 */
import { randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { EXPORT_FORMATS } from '#exports/index.ts';
import { resetConfig } from '#platform/config.ts';
import { FIREWALL_HEADER_PREFIX } from '../../lib/constructs/firewall.ts';
import { API_BASE_PATH, ROUTES, type Route } from '../../lib/routes.ts';
import { type Harness, startHarness } from './e2e.ts';

// --- seeded randomness -------------------------------------------------------------------

export interface Rng {
  /** [0, 1) */
  next(): number;
  /** An integer in [0, n). */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
  chance(p: number): boolean;
}

/** mulberry32: small, fast and good enough to pick test inputs. */
export function createRng(seed: number): Rng {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (items) => items[int(items.length)] as never, chance: (p) => next() < p };
}

/** FNV-1a of the text, mixed into the seed: one independent stream per route. */
export function streamSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5 ^ (seed >>> 0);
  for (const char of name) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

export const routeName = (route: Route) => `${route.method} ${route.path || '/'}`;

// --- hostile values ----------------------------------------------------------------------

const INJECTIONS = [
  "' OR '1'='1",
  "'; DROP TABLE jobs; --",
  '" OR ""="',
  '1 UNION SELECT password FROM users',
  '{"$gt": ""}',
  '{"$ne": null}',
  "this.constructor.constructor('return process')()",
  '{{7*7}}',
  `\${7*7}`,
  '#{7*7}',
  '<%= 7*7 %>',
  '{{constructor.constructor("return this")()}}',
  '{topic}{title}{__proto__}',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  'javascript:alert(1)',
  '../../../../etc/passwd',
  '..\\..\\..\\windows\\win.ini',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  'file:///etc/passwd',
  'foo\r\nSet-Cookie: injected=1',
  'a\r\n\r\nHTTP/1.1 200 OK\r\n',
  '%0d%0aX-Injected:%201',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
  '%s%s%s%n%x',
  'null',
  'undefined',
  'NaN',
  '[object Object]',
  'http://169.254.169.254/latest/meta-data/',
  'http://localhost:22/',
  '$(reboot)',
  '`id`',
  '; rm -rf / #',
  `\${jndi:ldap://example.invalid/a}`,
  'PK\u0003\u0004',
  '%PDF-1.7',
];

const UNICODE = [
  '\u202eevil\u202c.pdf',
  'שלום עולם',
  'مرحبا بالعالم',
  'a\u200bb\u200dc\ufeffd\u2060',
  '😀🚀👩‍👩‍👧‍👦🏳️‍🌈',
  'e\u0301\u0301\u0301\u0301',
  'Z̵̡̢͎a̷̛l̶̨g̸̢o̵̞',
  '\ud800',
  '\udfff',
  'x\ud83dy',
  'ＡＢＣ１２３',
  '\u0000\u0001\u001f\u007f',
  '\u2028\u2029',
  'İıŞşẞ',
  '\uffff\ufffe',
  '𝕳𝖊𝖑𝖑𝖔',
  '中文测试',
  'ÿþ',
  '\t\n\r\u000b\u000c',
  '\u00a0\u1680\u3000',
];

const BOUNDARY_NUMBERS = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  2,
  5,
  6,
  100,
  101,
  2 ** 31 - 1,
  2 ** 31,
  -(2 ** 31),
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  1e21,
  1e308,
  -1e308,
  5e-324,
  1e-300,
  0.000001,
  0.0001,
  Number.MAX_VALUE,
  Number.EPSILON,
];

/** JSON number tokens JavaScript cannot write: huge, tiny, exotic (some are not JSON at all). */
const RAW_NUMBER_TOKENS = [
  '1e999',
  '-1e999',
  '123456789012345678901234567890',
  '0.000000000000000000000000000001',
  '-0',
  '1E+2',
  '1.0',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '01',
  '.5',
  '+1',
];

/** A marker for text the serializer writes as it is (deep nesting, tokens JSON.stringify cannot make). */
const RAW = Symbol('raw json');
interface RawJson {
  [RAW]: string;
}
const raw = (text: string): RawJson => ({ [RAW]: text });
const isRaw = (value: unknown): value is RawJson =>
  typeof value === 'object' && value !== null && RAW in value;

/** JSON text of a value that may hold RAW markers; keys like `__proto__` are written as keys. */
export function toJsonText(value: unknown): string {
  if (isRaw(value)) return value[RAW];
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    return `{${Object.entries(value)
      .map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Sets a key as an own property, even `__proto__`. */
function setKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function longString(rng: Rng): string {
  const length = rng.pick([300, 2_001, 10_000, 100_000, 1_000_000]);
  const unit = rng.pick(['a', 'é', '😀', 'ab ', '\\', '"', '\u0000', '{', 'word ']);
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

export function hostileString(rng: Rng): string {
  switch (rng.int(7)) {
    case 0:
    case 1:
      return rng.pick(INJECTIONS);
    case 2:
    case 3:
      return rng.pick(UNICODE);
    case 4:
      return longString(rng);
    case 5:
      return rng.pick(['', ' ', '   \t\n', '0', '-1', '1e309', 'true', 'false', '[]', '{}', 'x']);
    default:
      return `${rng.pick(UNICODE)}${rng.pick(INJECTIONS)}`;
  }
}

function deepNesting(rng: Rng): RawJson {
  const depth = rng.pick([64, 1_000, 10_000, 100_000]);
  const [open, close] = rng.pick([
    ['[', ']'],
    ['{"a":', '}'],
  ] as const);
  return raw(`${open.repeat(depth)}1${close.repeat(depth)}`);
}

export function hostileValue(rng: Rng): unknown {
  switch (rng.int(11)) {
    case 0:
    case 1:
    case 2:
      return hostileString(rng);
    case 3:
      return rng.pick(BOUNDARY_NUMBERS);
    case 4:
      return raw(rng.pick(RAW_NUMBER_TOKENS));
    case 5:
      return rng.pick([true, false, null]);
    case 6:
      return rng.pick<unknown>([[], [1, 'a', null], [{}], Array.from({ length: 10_000 }, (_, i) => i)]);
    case 7: {
      const object: Record<string, unknown> = {};
      setKey(object, rng.pick(['$gt', '$ne', '$where', '__proto__', 'constructor', 'prototype']), {
        polluted: true,
      });
      return object;
    }
    case 8:
      return rng.pick<unknown>([{}, { a: 1 }, { '': '' }, { toString: 'x', valueOf: 1 }]);
    case 9:
      return deepNesting(rng);
    default:
      return { length: -1, 0: 'x', constructor: { prototype: { isAdmin: true } } };
  }
}

/** A value of another JSON type than `current`. */
function otherType(rng: Rng, current: unknown): unknown {
  const choices: unknown[] = [
    'x',
    '1',
    '',
    0,
    1,
    -1,
    1.5,
    true,
    false,
    null,
    [],
    ['x'],
    {},
    { value: current === undefined ? null : current },
  ];
  const type = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  const different = choices.filter((c) => type(c) !== type(current));
  return rng.pick(different.length > 0 ? different : choices);
}

// --- JSON body mutations -----------------------------------------------------------------

interface Slot {
  path: string;
  get(): unknown;
  set(value: unknown): void;
  remove(): void;
}

function slotsOf(root: { value: unknown }): Slot[] {
  const slots: Slot[] = [];
  const visit = (value: unknown, path: string, set: (v: unknown) => void, remove: () => void) => {
    slots.push({ path, get: () => value, set, remove });
    if (isRaw(value)) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        visit(
          item,
          `${path}[${i}]`,
          (v) => {
            value[i] = v;
          },
          () => {
            value.splice(i, 1);
          },
        );
      });
    } else if (typeof value === 'object' && value !== null) {
      const object = value as Record<string, unknown>;
      for (const [key, item] of Object.entries(object)) {
        visit(
          item,
          path === '' ? key : `${path}.${key}`,
          (v) => setKey(object, key, v),
          () => {
            delete object[key];
          },
        );
      }
    }
  };
  visit(
    root.value,
    '',
    (v) => {
      root.value = v;
    },
    () => {
      root.value = undefined;
    },
  );
  return slots;
}

const describeValue = (value: unknown): string => {
  if (isRaw(value)) return `raw ${value[RAW].slice(0, 24)}${value[RAW].length > 24 ? '…' : ''}`;
  const text = typeof value === 'string' ? JSON.stringify(value) : toJsonText(value);
  return text.length > 40 ? `${text.slice(0, 40)}… (${text.length} chars)` : text;
};

/**
 * One mutation of a valid JSON value: drop a field, add an unknown one, change a type, a
 * boundary number, a hostile string, deep nesting, or replace the whole body. `protect` names
 * top-level keys left alone (`dry_run` where a real job is not wanted).
 */
export function mutateJson(
  rng: Rng,
  valid: unknown,
  protect: readonly string[] = [],
): { value: unknown; label: string } {
  const root = { value: structuredClone(valid) };
  const labels: string[] = [];
  const rounds = rng.chance(0.2) ? 2 + rng.int(3) : 1;
  for (let round = 0; round < rounds; round++) {
    const slots = slotsOf(root).filter(
      (s) => !protect.some((key) => s.path === key || s.path.startsWith(`${key}.`)),
    );
    const nonRoot = slots.filter((s) => s.path !== '');
    const slot = rng.pick(slots);
    const where = (s: Slot) => s.path || '<body>';
    switch (rng.int(9)) {
      case 0: {
        if (nonRoot.length === 0) break;
        const target = rng.pick(nonRoot);
        target.remove();
        labels.push(`drop ${where(target)}`);
        break;
      }
      case 1: {
        const objects = slots.filter((s) => {
          const v = s.get();
          return typeof v === 'object' && v !== null && !Array.isArray(v) && !isRaw(v);
        });
        if (objects.length === 0) break;
        const target = rng.pick(objects);
        const key = rng.chance(0.5)
          ? rng.pick(['__proto__', 'constructor', 'prototype', '$gt', '$where', 'extra', '', 'x'.repeat(300)])
          : hostileString(rng).slice(0, 200);
        const value = hostileValue(rng);
        setKey(target.get() as Record<string, unknown>, key, value);
        labels.push(`add ${where(target)}[${describeValue(key)}] = ${describeValue(value)}`);
        break;
      }
      case 2:
      case 3: {
        const value = otherType(rng, slot.get());
        slot.set(value);
        labels.push(`retype ${where(slot)} = ${describeValue(value)}`);
        break;
      }
      case 4: {
        const value = rng.chance(0.7) ? rng.pick(BOUNDARY_NUMBERS) : raw(rng.pick(RAW_NUMBER_TOKENS));
        slot.set(value);
        labels.push(`number ${where(slot)} = ${describeValue(value)}`);
        break;
      }
      case 5:
      case 6: {
        const value = hostileString(rng);
        slot.set(value);
        labels.push(`string ${where(slot)} = ${describeValue(value)}`);
        break;
      }
      case 7: {
        const value = rng.chance(0.5) ? deepNesting(rng) : hostileValue(rng);
        slot.set(value);
        labels.push(`value ${where(slot)} = ${describeValue(value)}`);
        break;
      }
      default: {
        const value = rng.pick<unknown>([
          null,
          [],
          {},
          'text',
          42,
          true,
          [structuredClone(valid)],
          deepNesting(rng),
        ]);
        root.value = value;
        labels.push(`body = ${describeValue(value)}`);
        break;
      }
    }
  }
  return { value: root.value, label: labels.join('; ') || 'unchanged' };
}

/** Bodies that are not JSON, or not quite. */
function malformedJson(rng: Rng, validText: string): { body: Buffer; label: string } {
  const cut = Math.max(1, rng.int(validText.length));
  const options: [string, () => string | Buffer][] = [
    ['truncated JSON', () => validText.slice(0, cut)],
    ['trailing comma', () => validText.replace(/}$/, ',}')],
    ['single quotes', () => validText.replaceAll('"', "'")],
    ['unquoted keys', () => validText.replace(/"(\w+)":/g, '$1:')],
    ['comment', () => `/* comment */${validText}`],
    ['BOM before JSON', () => `\ufeff${validText}`],
    ['two documents', () => `${validText}${validText}`],
    ['trailing garbage', () => `${validText} garbage`],
    ['NaN literal', () => '{"value": NaN}'],
    ['undefined literal', () => '{"value": undefined}'],
    ['duplicate keys', () => validText.replace(/^\{/, '{"a":1,"a":{"b":2},')],
    ['just whitespace', () => ' \n\t '],
    ['JSON null', () => 'null'],
    ['JSON string', () => '"just a string"'],
    ['JSON number', () => '1e999'],
    ['JSON array of the body', () => `[${validText}]`],
    ['unterminated string', () => '{"a": "no end'],
    ['lone surrogate escapes', () => validText.replace(/"([^"]*)"/, '"\\ud800\\udc00\\udfff$1\\ud800"')],
    ['invalid escape', () => '{"a": "\\x41\\u12"}'],
    ['control characters', () => '{"a": "line\nbreak\ttab\u0000nul"}'],
    [
      'invalid UTF-8',
      () =>
        Buffer.concat([
          Buffer.from('{"a": "'),
          Buffer.from([0xff, 0xfe, 0xc0, 0xaf, 0xed, 0xa0, 0x80]),
          Buffer.from('"}'),
        ]),
    ],
    ['UTF-16 JSON', () => Buffer.from(validText, 'utf16le')],
    ['form-encoded', () => 'a=1&b=2&__proto__[x]=1'],
    ['XML', () => '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'],
    ['deeply nested', () => `${'['.repeat(200_000)}${']'.repeat(200_000)}`],
    ['unclosed nesting', () => '{"a":'.repeat(5_000)],
  ];
  const [label, make] = rng.pick(options);
  const body = make();
  return { body: typeof body === 'string' ? Buffer.from(body, 'utf8') : body, label };
}

function binaryGarbage(rng: Rng, size = 1 + rng.int(4096)): Buffer {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = rng.int(256);
  return bytes;
}

// --- URLs ----------------------------------------------------------------------------------

/** Percent-encodes the UTF-8 bytes of `text` (a lone surrogate becomes U+FFFD, as in any encoder). */
export function encodeSegment(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Path segments as they go on the wire: already encoded, some deliberately broken. */
const RAW_SEGMENTS = [
  '',
  '%20',
  '%09',
  '%00',
  '.',
  '..',
  '...',
  '%2E%2E',
  '..%2F..%2F..%2Fetc%2Fpasswd',
  '..%5C..%5C',
  '%2F',
  '%252F',
  '%',
  '%zz',
  '%ff%fe',
  '%ED%A0%80',
  '%C0%AF',
  '%E2%80%AE',
  '%F0%9F%98%80',
  '%7B%7B7*7%7D%7D',
  '$%7B7*7%7D',
  '%3Cscript%3E',
  '*',
  '~',
  '-',
  '_',
  'undefined',
  'null',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  '0',
  '-1',
  '1e21',
  '99999999999999999999',
  '007',
  '1.0',
  'NaN',
  'Infinity',
  'TRUE',
];

function hostileSegment(rng: Rng, valid: readonly string[]): { text: string; label: string } {
  switch (rng.int(8)) {
    case 0: {
      const value = rng.pick(valid);
      return { text: encodeSegment(value), label: `valid-looking ${value.slice(0, 40)}` };
    }
    case 1: {
      const id = randomUuidFrom(rng);
      const variant = rng.pick([id, id.toUpperCase(), `{${id}}`, `${id}x`, id.replaceAll('-', ''), ` ${id}`]);
      return { text: encodeSegment(variant), label: `uuid-like ${variant}` };
    }
    case 2:
    case 3: {
      const segment = rng.pick(RAW_SEGMENTS);
      return { text: segment, label: `segment ${segment}` };
    }
    case 4: {
      const value = rng.pick(UNICODE);
      return { text: encodeSegment(value), label: `unicode ${JSON.stringify(value)}` };
    }
    case 5: {
      const length = rng.pick([256, 1_024, 4_000, 7_000]);
      return { text: 'a'.repeat(length), label: `${length} characters` };
    }
    case 6: {
      const value = rng.pick(INJECTIONS);
      return { text: encodeSegment(value), label: `injection ${JSON.stringify(value)}` };
    }
    default: {
      const value = `${rng.pick(valid)}${rng.pick(['/', '/..', '/../..', '%2F..', '/x', '//'])}`;
      return { text: value.replace(/[^A-Za-z0-9\-._~/%]/g, encodeSegment), label: `traversal ${value}` };
    }
  }
}

function randomUuidFrom(rng: Rng): string {
  const hex = Array.from({ length: 32 }, () => rng.int(16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20)}`;
}

/** A query value as written, its `%` sequences (valid or not) kept, whatever cannot go on the wire encoded. */
const onTheWire = (value: string) => value.replace(/[^\x21-\x7e]/g, (c) => encodeSegment(c));

const QUERY_KEYS = [
  'format',
  'status',
  'limit',
  'offset',
  'job_id',
  'days',
  'filename',
  'content_type',
  'structure_type',
  '__proto__',
  'constructor',
  'toString',
  '',
  'a[]',
  'a[0]',
  'x'.repeat(500),
];

const QUERY_VALUES = [
  '',
  '-1',
  '0',
  '1e400',
  '99999999999999999999999',
  'NaN',
  'Infinity',
  '1.5',
  '0x10',
  ' 5',
  'true',
  'null',
  '[]',
  '{}',
  '%',
  '%zz',
  '%ff',
  '%00',
  '%ED%A0%80',
  'a%0d%0aX-Injected:%201',
  ...EXPORT_FORMATS.map((f) => f.id),
  'json',
  'url',
  'inline',
  'JSON',
  'running',
  'completed',
  'pending',
  'processing',
];

function hostileQuery(rng: Rng, valid: readonly Record<string, string>[]): { text: string; label: string } {
  const encodePairs = (pairs: [string, string][]) =>
    pairs.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&');
  const base = valid.length > 0 ? rng.pick(valid) : {};
  switch (rng.int(8)) {
    case 0: {
      const keys = Object.keys(base);
      const pairs = Object.entries(base);
      if (keys.length === 0) break;
      const key = rng.pick(keys);
      const value = rng.chance(0.5) ? hostileString(rng).slice(0, 5_000) : rng.pick(QUERY_VALUES);
      const text = encodePairs(pairs.map(([k, v]) => [k, k === key ? value : v]));
      return { text, label: `query ${key}=${describeValue(value)}` };
    }
    case 1: {
      const key = rng.pick(QUERY_KEYS);
      const value = onTheWire(rng.pick(QUERY_VALUES));
      // Already-encoded values (such as %zz) go as they are.
      return { text: `${encodeSegment(key)}=${value}`, label: `query ${key.slice(0, 20)}=${value}` };
    }
    case 2: {
      const [key, value] = Object.entries(base)[0] ?? ['format', 'json'];
      const text = `${encodeSegment(key)}=${encodeSegment(value)}&${encodeSegment(key)}=${onTheWire(rng.pick(QUERY_VALUES))}`;
      return { text, label: `query repeated ${key}` };
    }
    case 3: {
      const text = rng.pick(['', '&&&', '=', '==', 'a', '%', '?', '#', 'a=1&', '&a', ';a=1', 'a=%zz']);
      return { text, label: `query "${text}"` };
    }
    case 4: {
      const count = rng.pick([50, 500]);
      const text = Array.from({ length: count }, (_, i) => `k${i}=${i}`).join('&');
      return { text, label: `query with ${count} parameters` };
    }
    case 5: {
      const key = rng.pick(Object.keys(base).length > 0 ? Object.keys(base) : QUERY_KEYS);
      const value = rng.pick(UNICODE);
      return { text: encodePairs([[key, value]]), label: `query ${key}=${JSON.stringify(value)}` };
    }
    case 6: {
      const key = rng.pick(Object.keys(base).length > 0 ? Object.keys(base) : QUERY_KEYS);
      return {
        text: `${encodeSegment(key)}=${'9'.repeat(rng.pick([30, 400, 4_000]))}`,
        label: `query ${key}=huge`,
      };
    }
    default:
      break;
  }
  const text = encodePairs(Object.entries(base));
  return { text, label: 'valid query' };
}

// --- requests ------------------------------------------------------------------------------

export interface FuzzRequest {
  method: string;
  /** The request target as it goes on the wire: path and query, ASCII. */
  target: string;
  /** Header names and values; values may hold CRLF when `raw`. */
  headers: [string, string][];
  body?: Buffer;
  /** Sent through a plain socket: header values with CRLF (header injection) need it. */
  raw?: boolean;
  /** Which mutations made it. */
  label: string;
  index: number;
}

export interface FuzzResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  ms: number;
  error?: string;
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'application/jsonp',
  'text/plain',
  'text/markdown',
  'text/html',
  'application/octet-stream',
  'application/pdf',
  'application/zip',
  'image/png',
  'multipart/form-data',
  'multipart/form-data; boundary=',
  'multipart/form-data; boundary=xyz',
  'application/x-www-form-urlencoded',
  'application/xml',
  '*/*',
  'application/json, text/plain',
  ';;;',
  'x'.repeat(2_000),
  'text/plain; charset=latin1\u00ff',
];

/** Request headers that are not the key: what a client, a proxy or an attacker might add. */
const EXTRA_HEADERS: [string, string][] = [
  ['X-Worker-ID', 'worker-1'],
  ['X-Worker-ID', 'w'.repeat(4_000)],
  ['X-Worker-ID', '<script>alert(1)</script>'],
  ['X-Forwarded-For', '127.0.0.1, 10.0.0.1, ::1'],
  ['X-Forwarded-Proto', 'javascript'],
  ['Accept', 'application/zip'],
  ['Accept', 'text/html'],
  ['Accept', '*/*;q=0'],
  ['Accept-Language', 'xx-XX'],
  ['User-Agent', '() { :; }; echo vulnerable'],
  ['Origin', 'https://evil.example'],
  ['Referer', 'javascript:alert(1)'],
  ['Cookie', 'session=../../etc/passwd'],
  ['Content-Disposition', 'attachment; filename="../../etc/passwd"'],
  ['Content-Disposition', 'attachment; filename="\u00ff\u00fe.pdf"'],
  ['X-HTTP-Method-Override', 'DELETE'],
  ['Range', 'bytes=0-1'],
  ['If-None-Match', '*'],
  ['constructor', 'x'],
  ['__proto__', 'x'],
  ['toString', 'x'],
  ['hasOwnProperty', 'x'],
];

/** Header values with CRLF: each becomes an extra header line on the wire (header injection). */
const INJECTED_HEADERS: [string, string][] = [
  ['X-Worker-ID', 'worker\r\nX-Injected: yes'],
  ['X-Worker-ID', 'worker\r\nX-API-Key: not-the-key'],
  ['Accept', 'application/json\r\nAuthorization: Bearer not-the-key'],
  ['User-Agent', 'fuzz\r\nX-Forwarded-For: 1.2.3.4'],
  ['X-Custom', 'a\r\nContent-Disposition: attachment; filename="x\u00ff.pdf"'],
  ['X-Custom', 'a\r\nSet-Cookie: injected=1'],
];

export interface FuzzFixtures {
  key: string;
  otherKey: string;
  quizJobId: string;
  /** A question of the quiz job, for the review API's routes. */
  questionId: string;
  documentId: string;
  assessmentJobId: string;
  savedAssessmentId: string;
  mcqs: unknown[];
  contentJobId: number;
  /** A content job stopped by its cost limit: the one job retry accepts. */
  failedContentJobId: number;
  templateName: string;
}

/** What a route accepts when it is used right: the material mutations start from. */
interface RouteExamples {
  params: Record<string, readonly string[]>;
  queries: readonly Record<string, string>[];
  bodies: readonly unknown[];
  /** Top-level body keys mutations leave alone (see `protect` of `mutateJson`). */
  protect?: readonly string[];
}

const SAMPLE_NOTES = [
  '# Photosynthesis',
  '',
  'Photosynthesis is the process by which green plants convert light energy into chemical energy.',
  'Chlorophyll absorbs mostly red and blue light and reflects green light.',
  '',
  '## The Calvin cycle',
  '',
  'The Calvin cycle takes place in the stroma and fixes carbon dioxide into sugars using ATP and NADPH.',
].join('\n');

/** The smallest useful content request: one module of one lesson, a few hundred words. */
export function smallCourse(topic = 'Python Basics', config?: Record<string, unknown>) {
  return {
    action: 'generate',
    input: {
      granulatorJobId: 1,
      topic,
      structureType: 'course',
      structure: { modules: [{ title: 'Basics', lessons: [{ title: 'Variables' }] }] },
      wordCountEstimates: { total: 400 },
      contentMetadata: {},
    },
    ...(config ? { config } : {}),
  };
}

const TEMPLATE = {
  name: 'fuzz_lesson',
  contentType: 'lesson',
  structureType: 'course',
  template: 'Write the lesson "{title}" about {topic} for {audience}.',
};

const QUIZ = `${API_BASE_PATH}/`;

/** Routes whose valid-by-chance requests change or delete what others use: never the fixtures. */
const isDestructive = (route: Route) => route.method === 'DELETE';

function examplesOf(route: Route, fx: FuzzFixtures, options: FuzzOptions): RouteExamples {
  const expensiveJobs = options.expensiveJobs ?? false;
  const own = (id: string) => (isDestructive(route) ? [] : [id]);
  const params: Record<string, readonly string[]> = {
    job_id: [...own(fx.quizJobId), randomUUID()],
    document_id: [...own(fx.documentId), randomUUID()],
    assessment_id: [...own(fx.savedAssessmentId), randomUUID()],
    // `{id}` is a content job's numeric id, or a question's UUID under /questions.
    id: route.path.startsWith('/questions/')
      ? [fx.questionId, randomUUID()]
      : [String(fx.contentJobId), String(fx.failedContentJobId), '999999'],
    name: [fx.templateName, 'course_overview', 'fuzz_other'],
    // The web console's files: the page itself is one of them; any other name is a 404.
    asset: ['index.html', 'app-000000000000.js'],
    sector: ['technology', 'finance'],
    career: ['FRONTEND_DEVELOPER', 'BACKEND_DEVELOPER'],
    level: ['1', '3', '5'],
  };
  const formats: Record<string, string>[] = [
    {},
    { format: 'json' },
    { format: 'url' },
    ...EXPORT_FORMATS.map((f) => ({ format: f.id })),
    // Only the questions in one review state (lambdas/review/review-filter.ts).
    { review: 'pending' },
    { format: 'gift', review: 'approved' },
  ];
  const dryRunOnly = expensiveJobs ? [] : ['dry_run'];
  const path = route.path.startsWith(QUIZ) ? route.path.slice(QUIZ.length) : route.path;
  const key = `${route.method} ${path}`;
  const examples: Record<string, Omit<RouteExamples, 'params'>> = {
    'GET jobs': {
      queries: [{ status: 'completed', limit: '5', offset: '0' }, { limit: '100' }, {}],
      bodies: [],
    },
    'PUT budget': { queries: [], bodies: [{ monthly_usd: 100 }, { monthly_usd: null }] },
    'POST generate/career-level': {
      queries: [],
      bodies: [
        { sector: 'technology', career: 'FRONTEND_DEVELOPER', level: 1 },
        { career: 'FRONTEND_DEVELOPER', level: 2, dry_run: true },
        {
          sector: 'technology',
          career: 'FRONTEND_DEVELOPER',
          level: 1,
          regenerate: false,
          max_cost_usd: 2.5,
          mode: 'interactive',
        },
      ],
    },
    'POST generate/soft-skills': {
      queries: [],
      bodies: [{}, { dry_run: true }, { regenerate: false, max_cost_usd: 1 }],
    },
    'POST generate/sector': {
      queries: [],
      bodies: [
        { sector: 'technology', dry_run: true },
        { sector: 'finance', dry_run: true, max_cost_usd: 3 },
      ],
      protect: dryRunOnly,
    },
    'POST generate/full/async': {
      queries: [],
      bodies: [{ dry_run: true }, { include_soft_skills: false, dry_run: true, mode: 'batch' }],
      protect: dryRunOnly,
    },
    'GET results/combined': { queries: formats, bodies: [] },
    'GET results/soft-skills': { queries: formats, bodies: [] },
    'GET results/sectors/{sector}': { queries: formats, bodies: [] },
    'GET results/sectors/{sector}/careers/{career}/levels/{level}': { queries: formats, bodies: [] },
    'GET /job_status': {
      queries: [
        { job_id: fx.assessmentJobId },
        { job_id: fx.assessmentJobId, format: 'gift' },
        { job_id: randomUUID() },
      ],
      bodies: [],
    },
    'POST /generate_assessment': {
      queries: [],
      bodies: [
        { query: 'photosynthesis', bloom_mix: '2 remember, 1 apply', document_id: fx.documentId },
        { topic: 'cell biology', bloom_mix: { remember: 2 } },
        { query: 'photosynthesis', bloom_mix: '1 understand', title: 'Quiz', dry_run: true, max_cost_usd: 1 },
      ],
    },
    // EduMate's route: its collection is the fixture document's id.
    'POST /generate': {
      queries: [],
      bodies: [
        {
          query: 'photosynthesis',
          collection_name: fx.documentId,
          mcq_count: 1,
          subjective_count: 1,
          blooms: { remember: 1, apply: 1 },
        },
        { query: 'cells', collection_name: fx.documentId, subjective_count: 1, blooms: { understand: 1 } },
      ],
    },
    'POST /documents': {
      queries: [{}, { filename: 'notes.txt' }],
      bodies: [
        { filename: 'notes.pdf', size_bytes: 2048 },
        {
          filename: 'notes.md',
          content_type: 'text/markdown',
          content_base64: Buffer.from(SAMPLE_NOTES).toString('base64'),
        },
      ],
    },
    'POST /assessments': {
      queries: [],
      bodies: [
        { job_id: fx.assessmentJobId, title: 'Saved' },
        { job_id: fx.assessmentJobId, mcqs: fx.mcqs.slice(0, 1) },
      ],
    },
    'GET /assessments/{assessment_id}': {
      queries: [{}, { format: 'json' }, { format: 'qti21' }],
      bodies: [],
    },
    'PUT /assessments/{assessment_id}': {
      queries: [],
      bodies: [{ title: 'Renamed' }, { mcqs: fx.mcqs.slice(0, 1), title: 'Edited' }],
    },
    // EduMate's routes (a collection is a document; its id is the chunking job id too).
    // The review API (lambdas/review/review-api.ts).
    'GET /questions': {
      queries: [
        {},
        { job_id: fx.quizJobId, limit: '2' },
        { sector: 'technology', career: 'FRONTEND_DEVELOPER', level: '1', review: 'pending' },
        { assessment_id: fx.assessmentJobId, bloom_level: 'remember' },
      ],
      bodies: [],
    },
    'PATCH /questions/{id}': {
      queries: [],
      bodies: [{ review: 'approved' }, { review: 'rejected', note: 'Too easy' }, { note: 'Checked' }],
    },
    'POST /questions/review': {
      queries: [],
      bodies: [
        { ids: [fx.questionId], review: 'approved' },
        { ids: [fx.questionId], review: 'rejected', note: 'Off topic' },
      ],
    },
    'GET /questions/{id}/history': { queries: [{}], bodies: [] },
    // Starts a one-question job: the first replaces the fixture question, the rest answer 409.
    'POST /questions/{id}/regenerate': {
      queries: [],
      bodies: [{}, { instructions: 'Make it harder' }, { instructions: 'Use a workplace scenario' }],
    },
    'GET /chunking/status': {
      queries: [{ job_id: fx.documentId }, { job_id: randomUUID() }, { job_id: 'edu_mate_0123abcd' }],
      bodies: [],
    },
    'POST /chat': {
      queries: [
        { query: 'photosynthesis', collection_name: fx.documentId, blooms_requirements: '1 remember' },
        {
          query: 'the Calvin cycle',
          collection_name: fx.documentId,
          blooms_requirements: '1 apply, 1 create',
        },
        { query: 'photosynthesis', collection_name: randomUUID() },
      ],
      bodies: [],
    },
    'POST /api/assessments/save': {
      queries: [],
      bodies: [
        { chapter_name: 'Fuzz', bloom_factors: { remember: 2, apply: 1 }, content_json: { mcqs: fx.mcqs } },
        {
          chapter_name: 'Fuzz open',
          bloom_factors: { remember: 1, create: 1 },
          content_json: {
            mcqs: fx.mcqs.slice(0, 1),
            subjective_questions: [
              {
                question_no: 1,
                bloom_level: 'create',
                question: 'Design an experiment on light intensity.',
                model_answer: 'Vary the light and count oxygen bubbles.',
                explanation: 'A limiting factor.',
              },
            ],
          },
        },
      ],
    },
    'POST /api/execute': {
      queries: [],
      bodies: [
        smallCourse(),
        smallCourse('Cloud', { dryRun: true }),
        {
          action: 'generate',
          input: {
            topic: 'Fractions',
            structureType: 'quiz',
            structure: { questions: [{ title: 'Adding fractions' }] },
            wordCountEstimates: { total: 300 },
          },
        },
        // Questions listed as the Content Granulator writes them (the original Content
        // Generator's test-working.sh), and a module assessment that lists its own.
        {
          action: 'generate',
          input: {
            granulatorJobId: 999,
            topic: 'Python Functions',
            structureType: 'quiz',
            structure: {
              categories: [
                {
                  name: 'Basic Functions',
                  questions: [
                    { id: 'q1', type: 'multiple_choice', topic: 'Function Definition' },
                    { id: 'q2', type: 'true_false', topic: 'Return Statements' },
                    { id: 'q3', type: 'short_answer', topic: 'Scope' },
                  ],
                },
              ],
            },
            wordCountEstimates: { total: 400 },
            contentMetadata: {},
          },
        },
        {
          action: 'generate',
          input: {
            granulatorJobId: 2,
            topic: 'Variables',
            structureType: 'course',
            structure: {
              modules: [
                {
                  title: 'Basics',
                  lessons: [{ title: 'Names' }],
                  assessment: { questions: [{ id: 'a1', type: 'true_false', topic: 'Case' }] },
                },
              ],
            },
            wordCountEstimates: { total: 400 },
            contentMetadata: {},
          },
        },
      ],
    },
    'GET /api/templates': {
      queries: [{}, { content_type: 'lesson' }, { structure_type: 'course' }],
      bodies: [],
    },
    'POST /api/templates': { queries: [], bodies: [TEMPLATE] },
    'PUT /api/templates/{name}': {
      queries: [],
      bodies: [
        {
          contentType: 'lesson',
          structureType: 'course',
          template: 'Write "{title}" simply, for {audience}.',
        },
      ],
    },
    'GET /api/jobs': { queries: [{ status: 'completed', limit: '5' }, { offset: '0' }, {}], bodies: [] },
    'POST /api/jobs/{id}/retry': { queries: [], bodies: [{ config: { temperature: 0.5 } }, {}] },
    'POST /api/jobs/{id}/cancel': { queries: [], bodies: [{}] },
    'GET /api/analytics': { queries: [{ days: '7' }, {}], bodies: [] },
    'GET /api/economy/stats': { queries: [{ days: '30' }, {}], bodies: [] },
    'POST /api/economy/estimate': {
      queries: [],
      bodies: [
        { wordCount: 15000, structureType: 'course' },
        { estimatedTokens: 20000, model: 'gemini-2.5-flash' },
      ],
    },
  };
  const found = examples[key] ?? { queries: [], bodies: [] };
  // The synchronous and asynchronous generate routes take the same bodies.
  const generate = /^POST generate\/(career-level|soft-skills|sector)(\/async)?$/.exec(key);
  const same = generate ? examples[`POST generate/${generate[1]}`] : undefined;
  if (generate && same && options.quizJobs === false) {
    const dryRuns = same.bodies.map((body) => ({ ...(body as object), dry_run: true }));
    return { params, queries: same.queries, bodies: dryRuns, protect: ['dry_run'] };
  }
  return { params, ...(same ?? found) };
}

// --- generators ----------------------------------------------------------------------------

function fillPath(route: Route, params: Record<string, string>): string {
  const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? 'x');
  return path === '' ? '/' : path;
}

const validPath = (route: Route, examples: RouteExamples) =>
  fillPath(
    route,
    Object.fromEntries(Object.entries(examples.params).map(([k, v]) => [k, encodeSegment(v[0] ?? 'x')])),
  );

function queryText(query: Record<string, string> | undefined): string {
  const entries = Object.entries(query ?? {});
  return entries.length === 0
    ? ''
    : `?${entries.map(([k, v]) => `${encodeSegment(k)}=${encodeSegment(v)}`).join('&')}`;
}

const HUGE_SIZES = [
  1 * 1024 * 1024,
  3 * 1024 * 1024,
  5.5 * 1024 * 1024,
  6.5 * 1024 * 1024,
  9.9 * 1024 * 1024,
  10.5 * 1024 * 1024,
  16 * 1024 * 1024,
];

function hugeBody(rng: Rng, examples: RouteExamples): { body: Buffer; contentType: string; label: string } {
  const size = Math.floor(rng.pick(HUGE_SIZES));
  const mb = (size / 1024 / 1024).toFixed(1);
  switch (rng.int(4)) {
    case 0: {
      // A valid body with one string field grown to the size.
      const valid = examples.bodies[0] ?? {};
      const { value } = mutateJson(createRng(size), valid);
      const holder = typeof value === 'object' && value !== null ? value : {};
      const text = toJsonText({ ...(holder as object), padding: '' });
      const fill = 'a'.repeat(Math.max(0, size - text.length));
      return {
        body: Buffer.from(text.replace('"padding":""', `"padding":"${fill}"`)),
        contentType: 'application/json',
        label: `${mb} MB JSON with a long string`,
      };
    }
    case 1: {
      const count = Math.floor(size / 2);
      const body = Buffer.alloc(count * 2 + 1, '1,');
      body[0] = 0x5b; // [
      body[body.length - 2] = 0x31;
      body[body.length - 1] = 0x5d; // ]
      return { body, contentType: 'application/json', label: `${mb} MB JSON array` };
    }
    case 2:
      return {
        body: Buffer.alloc(size, 'x'),
        contentType: 'application/json',
        label: `${mb} MB of x (not JSON)`,
      };
    default:
      return {
        // Random bytes up front, then filler: as hostile to a parser, far cheaper to make.
        body: Buffer.concat([binaryGarbage(rng, 64 * 1024), Buffer.alloc(size - 64 * 1024, 0xa5)]),
        contentType: rng.pick(['application/octet-stream', 'application/pdf', 'text/plain']),
        label: `${mb} MB of binary`,
      };
  }
}

function multipartBody(rng: Rng): { body: Buffer; contentType: string; label: string } {
  const boundary = `----fuzz${rng.int(1e9)}`;
  const file = rng.chance(0.5) ? Buffer.from(SAMPLE_NOTES) : binaryGarbage(rng, 1 + rng.int(2048));
  const part = (headers: string, data: Buffer | string) =>
    Buffer.concat([
      Buffer.from(`--${boundary}\r\n${headers}\r\n\r\n`),
      Buffer.from(data),
      Buffer.from('\r\n'),
    ]);
  const fileHeaders = (filename: string, type = 'text/markdown') =>
    `Content-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: ${type}`;
  const close = Buffer.from(`--${boundary}--\r\n`);
  const contentType = `multipart/form-data; boundary=${boundary}`;
  const variants: [string, () => { body: Buffer; contentType?: string }][] = [
    ['valid form', () => ({ body: Buffer.concat([part(fileHeaders('notes.md'), file), close]) })],
    [
      'boundary differs from the header',
      () => ({
        body: Buffer.concat([part(fileHeaders('notes.md'), file), close]),
        contentType: 'multipart/form-data; boundary=other',
      }),
    ],
    ['no closing delimiter', () => ({ body: part(fileHeaders('notes.md'), file) })],
    [
      'no blank line after part headers',
      () => ({
        body: Buffer.concat([Buffer.from(`--${boundary}\r\n${fileHeaders('a.md')}\r\n`), file, close]),
      }),
    ],
    [
      'part without a name',
      () => ({ body: Buffer.concat([part('Content-Disposition: form-data; filename="x.md"', file), close]) }),
    ],
    [
      'field without a file',
      () => ({
        body: Buffer.concat([part('Content-Disposition: form-data; name="title"', 'Week 1'), close]),
      }),
    ],
    ['no parts', () => ({ body: close })],
    ['empty body', () => ({ body: Buffer.alloc(0) })],
    ['empty file', () => ({ body: Buffer.concat([part(fileHeaders('empty.md'), ''), close]) })],
    [
      'hostile filename',
      () => ({
        body: Buffer.concat([
          part(
            fileHeaders(
              rng.pick([
                '../../etc/passwd',
                'a\r\nX-Injected: 1.md',
                '\u202eexe.md',
                'x'.repeat(5_000),
                'x'.repeat(500_000),
                '',
                '..',
                'CON',
                '%00.md',
              ]),
            ),
            file,
          ),
          close,
        ]),
      }),
    ],
    [
      'unknown file type',
      () => ({
        body: Buffer.concat([part(fileHeaders('virus.exe', 'application/x-msdownload'), file), close]),
      }),
    ],
    [
      'PDF that is not one',
      () => ({
        body: Buffer.concat([
          part(
            fileHeaders('broken.pdf', 'application/pdf'),
            Buffer.concat([Buffer.from('%PDF-1.7\n'), binaryGarbage(rng, 512)]),
          ),
          close,
        ]),
      }),
    ],
    [
      'LF line endings',
      () => ({
        body: Buffer.from(
          `--${boundary}\nContent-Disposition: form-data; name="file"; filename="a.md"\n\nhello\n--${boundary}--\n`,
        ),
      }),
    ],
    [
      '2000 parts',
      () => ({
        body: Buffer.concat([
          ...Array.from({ length: 2_000 }, (_, i) =>
            part(`Content-Disposition: form-data; name="f${i}"`, 'x'),
          ),
          close,
        ]),
      }),
    ],
    [
      'quoted boundary',
      () => ({
        body: Buffer.concat([part(fileHeaders('notes.md'), file), close]),
        contentType: `multipart/form-data; boundary="${boundary}"`,
      }),
    ],
    [
      'empty quoted boundary',
      () => ({
        body: Buffer.concat([part(fileHeaders('notes.md'), file), close]),
        contentType: 'multipart/form-data; boundary=""',
      }),
    ],
    [
      'whitespace boundary',
      () => ({
        body: Buffer.from('--   \r\n\r\nx\r\n--   --'),
        contentType: 'multipart/form-data; boundary=   ',
      }),
    ],
    [
      'regex characters in the boundary',
      () => ({
        body: Buffer.from(
          '--.*+?[](){}\r\nContent-Disposition: form-data; name="file"; filename="a.md"\r\n\r\nx\r\n--.*+?[](){}--',
        ),
        contentType: 'multipart/form-data; boundary=.*+?[](){}',
      }),
    ],
    [
      '300-character boundary',
      () => ({
        body: Buffer.from(`--${'b'.repeat(300)}\r\n\r\nx`),
        contentType: `multipart/form-data; boundary=${'b'.repeat(300)}`,
      }),
    ],
    ['binary garbage', () => ({ body: binaryGarbage(rng) })],
  ];
  const [label, make] = rng.pick(variants);
  const made = make();
  return { body: made.body, contentType: made.contentType ?? contentType, label: `multipart: ${label}` };
}

export interface RouteFuzzer {
  route: Route;
  next(): FuzzRequest;
}

export interface FuzzOptions {
  /** Let valid-by-chance requests start whole-sector and whole-bank generations (slow). */
  expensiveJobs?: boolean;
  /**
   * Let valid-by-chance requests to the generate routes start real quiz jobs (default). Off,
   * their bodies keep `dry_run: true`, which keeps the short form in `npm test` short.
   */
  quizJobs?: boolean;
}

/** The stream of generated requests for one route. */
export function routeFuzzer(
  route: Route,
  fx: FuzzFixtures,
  seed: number,
  options: FuzzOptions = {},
): RouteFuzzer {
  const rng = createRng(streamSeed(seed, routeName(route)));
  const examples = examplesOf(route, fx, options);
  const hasBody = route.method === 'POST' || route.method === 'PUT';
  // The routes that take a file as a multipart form: POST /documents and EduMate's POST /chunking.
  const isDocuments = route.method === 'POST' && (route.path === '/documents' || route.path === '/chunking');
  let index = 0;

  return {
    route,
    next(): FuzzRequest {
      // API Gateway takes at most 10240 bytes of request line and headers; larger ones are
      // refused before any of this service runs (and Node's parser answers 431 at 16 KB), so
      // they test nothing here: draw again.
      for (;;) {
        const request = build();
        const headerBytes = request.headers.reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
        if (request.method.length + request.target.length + headerBytes <= 9_000) {
          return { ...request, index: index++ };
        }
      }
    },
  };

  function build(): Omit<FuzzRequest, 'index'> {
    const labels: string[] = [];
    let path = validPath(route, examples);
    let query = queryText(examples.queries[0]);
    let method = route.method as string;
    let key: string | null = fx.key;
    const headers: [string, string][] = [];
    let contentType: string | undefined;
    let body: Buffer | undefined;
    let raw = false;
    const validBody = examples.bodies.length > 0 ? rng.pick(examples.bodies) : hasBody ? {} : undefined;
    if (validBody !== undefined) {
      body = Buffer.from(toJsonText(validBody));
      contentType = 'application/json';
    }

    const strategies = [
      ...(hasBody ? ['body', 'body', 'body', 'body', 'raw-body', 'content-type'] : ['get-body']),
      ...(route.path.includes('{') ? ['path', 'path', 'path'] : ['path']),
      'query',
      'query',
      'headers',
      'headers',
      'injection',
      ...(isDocuments ? ['multipart', 'multipart', 'multipart'] : []),
      ...(hasBody ? ['huge'] : []),
      'method',
      'combined',
    ];
    const chosen = rng.pick(strategies);
    const apply = chosen === 'combined' ? [rng.pick(strategies), rng.pick(strategies)] : [chosen];
    for (const strategy of apply) {
      switch (strategy) {
        case 'body': {
          const mutated = mutateJson(rng, validBody ?? {}, examples.protect);
          body = Buffer.from(toJsonText(mutated.value) ?? '');
          labels.push(mutated.label);
          break;
        }
        case 'raw-body':
        case 'get-body': {
          if (rng.chance(0.3)) {
            body = binaryGarbage(rng);
            labels.push(`binary body (${body.length} bytes)`);
          } else {
            const malformed = malformedJson(rng, toJsonText(validBody ?? {}));
            body = malformed.body;
            labels.push(malformed.label);
          }
          if (strategy === 'get-body') contentType = 'application/json';
          break;
        }
        case 'content-type': {
          contentType = rng.chance(0.15) ? undefined : rng.pick(CONTENT_TYPES);
          labels.push(`content-type ${contentType === undefined ? 'missing' : describeValue(contentType)}`);
          break;
        }
        case 'path': {
          const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);
          if (names.length > 0) {
            const params: Record<string, string> = {};
            for (const name of names) {
              const segment = rng.chance(0.6)
                ? hostileSegment(rng, examples.params[name] ?? ['x'])
                : { text: encodeSegment(examples.params[name]?.[0] ?? 'x'), label: '' };
              params[name] = segment.text;
              if (segment.label) labels.push(`{${name}} ${segment.label}`);
            }
            path = fillPath(route, params);
          } else {
            const suffix = rng.pick(['/', '//', '/..', '/x', '/%2e%2e', '/%00', '/./', '?', '%20', '/.json']);
            const joined = `${path === '/' ? '' : path}${suffix}`;
            path = joined.startsWith('/') ? joined : `/${joined}`;
            labels.push(`path suffix ${suffix}`);
          }
          break;
        }
        case 'query': {
          const hostile = hostileQuery(rng, examples.queries);
          query = hostile.text === '' ? '' : `?${hostile.text}`;
          labels.push(hostile.label);
          break;
        }
        case 'headers': {
          switch (rng.int(8)) {
            case 0:
              key = null;
              labels.push('no API key');
              break;
            case 1: {
              key = rng.pick([
                '',
                ' ',
                'not-a-key',
                `${fx.key}x`,
                fx.key.toLowerCase(),
                'k'.repeat(4_000),
                '\u00ff\u00fe',
                fx.key.slice(1),
              ]);
              labels.push(`wrong key ${describeValue(key)}`);
              break;
            }
            case 2:
              key = fx.otherKey;
              labels.push("another client's key");
              break;
            case 3: {
              const value = rng.pick([
                `Bearer ${fx.key}`,
                'Bearer',
                'Bearer ',
                `Basic ${Buffer.from('a:b').toString('base64')}`,
                `Bearer ${fx.key} extra`,
                `bearer ${fx.key}`,
                'Bearer \u00ff',
              ]);
              key = rng.chance(0.5) ? null : key;
              headers.push(['Authorization', value]);
              labels.push(`Authorization ${describeValue(value)}${key === null ? ' only' : ''}`);
              break;
            }
            case 4: {
              headers.push(['X-API-Key', rng.pick([fx.otherKey, 'second', fx.key])]);
              labels.push('two X-API-Key headers');
              break;
            }
            default: {
              const count = 1 + rng.int(3);
              for (let i = 0; i < count; i++) headers.push(rng.pick(EXTRA_HEADERS));
              labels.push(`headers ${headers.map(([k]) => k).join(', ')}`);
              break;
            }
          }
          break;
        }
        case 'injection': {
          headers.push(rng.pick(INJECTED_HEADERS));
          raw = true;
          labels.push(`header injection ${describeValue(headers.at(-1)?.[1] ?? '')}`);
          break;
        }
        case 'multipart': {
          const form = multipartBody(rng);
          body = form.body;
          contentType = form.contentType;
          labels.push(form.label);
          break;
        }
        case 'huge': {
          const huge = hugeBody(rng, examples);
          body = huge.body;
          contentType = huge.contentType;
          labels.push(huge.label);
          break;
        }
        case 'method': {
          // Not DELETE where the path names a fixture: the known-good requests still need it.
          const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'].filter(
            (m) => m !== route.method && !(m === 'DELETE' && route.path.includes('{')),
          );
          method = rng.pick(methods);
          labels.push(`method ${method}`);
          break;
        }
      }
    }
    if (key !== null) headers.unshift(['X-API-Key', key]);
    if (contentType !== undefined) headers.push(['Content-Type', contentType]);
    return {
      method,
      target: `${path}${query}`,
      headers,
      body:
        method === 'HEAD' || method === 'GET'
          ? body && body.length > 0 && rng.chance(0.5)
            ? body
            : undefined
          : body,
      raw,
      label: `${chosen}: ${labels.join('; ') || 'valid'}`,
    };
  }
}

// --- sending -------------------------------------------------------------------------------

/** What the fuzzer keeps of a response body: enough to parse any error. */
const MAX_KEPT_BODY = 2 * 1024 * 1024;

export async function send(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<FuzzResponse> {
  return request.raw ? sendRaw(baseUrl, request, timeoutMs) : sendHttp(baseUrl, request, timeoutMs);
}

// A fresh connection per request: a kept-alive socket the server closes while idle (its 5 s
// keep-alive timeout, say between two routes) would fail the next request with a reset.
const agent = new Agent({ keepAlive: false, maxSockets: 64 });

function sendHttp(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<FuzzResponse> {
  const url = new URL(baseUrl);
  const started = Date.now();
  const headers = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of request.headers) {
    const current = headers[name];
    headers[name] = current === undefined ? value : [...[current].flat(), value];
  }
  if (request.body) headers['Content-Length'] = String(request.body.length);
  return new Promise((resolve) => {
    const fail = (error: Error) =>
      resolve({
        status: 0,
        headers: {},
        body: Buffer.alloc(0),
        ms: Date.now() - started,
        error: error.message,
      });
    let req: ReturnType<typeof httpRequest>;
    try {
      req = httpRequest(
        {
          host: '127.0.0.1',
          port: url.port,
          method: request.method,
          path: request.target,
          headers,
          agent,
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          let kept = 0;
          res.on('data', (chunk: Buffer) => {
            if (kept < MAX_KEPT_BODY) chunks.push(chunk);
            kept += chunk.length;
          });
          res.on('error', fail);
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: Buffer.concat(chunks),
              ms: Date.now() - started,
            }),
          );
        },
      );
    } catch (error) {
      // The client refused to send it (a header value Node will not write): not the service's fault.
      resolve({ status: -1, headers: {}, body: Buffer.alloc(0), ms: 0, error: (error as Error).message });
      return;
    }
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', fail);
    req.end(request.body);
  });
}

function sendRaw(baseUrl: string, request: FuzzRequest, timeoutMs: number): Promise<FuzzResponse> {
  const url = new URL(baseUrl);
  const started = Date.now();
  const body = request.body ?? Buffer.alloc(0);
  const head = [
    `${request.method} ${request.target} HTTP/1.1`,
    `Host: 127.0.0.1:${url.port}`,
    'Connection: close',
    ...request.headers.map(([name, value]) => `${name}: ${value}`),
    `Content-Length: ${body.length}`,
    '',
    '',
  ].join('\r\n');
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(url.port) });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    let settled = false;
    const settle = (response: FuzzResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(response);
    };
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error) => {
      // An answer before the whole body was sent (a 401, say), then the socket closed under the
      // rest of the body: the answer is what counts.
      const answered = parseRawResponse(Buffer.concat(chunks), Date.now() - started);
      settle(answered.error ? { ...answered, error: error.message } : answered);
    });
    socket.on('close', () => settle(parseRawResponse(Buffer.concat(chunks), Date.now() - started)));
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
}

function parseRawResponse(bytes: Buffer, ms: number): FuzzResponse {
  const end = bytes.indexOf('\r\n\r\n');
  if (end < 0)
    return { status: 0, headers: {}, body: Buffer.alloc(0), ms, error: 'no complete HTTP response' };
  const [statusLine = '', ...lines] = bytes.subarray(0, end).toString('latin1').split('\r\n');
  const headers: IncomingHttpHeaders = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = bytes.subarray(end + 4);
  if (/chunked/i.test(String(headers['transfer-encoding'] ?? ''))) {
    const parts: Buffer[] = [];
    let at = 0;
    while (at < body.length) {
      const lineEnd = body.indexOf('\r\n', at);
      const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!Number.isFinite(size) || size === 0) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body, ms };
}

// --- checking ------------------------------------------------------------------------------

/** API Gateway's integration timeout; an answer later than this never reaches a client in AWS. */
export const GATEWAY_TIMEOUT_MS = 29_000;
/** Local overhead on top (a busy machine, the gateway's own work). */
const TIMEOUT_SLACK_MS = 2_000;

type Envelope = 'detail' | 'content' | 'both' | 'either';

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The route API Gateway picks for a method and path (segments decoded, literals first), if any. */
function gatewayRoute(method: string, pathname: string): Route | undefined {
  const segments = pathname.split('/').filter(Boolean).map(safeDecode);
  const candidates = ROUTES.filter((route) => {
    const template = route.path.split('/').filter(Boolean);
    return (
      route.method === method &&
      template.length === segments.length &&
      template.every((part, i) => part.startsWith('{') || part === segments[i])
    );
  });
  const params = (route: Route) => (route.path.match(/\{/g) ?? []).length;
  return candidates.sort((a, b) => params(a) - params(b))[0];
}

/** Which error envelope an answer to this request must carry. */
export function envelopeFor(method: string, target: string, status: number): Envelope {
  let path: string;
  try {
    // As the gateway reads it: a path, even one that starts with `//`.
    path = new URL(`http://localhost${target.startsWith('/') ? target : `/${target}`}`).pathname;
  } catch {
    return 'either';
  }
  const route = gatewayRoute(method, path);
  // No route, or no (valid) key: API Gateway itself answers, with both envelopes in one body.
  if (!route || status === 401 || status === 403) return 'both';
  if (route.handler === 'contentApi') return 'content';
  if (route.handler === 'healthApi') return 'either';
  return 'detail';
}

function detailProblem(body: any): string | undefined {
  if (typeof body?.detail !== 'string' || body.detail.trim() === '') return 'no non-empty "detail"';
  return undefined;
}

function contentProblem(body: any): string | undefined {
  if (body?.success !== false) return '"success" is not false';
  if (typeof body.error !== 'string' || body.error.trim() === '') return 'no non-empty "error"';
  if (typeof body.metadata?.timestamp !== 'string') return 'no metadata.timestamp';
  const details = body.metadata?.details;
  if (typeof details?.code !== 'string' || details.code === '') return 'no metadata.details.code';
  if (typeof details.suggestion !== 'string') return 'no metadata.details.suggestion';
  return undefined;
}

export type Verdict = { ok: true; firewall?: boolean } | { ok: false; reason: string };

/** Whether the web ACL on the stage answered (its headers carry WAF's `x-amzn-waf-` prefix). */
function fromFirewall(response: FuzzResponse): boolean {
  return Object.keys(response.headers).some((name) => name.toLowerCase().startsWith(FIREWALL_HEADER_PREFIX));
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch {
    return undefined;
  }
}

export function verdict(request: FuzzRequest, response: FuzzResponse): Verdict {
  if (response.status === -1) return { ok: true };
  if (response.error) return { ok: false, reason: `no answer: ${response.error}` };
  if (response.ms > GATEWAY_TIMEOUT_MS + TIMEOUT_SLACK_MS) {
    return { ok: false, reason: `answered after ${response.ms} ms, beyond API Gateway's 29 s` };
  }
  if (response.status >= 500) return { ok: false, reason: `${response.status} answer` };
  if (fromFirewall(response)) {
    // The web ACL's answer to a body Lambda could not take: a static body with both envelopes,
    // without the timestamp only a gateway response can fill in.
    if (response.status !== 413) return { ok: false, reason: `${response.status} from the web ACL` };
    // An answer to HEAD has no body, by HTTP.
    if (request.method === 'HEAD') return { ok: true, firewall: true };
    const body = parseJson(response.body) as any;
    const problem =
      body === undefined
        ? 'not JSON'
        : (detailProblem(body) ??
          contentProblem({ ...body, metadata: { timestamp: '', ...body?.metadata } }));
    return problem ? { ok: false, reason: `413 from the web ACL: ${problem}` } : { ok: true, firewall: true };
  }
  if (response.status < 400 || request.method === 'HEAD') return { ok: true };
  const body = parseJson(response.body);
  if (body === undefined) return { ok: false, reason: `${response.status} body is not JSON` };
  const envelope = envelopeFor(request.method, request.target, response.status);
  const problems = {
    detail: detailProblem(body),
    content: contentProblem(body),
  };
  const problem =
    envelope === 'detail'
      ? problems.detail
      : envelope === 'content'
        ? problems.content
        : envelope === 'both'
          ? (problems.detail ?? problems.content)
          : problems.detail && problems.content;
  return problem
    ? { ok: false, reason: `${response.status} not in the ${envelope} envelope: ${problem}` }
    : { ok: true };
}

// --- fixtures and known-good requests ------------------------------------------------------

async function expectStatus(
  what: string,
  response: { status: number; text: string },
  ...statuses: number[]
): Promise<void> {
  if (!statuses.includes(response.status)) {
    throw new Error(
      `${what}: expected ${statuses.join(' or ')}, got ${response.status}: ${response.text.slice(0, 300)}`,
    );
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not happen within ${timeoutMs} ms`);
}

const TERMINAL = ['completed', 'failed', 'cancelled'];

async function quizJobDone(h: Harness, jobId: string) {
  return until(`quiz job ${jobId}`, async () => {
    const job = (await h.call('GET', `${API_BASE_PATH}/jobs/${jobId}`)).body;
    return TERMINAL.includes(job?.status) ? job : undefined;
  });
}

async function contentJobDone(h: Harness, id: number) {
  return until(`content job ${id}`, async () => {
    const data = (await h.call('GET', `/api/jobs/${id}/status`)).body?.data;
    return TERMINAL.includes(data?.status) ? data : undefined;
  });
}

async function uploadNotes(h: Harness): Promise<string> {
  const response = await fetch(`${h.url}/documents?filename=photosynthesis.md`, {
    method: 'POST',
    headers: { 'x-api-key': h.key, 'content-type': 'text/markdown' },
    body: SAMPLE_NOTES,
  });
  const text = await response.text();
  await expectStatus('uploading the notes', { status: response.status, text }, 202);
  return JSON.parse(text).document_id;
}

/** The data the known-good requests use: a finished job of each kind, a document, a template. */
export async function prepareFixtures(h: Harness): Promise<FuzzFixtures> {
  const quiz = await h.call('POST', `${API_BASE_PATH}/generate/career-level/async`, {
    sector: 'technology',
    career: 'FRONTEND_DEVELOPER',
    level: 1,
  });
  await expectStatus('starting the quiz job', quiz, 202);
  const quizJob = await quizJobDone(h, quiz.body.job_id);
  if (quizJob.status !== 'completed')
    throw new Error(`the quiz job ${quizJob.status}: ${quizJob.error_message}`);
  const softSkills = await h.call('POST', `${API_BASE_PATH}/generate/soft-skills/async`, {});
  await expectStatus('starting the soft skills job', softSkills, 202);
  const content = await h.call('POST', '/api/execute', smallCourse());
  await expectStatus('starting the content job', content, 200, 202);
  const contentJobId = Number(content.body.output?.jobId ?? content.body.data?.jobId);
  // A cost limit no section fits in: the job fails at its budget (429 when that is within the wait).
  const stopped = await h.call('POST', '/api/execute', smallCourse('Stopped', { maxCostUsd: 0.000001 }));
  await expectStatus('starting the content job that stops at its budget', stopped, 202, 429);
  const failedContentJobId = Number(stopped.body.data?.jobId ?? stopped.body.metadata?.details?.jobId);
  await expectStatus('creating the template', await h.call('POST', '/api/templates', TEMPLATE), 201);

  const documentId = await uploadNotes(h);
  await until('the notes to be ingested', async () => {
    const document = (await h.call('GET', `/documents/${documentId}`)).body;
    if (document?.status === 'failed') throw new Error(`the notes failed to ingest: ${document.error}`);
    return document?.status === 'ready' ? document : undefined;
  });
  const assessment = await h.call('POST', '/generate_assessment', {
    query: 'photosynthesis',
    document_id: documentId,
    bloom_mix: '2 remember, 1 apply',
  });
  await expectStatus('starting the assessment', assessment, 202);
  const assessmentJobId: string = assessment.body.job_id;
  const finished = await until('the assessment to finish', async () => {
    const status = (await h.call('GET', `/job_status?job_id=${assessmentJobId}`)).body;
    if (status?.status === 'failed') throw new Error(`the assessment failed: ${status.error}`);
    return status?.status === 'finished' ? status : undefined;
  });
  const saved = await h.call('POST', '/assessments', { job_id: assessmentJobId, title: 'Fuzz fixture' });
  await expectStatus('saving the assessment', saved, 201);

  await quizJobDone(h, softSkills.body.job_id);
  const listed = await h.call('GET', `/questions?job_id=${quiz.body.job_id}&limit=1`);
  await expectStatus("listing the quiz job's questions", listed, 200);
  const questionId: string = listed.body.questions[0].id;
  await contentJobDone(h, contentJobId);
  await contentJobDone(h, failedContentJobId);
  return {
    key: h.key,
    otherKey: h.otherKey,
    quizJobId: quiz.body.job_id,
    questionId,
    documentId,
    assessmentJobId,
    savedAssessmentId: saved.body.assessment_id,
    mcqs: finished.result.mcqs,
    contentJobId,
    failedContentJobId,
    templateName: TEMPLATE.name,
  };
}

/** Runs `fn` with the synchronous endpoints answering at once (the e2e tests do the same). */
async function withoutSyncWait<T>(fn: () => Promise<T>): Promise<T> {
  const before = process.env.SYNC_WAIT_SECONDS;
  process.env.SYNC_WAIT_SECONDS = '0';
  resetConfig();
  try {
    return await fn();
  } finally {
    if (before === undefined) delete process.env.SYNC_WAIT_SECONDS;
    else process.env.SYNC_WAIT_SECONDS = before;
    resetConfig();
  }
}

/** Waits (at most 30 s) until the key has no quiz job pending or running. */
async function quiesce(h: Harness): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const counts = await Promise.all(
      ['pending', 'running'].map(
        async (status) =>
          (await h.call('GET', `${API_BASE_PATH}/jobs?status=${status}&limit=1`)).body?.total ?? 0,
      ),
    );
    if (counts.every((n) => n === 0)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

type KnownGood = (h: Harness, fx: FuzzFixtures) => Promise<{ status: number; text: string }>;

/** Known-good requests that need something made first (what they act on must exist and be in the right state). */
const KNOWN_GOOD: Record<string, KnownGood> = {
  // The batch regenerated the fixture question (its later requests answer 409): regenerate
  // another of the job's questions that no regeneration has claimed, and let the job finish.
  'POST /questions/{id}/regenerate': async (h, fx) => {
    const listed = await h.call('GET', `/questions?job_id=${fx.quizJobId}&review=pending&limit=200`);
    const free = listed.body?.questions?.find(
      (q: { id: string; replaces?: string; regenerating?: string }) =>
        q.id !== fx.questionId && !q.replaces && !q.regenerating,
    );
    if (!free) return { status: 0, text: 'no question of the quiz job is left to regenerate' };
    const started = await h.call('POST', `/questions/${free.id}/regenerate`, {
      instructions: 'Make it harder',
    });
    if (started.status === 202) await quizJobDone(h, started.body.job_id);
    return started;
  },
  [`DELETE ${API_BASE_PATH}/jobs/{job_id}`]: async (h) => {
    const started = await h.call('POST', `${API_BASE_PATH}/generate/career-level/async`, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
    });
    await quizJobDone(h, started.body.job_id);
    return h.call('DELETE', `${API_BASE_PATH}/jobs/${started.body.job_id}`);
  },
  [`POST ${API_BASE_PATH}/jobs/{job_id}/cancel`]: async (h) => {
    const started = await h.call('POST', `${API_BASE_PATH}/generate/sector/async`, {
      sector: 'technology',
      regenerate: true,
    });
    const cancelled = await h.call('POST', `${API_BASE_PATH}/jobs/${started.body.job_id}/cancel`);
    await quizJobDone(h, started.body.job_id);
    return cancelled;
  },
  [`PUT ${API_BASE_PATH}/budget`]: (h) => h.call('PUT', `${API_BASE_PATH}/budget`, { monthly_usd: null }),
  [`POST ${API_BASE_PATH}/generate/full/async`]: (h) =>
    h.call('POST', `${API_BASE_PATH}/generate/full/async`, { dry_run: true }),
  'DELETE /documents/{document_id}': async (h) => {
    const created = await h.call('POST', '/documents', { filename: 'later.pdf', size_bytes: 1024 });
    return h.call('DELETE', `/documents/${created.body.document_id}`);
  },
  'POST /documents/{document_id}/complete': async (h) => {
    const bytes = Buffer.from(SAMPLE_NOTES);
    const created = await h.call('POST', '/documents', {
      filename: 'uploaded.md',
      content_type: 'text/markdown',
      size_bytes: bytes.length,
    });
    const upload = created.body.upload;
    const put = await fetch(upload.url, { method: 'PUT', headers: upload.headers, body: bytes });
    if (!put.ok) return { status: put.status, text: `upload to S3: ${await put.text()}` };
    return h.call('POST', `/documents/${created.body.document_id}/complete`);
  },
  'POST /documents': async (h) => ({ status: 202, text: await uploadNotes(h) }),
  'POST /chunking': async (h) => {
    // As EduMate's client sends it: a form with the file in the field "file".
    const form = new FormData();
    form.append('file', new Blob([SAMPLE_NOTES], { type: 'text/markdown' }), 'notes.md');
    const response = await fetch(`${h.url}/chunking`, {
      method: 'POST',
      headers: { 'x-api-key': h.key },
      body: form,
    });
    return { status: response.status, text: await response.text() };
  },
  'DELETE /assessments/{assessment_id}': async (h, fx) => {
    const saved = await h.call('POST', '/assessments', { job_id: fx.assessmentJobId });
    return h.call('DELETE', `/assessments/${saved.body.assessment_id}`);
  },
  'POST /api/jobs/{id}/cancel': (h) =>
    withoutSyncWait(async () => {
      const started = await h.call('POST', '/api/execute', smallCourse('To cancel'));
      const id = Number(started.body.data?.jobId ?? started.body.output?.jobId);
      const cancelled = await h.call('POST', `/api/jobs/${id}/cancel`);
      await contentJobDone(h, id);
      return cancelled;
    }),
  'POST /api/jobs/{id}/retry': (h) =>
    withoutSyncWait(async () => {
      // A cost limit no section fits in fails the job; raising it makes it retryable.
      const started = await h.call('POST', '/api/execute', smallCourse('To retry', { maxCostUsd: 0.000001 }));
      const id = Number(
        started.body.data?.jobId ?? started.body.output?.jobId ?? started.body.metadata?.details?.jobId,
      );
      const failed = await contentJobDone(h, id);
      if (failed.status !== 'failed') return { status: 0, text: `the job to retry ended ${failed.status}` };
      const retried = await h.call('POST', `/api/jobs/${id}/retry`, { config: { maxCostUsd: 10 } });
      await contentJobDone(h, id);
      return retried;
    }),
};

/** The route's known-good request: a setup of its own, else its first valid example on the fixtures. */
export async function knownGood(
  h: Harness,
  fx: FuzzFixtures,
  route: Route,
  options: FuzzOptions = {},
): Promise<{ ok: boolean; status: number; text: string }> {
  const special = KNOWN_GOOD[`${route.method} ${route.path}`];
  try {
    let response: { status: number; text: string };
    if (special) {
      response = await special(h, fx);
    } else {
      const examples = examplesOf(route, fx, { ...options, expensiveJobs: false });
      const body = examples.bodies[0];
      const target = `${validPath(route, examples)}${queryText(examples.queries[0])}`;
      response = await h.call(
        route.method,
        target,
        route.method === 'GET' || route.method === 'DELETE' ? undefined : (body ?? {}),
      );
    }
    return {
      ok: response.status >= 200 && response.status < 400,
      status: response.status,
      text: response.text,
    };
  } catch (error) {
    return { ok: false, status: 0, text: (error as Error).message };
  }
}

// --- running and reporting -----------------------------------------------------------------

export interface Failure {
  request: {
    index: number;
    label: string;
    method: string;
    target: string;
    headers: [string, string][];
    bodyBytes: number;
    body: string;
  };
  response: { status: number; ms: number; body: string; error?: string };
  reason: string;
}

export interface RouteReport {
  route: string;
  sent: number;
  statuses: Record<string, number>;
  /** Answers of the web ACL on the stage (413 for a body Lambda could not take). */
  firewall: number;
  failures: Failure[];
  keepsServing: { ok: boolean; status: number; text: string };
  ms: number;
}

export interface FuzzReport {
  seed: number;
  perRoute: number;
  routes: RouteReport[];
  ms: number;
}

export interface RunOptions extends FuzzOptions {
  seed: number;
  perRoute: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Only routes whose `METHOD path` contains this. */
  routeFilter?: string;
  onRoute?: (report: RouteReport) => void;
}

const preview = (bytes: Buffer | undefined, max = 200) => {
  if (!bytes || bytes.length === 0) return '';
  const text = bytes.subarray(0, max * 4).toString('utf8');
  return text.length > max ? `${text.slice(0, max)}…` : text;
};

const shortHeaders = (headers: [string, string][]): [string, string][] =>
  headers.map(([n, v]) => [n, v.length > 120 ? `${v.slice(0, 120)}… (${v.length} chars)` : v]);

export async function runFuzz(h: Harness, fx: FuzzFixtures, options: RunOptions): Promise<FuzzReport> {
  const started = Date.now();
  const concurrency = options.concurrency ?? 8;
  const routes = ROUTES.filter((r) => !options.routeFilter || routeName(r).includes(options.routeFilter));
  const reports: RouteReport[] = [];
  for (const route of routes) {
    const routeStarted = Date.now();
    const fuzzer = routeFuzzer(route, fx, options.seed, options);
    const report: RouteReport = {
      route: routeName(route),
      sent: 0,
      statuses: {},
      firewall: 0,
      failures: [],
      keepsServing: { ok: false, status: 0, text: '' },
      ms: 0,
    };
    let generated = 0;
    const worker = async () => {
      while (generated < options.perRoute) {
        generated++;
        const request = fuzzer.next();
        const response = await send(h.url, request, GATEWAY_TIMEOUT_MS + 10_000);
        const status =
          response.status === -1 ? 'not sent' : response.status === 0 ? 'no answer' : String(response.status);
        report.statuses[status] = (report.statuses[status] ?? 0) + 1;
        if (response.status !== -1) report.sent++;
        const judged = verdict(request, response);
        if (judged.ok && judged.firewall) report.firewall++;
        if (!judged.ok) {
          report.failures.push({
            request: {
              index: request.index,
              label: request.label.length > 300 ? `${request.label.slice(0, 300)}…` : request.label,
              method: request.method,
              target:
                request.target.length > 300
                  ? `${request.target.slice(0, 300)}… (${request.target.length} chars)`
                  : request.target,
              headers: shortHeaders(request.headers),
              bodyBytes: request.body?.length ?? 0,
              body: preview(request.body),
            },
            response: {
              status: response.status,
              ms: response.ms,
              body: preview(response.body, 300),
              ...(response.error ? { error: response.error } : {}),
            },
            reason: judged.reason,
          });
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // Jobs the batch started finish first: each route's known-good request, and the next route,
    // start from a quiet service (the results routes read files those jobs rewrite).
    await quiesce(h);
    report.keepsServing = await knownGood(h, fx, route, options);
    report.keepsServing.text = report.keepsServing.text.slice(0, 300);
    report.ms = Date.now() - routeStarted;
    reports.push(report);
    options.onRoute?.(report);
  }
  return { seed: options.seed, perRoute: options.perRoute, routes: reports, ms: Date.now() - started };
}

export function failuresOf(report: FuzzReport): number {
  return report.routes.reduce((n, r) => n + r.failures.length + (r.keepsServing.ok ? 0 : 1), 0);
}

const statusClass = (statuses: Record<string, number>, family: string) =>
  Object.entries(statuses)
    .filter(([s]) => s.startsWith(family) && s.length === 3)
    .reduce((n, [, c]) => n + c, 0);

export function formatReport(report: FuzzReport, maxFailuresPerRoute = 10): string {
  const lines: string[] = [];
  const width = Math.max(...report.routes.map((r) => r.route.length), 5);
  const pad = (text: string | number, n: number) => String(text).padStart(n);
  lines.push(
    `Fuzz report: seed ${report.seed}, ${report.perRoute} requests per route, ${report.routes.length} routes, ${(report.ms / 1000).toFixed(1)} s`,
  );
  lines.push(
    `${'route'.padEnd(width)}  ${pad('sent', 6)} ${pad('2xx', 5)} ${pad('3xx', 5)} ${pad('4xx', 6)} ${pad('5xx', 5)} ${pad('waf', 4)} ${pad('fail', 5)}  serving  statuses`,
  );
  const totals = { sent: 0, s2: 0, s3: 0, s4: 0, s5: 0, firewall: 0, failures: 0, serving: 0 };
  const all: Record<string, number> = {};
  for (const r of report.routes) {
    const [s2, s3, s4, s5] = ['2', '3', '4', '5'].map((f) => statusClass(r.statuses, f)) as [
      number,
      number,
      number,
      number,
    ];
    totals.sent += r.sent;
    totals.s2 += s2;
    totals.s3 += s3;
    totals.s4 += s4;
    totals.s5 += s5;
    totals.firewall += r.firewall;
    totals.failures += r.failures.length;
    totals.serving += r.keepsServing.ok ? 1 : 0;
    for (const [s, c] of Object.entries(r.statuses)) all[s] = (all[s] ?? 0) + c;
    const statuses = Object.entries(r.statuses)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, c]) => `${s}:${c}`)
      .join(' ');
    lines.push(
      `${r.route.padEnd(width)}  ${pad(r.sent, 6)} ${pad(s2, 5)} ${pad(s3, 5)} ${pad(s4, 6)} ${pad(s5, 5)} ${pad(r.firewall, 4)} ${pad(r.failures.length, 5)}  ${r.keepsServing.ok ? `yes ${r.keepsServing.status}` : `NO ${r.keepsServing.status}`}  ${statuses}`,
    );
  }
  lines.push(
    `${'TOTAL'.padEnd(width)}  ${pad(totals.sent, 6)} ${pad(totals.s2, 5)} ${pad(totals.s3, 5)} ${pad(totals.s4, 6)} ${pad(totals.s5, 5)} ${pad(totals.firewall, 4)} ${pad(totals.failures, 5)}  ${totals.serving}/${report.routes.length}`,
  );
  lines.push(
    `statuses: ${Object.entries(all)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([s, c]) => `${s}:${c}`)
      .join(' ')}`,
  );
  lines.push(
    `5xx: ${totals.s5}; answered by the web ACL (413, column "waf"): ${totals.firewall}; failures: ${totals.failures}; routes still serving: ${totals.serving}/${report.routes.length}`,
  );
  for (const r of report.routes) {
    if (r.failures.length === 0 && r.keepsServing.ok) continue;
    lines.push('', `${r.route}:`);
    if (!r.keepsServing.ok)
      lines.push(`  known-good request failed: ${r.keepsServing.status} ${r.keepsServing.text}`);
    for (const f of r.failures.slice(0, maxFailuresPerRoute)) {
      lines.push(
        `  #${f.request.index} ${f.reason}`,
        `    request:  ${f.request.method} ${f.request.target}  [${f.request.label}]`,
        `    headers:  ${JSON.stringify(f.request.headers)}`,
        `    body:     ${f.request.bodyBytes} bytes ${JSON.stringify(f.request.body)}`,
        `    response: ${f.response.status} in ${f.response.ms} ms ${f.response.error ?? ''}${JSON.stringify(f.response.body)}`,
      );
    }
    if (r.failures.length > maxFailuresPerRoute)
      lines.push(`  … and ${r.failures.length - maxFailuresPerRoute} more`);
  }
  return lines.join('\n');
}

/**
 * The local stack for fuzzing: limits high enough that 429s do not hide other answers, and the
 * synchronous endpoints waiting 1 s so a valid-by-chance generation does not hold a slot long.
 */
export async function startFuzzHarness(): Promise<Harness> {
  return startHarness({
    settings: {
      contentRequestsPerMinute: 1_000_000,
      contentMaxConcurrentJobs: 10_000,
      syncWaitSeconds: 1,
    },
  });
}
