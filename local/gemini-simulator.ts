/**
 * A loopback stand-in for the Gemini REST API (the subset `@google/genai` uses for
 * `models.generateContent`, `models.embedContent` and `batches.*` with inlined requests), so the
 * real client code runs unchanged in local mode, tests and benchmarks. Everything it generates is
 * a placeholder and says so.
 *
 * Run alone: `npx node local/gemini-simulator.ts --port 8089 --rpm 60 --latency 200-800`.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

export const FAULT_KINDS = [
  'error429',
  'error500',
  'error503',
  'hang',
  'malformedJson',
  'truncated',
  'safety',
  'badItems',
  'nearDuplicate',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SimulatorConfig {
  /** Seeds every deterministic choice: answers (with the request), latency and faults (with the call index). */
  seed?: number;
  /** When set, only this key is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  latencyMs?: { min: number; max: number };
  latencyScale?: number;
  /** Requests per minute over a sliding 60 s window of accepted calls; undefined = unlimited. */
  rpm?: number;
  /** Input (prompt) tokens per minute, as Gemini counts its TPM quota; undefined = unlimited. */
  tpm?: number;
  /** Probabilities 0..1, mutually exclusive, tried in the order of FAULT_KINDS. */
  faults?: Partial<Record<FaultKind, number>>;
  /** The first N generateContent calls answer 503, whatever the rates say. */
  failFirstCalls?: number;
  /** How long a `hang` holds the request before giving up with 504. */
  hangMs?: number;
  embeddingDimensions?: number;
  /** Embedding calls: the first N answer 503, then each fails with 503 at this rate (0..1). */
  embeddingFailFirstCalls?: number;
  embeddingErrorRate?: number;
  /** Fixed latency of each embedding call, scaled by latencyScale. */
  embeddingLatencyMs?: number;
  /** retryDelay announced by injected (`error429`) answers. */
  injected429DelayMs?: number;
  /** thoughtsTokenCount reported per answer (capped by the request's thinkingBudget). */
  thoughtsTokens?: number;
  /**
   * How long a batch (batchGenerateContent) takes from creation to done, scaled by latencyScale:
   * pending for its first fifth, then running, its requests answered in proportion to the time.
   */
  batchLatencyMs?: number;
}

export type Outcome =
  | 'ok'
  | '429_quota'
  | '429_injected'
  | '500'
  | '503'
  | 'malformed'
  | 'truncated'
  | 'safety'
  | 'hang'
  | 'bad_items'
  | 'near_duplicate'
  | 'auth'
  | 'bad_request'
  /** The client went away while the answer was being delayed. */
  | 'aborted';

const OUTCOMES: readonly Outcome[] = [
  'ok',
  '429_quota',
  '429_injected',
  '500',
  '503',
  'malformed',
  'truncated',
  'safety',
  'hang',
  'bad_items',
  'near_duplicate',
  'auth',
  'bad_request',
  'aborted',
];

export interface SimulatorStats {
  /** generateContent requests received; every one ends in exactly one outcome. */
  totalCalls: number;
  /** Calls admitted by the quota window (so they count against rpm/tpm). */
  acceptedCalls: number;
  outcomes: Record<Outcome, number>;
  inFlight: number;
  peakInFlight: number;
  promptTokens: number;
  candidatesTokens: number;
  thoughtsTokens: number;
  totalTokens: number;
  callsByModel: Record<string, number>;
  embeddings: { requests: number; texts: number; rejected: number; failed: number };
  /** Batch mode; its requests count here only, not in the generateContent fields above. */
  batches: BatchStats;
}

export interface BatchStats {
  created: number;
  cancelled: number;
  /** Inlined requests received in created batches. */
  requests: number;
  /** Of those, answered so far: with a response or with a per-request error. */
  answered: number;
  /** Answered with a per-request error (an injected 429, 500, 503 or hang). */
  failed: number;
  promptTokens: number;
  candidatesTokens: number;
  thoughtsTokens: number;
}

export interface GeminiSimulator {
  url: string;
  port: number;
  stats(): SimulatorStats;
  resetStats(): void;
  configure(patch: Partial<SimulatorConfig>): void;
  close(): Promise<void>;
}

type EffectiveConfig = Required<Omit<SimulatorConfig, 'apiKey' | 'rpm' | 'tpm'>> &
  Pick<SimulatorConfig, 'apiKey' | 'rpm' | 'tpm'>;

const DEFAULT_CONFIG: EffectiveConfig = {
  seed: 42,
  latencyMs: { min: 0, max: 0 },
  latencyScale: 1,
  faults: {},
  failFirstCalls: 0,
  hangMs: 10 * 60_000,
  embeddingDimensions: 768,
  embeddingFailFirstCalls: 0,
  embeddingErrorRate: 0,
  embeddingLatencyMs: 0,
  injected429DelayMs: 2000,
  thoughtsTokens: 0,
  batchLatencyMs: 2000,
};

const QUOTA_WINDOW_MS = 60_000;
const MAX_BODY_BYTES = 32 * 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Configuration

class ConfigError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function finiteNumber(key: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ConfigError(`${key} must be a number >= ${min}`);
  }
  return value;
}

/**
 * Applies a partial config; `null` or `undefined` for a key restores its default (for rpm/tpm:
 * unlimited), because JSON bodies of the admin endpoint cannot say `undefined`. Unknown keys are
 * refused so that a typo in a benchmark does not silently test nothing.
 */
function mergeConfig(current: EffectiveConfig, patch: Record<string, unknown>): EffectiveConfig {
  const next: EffectiveConfig = {
    ...current,
    latencyMs: { ...current.latencyMs },
    faults: { ...current.faults },
  };
  for (const [key, value] of Object.entries(patch)) {
    const unset = value === undefined || value === null;
    switch (key) {
      case 'seed':
        next.seed = unset ? DEFAULT_CONFIG.seed : Math.trunc(finiteNumber(key, value, -Infinity));
        break;
      case 'apiKey':
        if (!unset && typeof value !== 'string') throw new ConfigError('apiKey must be a string');
        next.apiKey = unset || value === '' ? undefined : (value as string);
        break;
      case 'rpm':
      case 'tpm':
        next[key] = unset ? undefined : finiteNumber(key, value, 1);
        break;
      case 'latencyScale':
      case 'embeddingFailFirstCalls':
      case 'embeddingErrorRate':
      case 'embeddingLatencyMs':
      case 'failFirstCalls':
      case 'hangMs':
      case 'injected429DelayMs':
      case 'thoughtsTokens':
      case 'batchLatencyMs':
        next[key] = unset ? DEFAULT_CONFIG[key] : finiteNumber(key, value);
        break;
      case 'embeddingDimensions':
        next.embeddingDimensions = unset ? DEFAULT_CONFIG.embeddingDimensions : finiteNumber(key, value, 1);
        break;
      case 'latencyMs': {
        if (unset) {
          next.latencyMs = { ...DEFAULT_CONFIG.latencyMs };
          break;
        }
        if (!isRecord(value)) throw new ConfigError('latencyMs must be { min, max }');
        const min = finiteNumber('latencyMs.min', value.min ?? 0);
        const max = finiteNumber('latencyMs.max', value.max ?? min);
        if (max < min) throw new ConfigError('latencyMs.max must be >= latencyMs.min');
        next.latencyMs = { min, max };
        break;
      }
      case 'faults': {
        if (unset) {
          next.faults = {};
          break;
        }
        if (!isRecord(value)) throw new ConfigError('faults must be an object of rates');
        // Merged per kind so one fault can be switched on without restating the others.
        for (const [kind, rate] of Object.entries(value)) {
          if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
            throw new ConfigError(`unknown fault "${kind}"; known: ${FAULT_KINDS.join(', ')}`);
          }
          if (rate === null || rate === undefined) delete next.faults[kind as FaultKind];
          else {
            const r = finiteNumber(`faults.${kind}`, rate);
            if (r > 1) throw new ConfigError(`faults.${kind} must be between 0 and 1`);
            next.faults[kind as FaultKind] = r;
          }
        }
        break;
      }
      default:
        throw new ConfigError(`unknown simulator option "${key}"`);
    }
  }
  return next;
}

