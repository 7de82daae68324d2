/**
 * The local stand-ins the chaos suite relies on, held to what AWS does: a killed invocation
 * sends nothing more; invocations running at once never share a handler module instance (a
 * sandbox each); and SQS counts receives, not visibility changes, before it dead-letters.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { type EventSourcePoller, startEventSourcePoller } from '../../local/event-source-poller.ts';
import {
  type InvocationEnd,
  type InvocationHooks,
  LambdaInvocationError,
  type LocalLambda,
  loadLambda,
} from '../../local/lambda-runtime.ts';

const HANDLER = `
let calls = 0;
const instance = Math.random();
export async function handler(event) {
  calls += 1;
  const mine = calls;
  await fetch(event.url + '/first');
  await new Promise((resolve) => setTimeout(resolve, event.pauseMs ?? 0));
  await fetch(event.url + '/second').catch(() => {});
  const http = await import('node:http');
  await new Promise((resolve) => {
    const req = http.request(event.url + '/third', { method: 'PUT' }, (res) => { res.resume(); res.on('end', resolve); });
    req.on('error', resolve);
    req.end('x');
  });
  return { instance, calls: mine };
}
`;

describe('local runtime: killed invocations and sandboxes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'quizgen-chaos-runtime-'));
  const seen: string[] = [];
  let server: Server;
  let url = '';

  beforeAll(async () => {
    writeFileSync(join(dir, 'handler.mjs'), HANDLER);
    server = createServer((req, res) => {
      seen.push(req.url ?? '');
      res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  const load = (hooks: InvocationHooks) =>
    loadLambda({ functionName: 'Fixture', entry: 'handler.mjs', timeoutSeconds: 5 }, { rootDir: dir, hooks });

  test('a kill before a request: the invocation fails as a crash, that request and every later one stay unsent', async () => {
    seen.length = 0;
    const ends: InvocationEnd[] = [];
    const blocked: string[] = [];
    const fn: LocalLambda = await load({
      onRequest: (request) => (request.path === '/second' ? 'kill' : undefined),
      onBlocked: (request) => blocked.push(request.path),
      onEnd: (_, outcome) => ends.push(outcome),
    });
    const error = await fn.invoke({ url, pauseMs: 10 }).catch((e: unknown) => e);
    assert.ok(error instanceof LambdaInvocationError);
    assert.equal(error.name, 'Runtime.ExitError');
    await sleep(100);
    assert.deepEqual(seen, ['/first'], 'nothing after the kill point reached the server');
    assert.deepEqual(blocked, ['/second', '/third']);
    assert.deepEqual(ends, ['killed']);
  });

  test('invocations at once run in sandboxes of their own; one after another reuse one; a killed one is never reused', async () => {
    let kill = false;
    const fn = await load({
      onRequest: (request) => (kill && request.path === '/first' ? 'kill' : undefined),
    });
    const together = (await Promise.all([
      fn.invoke({ url, pauseMs: 50 }),
      fn.invoke({ url, pauseMs: 50 }),
    ])) as { instance: number; calls: number }[];
    assert.notEqual(together[0]?.instance, together[1]?.instance, 'a module instance per running invocation');
    assert.deepEqual(
      together.map((r) => r.calls),
      [1, 1],
    );
    const next = (await fn.invoke({ url })) as { instance: number; calls: number };
    assert.ok(
      together.some((r) => r.instance === next.instance),
      'an idle sandbox is reused',
    );
    kill = true;
    await fn.invoke({ url }).catch(() => {});
    kill = false;
    const afterKill = (await Promise.all([fn.invoke({ url }), fn.invoke({ url })])) as { instance: number }[];
    const used = new Set([...together, next].map((r) => r.instance));
    assert.equal(
      afterKill.filter((r) => !used.has(r.instance)).length,
      1,
      'the killed sandbox was replaced by a fresh one',
    );
  });
});

describe('local SQS event source: receive counts and redrive', () => {
  let server: Server;
  let sqs: SQSClient;
  const pollers: EventSourcePoller[] = [];

  beforeAll(async () => {
    server = await createSqsServer({ port: 0, hostname: '127.0.0.1', accountId: '000000000000' });
    sqs = new SQSClient({
      endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  });

  afterAll(async () => {
    await Promise.all(pollers.map((poller) => poller.stop(1000)));
    sqs.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  test('a handler that backs off with ChangeMessageVisibility gets every delivery SQS allows, then the DLQ', async () => {
    const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'dead' }))).QueueUrl as string;
    const source = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'chunks',
          Attributes: {
            VisibilityTimeout: '1',
            // As the local stack sets it: local-aws-sqs's own redrive out of reach.
            RedrivePolicy: JSON.stringify({
              deadLetterTargetArn: 'arn:aws:sqs:us-east-1:000000000000:dead',
              maxReceiveCount: 1000,
            }),
          },
        }),
      )
    ).QueueUrl as string;
    const counts: string[] = [];
    pollers.push(
      startEventSourcePoller({
        sqs,
        queueUrl: source,
        queueArn: 'arn:aws:sqs:us-east-1:000000000000:chunks',
        batchSize: 1,
        maximumConcurrency: 1,
        waitTimeSeconds: 1,
        holdVisibilitySeconds: 1,
        redrive: { deadLetterQueueUrl: dlq, maxReceiveCount: 3 },
        handler: async (event: SQSEvent) => {
          const record = event.Records[0];
          if (!record) return {};
          counts.push(record.attributes.ApproximateReceiveCount);
          // Held visible for a while, then backs off, as the chunk worker does on a transient failure.
          await sleep(1300);
          await sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: source,
              ReceiptHandle: record.receiptHandle,
              VisibilityTimeout: 1,
            }),
          );
          throw new Error('transient');
        },
      }),
    );
    await sqs.send(new SendMessageCommand({ QueueUrl: source, MessageBody: 'chunk' }));
    let moved: string | undefined;
    const deadline = Date.now() + 20_000;
    while (!moved && Date.now() < deadline) {
      const received = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: dlq, WaitTimeSeconds: 1, AttributeNames: ['All'] }),
      );
      moved = received.Messages?.[0]?.Body;
    }
    assert.deepEqual(counts, ['1', '2', '3'], 'visibility changes are not receives');
    assert.equal(moved, 'chunk', 'the fourth receive moved it to the dead-letter queue');
  });
});
