/**
 * Schema answers: JSON that conforms to the response schema a request asks for (JSON Schema or
 * Gemini's OpenAPI subset), and the placeholder texts inside it. Each text says it is simulated
 * and carries words of its own, so sibling texts are as far apart as real ones are.
 */
import { asCount, isRecord } from './json.ts';
import { hashHex } from './random.ts';

export type Schema = Record<string, unknown>;

export interface GenContext {
  rand: () => number;
  root: Schema;
  ref: string;
  excerpt: string;
  /**
   * Passages the prompt quotes as `[id] (page N) text`, by id: an object that cites one (an enum
   * value that is a passage id) answers the strings its schema ties to "the cited passage" from
   * that passage's words, as a model grounded in the material does.
   */
  passages?: ReadonlyMap<string, string>;
  counters: Map<string, number>;
  /** Where badItems can corrupt the answer, recorded as generation goes (inner arrays first). */
  sites: { enums: EnumSite[]; arrays: ArraySite[] };
}

export interface EnumSite {
  holder: Record<string, unknown>;
  key: string;
  slotted: boolean;
}

export interface ArraySite {
  items: Record<string, unknown>[];
  /** A string property without enum: the option's text. */
  textKey: string | undefined;
  enumKey: string | undefined;
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

export function generate(node: unknown, ctx: GenContext, label: string, slot?: Slot, depth = 0): unknown {
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
  groundInCitedPassage(schema, ctx, out);
  return out;
}

/**
 * The passages a prompt quotes as `[id] (page N) text`, a passage running on over the lines
 * that follow it until a blank line or the next passage.
 */
export function passagesOf(prompt: string): Map<string, string> {
  const passages = new Map<string, string>();
  let current: { id: string; lines: string[] } | undefined;
  const close = () => {
    if (current) passages.set(current.id, current.lines.join(' ').trim());
    current = undefined;
  };
  for (const line of prompt.split('\n')) {
    const header = /^\[([^\]\s]+)\] \(page \d+\) ?(.*)$/.exec(line);
    if (header?.[1]) {
      close();
      current = { id: header[1], lines: [header[2] ?? ''] };
    } else if (line.trim() === '') close();
    else current?.lines.push(line);
  }
  close();
  return passages;
}

/**
 * Strings whose description asks for the cited passage's content ("supported by the facts and
 * terms of the cited passage") take their words from the passage the object cites, still
 * marked as simulated: the answer a grounding check should find supported.
 */
function groundInCitedPassage(schema: Schema, ctx: GenContext, out: Record<string, unknown>): void {
  if (!ctx.passages || ctx.passages.size === 0) return;
  const cited = Object.values(out).find(
    (v): v is string => typeof v === 'string' && ctx.passages?.has(v) === true,
  );
  const passage = cited === undefined ? undefined : ctx.passages.get(cited);
  if (passage === undefined) return;
  for (const [key, child] of propertiesOf(schema)) {
    const node = resolve(child, ctx.root);
    const description = typeof node.description === 'string' ? node.description : '';
    if (typeof out[key] !== 'string' || enumOf(node) || !/cited passage/i.test(description)) continue;
    const words = passage.split(/\s+/).filter(Boolean).slice(0, 40).join(' ');
    const maxLength = asCount(node.maxLength);
    // One marker word only: the text is the passage's, however short the passage.
    const text = `[simulated] ${words}`;
    out[key] = maxLength === undefined ? text : text.slice(0, maxLength);
  }
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
  // A list without limits gets the length its description asks for, as a model reads it
  // ("Exactly 25 questions."; "At most 4 ..."): services leave long lists unbounded, since
  // Gemini refuses long length limits (schema-complexity.ts).
  const description = typeof schema.description === 'string' ? schema.description : '';
  const exactly = Number(/\bexactly (\d+)\b/i.exec(description)?.[1] ?? Number.NaN);
  const atMost = Number(/\bat most (\d+)\b/i.exec(description)?.[1] ?? Number.NaN);
  let count = min ?? (Number.isFinite(exactly) ? exactly : Math.min(fallback, max ?? fallback));
  if (Number.isFinite(atMost)) count = Math.min(count, atMost);
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

export function generateString(schema: Schema, ctx: GenContext, label: string): string {
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