// ---------------------------------------------------------------------------------------------
// Deterministic randomness

function sha256(...parts: (string | number)[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

function hashHex(...parts: (string | number)[]): string {
  return sha256(...parts).toString('hex');
}

/** A uniform number in [0, 1) fixed by its inputs. */
function unitFrom(...parts: (string | number)[]): number {
  return sha256(...parts).readUInt32BE(0) / 2 ** 32;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function rngFrom(...parts: (string | number)[]): () => number {
  return mulberry32(sha256(...parts).readUInt32BE(0));
}

// ---------------------------------------------------------------------------------------------
// Schema-driven answers

type Schema = Record<string, unknown>;

interface GenContext {
  rand: () => number;
  root: Schema;
  ref: string;
  excerpt: string;
  counters: Map<string, number>;
  /** Where badItems can corrupt the answer, recorded as generation goes (inner arrays first). */
  sites: { enums: EnumSite[]; arrays: ArraySite[] };
}

interface EnumSite {
  holder: Record<string, unknown>;
  key: string;
  slotted: boolean;
}

interface ArraySite {
  items: Record<string, unknown>[];
  /** A string property without enum: the option's text. */
  textKey: string | undefined;
  enumKey: string | undefined;
}

function asCount(value: unknown): number | undefined {
  // OpenAPI-style schemas carry int64 fields such as minItems as strings ("4").
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function resolveRef(ref: string, root: Schema): Schema {
  if (!ref.startsWith('#')) return {};
  let node: unknown = root;
  for (const raw of ref.slice(1).split('/').filter(Boolean)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    node = isRecord(node) ? node[key] : undefined;
  }
  return isRecord(node) ? node : {};
}

/** Flattens $ref, allOf, anyOf/oneOf (first non-null branch) and nullable type arrays into one node. */
function resolve(node: unknown, root: Schema, depth = 0): Schema {
  if (!isRecord(node) || depth > 32) return {};
  let out: Schema = { ...node };
  if (typeof out.$ref === 'string') {
    const { $ref, ...rest } = out;
    out = { ...resolve(resolveRef($ref as string, root), root, depth + 1), ...rest };
  }
  if (Array.isArray(out.allOf)) {
    const { allOf, ...rest } = out;
    let merged: Schema = {};
    for (const part of allOf as unknown[]) merged = { ...merged, ...resolve(part, root, depth + 1) };
    out = { ...merged, ...rest };
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = out[key];
    if (Array.isArray(branches)) {
      const { [key]: _, ...rest } = out;
      const chosen = branches.map((b) => resolve(b, root, depth + 1)).find((b) => typeOf(b) !== 'null') ?? {};
      out = { ...chosen, ...rest };
    }
  }
  return out;
}

function typeOf(node: Schema): string {
  const t = node.type;
  if (typeof t === 'string') return t.toLowerCase();
  if (Array.isArray(t)) {
    const first = t.find((x) => typeof x === 'string' && x.toLowerCase() !== 'null');
    return typeof first === 'string' ? first.toLowerCase() : 'null';
  }
  if ('const' in node) return jsonType(node.const);
  if (Array.isArray(node.enum) && node.enum.length > 0) return jsonType(node.enum[0]);
  if (isRecord(node.properties)) return 'object';
  if (node.items !== undefined || node.prefixItems !== undefined) return 'array';
  return 'string';
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (Number.isInteger(value)) return 'integer';
  return typeof value;
}

function enumOf(node: Schema): unknown[] | undefined {
  return Array.isArray(node.enum) && node.enum.length > 0 ? node.enum : undefined;
}

function humanize(label: string): string {
  return label
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_\-.]+/g, ' ')
    .trim()
    .toLowerCase();
}

function singular(label: string): string {
  return /[^s]s$/.test(label) ? label.slice(0, -1) : label;
}

function pickInt(ctx: GenContext, lo: number, hi: number): number {
  return lo + Math.floor(ctx.rand() * (hi - lo + 1));
}

/** An item's position in an array whose enum values are handed out in order. */
interface Slot {
  index: number;
  count: number;
}

/** Only an enum with a value for every item can key the items; a shorter one is an ordinary choice. */
function slotFits(values: unknown[] | undefined, slot: Slot | undefined): slot is Slot {
  return values !== undefined && slot !== undefined && values.length >= slot.count;
}

function generate(node: unknown, ctx: GenContext, label: string, slot?: Slot, depth = 0): unknown {
  const schema = resolve(node, ctx.root);
  if ('const' in schema) return schema.const;
  const values = enumOf(schema);
  if (values) {
    if (slotFits(values, slot)) return values[slot.index];
    return values[Math.floor(ctx.rand() * values.length)];
  }
  switch (typeOf(schema)) {
    case 'object':
      return generateObject(schema, ctx, slot, depth);
    case 'array':
      return generateArray(schema, ctx, label, depth);
    case 'integer':
    case 'number':
      return generateNumber(schema, ctx);
    case 'boolean':
      return ctx.rand() < 0.5;
    case 'null':
      return null;
    default:
      return generateString(schema, ctx, label);
  }
}

function propertiesOf(schema: Schema): [string, unknown][] {
  const props = isRecord(schema.properties) ? schema.properties : {};
  const order = Array.isArray(schema.propertyOrdering) ? schema.propertyOrdering.map(String) : [];
  const required = Array.isArray(schema.required) ? schema.required.map(String) : [];
  const keys = [...new Set([...order, ...Object.keys(props), ...required])];
  return keys.map((k) => [k, props[k] ?? { type: 'string' }]);
}

function generateObject(schema: Schema, ctx: GenContext, slot: Slot | undefined, depth: number): unknown {
  const out: Record<string, unknown> = {};
  // Guards recursive $ref schemas: deep down only what is required is produced.
  const required = new Set(Array.isArray(schema.required) ? schema.required.map(String) : []);
  for (const [key, child] of propertiesOf(schema)) {
    if (depth > 8 && !required.has(key)) continue;
    // The slot only reaches enum properties, so items of an option list get distinct ids.
    const childSlot = slotFits(enumOf(resolve(child, ctx.root)), slot) ? slot : undefined;
    out[key] = generate(child, ctx, key, childSlot, depth + 1);
    if (typeof out[key] === 'string' && enumOf(resolve(child, ctx.root))) {
      ctx.sites.enums.push({ holder: out, key, slotted: childSlot !== undefined });
    }
  }
  return out;
}

function generateArray(schema: Schema, ctx: GenContext, label: string, depth: number): unknown[] {
  const itemsNode = Array.isArray(schema.prefixItems) ? undefined : schema.items;
  if (Array.isArray(schema.prefixItems)) {
    return schema.prefixItems.map((p, i) =>
      generate(p, ctx, `${singular(label)} ${i + 1}`, undefined, depth + 1),
    );
  }
  const item = resolve(itemsNode ?? { type: 'string' }, ctx.root);
  const itemType = typeOf(item);
  const enumKeys =
    itemType === 'object' ? propertiesOf(item).filter(([, c]) => enumOf(resolve(c, ctx.root))) : [];
  const ownEnum = enumOf(item);
  const slotted = enumKeys.length > 0 || ownEnum !== undefined;
  const min = asCount(schema.minItems);
  const max = asCount(schema.maxItems);
  // An array keyed by an enum (options a..d) gets one item per value unless the schema says otherwise.
  const firstEnum = enumKeys[0] ? enumOf(resolve(enumKeys[0][1], ctx.root)) : ownEnum;
  const fallback = slotted && firstEnum ? firstEnum.length : 3;
  let count = min ?? Math.min(fallback, max ?? fallback);
  if (max !== undefined) count = Math.min(count, max);
  if (depth > 8) count = min ?? 0;
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) {
    items.push(generate(item, ctx, singular(label), slotted ? { index: i, count } : undefined, depth + 1));
  }
  if (itemType === 'object' && items.length >= 2) {
    const textKey = propertiesOf(item).find(([, c]) => {
      const r = resolve(c, ctx.root);
      return typeOf(r) === 'string' && !enumOf(r) && !('const' in r) && r.format === undefined;
    })?.[0];
    ctx.sites.arrays.push({ items: items.filter(isRecord), textKey, enumKey: enumKeys[0]?.[0] });
  }
  return items;
}

/**
 * badItems: valid JSON a validator must still reject. Two options of the innermost option-like
 * array (items keyed by an enum) share their text, and one enum answer that is not an item's key
 * (say a correct answer) names no allowed value; each falls back to the nearest similar site.
 */
function corrupt(ctx: GenContext): void {
  const { arrays, enums } = ctx.sites;
  const list = arrays.find((a) => a.enumKey && a.textKey) ?? arrays.find((a) => a.textKey ?? a.enumKey);
  const key = list?.textKey ?? list?.enumKey;
  const [first, second] = list?.items ?? [];
  if (key !== undefined && first && second) second[key] = first[key];
  const inList = new Set<unknown>(list?.items);
  const site = enums.find((e) => !e.slotted) ?? enums.find((e) => !inList.has(e.holder)) ?? enums[0];
  if (site) site.holder[site.key] = '[simulated] not-in-enum';
}

/** The outermost list of items with a text (the questions of an answer), if any. */
function outerTextSite(ctx: GenContext): (ArraySite & { textKey: string }) | undefined {
  const site = ctx.sites.arrays.at(-1);
  return site?.textKey ? (site as ArraySite & { textKey: string }) : undefined;
}

const RECENT_TEXTS = 200;

function rememberTexts(ctx: GenContext, recent: string[]): void {
  const site = outerTextSite(ctx);
  for (const item of site?.items ?? []) {
    const text = site ? item[site.textKey] : undefined;
    if (typeof text === 'string') recent.push(text);
  }
  recent.splice(0, Math.max(0, recent.length - RECENT_TEXTS));
}

/**
 * nearDuplicate: the last item's text becomes a light rewording of an earlier answer's item
 * (another chunk of the same run, as a model repeating itself would), or of this answer's first
 * item when there is no earlier answer. Valid JSON; only a near-duplicate check catches it.
 */
function echoEarlier(ctx: GenContext, recent: string[]): void {
  const site = outerTextSite(ctx);
  const last = site?.items.at(-1);
  if (!site || !last) return;
  const earlier =
    recent.length > 0 ? recent[Math.floor(ctx.rand() * recent.length)] : site.items[0]?.[site.textKey];
  if (typeof earlier === 'string' && site.items.length + recent.length >= 2)
    last[site.textKey] = `Briefly, ${earlier}`;
}

function generateNumber(schema: Schema, ctx: GenContext): number {
  const integer = typeOf(schema) === 'integer';
  const step = integer ? 1 : 0.01;
  let lo = asCount(schema.minimum);
  let hi = asCount(schema.maximum);
  const exMin = asCount(schema.exclusiveMinimum);
  const exMax = asCount(schema.exclusiveMaximum);
  if (exMin !== undefined) lo = Math.max(lo ?? -Infinity, exMin + step);
  if (exMax !== undefined) hi = Math.min(hi ?? Infinity, exMax - step);
  if (lo === undefined && hi === undefined) {
    lo = 1;
    hi = 100;
  } else if (lo === undefined) lo = (hi as number) - 100;
  else if (hi === undefined) hi = lo + 100;
  let low = lo as number;
  let high = hi as number;
  if (integer) {
    low = Math.ceil(low);
    high = Math.floor(high);
    return high < low ? low : pickInt(ctx, low, high);
  }
  if (high < low) return low;
  return Math.min(high, Math.max(low, Math.round((low + ctx.rand() * (high - low)) * 100) / 100));
}

const VOCABULARY = (
  'amber basil cedar delta ember fjord garnet harbor indigo juniper kelvin lumen meadow nectar ' +
  'onyx prism quartz raven sierra tundra umber velvet willow xenon yarrow zephyr anchor beacon ' +
  'canyon dune echo falcon glacier hollow island jasper kettle lagoon mosaic nimbus orchid ' +
  'pepper quiver ripple saffron timber ultra vortex walnut yonder zenith atlas bramble cobalt ' +
  'drift ferris gossamer'
).split(' ');

/** Ten words picked by the bytes of a hash. */
function wordsOf(hex: string): string {
  const words: string[] = [];
  for (let i = 0; i < 20; i += 2)
    words.push(VOCABULARY[Number.parseInt(hex.slice(i, i + 2), 16) % VOCABULARY.length] ?? '');
  return words.join(' ');
}

function generateString(schema: Schema, ctx: GenContext, label: string): string {
  const name = humanize(label) || 'text';
  const n = (ctx.counters.get(name) ?? 0) + 1;
  ctx.counters.set(name, n);
  const unique = hashHex(ctx.ref, name, n);
  switch (schema.format) {
    case 'date-time':
      return new Date(Date.UTC(2025, 0, 1) + Math.floor(ctx.rand() * 365 * 86_400_000)).toISOString();
    case 'date':
      return new Date(Date.UTC(2025, 0, 1) + Math.floor(ctx.rand() * 365) * 86_400_000)
        .toISOString()
        .slice(0, 10);
    case 'email':
      return `simulated-${unique.slice(0, 12)}@example.invalid`;
    case 'uri':
    case 'url':
      return `https://example.invalid/simulated/${unique.slice(0, 16)}`;
    case 'uuid':
      return `${unique.slice(0, 8)}-${unique.slice(8, 12)}-4${unique.slice(13, 16)}-a${unique.slice(17, 20)}-${unique.slice(20, 32)}`;
  }
  // Words of its own make each text far from its siblings, as real questions and options are:
  // a quality gate that flags near-duplicates must not see every placeholder as one.
  let text = `[simulated] Placeholder ${name} ${n}: ${wordsOf(unique)} about "${ctx.excerpt}" (ref ${ctx.ref})`;
  const maxLength = asCount(schema.maxLength);
  const minLength = asCount(schema.minLength) ?? 0;
  if (maxLength !== undefined && text.length > maxLength) {
    text = `[simulated] ${name} ${n} ${ctx.ref}`;
    // Too tight for words: keep what stays unique.
    if (text.length > maxLength) text = `${ctx.ref}${n}`.slice(-maxLength);
  }
  if (text.length < minLength) text = text.padEnd(minLength, '.');
  return text;
}

// ---------------------------------------------------------------------------------------------
// Request reading

interface GenerateRequest {
  contents?: unknown;
  systemInstruction?: unknown;
  generationConfig?: Record<string, unknown>;
}

function textsOf(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!isRecord(content) || !Array.isArray(content.parts)) return [];
  return content.parts.flatMap((p) => (isRecord(p) && typeof p.text === 'string' ? [p.text] : []));
}

