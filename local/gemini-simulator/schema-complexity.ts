/**
 * A bound on response-schema complexity. Gemini compiles a response schema into the state
 * machine that constrains decoding, and refuses one that is too large with 400 INVALID_ARGUMENT
 * "The specified schema produces a constraint that has too many states for serving." The API
 * publishes no number; what it documents is what makes a schema large:
 *
 * - "Schema complexity: The API may reject very large or deeply nested schemas. If you encounter
 *   errors, try simplifying your schema by shortening property names, reducing nesting, or
 *   limiting the number of constraints." (Structured output, Limitations,
 *   https://ai.google.dev/gemini-api/docs/structured-output, quoted in
 *   https://discuss.ai.google.dev/t/please-document-allowed-schema-complexity/109002)
 * - The error's typical causes, as the API words them: very long property or enum names, long
 *   array length limits (especially when nested), and complex value matchers such as integers
 *   or numbers with minimum/maximum bounds.
 *
 * So the measure counts what a constrained decoder has to unroll: the characters of property
 * names and enum values, every value a bounded integer allows, and an array's item once per
 * element its length limit fixes (min/maxItems), optional properties twice (present or not);
 * an array without limits loops over one copy of its item. The bound, MAX_SCHEMA_STATES, is our
 * calibration, not Google's number: a question with four options, enum ids and a Bloom level
 * measures about 190, so an exact-length list of more than 10 such questions (the documented
 * failure: long array limits over nested items with enums) is refused, while the same item in a
 * list without limits is served; the largest schema the service sends (a 200,000-word course
 * outline: modules of lessons) measures about 1,500. A third-party report of the real limit
 * (a top-level `maxItems: 20` over small objects enough to cross it) agrees with a bound of
 * this order. The simulator is meant to be at least as strict as the API, not looser.
 */
import { asCount, isRecord } from './json.ts';

export const MAX_SCHEMA_STATES = 2000;

type Node = Record<string, unknown>;

function typeOf(node: Node): string {
  const t = Array.isArray(node.type) ? node.type.find((x) => x !== 'null' && x !== 'NULL') : node.type;
  if (typeof t === 'string') return t.toLowerCase();
  if (isRecord(node.properties)) return 'object';
  if (node.items !== undefined) return 'array';
  return 'string';
}

function refTarget(ref: unknown, root: Node): Node | undefined {
  if (typeof ref !== 'string' || !ref.startsWith('#/')) return undefined;
  let node: unknown = root;
  for (const key of ref.slice(2).split('/')) node = isRecord(node) ? node[key] : undefined;
  return isRecord(node) ? node : undefined;
}

/** The states a schema node unrolls into; `depth` guards against recursive $refs. */
export function schemaStates(node: unknown, root: Node = isRecord(node) ? node : {}, depth = 0): number {
  if (!isRecord(node) || depth > 32) return 1;
  const target = refTarget(node.$ref, root);
  if (target) return schemaStates(target, root, depth + 1);
  const branches = [node.anyOf, node.oneOf].find(Array.isArray) as unknown[] | undefined;
  if (branches) return branches.reduce<number>((sum, b) => sum + schemaStates(b, root, depth + 1), 0);
  if (Array.isArray(node.enum)) return node.enum.reduce<number>((sum, v) => sum + String(v).length + 1, 0);
  switch (typeOf(node)) {
    case 'object': {
      const properties = isRecord(node.properties) ? node.properties : {};
      const required = new Set(Array.isArray(node.required) ? node.required : []);
      let states = 1;
      for (const [name, property] of Object.entries(properties)) {
        const one = name.length + schemaStates(property, root, depth + 1);
        states += required.has(name) ? one : 2 * one;
      }
      return states;
    }
    case 'array': {
      const item = schemaStates(node.items, root, depth + 1);
      const limit = Math.max(asCount(node.maxItems) ?? 0, asCount(node.minItems) ?? 0);
      return limit > 0 ? limit * item : item + 1;
    }
    case 'integer':
    case 'number': {
      const min = Number(node.minimum);
      const max = Number(node.maximum);
      return Number.isFinite(min) && Number.isFinite(max) ? Math.max(1, Math.floor(max - min) + 1) * 4 : 1;
    }
    case 'boolean':
      return 2;
    default:
      return typeof node.format === 'string' && node.format !== 'enum' ? 20 : 1;
  }
}

/** A generateContent request's response schema (JSON Schema or Gemini's OpenAPI subset), if any. */
export function responseSchemaOf(request: Record<string, unknown>): unknown {
  const config = request.generationConfig ?? request.generation_config;
  if (!isRecord(config)) return undefined;
  return (
    config.responseJsonSchema ??
    config.response_json_schema ??
    config.responseSchema ??
    config.response_schema
  );
}

/** The 400 message for a schema past the bound, or undefined when it is served. */
export function schemaComplexityProblem(schema: unknown): string | undefined {
  const states = schemaStates(schema);
  if (states <= MAX_SCHEMA_STATES) return undefined;
  return `The specified schema produces a constraint that has too many states for serving. Typical causes of this error are schemas with lots of text (for example, very long property or enum names), schemas with long array length limits (especially when nested), or schemas using complex value matchers (for example, integers or numbers with minimum/maximum bounds or strings with complex formats like date-time). [simulated] This schema measures ${states} states; the simulator serves at most ${MAX_SCHEMA_STATES}.`;
}
