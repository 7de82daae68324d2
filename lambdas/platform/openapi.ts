/**
 * OpenAPI 3.1 from the zod schemas the routes validate with: one source of truth. Each API keeps
 * a description table (`ApiDescription`) keyed like its route table (`"GET /jobs/{job_id}"`),
 * whose request schemas are the very objects its handlers pass to `parseBody`/`parseQuery`;
 * `openApiPaths` turns the tables into the document's paths. A test compares the tables with
 * `lib/routes.ts` and the synthesized API Gateway template, so a route without a description
 * (or a description without a route) fails `npm test`.
 *
 * OpenAPI 3.1 schemas are JSON Schema 2020-12, zod 4's default `z.toJSONSchema` target
 * (https://spec.openapis.org/oas/v3.1.0#schema-object, https://zod.dev/json-schema).
 */
import * as z from 'zod';

export type JsonSchema = Record<string, unknown>;

export interface ResponseDescription {
  description: string;
  /** The body; none for a 204 or a redirect. */
  schema?: z.ZodType;
  /** The body's media type when not JSON (a file download, the docs page). */
  mediaType?: string;
  /** Response headers worth naming (`location` of a started job). */
  headers?: Record<string, string>;
}

export interface OperationDescription {
  summary: string;
  description?: string;
  /** The schema the handler validates the query string with. */
  query?: z.ZodObject;
  /** The schema the handler validates the JSON body with (or, where noted, one it composes). */
  body?: z.ZodType;
  /** Other media types the body may come as (a multipart form upload). */
  otherBodies?: Record<string, JsonSchema>;
  /** Path parameters' descriptions; every `{name}` of the path is a string parameter. */
  pathParameters?: Record<string, string>;
  /** Success and route-specific error answers by status; the envelope's common errors are added. */
  responses: Record<string, ResponseDescription>;
  /** Answers without an API key (and then without 401/403). */
  public?: boolean;
}

/**
 * One API's description: its tag, where its routes are mounted, its error envelope, and one
 * entry per route, keyed `"<METHOD> <path below basePath>"` as its route table is.
 */
export interface ApiDescription {
  tag: string;
  summary: string;
  basePath: string;
  /** The body of every error answer of this API. */
  errorSchema: z.ZodType;
  operations: Record<string, OperationDescription>;
}

/** The seeds' FastAPI error envelope (`detailEnvelope` in http.ts). */
export const detailErrorSchema = z
  .object({ detail: z.string().describe('What went wrong and how to fix the request') })
  .describe('The error envelope of the Quiz Generator and assessments APIs');

/** JSON Schema of a zod schema as a request (`input`) or an answer (`output`) reads it. */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Transforms and refinements have no JSON Schema: `any` keeps the part of the schema they sit in.
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  // A schema registered with an id, or a recursive one, comes with `$defs` its `$ref`s point
  // into, which mean nothing once the schema sits inside the document: refuse it here.
  if (rest.$defs !== undefined || JSON.stringify(rest).includes('"$ref":"#')) {
    throw new Error('A schema with $defs or $ref cannot be placed in the OpenAPI document as it is');
  }
  return rest;
}

const jsonContent = (schema: JsonSchema) => ({ 'application/json': { schema } });

/** The key of an operation in the whole API: `"GET /api/v1/quiz-generator/jobs"`. */
export function operationKeys(api: ApiDescription): string[] {
  return Object.keys(api.operations).map((key) => {
    const [method, path] = key.split(' ') as [string, string];
    return `${method} ${fullPath(api.basePath, path)}`;
  });
}

function fullPath(basePath: string, path: string): string {
  const joined = `${basePath}${path}`;
  return joined.length > 1 && joined.endsWith('/') ? joined.slice(0, -1) : joined;
}

function operationId(method: string, path: string): string {
  const words = path
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1));
  return `${method.toLowerCase()}${words.join('') || 'Root'}`;
}

