/**
 * The Lambda proxy integration: the REST API event (payload format 1.0) a handler receives, and
 * its answer read the way API Gateway reads it.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { headerValue, isBinary, sourceIpOf } from './api-gateway-request.ts';
import { LOCAL_REST_API_ID, type Route } from './api-gateway-template.ts';
import { isRecord, LOCAL_ACCOUNT_ID } from './cloudformation.ts';

/** A request matched to its route, with what the authorizer's event and the proxy event share. */
export interface RoutedRequest {
  req: IncomingMessage;
  requestId: string;
  time: Date;
  url: URL;
  method: string;
  route: Route;
  stageName: string;
  pathParameters: Record<string, string> | null;
  headers: Record<string, string>;
  multiValueHeaders: Record<string, string[]>;
  query: { single: Record<string, string> | null; multi: Record<string, string[]> | null };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$context.requestTime` as API Gateway formats it (CLF): `08/Jan/2025:10:00:00 +0000`. */
export function requestTimeOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** The request as both events carry it, in the order AWS writes it. */
export function requestFields(call: RoutedRequest) {
  return {
    resource: call.route.resourcePath,
    path: call.url.pathname,
    httpMethod: call.method,
    headers: call.headers,
    multiValueHeaders: call.multiValueHeaders,
    queryStringParameters: call.query.single,
    multiValueQueryStringParameters: call.query.multi,
    pathParameters: call.pathParameters,
    stageVariables: null,
  };
}

export function proxyEvent(
  call: RoutedRequest,
  passed: {
    /** The authorizer's context and principal, when the method has an authorizer. */
    authorizer: Record<string, unknown> | undefined;
    apiKey: { id: string; value: string } | undefined;
    body: Buffer;
    binaryMediaTypes: string[];
  },
): APIGatewayProxyEvent {
  const { req, requestId, time: now, url, method, route } = call;
  const { apiKey, body: raw } = passed;
  const binary = isBinary(headerValue(req, 'content-type'), passed.binaryMediaTypes);
  return {
    ...requestFields(call),
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: LOCAL_REST_API_ID,
      authorizer: passed.authorizer,
      domainName: headerValue(req, 'host') ?? 'localhost',
      domainPrefix: (headerValue(req, 'host') ?? 'localhost').split('.')[0],
      extendedRequestId: requestId.replaceAll('-', '').slice(0, 16),
      httpMethod: method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: apiKey?.value ?? null,
        apiKeyId: apiKey?.id ?? null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: sourceIpOf(req),
        user: null,
        userAgent: headerValue(req, 'user-agent') ?? null,
        userArn: null,
      },
      // The path as the client called it: locally there is no stage segment in the URL.
      path: url.pathname,
      protocol: `HTTP/${req.httpVersion}`,
      requestId,
      requestTime: requestTimeOf(now),
      requestTimeEpoch: now.getTime(),
      resourceId: route.resourceLogicalId.slice(0, 10).toLowerCase(),
      resourcePath: route.resourcePath,
      stage: call.stageName,
    },
    body: raw.length === 0 ? null : binary ? raw.toString('base64') : raw.toString('utf8'),
    isBase64Encoded: binary && raw.length > 0,
  };
}

export class MalformedProxyResponse extends Error {}

/** An answer as the gateway sends it: a handler's, or one of the gateway's own. */
export interface ProxyResult {
  statusCode: number;
  headers: Record<string, string[]>;
  body: Buffer;
}

export function parseProxyResult(result: unknown): ProxyResult {
  if (!isRecord(result)) throw new MalformedProxyResponse('response is not an object');
  const statusCode = Number(result.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    throw new MalformedProxyResponse('statusCode is missing or invalid');
  }
  if (result.body !== undefined && result.body !== null && typeof result.body !== 'string') {
    throw new MalformedProxyResponse('body must be a string');
  }
  const headers: Record<string, string[]> = {};
  const lowerNames = new Set<string>();
  if (isRecord(result.multiValueHeaders)) {
    for (const [name, values] of Object.entries(result.multiValueHeaders)) {
      if (!Array.isArray(values)) throw new MalformedProxyResponse(`multiValueHeaders.${name} is not a list`);
      headers[name] = values.map(String);
      lowerNames.add(name.toLowerCase());
    }
  }
  if (isRecord(result.headers)) {
    for (const [name, value] of Object.entries(result.headers)) {
      // AWS: where both forms name a header, multiValueHeaders wins.
      if (!lowerNames.has(name.toLowerCase())) headers[name] = [String(value)];
    }
  }
  const text = typeof result.body === 'string' ? result.body : '';
  const body = result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  return { statusCode, headers, body };
}

export function sendResult(res: ServerResponse, result: ProxyResult, requestId: string): void {
  const hasContentType = Object.keys(result.headers).some((name) => name.toLowerCase() === 'content-type');
  for (const [name, values] of Object.entries(result.headers)) res.setHeader(name, values);
  if (!hasContentType) res.setHeader('Content-Type', 'application/json');
  res.setHeader('x-amzn-RequestId', requestId);
  res.setHeader('Content-Length', result.body.length);
  res.writeHead(result.statusCode);
  res.end(result.body);
}
