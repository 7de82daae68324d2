/**
 * Fair-queue delivery in the local stack's SQS (local/sqs-server.ts with local/sqs-fair-queue.ts):
 * a standard queue takes a MessageGroupId as SQS validates it, and while one tenant is busy,
 * another tenant's message is delivered before the busy tenant's older ones.
 */
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalSqs } from '../support/local-aws.ts';

let local: Awaited<ReturnType<typeof startLocalSqs>>;
let sqs: SQSClient;

beforeAll(async () => {
  local = await startLocalSqs();
  sqs = local.sqs;
});

afterAll(async () => {
  await local?.stop();
});

const createQueue = async (name: string) =>
  (await sqs.send(new CreateQueueCommand({ QueueName: name }))).QueueUrl ?? '';

const send = (queueUrl: string, body: string, group?: string) =>
  sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body, MessageGroupId: group }));

async function receiveOne(queueUrl: string) {
  const { Messages = [] } = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: 1,
      WaitTimeSeconds: 1,
      VisibilityTimeout: 30,
      AttributeNames: ['All'],
    }),
  );
  return Messages[0];
}

describe('local SQS: fair queues', () => {
  it('accepts a MessageGroupId on a standard queue and hands it to consumers', async () => {
    const queueUrl = await createQueue('fair-accepts');
    await send(queueUrl, 'hello', 'key-1');
    const message = await receiveOne(queueUrl);
    expect(message?.Attributes?.MessageGroupId).toBe('key-1');
  });

  it('refuses a MessageGroupId longer than 128 characters or with other than alphanumerics and punctuation', async () => {
    const queueUrl = await createQueue('fair-refuses');
    for (const group of ['k'.repeat(129), 'two words', 'clé']) {
      await expect(send(queueUrl, 'hello', group)).rejects.toMatchObject({
        name: 'InvalidParameterValue',
        message: expect.stringContaining('MessageGroupId can only include alphanumeric and punctuation'),
      });
    }
  });

  it("delivers a quiet tenant's message before a busy tenant's older backlog", async () => {
    const queueUrl = await createQueue('fair-delivery');
    for (let i = 0; i < 5; i++) await send(queueUrl, `busy-${i}`, 'busy');
    // The busy tenant has a message in flight for a while: all the queue's processing time is its.
    const first = await receiveOne(queueUrl);
    expect(first?.Body).toBe('busy-0');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await send(queueUrl, 'quiet-0', 'quiet');

    expect((await receiveOne(queueUrl))?.Body).toBe('quiet-0');
    // With no quiet tenant ready, the busy tenant's messages come as usual, oldest first.
    expect((await receiveOne(queueUrl))?.Body).toBe('busy-1');
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: first?.ReceiptHandle }));
  });

  it("counts a message without a group as a quiet tenant of its own, delivered before a busy tenant's", async () => {
    const queueUrl = await createQueue('fair-plain');
    await send(queueUrl, 'grouped-0', 'busy');
    await send(queueUrl, 'grouped-1', 'busy');
    expect((await receiveOne(queueUrl))?.Body).toBe('grouped-0');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await send(queueUrl, 'plain-0');
    // A message without a group is a quiet tenant of its own: it goes before the busy one's.
    expect((await receiveOne(queueUrl))?.Body).toBe('plain-0');
  });
});
