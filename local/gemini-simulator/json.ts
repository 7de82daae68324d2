/** Reading the loosely typed JSON the simulator receives: request bodies and response schemas. */

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asCount(value: unknown): number | undefined {
  // OpenAPI-style schemas carry int64 fields such as minItems as strings ("4").
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

export function field(obj: Record<string, unknown> | undefined, camel: string): unknown {
  if (!obj) return undefined;
  // Gemini's JSON mapping accepts snake_case too; raw REST callers use it.
  return obj[camel] ?? obj[camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)];
}