function parameters(path: string, op: OperationDescription): JsonSchema[] {
  const inPath = [...path.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
    name,
    in: 'path',
    required: true,
    schema: { type: 'string' },
    ...(op.pathParameters?.[name ?? ''] ? { description: op.pathParameters[name ?? ''] } : {}),
  }));
  const query = op.query ? jsonSchemaOf(op.query, 'input') : undefined;
  const properties = (query?.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((query?.required ?? []) as string[]);
  const inQuery = Object.entries(properties).map(([name, schema]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema,
    ...(typeof schema.description === 'string' ? { description: schema.description } : {}),
  }));
  return [...inPath, ...inQuery];
}

/** A response; an error one without its own schema has the API's error body. */
function response(api: ApiDescription, status: string, r: ResponseDescription): JsonSchema {
  const headers = Object.entries(r.headers ?? {}).map(([name, description]) => [
    name,
    { description, schema: { type: 'string' } },
  ]);
  const schema = r.schema ? jsonSchemaOf(r.schema, 'output') : undefined;
  const errorBody =
    Number(status) >= 400 ? { $ref: `#/components/schemas/${errorComponentOf(api)}` } : undefined;
  const content = r.mediaType
    ? { [r.mediaType]: { schema: schema ?? { type: 'string' } } }
    : schema || errorBody
      ? jsonContent(schema ?? errorBody ?? {})
      : undefined;
  return {
    description: r.description,
    ...(headers.length > 0 ? { headers: Object.fromEntries(headers) } : {}),
    ...(content ? { content } : {}),
  };
}

/** The errors every route of an API may answer, in its envelope, unless the route names its own. */
function commonErrors(
  api: ApiDescription,
  op: OperationDescription,
  path: string,
): Record<string, JsonSchema> {
  const error = (description: string) => ({
    description,
    content: jsonContent({ $ref: `#/components/schemas/${errorComponentOf(api)}` }),
  });
  return {
    // EduMate's /generate answers an invalid request 422, as FastAPI does, and names it itself.
    ...((op.body || op.query) && !op.responses['422']
      ? { '400': error('The request is invalid; the message says what to fix') }
      : {}),
    ...(op.public
      ? {}
      : {
          // The gateway's answer, which carries both APIs' envelopes in one body (lib/constructs/api.ts).
          '401': error('No API key (send x-api-key or Authorization: Bearer), or one that is not valid'),
        }),
    ...(path.includes('{') ? { '404': error('Nothing with this id for this API key') } : {}),
    '500': error('The service failed; nothing about the request is wrong'),
  };
}

/** The component name of an API's error body: `QuizGeneratorError`. */
export function errorComponentOf(api: ApiDescription): string {
  return `${api.tag.replace(/[^A-Za-z0-9]/g, '')}Error`;
}

/** The document's `paths`, from every API's description table. */
export function openApiPaths(apis: readonly ApiDescription[]): Record<string, Record<string, JsonSchema>> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const api of apis) {
    for (const [key, op] of Object.entries(api.operations)) {
      const [method, path] = key.split(' ') as [string, string];
      const full = fullPath(api.basePath, path);
      const params = parameters(full, op);
      const responses = {
        ...commonErrors(api, op, full),
        ...Object.fromEntries(
          Object.entries(op.responses).map(([status, r]) => [status, response(api, status, r)]),
        ),
      };
      const body = op.body
        ? {
            requestBody: {
              // An empty body reads as `{}` (http.ts readJson), which some routes take as it is.
              required: !op.body.safeParse({}).success,
              content: { ...jsonContent(jsonSchemaOf(op.body, 'input')), ...(op.otherBodies ?? {}) },
            },
          }
        : {};
      const operation = {
        tags: [api.tag],
        summary: op.summary,
        ...(op.description ? { description: op.description } : {}),
        operationId: operationId(method, full),
        ...(params.length > 0 ? { parameters: params } : {}),
        ...body,
        responses: Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b))),
        ...(op.public ? { security: [] } : {}),
      };
      paths[full] ??= {};
      (paths[full] as Record<string, JsonSchema>)[method.toLowerCase()] = operation;
    }
  }
  return paths;
}

/** The error bodies as components, one per API. */
export function errorComponents(apis: readonly ApiDescription[]): Record<string, JsonSchema> {
  return Object.fromEntries(
    apis.map((api) => [errorComponentOf(api), jsonSchemaOf(api.errorSchema, 'output')]),
  );
}
