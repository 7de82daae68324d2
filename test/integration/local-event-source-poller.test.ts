import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { type EventSourcePoller, startEventSourcePoller } from '../../local/event-source-poller.ts';

const region = 'us-east-1';

describe('local SQS event source mapping', () => {
  let server: Server;
  let sqs: SQSClient;
  let queueCounter = 0;
  const pollers: EventSourcePoller[] = [];

  beforeAll(async () => {
    server = await createSqsServer({ port: 0, hostname: '127.0.0.1', accountId: '000000000000' });
    const port = (server.address() as AddressInfo).port;
    sqs = new SQSClient({
      endpoint: `http://127.0.0.1:${port}`,
      region,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
  });

  afterAll(async () => {
    await Promise.all(pollers.map((poller) => poller.stop()));
    sqs.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  /** A fresh queue (visibility 1 s) so tests never see each other's messages. */
  const queue = async (visibilitySeconds = 1) => {
    const name = `chunks-${++queueCounter}`;
    const created = await sqs.send(
      new CreateQueueCommand({
        QueueName: name,
        Attributes: { VisibilityTimeout: String(visibilitySeconds) },
      }),
    );
    return { url: created.QueueUrl as string, arn: `arn:aws:sqs:${region}:000000000000:${name}` };
  };

  const send = async (url: string, bodies: string[]) => {
    for (let i = 0; i < bodies.length; i += 10) {
      await sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: url,
          Entries: bodies.slice(i, i + 10).map((body, index) => ({ Id: String(index), MessageBody: body })),
        }),
      );
    }
  };

  const visibleAndInFlight = async (url: string) => {
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    return (
      Number(attributes.Attributes?.ApproximateNumberOfMessages) +
      Number(attributes.Attributes?.ApproximateNumberOfMessagesNotVisible)
    );
  };

  const waitFor = async (condition: () => boolean | Promise<boolean>, timeoutMs = 8000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await condition())) {
      if (Date.now() > deadline) throw new Error('condition not met in time');
      await sleep(25);
    }
  };

  const poll = (options: Omit<Parameters<typeof startEventSourcePoller>[0], 'sqs' | 'waitTimeSeconds'>) => {
    const poller = startEventSourcePoller({ sqs, waitTimeSeconds: 1, ...options });
    pollers.push(poller);
    return poller;
  };

  test('delivers Lambda-shaped SQSEvent records', async () => {
    const { url, arn } = await queue();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: url,
        MessageBody: '{"chunk_key":"a"}',
        MessageAttributes: { kind: { DataType: 'String', StringValue: 'chunk' } },
      }),
    );
    const seen: SQSRecord[] = [];
    const poller = poll({
      queueUrl: url,
      queueArn: arn,
      handler: async (event) => {
        seen.push(...event.Records);
      },
    });
    await waitFor(() => seen.length === 1);
    await poller.stop();
    const [record] = seen;
    assert.ok(record);
    assert.equal(record.body, '{"chunk_key":"a"}');
    assert.equal(record.md5OfBody, createHash('md5').update(record.body).digest('hex'));
    assert.equal(record.eventSource, 'aws:sqs');
    assert.equal(record.eventSourceARN, arn);
    assert.equal(record.awsRegion, region);
    assert.equal(record.attributes.ApproximateReceiveCount, '1');
    assert.match(record.attributes.SentTimestamp, /^\d{13}$/);
    assert.ok(record.receiptHandle.length > 0);
    assert.deepEqual(record.messageAttributes.kind, {
      stringValue: 'chunk',
      binaryValue: undefined,
      stringListValues: [],
      binaryListValues: [],
      dataType: 'String',
    });
  });

  test('with ReportBatchItemFailures only the failed item comes back, after the visibility timeout', async () => {
    const { url, arn } = await queue();
    await send(url, ['ok-1', 'fail-once', 'ok-2']);
    const deliveries: { body: string; receiveCount: string }[] = [];
    const poller = poll({
      queueUrl: url,
      queueArn: arn,
      batchSize: 10,
      maximumBatchingWindowSeconds: 0.3,
      maximumConcurrency: 2,
      reportBatchItemFailures: true,
      handler: async (event: SQSEvent) => {
        const failures = [];
        for (const record of event.Records) {
          deliveries.push({ body: record.body, receiveCount: record.attributes.ApproximateReceiveCount });
          if (record.body === 'fail-once' && record.attributes.ApproximateReceiveCount === '1') {
            failures.push({ itemIdentifier: record.messageId });
          }
        }
        return { batchItemFailures: failures };
      },
    });
    await waitFor(() => deliveries.length === 4);
    await waitFor(async () => (await visibleAndInFlight(url)) === 0);
    await poller.stop();
    assert.deepEqual(deliveries.map((d) => d.body).sort(), ['fail-once', 'fail-once', 'ok-1', 'ok-2']);
    assert.deepEqual(deliveries.at(-1), { body: 'fail-once', receiveCount: '2' });
  });

  test('a thrown error leaves the whole batch; an unknown itemIdentifier fails the whole batch too', async () => {
    const thrown = await queue();
    await send(thrown.url, ['x', 'y']);
    const counts = new Map<string, string[]>();
    const poller = poll({
      queueUrl: thrown.url,
      queueArn: thrown.arn,
      batchSize: 10,
      maximumBatchingWindowSeconds: 0.3,
      maximumConcurrency: 2,
      reportBatchItemFailures: true,
      handler: async (event) => {
        for (const record of event.Records) {
          counts.set(record.body, [
            ...(counts.get(record.body) ?? []),
            record.attributes.ApproximateReceiveCount,
          ]);
        }
        if (event.Records.some((record) => record.attributes.ApproximateReceiveCount === '1')) {
          throw new Error('worker crashed');
        }
      },
    });
    await waitFor(() => counts.get('x')?.length === 2 && counts.get('y')?.length === 2);
    await poller.stop();
    assert.deepEqual(counts.get('x'), ['1', '2']);
    assert.deepEqual(counts.get('y'), ['1', '2']);

    const invalid = await queue();
    await send(invalid.url, ['p']);
    const receiveCounts: string[] = [];
    const second = poll({
      queueUrl: invalid.url,
      queueArn: invalid.arn,
      reportBatchItemFailures: true,
      handler: async (event) => {
        receiveCounts.push(...event.Records.map((record) => record.attributes.ApproximateReceiveCount));
        return receiveCounts.length === 1 ? { batchItemFailures: [{ itemIdentifier: 'not-in-batch' }] } : {};
      },
    });
    await waitFor(() => receiveCounts.length === 2);
    await second.stop();
    assert.deepEqual(receiveCounts, ['1', '2']);
  });

  test('never runs more than maximumConcurrency invocations at once', async () => {
    const { url, arn } = await queue(30);
    await send(
      url,
      Array.from({ length: 12 }, (_, i) => `m${i}`),
    );
    let running = 0;
    let peak = 0;
    let done = 0;
    const poller = poll({
      queueUrl: url,
      queueArn: arn,
      batchSize: 1,
      maximumConcurrency: 3,
      handler: async () => {
        running++;
        peak = Math.max(peak, running);
        await sleep(80);
        running--;
        done++;
      },
    });
    await waitFor(() => done === 12);
    await poller.stop();
    assert.equal(peak, 3);
    assert.equal(poller.peakConcurrency(), 3);
    assert.equal(await visibleAndInFlight(url), 0);
  });

  test('holds a batch invisible while its invocation outlives the visibility timeout', async () => {
    const { url, arn } = await queue(1);
    await send(url, ['slow']);
    let invocations = 0;
    const poller = poll({
      queueUrl: url,
      queueArn: arn,
      maximumConcurrency: 2,
      holdVisibilitySeconds: 1,
      handler: async () => {
        invocations++;
        await sleep(2200);
      },
    });
    await waitFor(() => invocations === 1);
    await waitFor(async () => (await visibleAndInFlight(url)) === 0, 6000);
    await poller.stop();
    assert.equal(invocations, 1);
  });

  test('stop() ends the long polls promptly', async () => {
    const { url, arn } = await queue();
    const poller = startEventSourcePoller({
      sqs,
      queueUrl: url,
      queueArn: arn,
      handler: async () => {},
      waitTimeSeconds: 20,
    });
    await sleep(50);
    const started = Date.now();
    await poller.stop();
    assert.ok(Date.now() - started < 1000, `stop took ${Date.now() - started} ms`);
  });
});