function field(obj: Record<string, unknown> | undefined, camel: string): unknown {
  if (!obj) return undefined;
  // Gemini's JSON mapping accepts snake_case too; raw REST callers use it.
  return obj[camel] ?? obj[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}

function promptTexts(body: Record<string, unknown>): { all: string[]; lastUser: string } {
  const contents = Array.isArray(body.contents) ? body.contents : body.contents ? [body.contents] : [];
  const system = textsOf(field(body, 'systemInstruction'));
  const all = [...system, ...contents.flatMap(textsOf)];
  const users = contents.filter((c) => !isRecord(c) || c.role === undefined || c.role === 'user');
  const last = users.at(-1);
  return { all, lastUser: last === undefined ? '' : textsOf(last).join(' ') };
}

function excerptOf(text: string): string {
  const flat = text.replace(/\s+/g, ' ').replace(/"/g, "'").trim();
  if (flat === '') return 'the prompt';
  return flat.length > 48 ? `${flat.slice(0, 47).trimEnd()}…` : flat;
}

function tokensFor(chars: number): number {
  return Math.ceil(chars / 4);
}

// ---------------------------------------------------------------------------------------------
// Gemini-shaped errors

interface ApiErrorBody {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

function errorBody(code: number, status: string, message: string, details?: unknown[]): ApiErrorBody {
  return { error: { code, message, status, ...(details ? { details } : {}) } };
}

/** google.protobuf.Duration in JSON: seconds with up to millisecond precision, e.g. "7s", "0.5s". */
export function formatRetryDelay(ms: number): string {
  const millis = Math.max(1, Math.ceil(ms));
  return `${Number((millis / 1000).toFixed(3))}s`;
}

function quotaError(model: string, metric: 'requests' | 'input_token_count', limit: number, delayMs: number) {
  const delay = formatRetryDelay(delayMs);
  const quotaMetric = `generativelanguage.googleapis.com/generate_content_${metric === 'requests' ? 'requests' : 'input_token_count'}`;
  return errorBody(
    429,
    'RESOURCE_EXHAUSTED',
    `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits. [simulated] Quota exceeded for metric: ${quotaMetric}, limit: ${limit}, model: ${model}. Please retry in ${delay}.`,
    [
      {
        '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
        violations: [
          {
            quotaMetric,
            quotaId:
              metric === 'requests'
                ? 'GenerateRequestsPerMinutePerProjectPerModel'
                : 'GenerateContentInputTokensPerModelPerMinute',
            quotaDimensions: { location: 'global', model },
            quotaValue: String(limit),
          },
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
      { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay },
    ],
  );
}

const UNAVAILABLE = () =>
  errorBody(503, 'UNAVAILABLE', '[simulated] The model is overloaded. Please try again later.');
const DEADLINE_EXCEEDED = () =>
  errorBody(504, 'DEADLINE_EXCEEDED', '[simulated] Deadline expired before operation could complete.');
const INTERNAL = () =>
  errorBody(
    500,
    'INTERNAL',
    '[simulated] An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  );

// ---------------------------------------------------------------------------------------------
// Batch mode

/** google.rpc.Status as it appears inside a resource: a gRPC code, not an HTTP status. */
interface RpcStatus {
  code: number;
  message: string;
  details?: unknown[];
}

const GRPC_CODES: Record<string, number> = {
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  INTERNAL: 13,
  UNAVAILABLE: 14,
};

type BatchState =
  | 'BATCH_STATE_PENDING'
  | 'BATCH_STATE_RUNNING'
  | 'BATCH_STATE_SUCCEEDED'
  | 'BATCH_STATE_CANCELLED';

interface BatchItem {
  /** A GenerateContentRequest, as generateContent would receive it. */
  request: Record<string, unknown>;
  metadata: unknown;
  fault: FaultKind | undefined;
}

interface BatchJob {
  id: string;
  model: string;
  displayName: string;
  createdAt: number;
  durationMs: number;
  requests: BatchItem[];
  /** InlinedResponses produced so far, in request order. */
  results: Record<string, unknown>[];
  succeeded: number;
  failed: number;
  cancelledAt: number | undefined;
}

/** The share of a batch's time it spends pending before requests start being answered. */
const BATCH_PENDING_SHARE = 0.2;
const BATCH_PAGE_SIZE = 50;
const BATCH_TYPE_PREFIX = 'type.googleapis.com/google.ai.generativelanguage.v1main';

function invalidBatch(detail: string): HttpError {
  return new HttpError(errorBody(400, 'INVALID_ARGUMENT', `[simulated] Invalid batch: ${detail}`));
}

/**
 * Reads a BatchGenerateContentRequest as `@google/genai` sends it:
 * `{ batch: { displayName, inputConfig: { requests: { requests: [{ request, metadata? }] } } } }`.
 */
function parseBatch(
  body: Record<string, unknown>,
  model: string,
): { displayName: string; requests: Omit<BatchItem, 'fault'>[] } {
  const batch = body.batch;
  if (!isRecord(batch)) throw invalidBatch('the body must be { "batch": { ... } }.');
  const displayName = field(batch, 'displayName');
  if (typeof displayName !== 'string' || displayName.trim() === '')
    throw invalidBatch('batch.displayName is required.');
  const input = field(batch, 'inputConfig');
  if (!isRecord(input)) throw invalidBatch('batch.inputConfig is required.');
  if (field(input, 'fileName') !== undefined)
    throw invalidBatch('input files are not supported by the simulator; send inlined requests.');
  const wrapper = input.requests;
  const list = isRecord(wrapper) ? wrapper.requests : undefined;
  if (!Array.isArray(list) || list.length === 0)
    throw invalidBatch('batch.inputConfig.requests.requests must be a non-empty list.');
  const requests = list.map((item, i) => {
    const at = `batch.inputConfig.requests.requests[${i}]`;
    if (!isRecord(item) || !isRecord(item.request)) throw invalidBatch(`${at}.request is required.`);
    const { request } = item;
    const contents = request.contents;
    if (!(Array.isArray(contents) ? contents.length > 0 : isRecord(contents)))
      throw invalidBatch(`${at}.request.contents is required.`);
    const own = request.model;
    if (own !== undefined && own !== `models/${model}` && own !== model)
      throw invalidBatch(`${at}.request.model "${String(own)}" is not the batch's model models/${model}.`);
    if (item.metadata !== undefined && !isRecord(item.metadata))
      throw invalidBatch(`${at}.metadata must be an object.`);
    return { request, metadata: item.metadata };
  });
  return { displayName, requests };
}

// ---------------------------------------------------------------------------------------------
// The server

class HttpError extends Error {
  readonly body: ApiErrorBody;
  constructor(body: ApiErrorBody) {
    super(body.error.message);
    this.body = body;
  }
}

function emptyStats(inFlight: number): SimulatorStats {
  return {
    totalCalls: 0,
    acceptedCalls: 0,
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
    inFlight,
    peakInFlight: inFlight,
    promptTokens: 0,
    candidatesTokens: 0,
    thoughtsTokens: 0,
    totalTokens: 0,
    callsByModel: {},
    embeddings: { requests: 0, texts: 0, rejected: 0, failed: 0 },
    batches: {
      created: 0,
      cancelled: 0,
      requests: 0,
      answered: 0,
      failed: 0,
      promptTokens: 0,
      candidatesTokens: 0,
      thoughtsTokens: 0,
    },
  };
}

const ROUTE = /^\/(v1|v1beta|v1alpha)\/(?:models|tunedModels)\/([^/:]+):([A-Za-z]+)$/;
/** `batches`, `batches/{id}` and `batches/{id}:{action}`. */
const BATCH_ROUTE = /^\/(?:v1|v1beta|v1alpha)\/batches(?:\/([^/:]+)(?::([A-Za-z]+))?)?$/;

interface Answered {
  outcome: Outcome;
  response: Record<string, unknown>;
  promptTokens: number;
  candidatesTokens: number;
  thoughtsTokens: number;
}

function notServed(req: IncomingMessage, url: URL): HttpError {
  return new HttpError(
    errorBody(
      404,
      'NOT_FOUND',
      `[simulated] ${req.method} ${url.pathname} is not served by the Gemini simulator.`,
    ),
  );
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(errorBody(400, 'INVALID_ARGUMENT', 'Request payload size exceeds the limit.'));
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(
      errorBody(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. [simulated] ${text.slice(0, 40)}`),
    );
  }
  if (!isRecord(parsed))
    throw new HttpError(errorBody(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
  return parsed;
}

/** Resolves after `ms`, or early (false) when the client goes away or the server closes. */
function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolveWait) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolveWait(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolveWait(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export async function startGeminiSimulator(
  options: SimulatorConfig & { port?: number; host?: string } = {},
): Promise<GeminiSimulator> {
  const { port: wantedPort = 0, host = '127.0.0.1', ...initial } = options;
  let config = mergeConfig(DEFAULT_CONFIG, initial as Record<string, unknown>);
  /** Question-like texts of recent answers, for nearDuplicate to echo in a later one. */
  const recentTexts: string[] = [];
  let inFlight = 0;
  let stats = emptyStats(0);
  // Counts admitted-for-processing calls; fault and latency draws are keyed by it.
  let callIndex = 0;
  let window: { at: number; tokens: number }[] = [];
  const batches = new Map<string, BatchJob>();
  let batchCount = 0;
  const closing = new AbortController();

  const count = (outcome: Outcome) => {
    stats.outcomes[outcome] += 1;
  };

  function checkQuota(now: number, promptTokens: number, model: string): ApiErrorBody | undefined {
    window = window.filter((e) => e.at > now - QUOTA_WINDOW_MS);
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

  function chooseFault(index: number): FaultKind | undefined {
    return faultFor(unitFrom(config.seed, 'fault', index));
  }

  /** The fault a uniform draw `u` lands on under the configured rates, if any. */
  function faultFor(u: number): FaultKind | undefined {
    let edge = 0;
    for (const kind of FAULT_KINDS) {
      edge += config.faults[kind] ?? 0;
      if (u < edge) return kind;
    }
    return undefined;
  }

  function checkKey(req: IncomingMessage, url: URL): ApiErrorBody | undefined {
    const header = req.headers['x-goog-api-key'];
    const key = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('key') ?? '';
    if (key === '') {
      return errorBody(
        403,
        'PERMISSION_DENIED',
        "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
      );
    }
    if (config.apiKey !== undefined && key !== config.apiKey) {
      return errorBody(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        {
          '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
          reason: 'API_KEY_INVALID',
          domain: 'googleapis.com',
          metadata: { service: 'generativelanguage.googleapis.com' },
        },
        {
          '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
          locale: 'en-US',
          message: 'API key not valid. Please pass a valid API key.',
        },
      ]);
    }
    return undefined;
  }

  /** The generateContent answer to a request; `fault` may shape its content (not an HTTP error). */
  function answerFor(
    body: Record<string, unknown>,
    model: string,
    fault: FaultKind | undefined,
    responseKey: string | number,
  ): Answered {
    const request = body as GenerateRequest;
    const { all, lastUser } = promptTexts(body);
    const promptTokens = tokensFor(all.reduce((n, t) => n + t.length, 0));
    const generationConfig = isRecord(request.generationConfig)
      ? request.generationConfig
      : isRecord(body.generation_config)
        ? body.generation_config
        : undefined;
    const ref = hashHex(config.seed, model, JSON.stringify(body)).slice(0, 8);
    const jsonSchema = field(generationConfig, 'responseJsonSchema');
    const openApiSchema = field(generationConfig, 'responseSchema');
    const schema = isRecord(jsonSchema) ? jsonSchema : isRecord(openApiSchema) ? openApiSchema : undefined;
    const wantsJson =
      schema !== undefined || field(generationConfig, 'responseMimeType') === 'application/json';
    const ctx: GenContext = {
      rand: rngFrom(config.seed, 'answer', ref),
      root: schema ?? {},
      ref,
      excerpt: excerptOf(lastUser || all.join(' ')),
      counters: new Map(),
      sites: { enums: [], arrays: [] },
    };
    let text: string;
    if (schema) {
      const answer = generate(schema, ctx, 'response');
      if (fault === 'badItems') corrupt(ctx);
      if (fault === 'nearDuplicate') echoEarlier(ctx, recentTexts);
      rememberTexts(ctx, recentTexts);
      text = JSON.stringify(answer);
    } else if (wantsJson) text = JSON.stringify({ text: generateString({}, ctx, 'response') });
    else text = generateString({}, ctx, 'response');

    let finishReason = 'STOP';
    let outcome: Outcome =
      fault === 'badItems' ? 'bad_items' : fault === 'nearDuplicate' ? 'near_duplicate' : 'ok';
    let parts: { text: string }[] | undefined = [{ text }];
    if (fault === 'malformedJson') {
      outcome = 'malformed';
      parts = [{ text: `[simulated] This is not JSON. ${text.slice(0, Math.max(1, text.length - 2))},,` }];
    } else if (fault === 'truncated') {
      outcome = 'truncated';
      finishReason = 'MAX_TOKENS';
      parts = [{ text: text.slice(0, Math.floor(text.length / 2)) }];
    } else if (fault === 'safety') {
      outcome = 'safety';
      finishReason = 'SAFETY';
      parts = undefined;
    }

    const candidatesTokens = parts ? tokensFor(parts.reduce((n, p) => n + p.text.length, 0)) : 0;
    const thinkingBudget = asCount(
      field(field(generationConfig, 'thinkingConfig') as Schema, 'thinkingBudget'),
    );
    const thoughtsTokens = Math.max(0, Math.min(config.thoughtsTokens, thinkingBudget ?? Infinity));
    const totalTokens = promptTokens + candidatesTokens + thoughtsTokens;

    const candidate: Record<string, unknown> = { finishReason, index: 0 };
    if (parts) candidate.content = { parts, role: 'model' };
    if (fault === 'safety') {
      candidate.safetyRatings = [
        { category: 'HARM_CATEGORY_DANGEROUS_CONTENT', probability: 'HIGH', blocked: true },
        { category: 'HARM_CATEGORY_HARASSMENT', probability: 'NEGLIGIBLE' },
        { category: 'HARM_CATEGORY_HATE_SPEECH', probability: 'NEGLIGIBLE' },
        { category: 'HARM_CATEGORY_SEXUALLY_EXPLICIT', probability: 'NEGLIGIBLE' },
      ];
    }
    return {
      outcome,
      promptTokens,
      candidatesTokens,
      thoughtsTokens,
      response: {
        candidates: [candidate],
        usageMetadata: {
          promptTokenCount: promptTokens,
          candidatesTokenCount: candidatesTokens,
          totalTokenCount: totalTokens,
          promptTokensDetails: [{ modality: 'TEXT', tokenCount: promptTokens }],
          thoughtsTokenCount: thoughtsTokens,
        },
        modelVersion: model,
        responseId: sha256(config.seed, 'response', responseKey, ref).toString('base64url').slice(0, 22),
      },
    };
  }

  async function generateContent(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    model: string,
    signal: AbortSignal,
  ): Promise<void> {
    stats.totalCalls += 1;
    stats.callsByModel[model] = (stats.callsByModel[model] ?? 0) + 1;
    const authError = checkKey(req, url);
    if (authError) {
      count('auth');
      return sendJson(res, authError.error.code, authError);
    }
    let body: Record<string, unknown>;
    try {
      body = await readJson(req);
    } catch (err) {
      count('bad_request');
      throw err;
    }
    const { all } = promptTexts(body);
    const promptTokens = tokensFor(all.reduce((n, t) => n + t.length, 0));
    const index = callIndex++;

    if (index < config.failFirstCalls) {
      count('503');
      return sendJson(res, 503, UNAVAILABLE());
    }
    const overQuota = checkQuota(Date.now(), promptTokens, model);
    if (overQuota) {
      count('429_quota');
      return sendJson(res, 429, overQuota);
    }
    const fault = chooseFault(index);
    if (fault === 'error429') {
      count('429_injected');
      return sendJson(res, 429, injected429(model));
    }
    window.push({ at: Date.now(), tokens: promptTokens });
    stats.acceptedCalls += 1;

    if (fault === 'hang') {
      count('hang');
      if (await wait(config.hangMs, signal)) sendJson(res, 504, DEADLINE_EXCEEDED());
      return;
    }
    const { min, max } = config.latencyMs;
    const latency = (min + unitFrom(config.seed, 'latency', index) * (max - min)) * config.latencyScale;
    if (!(await wait(latency, signal))) {
      count('aborted');
      return;
    }

    if (fault === 'error500') {
      count('500');
      return sendJson(res, 500, INTERNAL());
    }
    if (fault === 'error503') {
      count('503');
      return sendJson(res, 503, UNAVAILABLE());
    }

    const answer = answerFor(body, model, fault, index);
    count(answer.outcome);
    stats.promptTokens += answer.promptTokens;
    stats.candidatesTokens += answer.candidatesTokens;
    stats.thoughtsTokens += answer.thoughtsTokens;
    stats.totalTokens += answer.promptTokens + answer.candidatesTokens + answer.thoughtsTokens;
    sendJson(res, 200, answer.response);
  }

  function injected429(model: string): ApiErrorBody {
    return quotaError(model, 'requests', config.rpm ?? 60, config.injected429DelayMs);
  }

  // -------------------------------------------------------------------------------------------
  // Batch mode: `batches/{id}` resources answered as long-running Operations, the shape
  // `@google/genai` parses in `batchJobFromMldev` (state and output under `metadata`).

  async function createBatch(req: IncomingMessage, res: ServerResponse, url: URL, model: string) {
    const authError = checkKey(req, url);
    if (authError) return sendJson(res, authError.error.code, authError);
    const body = await readJson(req);
    const { displayName, requests } = parseBatch(body, model);
    const now = Date.now();
    const number = batchCount++;
    const id = hashHex(config.seed, 'batch', number, now).slice(0, 24);
    const job: BatchJob = {
      id,
      model,
      displayName,
      createdAt: now,
      durationMs: config.batchLatencyMs * config.latencyScale,
      // Drawn now, per request, so a batch keeps the faults it was submitted under; from the
      // batch's number, not its id (which has the time in it), so a seed replays the same faults.
      requests: requests.map((r, i) => ({
        ...r,
        fault: faultFor(unitFrom(config.seed, 'batch-fault', number, i)),
      })),
      results: [],
      succeeded: 0,
      failed: 0,
      cancelledAt: undefined,
    };
    batches.set(id, job);
    stats.batches.created += 1;
    stats.batches.requests += job.requests.length;
    // Answered as created, before any time passes: pending, whatever batchLatencyMs says.
    return sendJson(res, 200, batchOperation(job, now, 'BATCH_STATE_PENDING'));
  }

  /** Answers the requests whose time has come, in request order. */
  function advance(job: BatchJob, now: number): void {
    if (job.cancelledAt !== undefined) return;
    const total = job.requests.length;
    const elapsed = now - job.createdAt;
    const pendingFor = job.durationMs * BATCH_PENDING_SHARE;
    const due =
      elapsed >= job.durationMs
        ? total
        : elapsed < pendingFor
          ? 0
          : Math.floor((total * (elapsed - pendingFor)) / (job.durationMs - pendingFor));
    while (job.results.length < due) {
      const index = job.results.length;
      const item = job.requests[index];
      if (!item) break;
      job.results.push(answerBatchRequest(job, item, index));
    }
  }

  function answerBatchRequest(job: BatchJob, item: BatchItem, index: number): Record<string, unknown> {
    const withMetadata = (out: Record<string, unknown>) =>
      item.metadata === undefined ? out : { ...out, metadata: item.metadata };
    stats.batches.answered += 1;
    const failure = batchFailure(item.fault, job.model);
    if (failure) {
      job.failed += 1;
      stats.batches.failed += 1;
      return withMetadata({ error: failure });
    }
    const answer = answerFor(item.request, job.model, item.fault, `${job.id}/${index}`);
    job.succeeded += 1;
    stats.batches.promptTokens += answer.promptTokens;
    stats.batches.candidatesTokens += answer.candidatesTokens;
    stats.batches.thoughtsTokens += answer.thoughtsTokens;
    return withMetadata({ response: answer.response });
  }

  /** An HTTP fault of generateContent becomes the request's google.rpc.Status (gRPC code). */
  function batchFailure(fault: FaultKind | undefined, model: string): RpcStatus | undefined {
    const http =
      fault === 'error429'
        ? injected429(model)
        : fault === 'error500'
          ? INTERNAL()
          : fault === 'error503'
            ? UNAVAILABLE()
            : fault === 'hang'
              ? DEADLINE_EXCEEDED()
              : undefined;
    if (!http) return undefined;
    const { status, message, details } = http.error;
    return { code: GRPC_CODES[status] ?? 2, message, ...(details ? { details } : {}) };
  }

  function batchState(job: BatchJob, now: number): BatchState {
    if (job.cancelledAt !== undefined) return 'BATCH_STATE_CANCELLED';
    if (job.results.length === job.requests.length && now - job.createdAt >= job.durationMs)
      return 'BATCH_STATE_SUCCEEDED';
    return now - job.createdAt < job.durationMs * BATCH_PENDING_SHARE
      ? 'BATCH_STATE_PENDING'
      : 'BATCH_STATE_RUNNING';
  }

  function batchOperation(job: BatchJob, now: number, state = batchState(job, now)): Record<string, unknown> {
    const name = `batches/${job.id}`;
    const endedAt =
      job.cancelledAt ?? (state === 'BATCH_STATE_SUCCEEDED' ? job.createdAt + job.durationMs : undefined);
    const total = job.requests.length;
    // int64 fields travel as strings in proto3 JSON, and zero counts are left out.
    const batchStats: Record<string, string> = { requestCount: String(total) };
    const counts = {
      successfulRequestCount: job.succeeded,
      failedRequestCount: job.failed,
      pendingRequestCount: total - job.succeeded - job.failed,
    };
    for (const [key, value] of Object.entries(counts)) if (value > 0) batchStats[key] = String(value);
    const output =
      state === 'BATCH_STATE_SUCCEEDED' ? { inlinedResponses: { inlinedResponses: job.results } } : undefined;
    const operation: Record<string, unknown> = {
      name,
      metadata: {
        '@type': `${BATCH_TYPE_PREFIX}.GenerateContentBatch`,
        model: `models/${job.model}`,
        displayName: job.displayName,
        ...(output ? { output } : {}),
        createTime: new Date(job.createdAt).toISOString(),
        ...(endedAt !== undefined ? { endTime: new Date(endedAt).toISOString() } : {}),
        updateTime: new Date(endedAt ?? now).toISOString(),
        batchStats,
        state,
        name,
      },
    };
    if (endedAt !== undefined) operation.done = true;
    if (output)
      operation.response = { '@type': `${BATCH_TYPE_PREFIX}.GenerateContentBatchOutput`, ...output };
    // google.longrunning: a cancelled operation ends with error code 1 (CANCELLED).
    if (job.cancelledAt !== undefined) operation.error = { code: 1, message: 'Operation cancelled.' };
    return operation;
  }

  async function batchEndpoint(
    req: IncomingMessage,
    res: ServerResponse,
    url: URL,
    id: string | undefined,
    action: string | undefined,
  ): Promise<void> {
    const authError = checkKey(req, url);
    if (authError) return sendJson(res, authError.error.code, authError);
    const now = Date.now();
    if (id === undefined) {
      if (req.method !== 'GET') throw notServed(req, url);
      return sendJson(res, 200, listBatches(url, now));
    }
    const job = batches.get(id);
    const route = `${req.method} ${action ?? ''}`;
    if (!['GET ', 'DELETE ', 'POST cancel'].includes(route)) throw notServed(req, url);
    if (!job) {
      throw new HttpError(
        errorBody(404, 'NOT_FOUND', `Requested entity was not found. [simulated] No batch batches/${id}.`),
      );
    }
    advance(job, now);
    if (route === 'DELETE ') {
      // As at Google: deleting says the result is no longer wanted; it does not cancel first.
      batches.delete(id);
      return sendJson(res, 200, {});
    }
    if (route === 'POST cancel') {
      // Cancelling a batch that has ended changes nothing; one that has not ends it at once.
      const state = batchState(job, now);
      if (state === 'BATCH_STATE_PENDING' || state === 'BATCH_STATE_RUNNING') {
        job.cancelledAt = now;
        stats.batches.cancelled += 1;
      }
      return sendJson(res, 200, {});
    }
    return sendJson(res, 200, batchOperation(job, now));
  }

  function listBatches(url: URL, now: number): Record<string, unknown> {
    const size = Number(url.searchParams.get('pageSize') ?? BATCH_PAGE_SIZE);
    const pageSize = Number.isInteger(size) && size > 0 ? Math.min(size, 1000) : BATCH_PAGE_SIZE;
    const start = Number(url.searchParams.get('pageToken') ?? 0) || 0;
    const jobs = [...batches.values()];
    const page = jobs.slice(start, start + pageSize);
    for (const job of page) advance(job, now);
    const operations = page.map((job) => batchOperation(job, now));
    return start + pageSize < jobs.length
      ? { operations, nextPageToken: String(start + pageSize) }
      : { operations };
  }

  function embeddingFor(text: string, dimensions: number): number[] {
    // Keyed by the text alone, so stored vectors stay valid across seeds and restarts.
    const rand = rngFrom('embedding', text);
    const values: number[] = [];
    for (let i = 0; i < dimensions; i++) {
      // Box-Muller: normal components make the direction uniform on the sphere.
      const u = Math.max(rand(), Number.EPSILON);
      values.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand()));
    }
    const norm = Math.hypot(...values) || 1;
    return values.map((v) => v / norm);
  }

  function dimensionsOf(request: Record<string, unknown>): number {
    const asked = asCount(field(request, 'outputDimensionality'));
    return asked !== undefined && asked >= 1 ? Math.floor(asked) : config.embeddingDimensions;
  }

  async function embed(req: IncomingMessage, res: ServerResponse, url: URL, batch: boolean): Promise<void> {
    stats.embeddings.requests += 1;
    const authError = checkKey(req, url);
    if (authError) {
      stats.embeddings.rejected += 1;
      return sendJson(res, authError.error.code, authError);
    }
    const body = await readJson(req);
    const index = stats.embeddings.requests;
    // Decided by seed and call index, like the generateContent faults, so runs repeat.
    const unlucky = rngFrom(config.seed, 'embedding-fault', index)() < config.embeddingErrorRate;
    if (index <= config.embeddingFailFirstCalls || unlucky) {
      stats.embeddings.failed += 1;
      return sendJson(
        res,
        503,
        errorBody(503, 'UNAVAILABLE', '[simulated] The model is overloaded. Please try again later.'),
      );
    }
    const latency = config.embeddingLatencyMs * config.latencyScale;
    if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
    if (!batch) {
      const text = textsOf(body.content).join('');
      stats.embeddings.texts += 1;
      return sendJson(res, 200, { embedding: { values: embeddingFor(text, dimensionsOf(body)) } });
    }
    if (!Array.isArray(body.requests)) {
      throw new HttpError(
        errorBody(400, 'INVALID_ARGUMENT', '[simulated] batchEmbedContents needs "requests".'),
      );
    }
    const embeddings = body.requests.map((r) => {
      const request = isRecord(r) ? r : {};
      stats.embeddings.texts += 1;
      return { values: embeddingFor(textsOf(request.content).join(''), dimensionsOf(request)) };
    });
    return sendJson(res, 200, { embeddings });
  }

  async function admin(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '/__simulator/stats') return sendJson(res, 200, snapshot());
    if (req.method === 'POST' && path === '/__simulator/reset') {
      resetStats();
      return sendJson(res, 200, snapshot());
    }
    if (req.method === 'POST' && path === '/__simulator/config') {
      const patch = await readJson(req);
      try {
        config = mergeConfig(config, patch);
      } catch (err) {
        if (err instanceof ConfigError) throw new HttpError(errorBody(400, 'INVALID_ARGUMENT', err.message));
        throw err;
      }
      return sendJson(res, 200, config);
    }
    if (req.method === 'GET' && path === '/__simulator/config') return sendJson(res, 200, config);
    throw new HttpError(errorBody(404, 'NOT_FOUND', `[simulated] No admin endpoint ${req.method} ${path}.`));
  }

  function snapshot(): SimulatorStats {
    // Batches progress with time, not with calls: bring them up to now before counting.
    const now = Date.now();
    for (const job of batches.values()) advance(job, now);
    return structuredClone({ ...stats, inFlight });
  }

  function resetStats(): void {
    // A reset starts a fresh run: fault/latency sequence, failFirstCalls and quota window too.
    stats = emptyStats(inFlight);
    callIndex = 0;
    window = [];
  }

  async function route(req: IncomingMessage, res: ServerResponse, signal: AbortSignal): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    if (url.pathname.startsWith('/__simulator/')) return admin(req, res, url.pathname);
    const batchMatch = BATCH_ROUTE.exec(url.pathname);
    if (batchMatch) {
      const id = batchMatch[1] === undefined ? undefined : decodeURIComponent(batchMatch[1]);
      return batchEndpoint(req, res, url, id, batchMatch[2]);
    }
    const match = ROUTE.exec(url.pathname);
    const model = match?.[2] ? decodeURIComponent(match[2]) : undefined;
    const method = match?.[3];
    if (req.method !== 'POST' || model === undefined || method === undefined) throw notServed(req, url);
    if (method === 'batchGenerateContent') return createBatch(req, res, url, model);
    if (method === 'generateContent') {
      inFlight += 1;
      stats.peakInFlight = Math.max(stats.peakInFlight, inFlight);
      try {
        return await generateContent(req, res, url, model, signal);
      } finally {
        inFlight -= 1;
      }
    }
    if (method === 'embedContent' || method === 'batchEmbedContents') {
      return embed(req, res, url, method === 'batchEmbedContents');
    }
    throw new HttpError(
      errorBody(404, 'NOT_FOUND', `[simulated] models/${model}:${method} is not supported by the simulator.`),
    );
  }

  const server = createServer((req, res) => {
    const aborted = new AbortController();
    // 'close' before the response was written means the client went away (or the server closes).
    res.on('close', () => aborted.abort());
    const signal = AbortSignal.any([aborted.signal, closing.signal]);
    route(req, res, signal).catch((err: unknown) => {
      if (err instanceof HttpError) return sendJson(res, err.body.error.code, err.body);
      sendJson(res, 500, INTERNAL());
    });
  });

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(wantedPort, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: snapshot,
    resetStats,
    configure(patch) {
      config = mergeConfig(config, patch as Record<string, unknown>);
    },
    close() {
      return new Promise<void>((resolveClose, rejectClose) => {
        closing.abort();
        server.close((err) => (err ? rejectClose(err) : resolveClose()));
        // Hanging and delayed requests must not hold the process open.
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Command line

function parseCli(argv: string[]): SimulatorConfig & { port?: number; host?: string } {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      seed: { type: 'string' },
      'api-key': { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      latency: { type: 'string' },
      'latency-scale': { type: 'string' },
      'fail-first': { type: 'string' },
      'hang-ms': { type: 'string' },
      'embedding-dimensions': { type: 'string' },
      'batch-latency-ms': { type: 'string' },
      fault: { type: 'string', multiple: true },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(
      'Usage: node local/gemini-simulator.ts [--port 8089] [--host 127.0.0.1] [--seed 42] [--api-key KEY]\n' +
        '  [--rpm N] [--tpm N] [--latency MIN-MAX] [--latency-scale X] [--fail-first N] [--hang-ms MS]\n' +
        '  [--embedding-dimensions N] [--batch-latency-ms MS]\n' +
        `  [--fault KIND=RATE ...]   kinds: ${FAULT_KINDS.join(', ')}`,
    );
    process.exit(0);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const out: SimulatorConfig & { port?: number; host?: string } = {};
  const set = <K extends keyof typeof out>(key: K, value: (typeof out)[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('port', num(values.port));
  set('host', values.host);
  set('seed', num(values.seed));
  set('apiKey', values['api-key']);
  set('rpm', num(values.rpm));
  set('tpm', num(values.tpm));
  set('latencyScale', num(values['latency-scale']));
  set('failFirstCalls', num(values['fail-first']));
  set('hangMs', num(values['hang-ms']));
  set('embeddingDimensions', num(values['embedding-dimensions']));
  set('batchLatencyMs', num(values['batch-latency-ms']));
  if (values.latency !== undefined) {
    const [min = 0, max = min] = values.latency.split('-').map(Number);
    out.latencyMs = { min, max };
  }
  for (const spec of values.fault ?? []) {
    const [kind = '', rate = '1'] = spec.split('=');
    out.faults = { ...out.faults, [kind]: Number(rate) };
  }
  return out;
}

if (import.meta.main) {
  const simulator = await startGeminiSimulator({ port: 8089, ...parseCli(process.argv.slice(2)) });
  console.log(`Gemini simulator listening on ${simulator.url}`);
  console.log(`  GEMINI_BASE_URL=${simulator.url}  (stats: GET ${simulator.url}/__simulator/stats)`);
  const stop = () => {
    void simulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
