/**
 * HTTP plumbing for the API handlers: JSON responses, the seed's `{"detail": "..."}` error
 * envelope, and the one place where domain errors become status codes.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { z } from 'zod';
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

export function errorResponse(error: unknown): APIGatewayProxyResult {
  if (error instanceof DomainError) return json(error.statusCode, { detail: clipMessage(error.message) });
  logger.error('Unhandled error', { error: error as Error });
  return json(500, { detail: 'Internal server error' });
}

/** Parses a JSON body (an empty body counts as `{}`) and validates it with the route's schema. */
export function parseBody<T extends z.ZodType>(event: APIGatewayProxyEvent, schema: T): z.infer<T> {
  let raw: unknown = {};
  const text =
    event.isBase64Encoded && event.body ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (text && text.trim() !== '') {
    try {
      raw = JSON.parse(text);
    } catch {
      throw new InvalidRequest('Request body is not valid JSON');
    }
  }
  if (nestedDeeperThan(raw, MAX_NESTING)) {
    throw new InvalidRequest(`Request body is nested more than ${MAX_NESTING} levels deep`);
  }
  return validate(schema, raw, 'body');
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
