import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { LambdaInvocationError, type LocalLambda, loadLambda } from '../../local/lambda-runtime.ts';

const HANDLER_MODULE = `
export async function main(event, context) {
  if (event.mode === 'throw') {
    class JobNotFound extends Error {}
    const error = new JobNotFound('no such job');
    error.name = 'JobNotFound';
    throw error;
  }
  if (event.mode === 'sleep') await new Promise((resolve) => setTimeout(resolve, 1500));
  if (event.mode === 'huge-result') return { data: 'x'.repeat(6_291_600) };
  return {
    received: event,
    functionName: context.functionName,
    invokedFunctionArn: context.invokedFunctionArn,
    memoryLimitInMB: context.memoryLimitInMB,
    awsRequestId: context.awsRequestId,
    remaining: context.getRemainingTimeInMillis(),
    when: new Date(0),
  };
}
`;

describe('local Lambda runtime', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quizgen-lambda-'));
  let fn: LocalLambda;

  beforeAll(async () => {
    writeFileSync(join(dir, 'handler.mjs'), HANDLER_MODULE);
    fn = await loadLambda(
      {
        functionName: 'QuizGen-Fixture',
        entry: 'handler.mjs',
        handlerExport: 'main',
        timeoutSeconds: 1,
        memorySizeMb: 256,
      },
      { rootDir: dir },
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('invokes the exported handler with a Lambda context, across a JSON boundary', async () => {
    const first = (await fn.invoke({ job_id: 'j1', skip: undefined })) as Record<string, unknown>;
    const second = (await fn.invoke({})) as Record<string, unknown>;
    assert.deepEqual(first.received, { job_id: 'j1' });
    assert.equal(first.functionName, 'QuizGen-Fixture');
    assert.equal(first.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:QuizGen-Fixture');
    assert.equal(first.memoryLimitInMB, '256');
    assert.match(String(first.awsRequestId), /^[0-9a-f-]{36}$/);
    assert.notEqual(first.awsRequestId, second.awsRequestId);
    assert.ok(Number(first.remaining) > 900 && Number(first.remaining) <= 1000);
    assert.equal(first.when, '1970-01-01T00:00:00.000Z');
  });

  test('reports a thrown error as Lambda does: errorType, errorMessage, trace', async () => {
    const error = await fn.invoke({ mode: 'throw' }).catch((e: unknown) => e);
    assert.ok(error instanceof LambdaInvocationError);
    assert.equal(error.name, 'JobNotFound');
    assert.equal(error.payload.errorMessage, 'no such job');
    assert.ok(error.payload.trace.length > 1);
  });

  test('ends an invocation that outlives the function timeout', async () => {
    const error = await fn.invoke({ mode: 'sleep' }).catch((e: unknown) => e);
    assert.ok(error instanceof LambdaInvocationError);
    assert.equal(error.name, 'Sandbox.Timedout');
    assert.match(error.message, /Task timed out after 1\.00 seconds/);
  });

  test('refuses an event or a result over Lambda’s synchronous payload limit', async () => {
    const tooLarge = await fn.invoke({ data: 'x'.repeat(6_291_456) }).catch((e: unknown) => e);
    assert.ok(tooLarge instanceof LambdaInvocationError);
    assert.equal(tooLarge.name, 'RequestEntityTooLargeException');
    const fits = (await fn.invoke({ data: 'x'.repeat(6_000_000) })) as { received: { data: string } };
    assert.equal(fits.received.data.length, 6_000_000);

    const hugeResult = await fn.invoke({ mode: 'huge-result' }).catch((e: unknown) => e);
    assert.ok(hugeResult instanceof LambdaInvocationError);
    assert.equal(hugeResult.name, 'Function.ResponseSizeTooLarge');
  });

  test('starts the function timeout when the handler runs, not while a new sandbox loads its code', async () => {
    // Lambda's init phase (loading the code) is bounded apart from the function timeout.
    writeFileSync(
      join(dir, 'slow-init.mjs'),
      'await new Promise((resolve) => setTimeout(resolve, 1200));\nexport const main = async (event) => event;\n',
    );
    const slow = await loadLambda(
      { functionName: 'QuizGen-SlowInit', entry: 'slow-init.mjs', handlerExport: 'main', timeoutSeconds: 1 },
      { rootDir: dir },
    );
    // Two at once: the second needs a sandbox of its own, whose code takes 1.2 s to load.
    const answers = await Promise.all([slow.invoke({ n: 1 }), slow.invoke({ n: 2 })]);
    assert.deepEqual(answers, [{ n: 1 }, { n: 2 }]);
  });
});
