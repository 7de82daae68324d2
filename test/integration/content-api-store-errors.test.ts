/**
 * The Content API's answers when its own stores fail: the seed's DATABASE_ERROR and
 * STORAGE_ERROR (500), with a suggestion and without the raw error, against real local
 * DynamoDB and S3 that answer "no such table" and "no such bucket".
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { resetConfig } from '#platform/config.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

let aws: LocalAws;
let handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

beforeAll(async () => {
  aws = await startLocalAws({
    env: {
      GEMINI_API_KEY: 'test-key',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:none',
    },
  });
  ({ handler } = (await import('#content/api/content-api.ts')) as never);
});

afterAll(async () => {
  await aws?.stop();
});

const context = {
  awsRequestId: randomUUID(),
  functionName: 'content-api',
  getRemainingTimeInMillis: () => 29_000,
} as unknown as Context;

function event(method: string, resource: string, body?: unknown): APIGatewayProxyEvent {
  return {
    httpMethod: method,
    resource,
    path: resource,
    headers: { 'content-type': 'application/json' },
    multiValueHeaders: {},
    queryStringParameters: null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    requestContext: { identity: { apiKeyId: `key-${randomUUID()}` }, path: resource } as never,
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

async function withEnv<T>(name: string, value: string, run: () => Promise<T>): Promise<T> {
  const saved = process.env[name];
  process.env[name] = value;
  resetConfig();
  try {
    return await run();
  } finally {
    process.env[name] = saved;
    resetConfig();
  }
}

describe('content API store failures', () => {
  it('answers DATABASE_ERROR (500) when DynamoDB fails, without the raw error', async () => {
    const response = await withEnv('TABLE_NAME', 'no-such-table', () =>
      handler(event('GET', '/api/jobs'), context),
    );
    assert.equal(response.statusCode, 500);
    const body = JSON.parse(response.body);
    assert.equal(body.success, false);
    assert.equal(body.error, 'Database operation failed');
    assert.equal(body.metadata.details.code, 'DATABASE_ERROR');
    assert.match(body.metadata.details.suggestion, /Try again/);
    assert.doesNotMatch(response.body, /no-such-table|ResourceNotFound/);
  });

  it('answers STORAGE_ERROR (500) when S3 fails, without the raw error', async () => {
    const request = {
      action: 'generate',
      input: {
        topic: 'Storage',
        structureType: 'course',
        structure: { modules: [{ title: 'One', lessons: [{ title: 'Lesson' }] }] },
        wordCountEstimates: { total: 1000 },
        contentMetadata: {},
      },
    };
    const response = await withEnv('BUCKET_NAME', 'no-such-bucket', () =>
      handler(event('POST', '/api/execute', request), context),
    );
    assert.equal(response.statusCode, 500);
    const body = JSON.parse(response.body);
    assert.equal(body.metadata.details.code, 'STORAGE_ERROR');
    assert.doesNotMatch(response.body, /no-such-bucket|NoSuchBucket/);
  });
});
