/**
 * The answers the gateway gives itself (unknown route, bad key, refused by the authorizer,
 * timeout, broken integration), shaped by the template's GatewayResponses. As in AWS, a gateway
 * response template gets `$context` variables substituted and nothing else: API Gateway does not
 * run VTL there, so a `#if` would reach the client as text, here as there.
 */

import type { IncomingMessage } from 'node:http';
import { type ProxyResult, requestTimeOf } from './api-gateway-event.ts';
import { headerValue, sourceIpOf } from './api-gateway-request.ts';
import { type ApiDefinition, LOCAL_REST_API_ID, stripQuotes } from './api-gateway-template.ts';
import { LOCAL_ACCOUNT_ID } from './cloudformation.ts';

/** AWS's built-in gateway responses: status, family, and the message `$context.error.message` holds. */
const BUILT_IN_RESPONSES: Record<string, { status: number; family: '4XX' | '5XX'; message: string }> = {
  MISSING_AUTHENTICATION_TOKEN: { status: 403, family: '4XX', message: 'Missing Authentication Token' },
  INVALID_API_KEY: { status: 403, family: '4XX', message: 'Forbidden' },
  UNAUTHORIZED: { status: 401, family: '4XX', message: 'Unauthorized' },
  ACCESS_DENIED: {
    status: 403,
    family: '4XX',
    message: 'User is not authorized to access this resource with an explicit deny',
  },
  AUTHORIZER_FAILURE: { status: 500, family: '5XX', message: 'Internal server error' },
  AUTHORIZER_CONFIGURATION_ERROR: { status: 500, family: '5XX', message: 'Internal server error' },
  REQUEST_TOO_LARGE: { status: 413, family: '4XX', message: 'Request Too Long' },
  INTEGRATION_TIMEOUT: { status: 504, family: '5XX', message: 'Endpoint request timed out' },
  INTEGRATION_FAILURE: { status: 504, family: '5XX', message: 'Internal server error' },
  DEFAULT_5XX: { status: 502, family: '5XX', message: 'Internal server error' },
};

/** The `x-amzn-ErrorType` API Gateway sends with some of its own answers. */
const ERROR_TYPE_HEADERS: Record<string, string> = {
  MISSING_AUTHENTICATION_TOKEN: 'MissingAuthenticationTokenException',
  INVALID_API_KEY: 'ForbiddenException',
  UNAUTHORIZED: 'UnauthorizedException',
  ACCESS_DENIED: 'AccessDeniedException',
  AUTHORIZER_FAILURE: 'AuthorizerFailureException',
  AUTHORIZER_CONFIGURATION_ERROR: 'AuthorizerConfigurationException',
};

/**
 * A gateway response body: each `$context.<name>` the gateway knows is replaced by its value
 * (`error.messageString` comes quoted and escaped for JSON), anything else is left as written.
 */
export function renderGatewayTemplate(template: string, context: Record<string, string>): string {
  return template.replace(/\$context\.([A-Za-z]\w*(?:\.[A-Za-z]\w*)*)/g, (whole, name: string) =>
    name in context ? (context[name] as string) : whole,
  );
}

/** What a gateway response knows of its request; an unmatched one has no resource path. */
export interface GatewayRequest {
  req: IncomingMessage;
  requestId: string;
  path: string;
  resourcePath?: string;
  time: Date;
}

export function gatewayResponse(api: ApiDefinition, request: GatewayRequest, type: string): ProxyResult {
  const { req, requestId } = request;
  const builtIn = BUILT_IN_RESPONSES[type] ?? {
    status: 500,
    family: '5XX' as const,
    message: 'Internal server error',
  };
  const custom = api.gatewayResponses[type] ?? api.gatewayResponses[`DEFAULT_${builtIn.family}`];
  const template = custom?.template ?? '{"message":$context.error.messageString}';
  const body = renderGatewayTemplate(template, {
    'error.messageString': JSON.stringify(builtIn.message),
    'error.message': builtIn.message,
    'error.responseType': type,
    requestId,
    extendedRequestId: requestId.replaceAll('-', '').slice(0, 16),
    requestTime: requestTimeOf(request.time),
    requestTimeEpoch: String(request.time.getTime()),
    path: request.path,
    resourcePath: request.resourcePath ?? '',
    httpMethod: (req.method ?? 'GET').toUpperCase(),
    stage: api.stageName,
    apiId: LOCAL_REST_API_ID,
    accountId: LOCAL_ACCOUNT_ID,
    'identity.sourceIp': sourceIpOf(req),
  });
  const headers: Record<string, string[]> = { 'Content-Type': ['application/json'] };
  const errorType = ERROR_TYPE_HEADERS[type];
  if (errorType) headers['x-amzn-ErrorType'] = [errorType];
  for (const [name, source] of Object.entries(custom?.headers ?? {})) {
    const fromRequest = /^method\.request\.header\.(.+)$/.exec(source)?.[1];
    const value = fromRequest ? headerValue(req, fromRequest) : stripQuotes(source);
    if (value !== undefined) headers[name] = [value];
  }
  return { statusCode: custom?.statusCode ?? builtIn.status, headers, body: Buffer.from(body) };
}
