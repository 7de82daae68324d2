/**
 * The API's Lambda authorizer (REQUEST type): finds the caller's API key in either of the
 * content API specification's headers, `X-API-Key: <key>` or the worker form
 * `Authorization: Bearer <key>` (with an optional `X-Worker-ID`), and hands it to API Gateway
 * as the usage identifier. API Gateway then checks the key against the usage plan, applies its
 * throttle and quota, and answers a key it does not know with INVALID_API_KEY, exactly as it
 * does for keys read from the header. So this function decides only where the key is, never
 * whether it is valid, and needs no permissions.
 *
 * No credentials at all: the `Unauthorized` error, which API Gateway answers with 401
 * (the UNAUTHORIZED gateway response).
 */
import { createHash } from 'node:crypto';
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { withPowertools } from '#platform/middleware.ts';
import { logger } from '#platform/powertools.ts';

export type AuthScheme = 'api-key' | 'bearer';

export interface Credentials {
  key: string;
  scheme: AuthScheme;
  workerId?: string;
}

/** The longest X-Worker-ID kept; it is a label for logs, not an identity. */
const MAX_WORKER_ID_LENGTH = 128;

function header(headers: Record<string, string | undefined> | null, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted && value !== undefined && value.trim() !== '') return value.trim();
  }
  return undefined;
}

/** The key and how it came; `X-API-Key` wins when a client sends both. */
export function credentialsOf(headers: Record<string, string | undefined> | null): Credentials | undefined {
  const apiKey = header(headers, 'x-api-key');
  if (apiKey) return { key: apiKey, scheme: 'api-key' };
  const bearer = /^Bearer\s+(\S+)$/i.exec(header(headers, 'authorization') ?? '')?.[1];
  if (!bearer) return undefined;
  const workerId = header(headers, 'x-worker-id')?.slice(0, MAX_WORKER_ID_LENGTH);
  return { key: bearer, scheme: 'bearer', ...(workerId ? { workerId } : {}) };
}

/** A stable principal that names the key without revealing it (logs show principalId). */
export function principalOf(key: string): string {
  return `key-${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

export function authorize(event: APIGatewayRequestAuthorizerEvent): APIGatewayAuthorizerResult {
  const credentials = credentialsOf(event.headers);
  // API Gateway maps exactly this message to 401 Unauthorized.
  if (!credentials) throw new Error('Unauthorized');
  return {
    principalId: principalOf(credentials.key),
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: event.methodArn }],
    },
    usageIdentifierKey: credentials.key,
    context: {
      authScheme: credentials.scheme,
      ...(credentials.workerId ? { workerId: credentials.workerId } : {}),
    },
  };
}

export const handler = withPowertools(async (event: APIGatewayRequestAuthorizerEvent) => {
  const result = authorize(event);
  logger.debug('Authorized', { principalId: result.principalId, scheme: result.context?.authScheme });
  return result;
});
