/**
 * SQS's message size in the local stack's SQS (local/sqs-server.ts): counted in UTF-8 bytes,
 * body and attributes together, per queue, and per SendMessageBatch request.
 */
import assert from 'node:assert/strict';
import {
  CreateQueueCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { SQS_MAX_MESSAGE_BYTES } from '../../local/sqs-server.ts';
import { startLocalSqs } from '../support/local-aws.ts';

let local: Awaited<ReturnType<typeof startLocalSqs>>;
let sqs: SQSClient;
let queueUrl: string;
let smallQueueUrl: string;

beforeAll(async () => {
  local = await startLocalSqs();
  sqs = local.sqs;
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'size-test' }))).QueueUrl ?? '';
  smallQueueUrl =
    (
      await sqs.send(
        new CreateQueueCommand({ QueueName: 'size-test-small', Attributes: { MaximumMessageSize: '1024' } }),
      )
    ).QueueUrl ?? '';
});

afterAll(async () => {
  await local?.stop();
});

async function refusal(send: () => Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await send();
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  assert.fail('SQS would refuse this message');
}

const TOO_LONG = {
  name: 'InvalidParameterValue',
  message: `One or more parameters are invalid. Reason: Message must be shorter than ${SQS_MAX_MESSAGE_BYTES} bytes.`,
};

describe('local SQS message size', () => {
  it('refuses a body over 1 MiB, SQS’s limit since 2025, with InvalidParameterValue', async () => {
    const refused = await refusal(() =>
      sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'x'.repeat(SQS_MAX_MESSAGE_BYTES + 1) }),
      ),
    );
    assert.deepEqual(refused, TOO_LONG);
  });

  it('counts UTF-8 bytes: 600,000 "é" are 1,200,000 bytes, over the limit', async () => {
    // 600,000 UTF-16 code units: plain local-aws-sqs took them for 600,000 bytes and queued them.
    const refused = await refusal(() =>
      sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'é'.repeat(600_000) })),
    );
    assert.deepEqual(refused, TOO_LONG);
  });

  it('counts message attributes with the body', async () => {
    const refused = await refusal(() =>
      sqs.send(
        new SendMessageCommand({
          QueueUrl: queueUrl,
          MessageBody: 'x'.repeat(SQS_MAX_MESSAGE_BYTES - 10),
          MessageAttributes: { owner: { DataType: 'String', StringValue: 'ü'.repeat(3) } },
        }),
      ),
    );
    assert.deepEqual(refused, TOO_LONG);
  });

  it('takes a message of exactly 1 MiB of UTF-8 and delivers it unchanged', async () => {
    const body = `${'é'.repeat((SQS_MAX_MESSAGE_BYTES - 2) / 2)}ab`;
    assert.equal(Buffer.byteLength(body), SQS_MAX_MESSAGE_BYTES);
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, WaitTimeSeconds: 1 }));
    assert.equal(received.Messages?.[0]?.Body, body);
  });

  it('applies a queue’s own MaximumMessageSize in bytes', async () => {
    const refused = await refusal(() =>
      sqs.send(new SendMessageCommand({ QueueUrl: smallQueueUrl, MessageBody: 'é'.repeat(600) })),
    );
    assert.equal(refused.name, 'InvalidParameterValue');
    assert.match(refused.message, /Message must be shorter than 1024 bytes/);
    await sqs.send(new SendMessageCommand({ QueueUrl: smallQueueUrl, MessageBody: 'é'.repeat(512) }));
  });

  it('refuses a SendMessageBatch over 1 MiB in all, counted in bytes', async () => {
    const refused = await refusal(() =>
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: [
            { Id: 'a', MessageBody: 'é'.repeat(300_000) },
            { Id: 'b', MessageBody: 'é'.repeat(300_000) },
          ],
        }),
      ),
    );
    assert.equal(refused.name, 'BatchRequestTooLong');
    assert.match(
      refused.message,
      /Batch requests cannot be longer than 1048576 bytes\. You have sent 1200000 bytes\./,
    );
  });
});
