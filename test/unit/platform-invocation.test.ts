import assert from 'node:assert/strict';
import type { Context } from 'aws-lambda';
import { describe, it } from 'vitest';
import { invocationDeadline } from '#platform/invocation.ts';
import { withPowertools } from '#platform/middleware.ts';

function contextWith(remainingMs: number): Context {
  return {
    functionName: 'test',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:test',
    memoryLimitInMB: '128',
    awsRequestId: 'request-1',
    logGroupName: '/aws/lambda/test',
    logStreamName: 'stream',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => remainingMs,
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

describe('invocationDeadline', () => {
  it('is the running invocation’s end, as every handler wrapped by withPowertools records it', async () => {
    const handler = withPowertools(async () => invocationDeadline(5000));
    const before = Date.now();
    const seen = await handler({}, contextWith(60_000));
    assert.ok(typeof seen === 'number');
    assert.ok(seen >= before + 55_000 && seen <= Date.now() + 55_000, `${seen - before}`);

    // The next invocation has its own.
    const next = await handler({}, contextWith(10_000));
    assert.ok(typeof next === 'number' && next <= Date.now() + 5000);
  });
});
