/**
 * Reading JSON objects (a request's structure, a model's answer) field by field. `isObject` is
 * the content room's one test for a plain object; `str`, `strs` and `objs` read a section's
 * checked output as both the assembled content (assemble.ts) and the review records of its
 * questions (question-review.ts) take it: strings trimmed, anything of the wrong type read as
 * empty.
 */

export type Rec = Record<string, unknown>;

export function isObject(value: unknown): value is Rec {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function str(o: Rec, key: string): string {
  const v = o[key];
  return typeof v === 'string' ? v.trim() : '';
}

export function strs(o: Rec, key: string): string[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string').map((x) => x.trim()) : [];
}

export function objs(o: Rec, key: string): Rec[] {
  const v = o[key];
  return Array.isArray(v) ? v.filter(isObject) : [];
}
