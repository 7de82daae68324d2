import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import type { APIGatewayProxyEvent, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { authorize } from '#gateway/authorizer.ts';
import { createApp } from '../../lib/app.ts';
import { BINARY_MEDIA_TYPES } from '../../lib/constructs/api.ts';
import { BINARY_BODY_MAX_BYTES, TEXT_BODY_MAX_BYTES } from '../../lib/constructs/firewall.ts';
import { functionEntries } from '../../lib/definition.ts';
import { CORS_EXPOSED_HEADERS } from '../../lib/routes.ts';
import { MAX_INLINE_UPLOAD_BYTES } from '../../lib/settings.ts';
import { type ApiGateway, startApiGateway } from '../../local/api-gateway.ts';
import { requestTimeOf } from '../../local/api-gateway-event.ts';
import { renderGatewayTemplate } from '../../local/api-gateway-responses.ts';
import { apiFromTemplate } from '../../local/api-gateway-template.ts';
import type { CfnTemplate } from '../../local/cloudformation.ts';
import { createLocalLambda, type Invoke } from '../../local/lambda-runtime.ts';

const ROOT = { 'Fn::GetAtt': ['RestApi', 'RootResourceId'] };

/** A gateway error as the synthesized API answers it: both envelopes in one body. */
interface GatewayErrorBody {
  detail: string;
  success: false;
  error: string;
  metadata: { timestamp: string; details: { code: string; suggestion: string } };
}
const errorBody = async (response: Response) => (await response.json()) as GatewayErrorBody;
const ERROR_TEMPLATE = { 'application/json': '{"detail":$context.error.messageString}' };

function lambdaUri(functionLogicalId: string) {
  return {
    'Fn::Join': [
      '',
      [
        'arn:',
        { Ref: 'AWS::Partition' },
        ':apigateway:',
        { Ref: 'AWS::Region' },
        ':lambda:path/2015-03-31/functions/',
        { 'Fn::GetAtt': [functionLogicalId, 'Arn'] },
        '/invocations',
      ],
    ],
  };
}

function method(httpMethod: string, resourceId: string, functionLogicalId: string, apiKeyRequired: boolean) {
  return {
    Type: 'AWS::ApiGateway::Method',
    Properties: {
      HttpMethod: httpMethod,
      ResourceId: { Ref: resourceId },
      RestApiId: { Ref: 'RestApi' },
      ApiKeyRequired: apiKeyRequired,
      AuthorizationType: 'NONE',
      Integration: { Type: 'AWS_PROXY', IntegrationHttpMethod: 'POST', Uri: lambdaUri(functionLogicalId) },
    },
  };
}

function resource(pathPart: string, parent: unknown) {
  return {
    Type: 'AWS::ApiGateway::Resource',
    Properties: { ParentId: parent, PathPart: pathPart, RestApiId: { Ref: 'RestApi' } },
  };
}

/** The shape CDK synthesizes for the service's RestApi, cut down to a few routes. */
function fixtureTemplate(extraResponses: Record<string, unknown> = {}): CfnTemplate {
  return {
    Resources: {
      RestApi: {
        Type: 'AWS::ApiGateway::RestApi',
        Properties: { Name: 'api', BinaryMediaTypes: ['image/png'] },
      },
      Stage: {
        Type: 'AWS::ApiGateway::Stage',
        Properties: { StageName: 'prod', RestApiId: { Ref: 'RestApi' } },
      },
      ApiFunction: { Type: 'AWS::Lambda::Function', Properties: {} },
      HealthFunction: { Type: 'AWS::Lambda::Function', Properties: {} },
      ResApi: resource('api', ROOT),
      ResV1: resource('v1', { Ref: 'ResApi' }),
      ResQuiz: resource('quiz-generator', { Ref: 'ResV1' }),
      ResJobs: resource('jobs', { Ref: 'ResQuiz' }),
      ResJob: resource('{job_id}', { Ref: 'ResJobs' }),
      ResStatus: resource('api-status', { Ref: 'ResQuiz' }),
      ResHealth: resource('health', ROOT),
      GetJobs: method('GET', 'ResJobs', 'ApiFunction', true),
      GetJob: method('GET', 'ResJob', 'ApiFunction', true),
      DeleteJob: method('DELETE', 'ResJob', 'ApiFunction', true),
      PostJobs: method('POST', 'ResJobs', 'ApiFunction', true),
      GetStatus: method('GET', 'ResStatus', 'ApiFunction', true),
      GetHealth: method('GET', 'ResHealth', 'HealthFunction', false),
      Default4xx: {
        Type: 'AWS::ApiGateway::GatewayResponse',
        Properties: {
          ResponseType: 'DEFAULT_4XX',
          RestApiId: { Ref: 'RestApi' },
          ResponseTemplates: ERROR_TEMPLATE,
        },
      },
      Default5xx: {
        Type: 'AWS::ApiGateway::GatewayResponse',
        Properties: {
          ResponseType: 'DEFAULT_5XX',
          RestApiId: { Ref: 'RestApi' },
          ResponseTemplates: ERROR_TEMPLATE,
        },
      },
      ...extraResponses,
    },
  };
}

describe('local API Gateway', () => {
  const apiKeys = [
    { id: 'key-default', value: 'a'.repeat(40), name: 'default' },
    { id: 'key-second', value: 'b'.repeat(40), name: 'second' },
  ];
  let gateway: ApiGateway;
  let strictGateway: ApiGateway;
  let lastEvent: APIGatewayProxyEvent | undefined;

  beforeAll(async () => {
    const api = createLocalLambda(
      { functionName: 'api', entry: 'fixture', timeoutSeconds: 5 },
      async (raw) => {
        const event = raw as APIGatewayProxyEvent;
        lastEvent = event;
        if (event.resource.endsWith('api-status') && event.queryStringParameters?.mode === 'crash') {
          throw new Error('handler crashed');
        }
        if (event.queryStringParameters?.mode === 'slow') await sleep(500);
        if (event.queryStringParameters?.mode === 'malformed') return { body: 'no status code' };
        if (event.queryStringParameters?.mode === 'binary') {
          return {
            statusCode: 200,
            headers: { 'Content-Type': 'image/png' },
            body: Buffer.from([0, 1, 2, 255]).toString('base64'),
            isBase64Encoded: true,
          };
        }
        return {
          statusCode: event.httpMethod === 'POST' ? 201 : 200,
          headers: { 'Content-Type': 'application/json', 'X-Single': 'one' },
          multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2'] },
          body: JSON.stringify({ ok: true }),
        };
      },
    );
    const health = createLocalLambda({ functionName: 'health', entry: 'fixture' }, async () => ({
      statusCode: 200,
      body: '{"status":"ok"}',
    }));
    const functions = { ApiFunction: api.invoke, HealthFunction: health.invoke };
    gateway = await startApiGateway({
      template: fixtureTemplate(),
      functions,
      apiKeys,
      integrationTimeoutMs: 300,
    });
    strictGateway = await startApiGateway({
      template: fixtureTemplate({
        NotFound: {
          Type: 'AWS::ApiGateway::GatewayResponse',
          Properties: {
            ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
            RestApiId: { Ref: 'RestApi' },
            StatusCode: '404',
            ResponseTemplates: { 'application/json': '{"detail":"Not Found"}' },
            ResponseParameters: { 'gatewayresponse.header.Access-Control-Allow-Origin': "'*'" },
          },
        },
        BadKey: {
          Type: 'AWS::ApiGateway::GatewayResponse',
          Properties: {
            ResponseType: 'INVALID_API_KEY',
            RestApiId: { Ref: 'RestApi' },
            ResponseTemplates: {
              'application/json':
                '{"message":$context.error.messageString,"type":"$context.error.responseType","path":"$context.path",' +
                '"resource":"$context.resourcePath","method":"$context.httpMethod","at":"$context.requestTime",' +
                '"id":"$context.requestId","unknown":"$context.noSuchThing","family":"#if($context.path.startsWith(\'/api\'))api#end"}',
            },
          },
        },
      }),
      functions,
      apiKeys,
    });
  });

  afterAll(async () => {
    await gateway.close();
    await strictGateway.close();
  });

  const call = (path: string, init: RequestInit & { key?: string } = {}) => {
    const headers = new Headers(init.headers);
    if (init.key) headers.set('x-api-key', init.key);
    return fetch(`${gateway.url}${path}`, { ...init, headers });
  };

  test('builds the routes from the template resources and methods', () => {
    const routes = apiFromTemplate(fixtureTemplate()).routes.map(
      (route) => `${route.httpMethod} ${route.resourcePath}${route.apiKeyRequired ? ' (key)' : ''}`,
    );
    assert.deepEqual(routes.sort(), [
      'DELETE /api/v1/quiz-generator/jobs/{job_id} (key)',
      'GET /api/v1/quiz-generator/api-status (key)',
      'GET /api/v1/quiz-generator/jobs (key)',
      'GET /api/v1/quiz-generator/jobs/{job_id} (key)',
      'GET /health',
      'POST /api/v1/quiz-generator/jobs (key)',
    ]);
  });

  test('turns a request into a REST APIGatewayProxyEvent', async () => {
    const response = await call('/api/v1/quiz-generator/jobs/job%201?status=running&tag=a&tag=b', {
      key: apiKeys[1]?.value,
      headers: { 'X-Custom': 'Value' },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { ok: true });
    assert.equal(response.headers.get('x-single'), 'one');
    assert.deepEqual(response.headers.getSetCookie(), ['a=1', 'b=2']);
    const event = lastEvent;
    assert.ok(event);
    assert.equal(event.resource, '/api/v1/quiz-generator/jobs/{job_id}');
    assert.equal(event.path, '/api/v1/quiz-generator/jobs/job%201');
    assert.equal(event.httpMethod, 'GET');
    assert.deepEqual(event.pathParameters, { job_id: 'job 1' });
    assert.deepEqual(event.queryStringParameters, { status: 'running', tag: 'b' });
    assert.deepEqual(event.multiValueQueryStringParameters, { status: ['running'], tag: ['a', 'b'] });
    assert.equal(event.headers['X-Custom'], 'Value');
    assert.deepEqual(event.multiValueHeaders['X-Custom'], ['Value']);
    assert.equal(event.body, null);
    assert.equal(event.isBase64Encoded, false);
    assert.equal(event.requestContext.stage, 'prod');
    assert.equal(event.requestContext.resourcePath, '/api/v1/quiz-generator/jobs/{job_id}');
    assert.equal(event.requestContext.identity.apiKey, apiKeys[1]?.value);
    assert.equal(event.requestContext.identity.apiKeyId, 'key-second');
    assert.match(event.requestContext.requestId, /^[0-9a-f-]{36}$/);
    assert.match(
      event.requestContext.requestTime ?? '',
      /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
    );
    assert.ok(Math.abs(event.requestContext.requestTimeEpoch - Date.now()) < 5000);
  });

  test('passes text bodies as text and binary media types as base64', async () => {
    const text = await call('/api/v1/quiz-generator/jobs', {
      method: 'POST',
      key: apiKeys[0]?.value,
      headers: { 'content-type': 'application/json' },
      body: '{"sector":"technology"}',
    });
    assert.equal(text.status, 201);
    assert.equal(lastEvent?.body, '{"sector":"technology"}');
    assert.equal(lastEvent?.isBase64Encoded, false);

    await call('/api/v1/quiz-generator/jobs', {
      method: 'POST',
      key: apiKeys[0]?.value,
      headers: { 'content-type': 'image/png' },
      body: new Uint8Array([137, 80, 78, 71]),
    });
    assert.equal(lastEvent?.isBase64Encoded, true);
    assert.deepEqual([...Buffer.from(lastEvent?.body ?? '', 'base64')], [137, 80, 78, 71]);

    const binary = await call('/api/v1/quiz-generator/jobs?mode=binary', { key: apiKeys[0]?.value });
    assert.equal(binary.headers.get('content-type'), 'image/png');
    assert.deepEqual([...new Uint8Array(await binary.arrayBuffer())], [0, 1, 2, 255]);
  });

  test('enforces x-api-key where the method requires it, in any header case', async () => {
    const missing = await call('/api/v1/quiz-generator/jobs');
    assert.equal(missing.status, 403);
    assert.deepEqual(await missing.json(), { detail: 'Forbidden' });

    const unknown = await call('/api/v1/quiz-generator/jobs', { key: 'not-a-key' });
    assert.equal(unknown.status, 403);
    assert.deepEqual(await unknown.json(), { detail: 'Forbidden' });

    const upperCase = await call('/api/v1/quiz-generator/jobs', {
      headers: { 'X-API-KEY': apiKeys[0]?.value ?? '' },
    });
    assert.equal(upperCase.status, 200);

    const health = await call('/health');
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });
  });

  test('answers unknown paths and methods as the template says (AWS: MISSING_AUTHENTICATION_TOKEN)', async () => {
    const key = apiKeys[0]?.value;
    const unknownPath = await call('/api/v1/quiz-generator/nope', { key });
    assert.equal(unknownPath.status, 403);
    assert.deepEqual(await unknownPath.json(), { detail: 'Missing Authentication Token' });
    const unknownMethod = await call('/api/v1/quiz-generator/jobs', { method: 'PUT', key });
    assert.equal(unknownMethod.status, 403);

    const customized = await fetch(`${strictGateway.url}/api/v1/quiz-generator/nope`);
    assert.equal(customized.status, 404);
    assert.deepEqual(await customized.json(), { detail: 'Not Found' });
    assert.equal(customized.headers.get('access-control-allow-origin'), '*');
    const trailingSlash = await fetch(`${strictGateway.url}/api/v1/quiz-generator/jobs/`, {
      headers: { 'x-api-key': key ?? '' },
    });
    assert.equal(trailingSlash.status, 200);
  });

  test('substitutes $context variables in gateway responses and runs no VTL, as API Gateway does', async () => {
    const response = await fetch(`${strictGateway.url}/api/v1/quiz-generator/jobs/j%201`, {
      headers: { 'x-api-key': 'wrong' },
    });
    assert.equal(response.status, 403);
    const body = (await response.json()) as Record<string, string>;
    assert.deepEqual(
      { ...body, at: undefined, id: undefined },
      {
        message: 'Forbidden',
        type: 'INVALID_API_KEY',
        path: '/api/v1/quiz-generator/jobs/j%201',
        resource: '/api/v1/quiz-generator/jobs/{job_id}',
        method: 'GET',
        at: undefined,
        id: undefined,
        unknown: '$context.noSuchThing',
        // API Gateway sends a directive as text: a template cannot branch.
        family: "#if($context.path.startsWith('/api'))api#end",
      },
    );
    assert.match(body.at ?? '', /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
    assert.equal(body.id, response.headers.get('x-amzn-requestid'));
  });

  test('formats $context.requestTime as API Gateway does and leaves unknown variables alone', () => {
    assert.equal(requestTimeOf(new Date('2025-01-08T09:05:03.120Z')), '08/Jan/2025:09:05:03 +0000');
    assert.equal(
      renderGatewayTemplate(
        '{"a":$context.error.messageString,"b":"$context.error.message","c":"$context.x.y"}',
        {
          'error.messageString': JSON.stringify('say "hi"'),
          'error.message': 'say "hi"',
        },
      ),
      '{"a":"say \\"hi\\"","b":"say "hi"","c":"$context.x.y"}',
    );
  });

  test('maps function errors, malformed responses and timeouts to gateway responses', async () => {
    const key = apiKeys[0]?.value;
    const crashed = await call('/api/v1/quiz-generator/api-status?mode=crash', { key });
    assert.equal(crashed.status, 502);
    assert.deepEqual(await crashed.json(), { detail: 'Internal server error' });

    const malformed = await call('/api/v1/quiz-generator/api-status?mode=malformed', { key });
    assert.equal(malformed.status, 502);

    const slow = await call('/api/v1/quiz-generator/api-status?mode=slow', { key });
    assert.equal(slow.status, 504);
    assert.deepEqual(await slow.json(), { detail: 'Endpoint request timed out' });
  });
});

/** A PDF-looking body with every byte value, so a text decoding anywhere would show. */
function binaryBody(size: number): Buffer {
  const body = Buffer.alloc(size);
  body.write('%PDF-1.7\n');
  for (let i = 9; i < size; i++) body[i] = i % 256;
  return body;
}

const curlAvailable = await promisify(execFile)('curl', ['--version']).then(
  () => true,
  () => false,
);

describe('local API Gateway on the synthesized template', () => {
  const apiKey = { id: 'key-default', value: 'k'.repeat(40), name: 'default' };
  const { app, stack } = createApp({ bundle: false });
  const template = app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
  const roles = Object.fromEntries(functionEntries(template).map((f) => [f.logicalId, f.role]));
  const calls: { role: string; event: APIGatewayProxyEvent }[] = [];
  let gateway: ApiGateway;
  const dir = mkdtempSync(join(tmpdir(), 'quizgen-gateway-'));

  beforeAll(async () => {
    // Every function answers with what it was given, through the local Lambda runtime, so the
    // payload limit applies as it does in AWS; the authorizer is the real one.
    const functions: Record<string, Invoke> = {};
    for (const [logicalId, role] of Object.entries(roles)) {
      functions[logicalId] = createLocalLambda(
        { functionName: logicalId, entry: 'fixture', timeoutSeconds: 5 },
        async (raw) => {
          if (role === 'apiAuthorizer') return authorize(raw as APIGatewayRequestAuthorizerEvent);
          const event = raw as APIGatewayProxyEvent;
          calls.push({ role, event });
          return { statusCode: 200, body: JSON.stringify({ role, resource: event.resource }) };
        },
      ).invoke;
    }
    gateway = await startApiGateway({ template, functions, apiKeys: [apiKey] });
  });

  afterAll(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const call = async (path: string, init: RequestInit = {}, key: string | null = apiKey.value) => {
    const headers = new Headers(init.headers);
    if (key) headers.set('x-api-key', key);
    const response = await fetch(`${gateway.url}${path}`, { ...init, headers });
    return { response, event: response.ok ? calls.at(-1)?.event : undefined, role: calls.at(-1)?.role };
  };

  test('routes the assessment paths at the API root to the assessments function, with path parameters', async () => {
    const cases: [string, string, string, Record<string, string> | null][] = [
      ['GET', '/job_status?job_id=j-1', '/job_status', null],
      ['POST', '/generate_assessment', '/generate_assessment', null],
      ['GET', '/documents', '/documents', null],
      ['POST', '/documents', '/documents', null],
      ['GET', '/documents/doc%201', '/documents/{document_id}', { document_id: 'doc 1' }],
      ['DELETE', '/documents/d-2', '/documents/{document_id}', { document_id: 'd-2' }],
      ['POST', '/documents/d-3/complete', '/documents/{document_id}/complete', { document_id: 'd-3' }],
      ['GET', '/assessments', '/assessments', null],
      ['POST', '/assessments', '/assessments', null],
      ['GET', '/assessments/a-1', '/assessments/{assessment_id}', { assessment_id: 'a-1' }],
      ['PUT', '/assessments/a-2', '/assessments/{assessment_id}', { assessment_id: 'a-2' }],
      ['DELETE', '/assessments/a-3', '/assessments/{assessment_id}', { assessment_id: 'a-3' }],
    ];
    for (const [method, path, resource, pathParameters] of cases) {
      const { response, event, role } = await call(path, { method });
      assert.equal(response.status, 200, `${method} ${path}`);
      assert.equal(role, 'assessmentsApi', `${method} ${path}`);
      assert.equal(event?.resource, resource);
      assert.deepEqual(event?.pathParameters, pathParameters, `${method} ${path}`);
    }
    assert.deepEqual((await call('/job_status?job_id=j-1')).event?.queryStringParameters, { job_id: 'j-1' });

    const withoutKey = await call('/job_status?job_id=j-1', {}, null);
    assert.equal(withoutKey.response.status, 401);
    assert.match((await errorBody(withoutKey.response)).detail, /Missing API key/);
    const unknownMethod = await call('/assessments/a-1', { method: 'PATCH' });
    assert.equal(unknownMethod.response.status, 404);
    assert.equal((await call('/health', {}, null)).role, 'healthApi');
    assert.equal((await call('/api/v1/quiz-generator/jobs/j-1')).role, 'quizGeneratorApi');
  });

  test('hands a body of each binary media type to the function base64-encoded', async () => {
    const body = binaryBody(4096);
    for (const type of [...BINARY_MEDIA_TYPES, 'text/plain; charset=utf-8']) {
      const { response, event } = await call('/documents', {
        method: 'POST',
        headers: { 'content-type': type },
        body,
      });
      assert.equal(response.status, 200, type);
      assert.equal(event?.isBase64Encoded, true, type);
      assert.ok(Buffer.from(event?.body ?? '', 'base64').equals(body), type);
    }
  });

  test('hands JSON and other text bodies over as text', async () => {
    const json = '{"topic":"photosynthesis","bloom_mix":"5 remember, 3 understand"}';
    const { event } = await call('/generate_assessment', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: json,
    });
    assert.equal(event?.isBase64Encoded, false);
    assert.equal(event?.body, json);
  });

  test('hands a multipart/form-data upload over base64-encoded, boundary and file bytes intact', async () => {
    const file = binaryBody(10_000);
    const form = new FormData();
    form.append('file', new Blob([file], { type: 'application/pdf' }), 'notes.pdf');
    form.append('title', 'Week 1');
    const { event } = await call('/documents', { method: 'POST', body: form });
    assert.equal(event?.isBase64Encoded, true);
    const contentType = event?.headers['content-type'] ?? '';
    assert.match(contentType, /^multipart\/form-data; boundary=/);
    const raw = Buffer.from(event?.body ?? '', 'base64');
    assert.ok(raw.includes(file), 'the file part holds the exact bytes');
    assert.ok(raw.includes(Buffer.from(contentType.split('boundary=')[1] ?? '?')));
  });

  test('hands a `curl -F` upload over base64-encoded', async ({ skip }) => {
    skip(!curlAvailable, 'curl is not installed');
    const file = binaryBody(20_000);
    const path = join(dir, 'notes.pdf');
    writeFileSync(path, file);
    const { stdout } = await promisify(execFile)('curl', [
      '-sS',
      '-H',
      `x-api-key: ${apiKey.value}`,
      '-F',
      `file=@${path};type=application/pdf`,
      '-F',
      'title=Week 1',
      `${gateway.url}/documents`,
    ]);
    assert.deepEqual(JSON.parse(stdout), { role: 'assessmentsApi', resource: '/documents' });
    const event = calls.at(-1)?.event;
    assert.equal(event?.isBase64Encoded, true);
    assert.match(event?.headers['Content-Type'] ?? '', /^multipart\/form-data; boundary=/);
    assert.ok(Buffer.from(event?.body ?? '', 'base64').includes(file));
  });

  test('passes the largest inline upload; the web ACL refuses bodies Lambda could not take, before any function runs', async () => {
    const largest = binaryBody(MAX_INLINE_UPLOAD_BYTES);
    const form = new FormData();
    form.append('file', new Blob([largest], { type: 'application/pdf' }), 'largest.pdf');
    const fits = await call('/documents', { method: 'POST', body: form });
    assert.equal(fits.response.status, 200);
    assert.equal(fits.event?.isBase64Encoded, true);

    // Past 4.5 MB, the body base64-encoded and the rest of the event are no longer sure to fit
    // Lambda's 6 MB. API Gateway would take it (it allows 10 MB); the web ACL answers first.
    const before = calls.length;
    const binary = await call('/documents', {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: binaryBody(BINARY_BODY_MAX_BYTES + 1),
    });
    assert.equal(binary.response.status, 413);
    assert.equal(binary.response.headers.get('x-amzn-waf-body-limit-bytes'), String(BINARY_BODY_MAX_BYTES));
    const binaryError = await errorBody(binary.response);
    assert.equal(binaryError.metadata.details.code, 'REQUEST_TOO_LARGE');
    assert.match(binaryError.detail, /at most 4499999 bytes.*POST \/documents/);
    assert.equal(binaryError.success, false);

    // JSON reaches the function as an escaped string, up to 6 bytes a byte: 1 MB is its limit.
    const json = await call('/api/execute', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(TEXT_BODY_MAX_BYTES) }),
    });
    assert.equal(json.response.status, 413);
    assert.match((await errorBody(json.response)).error, /at most 999999 bytes of JSON/);
    assert.equal(calls.length, before, 'no function ran for a refused body');

    const justUnder = await call('/api/execute', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ padding: 'x'.repeat(TEXT_BODY_MAX_BYTES - 20) }),
    });
    assert.equal(justUnder.response.status, 200);
    assert.equal(justUnder.role, 'contentApi');
  });

  test('fails a chunked body (no Content-Length for the web ACL) whose event exceeds Lambda’s 6 MB, as AWS does', async () => {
    // 4.5 MiB: its base64 alone is Lambda's whole request limit.
    const body = binaryBody(4.5 * 1024 * 1024);
    const stream = new ReadableStream({
      start(controller) {
        controller.enqueue(body);
        controller.close();
      },
    });
    const tooLarge = await call('/documents', {
      method: 'POST',
      headers: { 'content-type': 'application/pdf' },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    assert.equal(tooLarge.response.status, 502);
    const error = await errorBody(tooLarge.response);
    assert.equal(error.detail, 'Internal server error');
    assert.equal(error.metadata.details.code, 'INTERNAL_ERROR');
  });

  test('routes the Content Generator paths to the content function; the root and /help need no key', async () => {
    const cases: [string, string, string, Record<string, string> | null][] = [
      ['POST', '/api/execute', '/api/execute', null],
      ['GET', '/api/templates?content_type=lesson', '/api/templates', null],
      ['POST', '/api/templates', '/api/templates', null],
      ['GET', '/api/templates/course_overview', '/api/templates/{name}', { name: 'course_overview' }],
      ['PUT', '/api/templates/mine', '/api/templates/{name}', { name: 'mine' }],
      ['GET', '/api/jobs?status=completed&limit=5', '/api/jobs', null],
      ['GET', '/api/jobs/456', '/api/jobs/{id}', { id: '456' }],
      ['GET', '/api/jobs/456/status', '/api/jobs/{id}/status', { id: '456' }],
      ['GET', '/api/jobs/456/content', '/api/jobs/{id}/content', { id: '456' }],
      ['POST', '/api/jobs/456/retry', '/api/jobs/{id}/retry', { id: '456' }],
      ['POST', '/api/jobs/456/cancel', '/api/jobs/{id}/cancel', { id: '456' }],
      ['GET', '/api/stats', '/api/stats', null],
      ['GET', '/api/analytics?days=7', '/api/analytics', null],
      ['GET', '/api/economy/pricing', '/api/economy/pricing', null],
      ['POST', '/api/economy/estimate', '/api/economy/estimate', null],
      ['GET', '/api/economy/stats', '/api/economy/stats', null],
    ];
    for (const [method, path, resource, pathParameters] of cases) {
      const { response, event, role } = await call(path, { method });
      assert.equal(response.status, 200, `${method} ${path}`);
      assert.equal(role, 'contentApi', `${method} ${path}`);
      assert.equal(event?.resource, resource);
      assert.deepEqual(event?.pathParameters, pathParameters, `${method} ${path}`);
      assert.equal(
        (await call(path, { method }, null)).response.status,
        401,
        `${method} ${path} without a key`,
      );
    }
    for (const path of ['/', '/help']) {
      const { response, event, role } = await call(path, {}, null);
      assert.equal(response.status, 200, path);
      assert.equal(role, 'contentApi', path);
      assert.equal(event?.resource, path);
    }
    assert.equal((await call('/health', {}, null)).role, 'healthApi');
  });

  test("takes the key as Authorization: Bearer too (the content seed's worker form), with X-Worker-ID", async () => {
    const bearer = (token: string) => ({
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'X-Worker-ID': 'granulator-7' },
    });
    const accepted = await call('/api/execute', bearer(apiKey.value), null);
    assert.equal(accepted.response.status, 200);
    assert.equal(accepted.role, 'contentApi');
    assert.equal(accepted.event?.requestContext.identity.apiKeyId, apiKey.id, 'the same owner as X-API-Key');
    assert.equal(accepted.event?.requestContext.authorizer?.authScheme, 'bearer');
    assert.equal(accepted.event?.requestContext.authorizer?.workerId, 'granulator-7');
    assert.doesNotMatch(
      String(accepted.event?.requestContext.authorizer?.principalId),
      /k{10}/,
      'no key in logs',
    );

    const wrong = await call('/api/execute', bearer('not-a-key'), null);
    assert.equal(wrong.response.status, 401);
    assert.equal((await errorBody(wrong.response)).metadata.details.code, 'INVALID_API_KEY');

    const none = await call('/api/v1/quiz-generator/jobs', { headers: { 'X-Worker-ID': 'w' } }, null);
    assert.equal(none.response.status, 401);
    const body = await errorBody(none.response);
    assert.equal(body.metadata.details.code, 'INVALID_AUTH');
    assert.match(body.metadata.details.suggestion, /Authorization: Bearer/);
    const notBearer = await call('/api/jobs', { headers: { Authorization: `Basic ${apiKey.value}` } }, null);
    assert.equal(notBearer.response.status, 401, 'only the Bearer scheme carries a key');
  });

  test('answers a bad key, an unknown path and a crash in an envelope both API families read', async () => {
    const badKey = await call('/api/execute', { method: 'POST' }, 'not-a-key');
    assert.equal(badKey.response.status, 401);
    assert.equal(badKey.response.headers.get('access-control-allow-origin'), '*');
    const body = await errorBody(badKey.response);
    assert.equal(body.detail, 'Invalid API key');
    assert.equal(body.success, false);
    assert.equal(body.error, 'Invalid API key');
    assert.equal(body.metadata.details.code, 'INVALID_API_KEY');
    assert.match(body.metadata.details.suggestion, /API key/);
    assert.match(body.metadata.timestamp, /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:/);

    for (const path of ['/api/nope', '/api/v1/quiz-generator/nope', '/nope']) {
      const unknown = await call(path);
      assert.equal(unknown.response.status, 404, path);
      const answer = await errorBody(unknown.response);
      assert.equal(answer.detail, 'Not Found', path);
      assert.equal(answer.error, 'Not Found', path);
      assert.equal(answer.metadata.details.code, 'NOT_FOUND', path);
    }
    const wrongMethod = await call('/api/jobs/456', { method: 'DELETE' });
    assert.equal(wrongMethod.response.status, 404);
  });

  test('answers CORS preflights without a key, allowing the key header and exposing the rate-limit headers', async () => {
    for (const path of [
      '/api/execute',
      '/api/jobs/456/status',
      '/api/v1/quiz-generator/jobs',
      '/documents',
    ]) {
      const response = await fetch(`${gateway.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'http://localhost:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type,x-api-key',
        },
      });
      assert.equal(response.status, 204, path);
      assert.equal(response.headers.get('access-control-allow-origin'), '*');
      assert.match(response.headers.get('access-control-allow-headers') ?? '', /X-API-Key/i);
      assert.match(response.headers.get('access-control-allow-methods') ?? '', /POST/);
      assert.equal(response.headers.get('access-control-expose-headers'), CORS_EXPOSED_HEADERS.join(','));
    }
  });
});
