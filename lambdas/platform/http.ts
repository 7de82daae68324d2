/**
 * The HTTP edge of the three APIs: one handler factory (`httpApi`: a route table, an optional
 * guard, one error path), one JSON body reader, JSON and file responses, and `statusOf`, the
 * one place where an error becomes a status. Each API passes its envelope, which only shapes
 * bodies: the seeds' `{"detail": "..."}` (`detailEnvelope`, here) or the Content Generator
 * API's `success: false` one (`lambdas/content/api/envelope.ts`).
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type * as z from 'zod';
import { DomainError, InvalidRequest } from './errors.ts';
import { logger } from './powertools.ts';

const JSON_HEADERS = { 'content-type': 'application/json' } as const;

export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { ...JSON_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** A file to download: its bytes, media type and the name a browser saves it under. */
export interface DownloadFile {
  body: Uint8Array;
  contentType: string;
  filename: string;
}

const TEXT_TYPE = /^(text\/|application\/(xml|json)\b|[^;]*\+(xml|json)\b)/i;

/**
 * 200 with the file as an attachment. Text goes out as text; anything else base64-encoded with
 * `isBase64Encoded`, the only way a Lambda proxy response carries bytes (API Gateway decodes it
 * for clients whose Accept header names one of the API's binary media types). Characters a
 * quoted header parameter cannot carry as they are become `_` (`exportBank`'s names have none).
 */
export function fileResponse(file: DownloadFile): APIGatewayProxyResult {
  const bytes = Buffer.from(file.body.buffer, file.body.byteOffset, file.body.byteLength);
  const text = TEXT_TYPE.test(file.contentType);
  const filename = file.filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  return {
    statusCode: 200,
    headers: {
      'content-type': file.contentType,
      'content-disposition': `attachment; filename="${filename}"`,
    },
    // Buffer keeps a byte order mark (TextDecoder would drop it, and CSV needs it for Excel).
    body: text ? bytes.toString('utf8') : bytes.toString('base64'),
    ...(text ? {} : { isBase64Encoded: true }),
  };
}

export function noContent(): APIGatewayProxyResult {
  return { statusCode: 204, headers: {}, body: '' };
}

/** The longest error message answered: messages quote what was sent, and that can be megabytes. */
const MAX_MESSAGE_CHARS = 2000;

/**
 * An error message cut to a length a response carries easily. Escaped twice (in the body, then
 * in the Lambda proxy result), an echoed value of a few MB would pass Lambda's 6 MB response limit.
 */
export function clipMessage(message: string): string {
  return message.length > MAX_MESSAGE_CHARS
    ? `${message.slice(0, MAX_MESSAGE_CHARS)}… (${message.length} characters)`
    : message;
}

/** Deeper than any request body needs (a course structure is about ten levels). */
export const MAX_NESTING = 64;

/**
 * Whether JSON `value` nests objects or lists more than `max` levels deep, walked without
 * recursion: code that recurses over a body (or JSON.stringify of a part of it, in a message)
 * runs out of stack on one nested 100 000 levels deep.
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: [unknown, number][] = [[value, 0]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, depth] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth >= max) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
}

/** 400: a body that is not JSON. */
export class BodyNotJson extends InvalidRequest {
  constructor() {
    super('Request body is not valid JSON');
  }
}

/** 400: a body nested deeper than MAX_NESTING. */
export class BodyTooDeep extends InvalidRequest {
  constructor() {
    super(`Request body is nested more than ${MAX_NESTING} levels deep`);
  }
}

/**
 * The JSON body (an empty one counts as `{}`), refused unless it is JSON nested at most
 * MAX_NESTING levels deep: the one reader of request bodies.
 */
export function readJson(event: APIGatewayProxyEvent): unknown {
  const text =
    event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (!text || text.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BodyNotJson();
  }
  if (nestedDeeperThan(value, MAX_NESTING)) throw new BodyTooDeep();
  return value;
}

/** Reads the JSON body (`readJson`) and validates it with the route's schema. */
export function parseBody<T extends z.ZodType>(event: APIGatewayProxyEvent, schema: T): z.infer<T> {
  return validate(schema, readJson(event), 'body');
}

export function parseQuery<T extends z.ZodType>(event: APIGatewayProxyEvent, schema: T): z.infer<T> {
  return validate(schema, event.queryStringParameters ?? {}, 'query');
}

export function validate<T extends z.ZodType>(schema: T, value: unknown, where: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw new InvalidRequest(describeIssues(result.error, where));
  return result.data;
}

