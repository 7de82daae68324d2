/**
 * API Gateway (REST, v1 proxy integration) in front of the in-process handlers, built from the
 * synthesized template: resources and methods give the routes, `ApiKeyRequired` says where a
 * key is enforced, a method's Lambda REQUEST authorizer runs first (and, with the API's key
 * source AUTHORIZER, says which key the request carries), the integration URI names the
 * function, and the template's
 * GatewayResponses shape every answer the gateway gives itself (unknown route, bad key,
 * timeout, broken integration), so clients see locally what they will see in AWS. As in AWS, a
 * gateway response template gets `$context` variables substituted and nothing else: API Gateway
 * does not run VTL there, so a `#if` would reach the client as text, here as there.
 *
 * Served without the stage prefix (`http://localhost:3000/api/v1/...`), as behind a custom
 * domain: `requestContext.path` is the path the client called, `requestContext.stage` the stage.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  type CfnResource,
  type CfnTemplate,
  isRecord,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  referencedLogicalIds,
  referenceOf,
  resourcesOfType,
} from './cloudformation.ts';
import type { Invoke } from './lambda-runtime.ts';
import { type WebAcl, webAclFromTemplate } from './web-acl.ts';

export interface ApiKey {
  id: string;
  value: string;
  name: string;
}

export type RouteIntegration =
  | { type: 'lambda'; functionLogicalId: string }
  | { type: 'mock'; statusCode: number; headers: Record<string, string> };

export interface Route {
  restApiLogicalId: string;
  /** Resource path template, e.g. `/api/v1/quiz-generator/jobs/{job_id}`. */
  resourcePath: string;
  resourceLogicalId: string;
  httpMethod: string;
  apiKeyRequired: boolean;
  integration: RouteIntegration;
  /** A Lambda REQUEST authorizer that runs before the key check. */
  authorizer?: { functionLogicalId: string; identitySources: string[] };
  timeoutMs?: number;
}

export interface GatewayResponseSpec {
  statusCode?: number;
  headers: Record<string, string>;
  template?: string;
}

export interface ApiDefinition {
  routes: Route[];
  /** Where the key comes from: the `x-api-key` header, or the authorizer's `usageIdentifierKey`. */
  apiKeySource: 'HEADER' | 'AUTHORIZER';
  gatewayResponses: Record<string, GatewayResponseSpec>;
  stageName: string;
  binaryMediaTypes: string[];
  /** The WAF web ACL on the stage: it sees each request before the gateway does. */
  webAcl?: WebAcl;
}

