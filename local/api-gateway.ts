/**
 * API Gateway (REST, v1 proxy integration) in front of the in-process handlers, built from the
 * synthesized template: resources and methods give the routes, `ApiKeyRequired` says where a
 * key is enforced, a method's Lambda REQUEST authorizer runs first (and, with the API's key
 * source AUTHORIZER, says which key the request carries), the integration URI names the
 * function, and the template's GatewayResponses shape every answer the gateway gives itself,
 * so clients see locally what they will see in AWS.
 *
 * This file is the server and the order a request goes through (WAF, route, authorizer, key,
 * body, integration); the pieces are `api-gateway-template.ts` (what the template defines),
 * `api-gateway-request.ts` (route matching, headers, query, body), `api-gateway-authorizer.ts`,
 * `api-gateway-event.ts` (the proxy event and result) and `api-gateway-responses.ts` (the
 * gateway's own answers).
 *
 * Served without the stage prefix (`http://localhost:3000/api/v1/...`), as behind a custom
 * domain: `requestContext.path` is the path the client called, `requestContext.stage` the stage.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { authorizerEvent, runAuthorizer } from './api-gateway-authorizer.ts';
import {
  MalformedProxyResponse,
  parseProxyResult,
  proxyEvent,
  type RoutedRequest,
  sendResult,
} from './api-gateway-event.ts';
import {
  collectHeaders,
  collectQuery,
  discardBody,
  findRoutes,
  headerValue,
  readBody,
  requestUrl,
} from './api-gateway-request.ts';
import { gatewayResponse } from './api-gateway-responses.ts';
import { type ApiDefinition, apiFromTemplate, type Route } from './api-gateway-template.ts';
import type { CfnTemplate } from './cloudformation.ts';
import type { Invoke } from './lambda-runtime.ts';

export interface ApiKey {
  id: string;
  value: string;
  name: string;
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
    const answer = (type: string) => sendResult(res, gatewayResponse(api, request, type), requestId);
    // AWS answers an unknown method exactly like an unknown path.
    if (!match || !url) return answer('MISSING_AUTHENTICATION_TOKEN');
    const { route } = match;

    const call: RoutedRequest = {
      req,
      requestId,
      time: now,
      url,
      method,
      route,
      stageName: api.stageName,
      pathParameters: Object.keys(match.pathParameters).length > 0 ? match.pathParameters : null,
      ...collectHeaders(req),
      query: collectQuery(url),
    };
    let authorizerContext: Record<string, unknown> | undefined;
    let usageIdentifierKey: string | undefined;
    if (route.authorizer) {
      const outcome = await runAuthorizer(options.functions, route.authorizer, authorizerEvent(call));
      if (outcome.type === 'refused') {
        log(`${method} ${url.pathname}: authorizer refused (${outcome.responseType}): ${outcome.reason}`);
        return answer(outcome.responseType);
      }
      authorizerContext = { ...outcome.context, principalId: outcome.principalId };
      usageIdentifierKey = outcome.usageIdentifierKey;
    }

    // The usage plan's check: a known key, from where the API's key source says.
    const presented = api.apiKeySource === 'AUTHORIZER' ? usageIdentifierKey : headerValue(req, 'x-api-key');
    const apiKey = presented === undefined ? undefined : keysByValue.get(presented);
    if (route.apiKeyRequired && !apiKey) return answer('INVALID_API_KEY');

    const raw = await readBody(req);
    if (raw === 'too-large') return answer('REQUEST_TOO_LARGE');

    if (route.integration.type === 'mock') {
      const headers = Object.fromEntries(Object.entries(route.integration.headers).map(([k, v]) => [k, [v]]));
      return sendResult(
        res,
        { statusCode: route.integration.statusCode, headers, body: Buffer.alloc(0) },
        requestId,
      );
    }

    const event = proxyEvent(call, {
      authorizer: authorizerContext,
      apiKey,
      body: raw,
      binaryMediaTypes: api.binaryMediaTypes,
    });
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
      return sendResult(res, parseProxyResult(result), requestId);
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
