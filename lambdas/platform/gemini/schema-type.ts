/**
 * The `type` values of a Gemini response schema (OpenAPI 3.0 Schema subset), as plain strings.
 *
 * They are the values of `@google/genai`'s `Type` enum (3.1.0, `dist/genai.d.ts`:
 * `enum Type { TYPE_UNSPECIFIED = "TYPE_UNSPECIFIED", STRING = "STRING", NUMBER = "NUMBER",
 * INTEGER = "INTEGER", BOOLEAN = "BOOLEAN", ARRAY = "ARRAY", OBJECT = "OBJECT", NULL = "NULL" }`),
 * the names the REST API's `Schema.type` takes (the API's `Type`: "the list of OpenAPI data types",
 * https://ai.google.dev/api/python/google/generativeai/protos/Type). Importing the enum from the SDK would put the whole
 * SDK (about 700 KB minified with its dependencies) into every Lambda bundle that describes a
 * response, API functions that never call Gemini included; test/unit/gemini-schema-type.test.ts
 * keeps these in step with the SDK.
 */
export const Type = {
  STRING: 'STRING',
  NUMBER: 'NUMBER',
  INTEGER: 'INTEGER',
  BOOLEAN: 'BOOLEAN',
  ARRAY: 'ARRAY',
  OBJECT: 'OBJECT',
  NULL: 'NULL',
} as const;

export type SchemaType = (typeof Type)[keyof typeof Type];