export interface ApiGatewayOptions {
  /** A parsed template, or an `ApiDefinition` built by `apiFromTemplate`. */
  template?: CfnTemplate;
  api?: ApiDefinition;
  /** Lambda functions by logical id. */
  functions: Record<string, Invoke>;
  apiKeys: ApiKey[];
  port?: number;
  host?: string;
  /** API Gateway's integration timeout when the method sets none (29 s in AWS). */
  integrationTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface ApiGateway {
  readonly url: string;
  readonly port: number;
  readonly routes: Route[];
  close(): Promise<void>;
}

const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;
const MAX_PAYLOAD_BYTES = 10 * 1024 * 1024;

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

function stripQuotes(value: string): string {
  return value.length >= 2 && value.startsWith("'") && value.endsWith("'") ? value.slice(1, -1) : value;
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

/**
 * A gateway response body: each `$context.<name>` the gateway knows is replaced by its value
 * (`error.messageString` comes quoted and escaped for JSON), anything else is left as written.
 */
export function renderGatewayTemplate(template: string, context: Record<string, string>): string {
  return template.replace(/\$context\.([A-Za-z]\w*(?:\.[A-Za-z]\w*)*)/g, (whole, name: string) =>
    name in context ? (context[name] as string) : whole,
  );
}

function refId(value: unknown): { logicalId: string; root: boolean } | undefined {
  const reference = referenceOf(value);
  return reference && { logicalId: reference.logicalId, root: reference.attribute === 'RootResourceId' };
}

function integrationOf(template: CfnTemplate, method: CfnResource, where: string): RouteIntegration {
  const integration = method.Properties?.Integration;
  if (!isRecord(integration)) throw new Error(`${where}: method has no Integration`);
  if (integration.Type === 'MOCK') {
    const first = Array.isArray(integration.IntegrationResponses)
      ? integration.IntegrationResponses[0]
      : undefined;
    const params = isRecord(first) && isRecord(first.ResponseParameters) ? first.ResponseParameters : {};
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) {
      const name = key.replace(/^method\.response\.header\./, '');
      if (typeof value === 'string') headers[name] = stripQuotes(value);
    }
    return { type: 'mock', statusCode: Number(isRecord(first) ? (first.StatusCode ?? 200) : 200), headers };
  }
  if (integration.Type !== 'AWS_PROXY') {
    throw new Error(`${where}: integration type ${String(integration.Type)} is not supported locally`);
  }
  for (const logicalId of referencedLogicalIds(integration.Uri)) {
    const resource = template.Resources[logicalId];
    if (resource?.Type === 'AWS::Lambda::Function') return { type: 'lambda', functionLogicalId: logicalId };
    if (resource?.Type === 'AWS::Lambda::Alias') {
      const target = refId(resource.Properties?.FunctionName);
      if (target) return { type: 'lambda', functionLogicalId: target.logicalId };
    }
  }
  throw new Error(`${where}: the integration URI names no Lambda function of this template`);
}

function authorizerOf(template: CfnTemplate, method: CfnResource, where: string): Route['authorizer'] {
  const props = method.Properties ?? {};
  if (props.AuthorizationType !== 'CUSTOM') return undefined;
  const authorizerId = refId(props.AuthorizerId)?.logicalId;
  const authorizer = authorizerId ? template.Resources[authorizerId] : undefined;
  if (authorizer?.Type !== 'AWS::ApiGateway::Authorizer' || authorizer.Properties?.Type !== 'REQUEST') {
    throw new Error(`${where}: only Lambda REQUEST authorizers of this template run locally`);
  }
  const functionLogicalId = [...referencedLogicalIds(authorizer.Properties?.AuthorizerUri)].find(
    (id) => template.Resources[id]?.Type === 'AWS::Lambda::Function',
  );
  if (!functionLogicalId) throw new Error(`${where}: the authorizer URI names no Lambda function`);
  const source = authorizer.Properties?.IdentitySource;
  const identitySources =
    typeof source === 'string'
      ? source
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
      : [];
  return { functionLogicalId, identitySources };
}

export function apiFromTemplate(template: CfnTemplate): ApiDefinition {
  const resources = new Map(resourcesOfType(template, 'AWS::ApiGateway::Resource'));
  const pathCache = new Map<string, string>();
  const pathOf = (logicalId: string): string => {
    const cached = pathCache.get(logicalId);
    if (cached !== undefined) return cached;
    const resource = resources.get(logicalId);
    if (!resource) throw new Error(`Unknown API resource ${logicalId}`);
    const parent = refId(resource.Properties?.ParentId);
    const parentPath = !parent || parent.root ? '' : pathOf(parent.logicalId);
    const path = `${parentPath}/${String(resource.Properties?.PathPart)}`;
    pathCache.set(logicalId, path);
    return path;
  };

  const routes: Route[] = resourcesOfType(template, 'AWS::ApiGateway::Method').map(([logicalId, method]) => {
    const props = method.Properties ?? {};
    const target = refId(props.ResourceId);
    const resourcePath = !target || target.root ? '/' : pathOf(target.logicalId);
    const integration = isRecord(props.Integration) ? props.Integration : {};
    return {
      restApiLogicalId: refId(props.RestApiId)?.logicalId ?? '',
      resourcePath,
      resourceLogicalId: target?.logicalId ?? '',
      httpMethod: String(props.HttpMethod ?? 'ANY').toUpperCase(),
      apiKeyRequired: props.ApiKeyRequired === true || props.ApiKeyRequired === 'true',
      integration: integrationOf(
        template,
        method,
        `${logicalId} (${String(props.HttpMethod)} ${resourcePath})`,
      ),
      authorizer: authorizerOf(
        template,
        method,
        `${logicalId} (${String(props.HttpMethod)} ${resourcePath})`,
      ),
      timeoutMs: typeof integration.TimeoutInMillis === 'number' ? integration.TimeoutInMillis : undefined,
    };
  });

  const gatewayResponses: Record<string, GatewayResponseSpec> = {};
  for (const [, resource] of resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse')) {
    const props = resource.Properties ?? {};
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(
      isRecord(props.ResponseParameters) ? props.ResponseParameters : {},
    )) {
      if (typeof value === 'string') headers[key.replace(/^gatewayresponse\.header\./, '')] = value;
    }
    const templates = isRecord(props.ResponseTemplates) ? props.ResponseTemplates : {};
    const body = templates['application/json'] ?? Object.values(templates)[0];
    gatewayResponses[String(props.ResponseType)] = {
      statusCode: props.StatusCode === undefined ? undefined : Number(props.StatusCode),
      headers,
      template: typeof body === 'string' ? body : undefined,
    };
  }

