/**
 * A method's Lambda REQUEST authorizer: the event it gets, and its answer read the way API
 * Gateway reads it (the policy's verdict for the method, the context handed on, and the key the
 * request carries when the API's key source is AUTHORIZER).
 */

import { type RoutedRequest, requestFields } from './api-gateway-event.ts';
import { LOCAL_REST_API_ID, type Route } from './api-gateway-template.ts';
import { isRecord, LOCAL_ACCOUNT_ID, LOCAL_REGION } from './cloudformation.ts';
import type { Invoke } from './lambda-runtime.ts';

export type AuthorizerOutcome =
  | { type: 'allowed'; principalId: string; context: Record<string, unknown>; usageIdentifierKey?: string }
  | { type: 'refused'; responseType: string; reason: string };

type AuthorizerEvent = Record<string, unknown> & { methodArn: string; headers: Record<string, string> };

/** IAM resource matching: `*` any run of characters, `?` one. */
function resourceMatches(pattern: string, arn: string): boolean {
  const regex = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${regex}$`).test(arn);
}

/** The policy's verdict for one method ARN: an explicit Deny wins, then an Allow, else none. */
export function policyEffect(policy: Record<string, unknown>, methodArn: string): 'Allow' | 'Deny' | 'none' {
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  let allowed = false;
  for (const statement of statements) {
    if (!isRecord(statement)) continue;
    const actions = ([] as unknown[]).concat(statement.Action ?? []);
    if (
      !actions.some((action) => typeof action === 'string' && resourceMatches(action, 'execute-api:Invoke'))
    ) {
      continue;
    }
    const resources = ([] as unknown[]).concat(statement.Resource ?? []);
    if (!resources.some((resource) => typeof resource === 'string' && resourceMatches(resource, methodArn))) {
      continue;
    }
    if (statement.Effect === 'Deny') return 'Deny';
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'Allow' : 'none';
}

export function authorizerEvent(call: RoutedRequest): AuthorizerEvent {
  const { url, method, stageName } = call;
  return {
    type: 'REQUEST',
    methodArn: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${LOCAL_REST_API_ID}/${stageName}/${method}${url.pathname}`,
    ...requestFields(call),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_REST_API_ID,
      stage: stageName,
      requestId: call.requestId,
    },
  };
}

/**
 * A Lambda REQUEST authorizer, the way API Gateway treats its answer: a missing identity
 * source or the error "Unauthorized" is 401, a policy that does not allow the method is 403,
 * and any other error or a malformed answer is a 500.
 */
export async function runAuthorizer(
  functions: Record<string, Invoke>,
  authorizer: NonNullable<Route['authorizer']>,
  event: AuthorizerEvent,
): Promise<AuthorizerOutcome> {
  const missing = authorizer.identitySources.find((source) => {
    const name = /^method\.request\.header\.(.+)$/.exec(source)?.[1];
    return (
      name !== undefined && !Object.keys(event.headers).some((h) => h.toLowerCase() === name.toLowerCase())
    );
  });
  if (missing) return { type: 'refused', responseType: 'UNAUTHORIZED', reason: `no ${missing}` };
  const invoke = functions[authorizer.functionLogicalId];
  if (!invoke)
    return { type: 'refused', responseType: 'AUTHORIZER_CONFIGURATION_ERROR', reason: 'no function' };
  let result: unknown;
  try {
    result = await invoke(event);
  } catch (error) {
    const message = (error as Error).message;
    return message === 'Unauthorized'
      ? { type: 'refused', responseType: 'UNAUTHORIZED', reason: message }
      : { type: 'refused', responseType: 'AUTHORIZER_FAILURE', reason: message };
  }
  if (!isRecord(result) || typeof result.principalId !== 'string' || !isRecord(result.policyDocument)) {
    return { type: 'refused', responseType: 'AUTHORIZER_CONFIGURATION_ERROR', reason: 'malformed answer' };
  }
  const effect = policyEffect(result.policyDocument, event.methodArn);
  if (effect !== 'Allow') {
    return { type: 'refused', responseType: 'ACCESS_DENIED', reason: `policy effect ${effect}` };
  }
  return {
    type: 'allowed',
    principalId: result.principalId,
    context: isRecord(result.context) ? result.context : {},
    usageIdentifierKey: typeof result.usageIdentifierKey === 'string' ? result.usageIdentifierKey : undefined,
  };
}