/** One sentence per problem, naming the field: "body.level: must be between 1 and 5". */
export function describeIssues(error: z.ZodError, where: string): string {
  return error.issues
    .map((issue) => {
      const path = [where, ...issue.path.map(String)].join('.');
      return `${path}: ${issue.message}`;
    })
    .join('; ');
}

export function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/**
 * The API key's id: the owner of every job, document and result created with it. API Gateway
 * sets it for every method that requires a key; the authorizer's principal (a hash of the key)
 * stands in should it ever be absent, so two keys can never share an owner. Only the public
 * routes, which keep no data, are 'anonymous'.
 */
export function ownerOf(event: APIGatewayProxyEvent): string {
  const principal = event.requestContext?.authorizer?.principalId;
  return (
    event.requestContext?.identity?.apiKeyId ?? (typeof principal === 'string' ? principal : 'anonymous')
  );
}

// --- the handler factory ---------------------------------------------------------------------

/** A route answers for the key's owner (`''` on a public route). */
export type Route = (event: APIGatewayProxyEvent, owner: string) => Promise<APIGatewayProxyResult>;

/** Routes by `"<METHOD> <resource>"`, the resource as API Gateway names it: `GET /jobs/{job_id}`. */
export type RouteTable = Record<string, Route>;

/** How an API shapes its bodies; statuses are not its business (`statusOf` chooses them). */
export interface Envelope {
  /** The body of an answer that carries `data`. */
  success(data: unknown): unknown;
  /** The body of the answer to `error`, whose status is `status`. A 5xx never shows the raw error. */
  failure(error: unknown, status: number): unknown;
}

/** 404: no route for the method and resource. */
export class RouteNotFound extends DomainError {
  constructor() {
    super('Not Found', 404);
  }
}

/** The status of the answer to `error`: the one place an error becomes a status. */
export function statusOf(error: unknown): number {
  return error instanceof DomainError ? error.statusCode : 500;
}

/** A JSON answer carrying `data` in `envelope`. */
export function answer(
  envelope: Envelope,
  data: unknown,
  statusCode = 200,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return json(statusCode, envelope.success(data), headers);
}

/** The answer to `error` in `envelope`; errors no route expected are logged. */
export function errorAnswer(
  envelope: Envelope,
  error: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  if (error instanceof InvalidRequest) logger.info('Rejected request', { detail: error.message });
  else if (!(error instanceof DomainError)) logger.error('Unhandled error', { error: error as Error });
  const status = statusOf(error);
  return json(status, envelope.failure(error, status), headers);
}

/** The seeds' FastAPI envelope: answers as they are, errors as `{"detail": "..."}`. */
export const detailEnvelope: Envelope = {
  success: (data) => data,
  failure: (error) => ({
    detail: error instanceof DomainError ? clipMessage(error.message) : 'Internal server error',
  }),
};

/** `errorAnswer` in the detail envelope. */
export function errorResponse(error: unknown): APIGatewayProxyResult {
  return errorAnswer(detailEnvelope, error);
}

/**
 * What stands before every route but the public ones: headers for its answer, whatever it is,
 * and an error to refuse it with instead (the content API's rate limit).
 */
export type Guard = (owner: string) => Promise<{ headers: Record<string, string>; refusal?: DomainError }>;

export interface ApiOptions {
  routes: RouteTable;
  envelope: Envelope;
  /** Where the API is mounted, left out of the resource before the route is looked up. */
  basePath?: string;
  /** Routes that answer without a key: no owner and no guard. */
  publicRoutes?: readonly string[];
  guard?: Guard;
}

/** The handler of an API: finds the route, runs it for the key's owner, answers errors in the envelope. */
export function httpApi(
  options: ApiOptions,
): (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult> {
  const { routes, envelope, basePath, guard } = options;
  const open = new Set(options.publicRoutes ?? []);
  return async (event) => {
    let headers: Record<string, string> = {};
    try {
      const resource =
        basePath && event.resource.startsWith(basePath)
          ? event.resource.slice(basePath.length)
          : event.resource;
      const key = `${event.httpMethod} ${resource}`;
      const route = routes[key];
      if (!route) throw new RouteNotFound();
      if (open.has(key)) return await route(event, '');
      const owner = ownerOf(event);
      if (!guard) return await route(event, owner);
      const checked = await guard(owner);
      headers = checked.headers;
      if (checked.refusal) throw checked.refusal;
      const result = await route(event, owner);
      return { ...result, headers: { ...result.headers, ...headers } };
    } catch (error) {
      return errorAnswer(envelope, error, headers);
    }
  };
}