  const stage = resourcesOfType(template, 'AWS::ApiGateway::Stage')[0]?.[1];
  const deployment = resourcesOfType(template, 'AWS::ApiGateway::Deployment')[0]?.[1];
  const stageName = stage?.Properties?.StageName ?? deployment?.Properties?.StageName ?? 'prod';
  const [restApiLogicalId, restApi] = resourcesOfType(template, 'AWS::ApiGateway::RestApi')[0] ?? [];
  const binary = restApi?.Properties?.BinaryMediaTypes;
  return {
    routes,
    apiKeySource: restApi?.Properties?.ApiKeySourceType === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER',
    gatewayResponses,
    stageName: String(stageName),
    binaryMediaTypes: Array.isArray(binary) ? binary.map((type) => String(type).replaceAll('~1', '/')) : [],
    webAcl: restApiLogicalId ? webAclFromTemplate(template, restApiLogicalId) : undefined,
  };
}

interface Match {
  route: Route;
  pathParameters: Record<string, string>;
}

/** API Gateway precedence: a literal segment beats `{param}`, which beats `{proxy+}`. */
function matchPath(templateSegments: string[], segments: string[], params: Record<string, string>): boolean {
  if (templateSegments.length === 0) return segments.length === 0;
  const [head, ...rest] = templateSegments;
  if (head === undefined) return false;
  if (head.startsWith('{') && head.endsWith('+}')) {
    if (segments.length === 0) return false;
    params[head.slice(1, -2)] = segments.join('/');
    return true;
  }
  const [segment, ...remaining] = segments;
  if (segment === undefined) return false;
  if (head.startsWith('{') && head.endsWith('}')) {
    params[head.slice(1, -1)] = segment;
    return matchPath(rest, remaining, params);
  }
  return head === segment && matchPath(rest, remaining, params);
}

function specificity(resourcePath: string): number[] {
  return resourcePath
    .split('/')
    .filter(Boolean)
    .map((part) => (part.endsWith('+}') ? 0 : part.startsWith('{') ? 1 : 2));
}

function compareSpecificity(a: Route, b: Route): number {
  const sa = specificity(a.resourcePath);
  const sb = specificity(b.resourcePath);
  for (let i = 0; i < Math.max(sa.length, sb.length); i++) {
    const diff = (sb[i] ?? -1) - (sa[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return 0;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function findRoutes(routes: Route[], pathname: string): Match[] {
  const trimmed = pathname.length > 1 && pathname.endsWith('/') ? pathname.slice(0, -1) : pathname;
  const segments = trimmed.split('/').filter(Boolean).map(safeDecode);
  const matches: Match[] = [];
  for (const route of routes) {
    const params: Record<string, string> = {};
    if (matchPath(route.resourcePath.split('/').filter(Boolean), segments, params)) {
      matches.push({ route, pathParameters: params });
    }
  }
  // All methods of the most specific matching resource; a less specific one is not a fallback.
  matches.sort((a, b) => compareSpecificity(a.route, b.route));
  const best = matches[0]?.route.resourcePath;
  return matches.filter((match) => match.route.resourcePath === best);
}

/**
 * Maps keyed by what the client sent: without a prototype, so a header or query parameter named
 * `constructor` or `__proto__` is just a key, as it is to API Gateway.
 */
function clientKeyed<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}

function collectHeaders(req: IncomingMessage) {
  const headers = clientKeyed<string>();
  const multiValueHeaders = clientKeyed<string[]>();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i] as string;
    const value = req.rawHeaders[i + 1] as string;
    headers[name] = value;
    const list = multiValueHeaders[name] ?? [];
    list.push(value);
    multiValueHeaders[name] = list;
  }
  return { headers, multiValueHeaders };
}

/**
 * The request target as a URL. A path is read as a path even when it starts with `//`, which a
 * relative URL would take for a host (`//` alone is not even a valid one); anything else that is
 * not a URL is a path no route has.
 */
function requestUrl(target: string): URL | undefined {
  try {
    return new URL(target.startsWith('/') ? `http://localhost${target}` : target, 'http://localhost');
  } catch {
    return undefined;
  }
}

function collectQuery(url: URL) {
  const single = clientKeyed<string>();
  const multi = clientKeyed<string[]>();
  for (const [key, value] of url.searchParams) {
    single[key] = value;
    const list = multi[key] ?? [];
    list.push(value);
    multi[key] = list;
  }
  const empty = Object.keys(single).length === 0;
  return { single: empty ? null : single, multi: empty ? null : multi };
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name.toLowerCase()];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function sourceIpOf(req: IncomingMessage): string {
  return req.socket?.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
}

function isBinary(contentType: string | undefined, binaryMediaTypes: string[]): boolean {
  if (!contentType) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return binaryMediaTypes.some((pattern) => {
    const normalized = pattern.toLowerCase();
    if (normalized === '*/*') return true;
    if (normalized.endsWith('/*')) return type.startsWith(normalized.slice(0, -1));
    return normalized === type;
  });
}

/**
 * The request body, or 'too-large' past API Gateway's 10 MB. The rest of a body that is too
 * large is read and dropped rather than left unread: leaving the loop early would destroy the
 * request and its socket, and the client would get a reset instead of the 413 AWS answers.
 */
async function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size <= MAX_PAYLOAD_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_PAYLOAD_BYTES ? 'too-large' : Buffer.concat(chunks);
}

