/**
 * local-aws-sqs behind a check of SQS's message size in bytes.
 *
 * SQS refuses a message larger than its queue's MaximumMessageSize: 1 MiB (1,048,576 bytes) at
 * most and by default since AWS raised it from 256 KiB in 2025, body and message attributes
 * (name, type and value) counted together, and a SendMessageBatch request whose messages add up
 * to more than 1 MiB (SQS API reference, SendMessage, SendMessageBatch and CreateQueue:
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessage.html,
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_CreateQueue.html).
 * local-aws-sqs enforces both, but counts JavaScript string length (UTF-16 code units), so a
 * message of non-Latin text passed here at up to three times what SQS accepts. This server
 * checks UTF-8 bytes first and answers as local-aws-sqs (and SQS) would; everything else is
 * local-aws-sqs's.
 *
 * One liberty: an oversized entry of a SendMessageBatch fails the whole request here, where SQS
 * reports it in the batch's `Failed` list; the service sends single messages only.
 *
 * Every standard queue delivers as an SQS fair queue (`sqs-fair-queue.ts`): messages with a
 * `MessageGroupId` (which local-aws-sqs accepts on a standard queue with SQS's validation:
 * 1 to 128 alphanumeric or punctuation characters) from a noisy tenant wait while a quiet
 * tenant's are ready.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createRequestHandler, type ISqsServerOptions } from 'local-aws-sqs';
import { type LocalQueue, makeFair } from './sqs-fair-queue.ts';

/** SQS's largest message, and largest SendMessageBatch payload. */
export const SQS_MAX_MESSAGE_BYTES = 1_048_576;

const JSON_CONTENT_TYPE = 'application/x-amz-json-1.0';

interface SentMessage {
  MessageBody?: unknown;
  MessageAttributes?: Record<string, { DataType?: unknown; StringValue?: unknown; BinaryValue?: unknown }>;
}

/** The message's size as SQS counts it: the body and every attribute's name, type and value, in bytes. */
export function messageBytes(message: SentMessage): number {
  let bytes = typeof message.MessageBody === 'string' ? Buffer.byteLength(message.MessageBody) : 0;
  for (const [name, attribute] of Object.entries(message.MessageAttributes ?? {})) {
    bytes += Buffer.byteLength(name);
    if (typeof attribute?.DataType === 'string') bytes += Buffer.byteLength(attribute.DataType);
    if (typeof attribute?.StringValue === 'string') bytes += Buffer.byteLength(attribute.StringValue);
    // Binary values travel base64-encoded; SQS counts their bytes.
    if (typeof attribute?.BinaryValue === 'string')
      bytes += Buffer.from(attribute.BinaryValue, 'base64').length;
  }
  return bytes;
}

interface Refusal {
  type: string;
  code: string;
  message: string;
}

const tooLong = (max: number): Refusal => ({
  type: 'com.amazon.coral.service#InvalidParameterValueException',
  code: 'InvalidParameterValue',
  message: `One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`,
});

/** Why SQS would refuse this JSON-protocol request for its size, if it would. */
export function sizeRefusal(
  action: string | undefined,
  body: unknown,
  maxBytesOf: (queueUrl: unknown) => number,
): Refusal | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const request = body as SentMessage & { QueueUrl?: unknown; Entries?: unknown };
  const max = maxBytesOf(request.QueueUrl);
  if (action === 'SendMessage') return messageBytes(request) > max ? tooLong(max) : undefined;
  if (action === 'SendMessageBatch' && Array.isArray(request.Entries)) {
    const sizes = (request.Entries as SentMessage[]).map(messageBytes);
    const total = sizes.reduce((sum, size) => sum + size, 0);
    if (total > SQS_MAX_MESSAGE_BYTES) {
      return {
        type: 'com.amazonaws.sqs#BatchRequestTooLong',
        code: 'AWS.SimpleQueueService.BatchRequestTooLong',
        message: `Batch requests cannot be longer than ${SQS_MAX_MESSAGE_BYTES} bytes. You have sent ${total} bytes.`,
      };
    }
    if (sizes.some((size) => size > max)) return tooLong(max);
  }
  return undefined;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** `createSqsServer` of local-aws-sqs, with SQS's message size counted in bytes. */
export async function createStrictSqsServer(options: ISqsServerOptions): Promise<Server> {
  const { requestHandler, service } = createRequestHandler(options);
  const queues = service as unknown as { Queues: { QueueName: string; MaximumMessageSize: number }[] };
  const maxBytesOf = (queueUrl: unknown) => {
    const name = typeof queueUrl === 'string' ? queueUrl.split('/').filter(Boolean).at(-1) : undefined;
    return (
      queues.Queues.find((queue) => queue.QueueName === name)?.MaximumMessageSize ?? SQS_MAX_MESSAGE_BYTES
    );
  };

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    // A queue exists before any message reaches it: making new queues fair here is in time.
    for (const queue of queues.Queues as unknown as LocalQueue[]) makeFair(queue);
    readBody(req)
      .then(async (raw) => {
        // The SDK's SQS client speaks the JSON protocol; the query protocol passes unchecked.
        if (req.headers['content-type'] === JSON_CONTENT_TYPE) {
          const action = String(req.headers['x-amz-target'] ?? '').split('.')[1];
          let body: unknown;
          try {
            body = JSON.parse(raw.toString('utf8'));
          } catch {
            body = undefined;
          }
          const refusal = sizeRefusal(action, body, maxBytesOf);
          if (refusal) {
            res.statusCode = 400;
            res.setHeader('content-type', JSON_CONTENT_TYPE);
            res.setHeader('x-amzn-query-error', `${refusal.code};Sender`);
            res.end(JSON.stringify({ __type: refusal.type, message: refusal.message }));
            return;
          }
        }
        // local-aws-sqs reads the request as a stream: give it the same bytes again.
        const replay = Object.assign(Readable.from(raw.length > 0 ? [raw] : []), {
          headers: req.headers,
          method: req.method,
          url: req.url,
        });
        await requestHandler(replay as unknown as IncomingMessage, res);
      })
      .catch((error: unknown) => {
        if (!res.headersSent) res.statusCode = 500;
        res.end(String(error));
      });
  });
  await new Promise<void>((resolve) => {
    if (options.hostname) server.listen(options.port, options.hostname, resolve);
    else server.listen(options.port, resolve);
  });
  // Queue URLs carry the port, as createSqsServer sets it once listening.
  (service as unknown as { PORT: number }).PORT = (server.address() as AddressInfo).port;
  return server;
}