/** Reads and drops a body the gateway answers without, so the client gets the answer, not a reset. */
async function discardBody(req: IncomingMessage): Promise<void> {
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('error', () => resolve());
    req.resume();
  });
}

class MalformedProxyResponse extends Error {}

interface ProxyResult {
  statusCode: number;
  headers: Record<string, string[]>;
  body: Buffer;
}

function parseProxyResult(result: unknown): ProxyResult {
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

type AuthorizerOutcome =
  | { type: 'allowed'; principalId: string; context: Record<string, unknown>; usageIdentifierKey?: string }
  | { type: 'refused'; responseType: string; reason: string };

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

export async function startApiGateway(options: ApiGatewayOptions): Promise<ApiGateway> {
  const api = options.api ?? (options.template ? apiFromTemplate(options.template) : undefined);
  if (!api) throw new Error('startApiGateway needs a template or an api definition');
  const log = options.log ?? (() => {});
  for (const route of api.routes) {
    if (route.integration.type === 'lambda' && !options.functions[route.integration.functionLogicalId]) {
      throw new Error(
        `${route.httpMethod} ${route.resourcePath}: no handler for ${route.integration.functionLogicalId}`,
      );
    }
  }
  const keysByValue = new Map(options.apiKeys.map((key) => [key.value, key]));
  const restApiId = 'localapi01';

  const send = (res: ServerResponse, result: ProxyResult, requestId: string) => {
    const hasContentType = Object.keys(result.headers).some((name) => name.toLowerCase() === 'content-type');
    for (const [name, values] of Object.entries(result.headers)) res.setHeader(name, values);
    if (!hasContentType) res.setHeader('Content-Type', 'application/json');
    res.setHeader('x-amzn-RequestId', requestId);
    res.setHeader('Content-Length', result.body.length);
    res.writeHead(result.statusCode);
    res.end(result.body);
  };

  /** What a gateway response knows of its request; an unmatched one has no resource path. */
  interface GatewayRequest {
    req: IncomingMessage;
    requestId: string;
    path: string;
    resourcePath?: string;
    time: Date;
  }

  const gatewayResponse = (request: GatewayRequest, type: string): ProxyResult => {
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
      apiId: restApiId,
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
  };

  /**
   * A Lambda REQUEST authorizer, the way API Gateway treats its answer: a missing identity
   * source or the error "Unauthorized" is 401, a policy that does not allow the method is 403,
   * and any other error or a malformed answer is a 500.
   */
  const runAuthorizer = async (
    authorizer: NonNullable<Route['authorizer']>,
    event: Record<string, unknown> & { methodArn: string; headers: Record<string, string> },
  ): Promise<AuthorizerOutcome> => {
    const missing = authorizer.identitySources.find((source) => {
      const name = /^method\.request\.header\.(.+)$/.exec(source)?.[1];
      return (
        name !== undefined && !Object.keys(event.headers).some((h) => h.toLowerCase() === name.toLowerCase())
      );
    });
    if (missing) return { type: 'refused', responseType: 'UNAUTHORIZED', reason: `no ${missing}` };
    const invoke = options.functions[authorizer.functionLogicalId];
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
      usageIdentifierKey:
        typeof result.usageIdentifierKey === 'string' ? result.usageIdentifierKey : undefined,
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const now = new Date();
    const url = requestUrl(req.url ?? '/');
    const method = (req.method ?? 'GET').toUpperCase();
    // WAF first: a request it blocks never reaches the gateway. (In AWS it sees the stage in the
    // path; no rule here reads the path.)
    const blocked = api.webAcl?.inspect({
      method,
      uriPath: url?.pathname ?? req.url ?? '/',
      queryString: url?.search.slice(1) ?? '',
      headers: Object.fromEntries(
        Object.entries(req.headers).map(([name, value]) => [
          name,
          Array.isArray(value) ? value.join(',') : value,
        ]),
      ),
    });
    if (blocked) {
      log(`${method} ${url?.pathname ?? req.url}: blocked by WAF rule ${blocked.rule} (${blocked.status})`);
      await discardBody(req);
      res.writeHead(blocked.status, { ...blocked.headers, 'content-length': blocked.body.length });
      res.end(blocked.body);
      return;
    }
    const candidates = url ? findRoutes(api.routes, url.pathname) : [];
    const match =
      candidates.find((candidate) => candidate.route.httpMethod === method) ??
      candidates.find((candidate) => candidate.route.httpMethod === 'ANY');
    const request = {
      req,
      requestId,
      path: url?.pathname ?? req.url ?? '/',
      resourcePath: match?.route.resourcePath,
      time: now,
    };
    const answer = (type: string) => send(res, gatewayResponse(request, type), requestId);
    // AWS answers an unknown method exactly like an unknown path.
    if (!match || !url) return answer('MISSING_AUTHENTICATION_TOKEN');
    const { route } = match;

    const { headers, multiValueHeaders } = collectHeaders(req);
    const query = collectQuery(url);
    let authorizerContext: Record<string, unknown> | undefined;
    let usageIdentifierKey: string | undefined;
    if (route.authorizer) {
      const outcome = await runAuthorizer(route.authorizer, {
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${restApiId}/${api.stageName}/${method}${url.pathname}`,
        resource: route.resourcePath,
        path: url.pathname,
        httpMethod: method,
        headers,
        multiValueHeaders,
        queryStringParameters: query.single,
        multiValueQueryStringParameters: query.multi,
        pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
        stageVariables: null,
        requestContext: { accountId: LOCAL_ACCOUNT_ID, apiId: restApiId, stage: api.stageName, requestId },
      });
      if (outcome.type === 'refused') {
        log(`${method} ${url.pathname}: authorizer refused (${outcome.responseType}): ${outcome.reason}`);
        return answer(outcome.responseType);
      }
      authorizerContext = { ...outcome.context, principalId: outcome.principalId };
      usageIdentifierKey = outcome.usageIdentifierKey;
    }

    const presented = api.apiKeySource === 'AUTHORIZER' ? usageIdentifierKey : headerValue(req, 'x-api-key');
    const apiKey = presented === undefined ? undefined : keysByValue.get(presented);
    if (route.apiKeyRequired && !apiKey) return answer('INVALID_API_KEY');

    const raw = await readBody(req);
    if (raw === 'too-large') return answer('REQUEST_TOO_LARGE');

    if (route.integration.type === 'mock') {
      const headers = Object.fromEntries(Object.entries(route.integration.headers).map(([k, v]) => [k, [v]]));
      return send(
        res,
        { statusCode: route.integration.statusCode, headers, body: Buffer.alloc(0) },
        requestId,
      );
    }

    const binary = isBinary(headerValue(req, 'content-type'), api.binaryMediaTypes);
    const event: APIGatewayProxyEvent = {
      resource: route.resourcePath,
      path: url.pathname,
      httpMethod: method,
      headers,
      multiValueHeaders,
      queryStringParameters: query.single,
      multiValueQueryStringParameters: query.multi,
      pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
      stageVariables: null,
      requestContext: {
        accountId: LOCAL_ACCOUNT_ID,
        apiId: restApiId,
        authorizer: authorizerContext,
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
        stage: api.stageName,
      },
      body: raw.length === 0 ? null : binary ? raw.toString('base64') : raw.toString('utf8'),
      isBase64Encoded: binary && raw.length > 0,
    };

    const invoke = options.functions[route.integration.functionLogicalId] as Invoke;
    const timeoutMs = route.timeoutMs ?? options.integrationTimeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([invoke(event), timedOut]);
      if (result === 'timeout') {
        log(`${method} ${url.pathname}: integration timed out after ${timeoutMs} ms`);
        return answer('INTEGRATION_TIMEOUT');
      }
      return send(res, parseProxyResult(result), requestId);
    } catch (error) {
      const reason =
        error instanceof MalformedProxyResponse
          ? `malformed Lambda proxy response: ${error.message}`
          : `function error: ${(error as Error).name}: ${(error as Error).message}`;
      log(`${method} ${url.pathname}: ${reason}`);
      return answer('DEFAULT_5XX');
    } finally {
      clearTimeout(timer);
    }
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      log(`gateway error: ${(error as Error).stack ?? String(error)}`);
      if (!res.headersSent) res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end('{"message":"Internal server error"}');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://localhost:${port}`,
    port,
    routes: api.routes,
    async close() {
      // Like a stopped gateway: requests still waiting for a handler are cut off.
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
