/**
 * The Lambda event source mapping for SQS, locally: long-polls a queue and invokes a handler
 * with `SQSEvent` batches shaped as Lambda delivers them.
 *
 * Semantics follow the AWS service:
 * - never more than `maximumConcurrency` invocations in flight (one poller per slot, so a slot
 *   holds messages only while its invocation runs);
 * - a batch that returns normally is deleted; one that throws is left entirely to reappear
 *   after the visibility timeout (and to reach the DLQ through the queue's RedrivePolicy);
 * - with `ReportBatchItemFailures`, only the listed items stay; an identifier that is not in
 *   the batch fails the whole batch, as in AWS.
 *
 * One liberty: with `holdVisibilitySeconds` it renews the visibility of a batch while its
 * invocation runs (see the option). A handler that changes a message's visibility should do
 * so as its last step, as the chunk worker does, so no renewal follows.
 *
 * One correction: local-aws-sqs counts every ChangeMessageVisibility as a receive, so both its
 * ApproximateReceiveCount and its redrive to the dead-letter queue run ahead of SQS (a chunk
 * whose worker backed off once, or whose invocation was held visible a few times, reached the
 * DLQ after one delivery). With `redrive`, the poller counts receives itself, shows handlers
 * that count, and moves a message received more than `maxReceiveCount` times to the
 * dead-letter queue, as SQS does; the local queue's own redrive is set out of reach.
 */

import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageBatchCommand,
  type Message,
  type MessageAttributeValue,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import { LOCAL_REGION } from './cloudformation.ts';

export interface EventSourcePollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  queueArn: string;
  handler: (event: SQSEvent) => Promise<unknown>;
  /** Records per invocation (Lambda's BatchSize, default 10). */
  batchSize?: number;
  /** Lambda's MaximumBatchingWindowInSeconds: how long to gather a batch bigger than one receive. */
  maximumBatchingWindowSeconds?: number;
  /** ScalingConfig.MaximumConcurrency (default 10). */
  maximumConcurrency?: number;
  /** FunctionResponseTypes includes "ReportBatchItemFailures". */
  reportBatchItemFailures?: boolean;
  region?: string;
  /**
   * Keep a batch invisible for as long as its invocation runs, renewing this many seconds at a
   * time. In AWS the queue's visibility timeout is at least the function timeout, so a running
   * invocation never sees its messages handed to another; locally the queue gets a short
   * visibility (failed messages come back quickly), and this restores that guarantee.
   */
  holdVisibilitySeconds?: number;
  /** Long-poll wait per receive; short in tests so stop() returns fast. */
  waitTimeSeconds?: number;
  /** The queue's RedrivePolicy, applied here with the poller's own receive counts (see above). */
  redrive?: { deadLetterQueueUrl: string; maxReceiveCount: number };
  log?: (line: string) => void;
}

export interface EventSourcePoller {
  /** Invocations currently running. */
  inFlight(): number;
  /** Highest number of simultaneous invocations seen. */
  peakConcurrency(): number;
  invocations(): number;
  /** Stops polling and waits (at most `graceMs`) for running invocations to finish. */
  stop(graceMs?: number): Promise<void>;
}

const MAX_RECEIVE = 10;

/**
 * Receives a message had when it was moved to a dead-letter queue, by its id there: it keeps
 * counting on, as a moved message does (and as local-aws-sqs's own redrive did).
 */
const carriedReceives = new Map<string, number>();

function toRecordAttributes(attributes: MessageAttributeValue): SQSMessageAttributes[string] {
  return {
    stringValue: attributes.StringValue,
    binaryValue: attributes.BinaryValue ? Buffer.from(attributes.BinaryValue).toString('base64') : undefined,
    stringListValues: attributes.StringListValues ?? [],
    binaryListValues: (attributes.BinaryListValues ?? []).map((value) =>
      Buffer.from(value).toString('base64'),
    ),
    dataType: attributes.DataType ?? 'String',
  };
}

export function toSqsRecord(message: Message, queueArn: string, region: string = LOCAL_REGION): SQSRecord {
  const system = message.Attributes ?? {};
  const attributes: SQSRecord['attributes'] = {
    ApproximateReceiveCount: system.ApproximateReceiveCount ?? '1',
    SentTimestamp: system.SentTimestamp ?? String(Date.now()),
    SenderId: system.SenderId ?? 'AIDAIENQZJOLO23YVJ4VO',
    ApproximateFirstReceiveTimestamp: system.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
  };
  for (const optional of [
    'AWSTraceHeader',
    'SequenceNumber',
    'MessageGroupId',
    'MessageDeduplicationId',
  ] as const) {
    const value = system[optional];
    if (value !== undefined) attributes[optional] = value;
  }
  const record: SQSRecord = {
    messageId: message.MessageId ?? '',
    receiptHandle: message.ReceiptHandle ?? '',
    body: message.Body ?? '',
    attributes,
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [
        name,
        toRecordAttributes(value),
      ]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: region,
  };
  if (message.MD5OfMessageAttributes) record.md5OfMessageAttributes = message.MD5OfMessageAttributes;
  return record;
}

/** The message ids to keep, or `undefined` when the whole batch failed. */
function failedItems(response: unknown, records: SQSRecord[]): Set<string> | undefined {
  if (response === null || response === undefined || typeof response !== 'object') return new Set();
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return new Set();
  if (!Array.isArray(failures)) return undefined;
  const ids = new Set(records.map((record) => record.messageId));
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !ids.has(id)) return undefined;
    failed.add(id);
  }
  return failed;
}

export function startEventSourcePoller(options: EventSourcePollerOptions): EventSourcePoller {
  const batchSize = Math.max(1, options.batchSize ?? 10);
  const concurrency = Math.max(1, options.maximumConcurrency ?? 10);
  const windowMs = (options.maximumBatchingWindowSeconds ?? 0) * 1000;
  const waitTimeSeconds = options.waitTimeSeconds ?? 2;
  const region = options.region ?? LOCAL_REGION;
  const log = options.log ?? (() => {});
  const controller = new AbortController();
  let running = 0;
  let peak = 0;
  let invocations = 0;
  /** Receives of each message not yet deleted or dead-lettered, by message id. */
  const receives = new Map<string, number>();

  const receive = async (max: number, wait: number): Promise<Message[]> => {
    const response = await options.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: options.queueUrl,
        MaxNumberOfMessages: Math.min(MAX_RECEIVE, max),
        WaitTimeSeconds: wait,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
      { abortSignal: controller.signal },
    );
    return response.Messages ?? [];
  };

  // local-aws-sqs fills a long poll up to MaxNumberOfMessages before answering, where SQS
  // answers as soon as it has anything. So: wait for one message, then take what else is there.
  const gatherBatch = async (): Promise<Message[]> => {
    const first = await receive(1, waitTimeSeconds);
    if (first.length === 0) return [];
    const byId = new Map(first.map((message) => [message.MessageId, message]));
    const deadline = Date.now() + windowMs;
    while (byId.size < batchSize && !controller.signal.aborted) {
      const more = await receive(batchSize - byId.size, 0);
      for (const message of more) byId.set(message.MessageId, message);
      if (Date.now() >= deadline) break;
      if (more.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return [...byId.values()];
  };

  const deleteMessages = async (messages: Message[]) => {
    for (let i = 0; i < messages.length; i += MAX_RECEIVE) {
      const slice = messages.slice(i, i + MAX_RECEIVE);
      const result = await options.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: options.queueUrl,
          Entries: slice.map((message, index) => ({
            Id: String(index),
            ReceiptHandle: message.ReceiptHandle,
          })),
        }),
      );
      for (const failure of result.Failed ?? []) log(`could not delete a message: ${failure.Message}`);
    }
  };

  const holdVisibility = (messages: Message[]): (() => void) => {
    const seconds = options.holdVisibilitySeconds;
    if (!seconds) return () => {};
    const renew = async () => {
      for (let i = 0; i < messages.length; i += MAX_RECEIVE) {
        await options.sqs.send(
          new ChangeMessageVisibilityBatchCommand({
            QueueUrl: options.queueUrl,
            Entries: messages.slice(i, i + MAX_RECEIVE).map((message, index) => ({
              Id: String(index),
              ReceiptHandle: message.ReceiptHandle,
              VisibilityTimeout: seconds,
            })),
          }),
        );
      }
    };
    const timer = setInterval(
      () => {
        renew().catch((error: unknown) => log(`could not renew visibility: ${(error as Error).message}`));
      },
      Math.max(500, seconds * 600),
    );
    return () => clearInterval(timer);
  };

  /** What SQS does on the receive past maxReceiveCount: the message goes to the dead-letter queue instead. */
  const deadLetter = async (message: Message) => {
    const redrive = options.redrive;
    if (!redrive) return;
    const moved = await options.sqs.send(
      new SendMessageCommand({
        QueueUrl: redrive.deadLetterQueueUrl,
        MessageBody: message.Body ?? '',
        ...(message.MessageAttributes && Object.keys(message.MessageAttributes).length > 0
          ? { MessageAttributes: message.MessageAttributes }
          : {}),
      }),
    );
    const id = message.MessageId ?? '';
    if (moved.MessageId) carriedReceives.set(moved.MessageId, (receives.get(id) ?? 1) - 1);
    receives.delete(id);
    await deleteMessages([message]);
  };

  const invoke = async (received: Message[]) => {
    const messages: Message[] = [];
    for (const message of received) {
      const id = message.MessageId ?? '';
      const count = (receives.get(id) ?? carriedReceives.get(id) ?? 0) + 1;
      carriedReceives.delete(id);
      receives.set(id, count);
      if (options.redrive && count > options.redrive.maxReceiveCount) await deadLetter(message);
      else {
        messages.push({
          ...message,
          Attributes: { ...message.Attributes, ApproximateReceiveCount: String(count) },
        });
      }
    }
    if (messages.length === 0) return;
    const records = messages.map((message) => toSqsRecord(message, options.queueArn, region));
    const release = holdVisibility(messages);
    running++;
    invocations++;
    peak = Math.max(peak, running);
    let keep: Set<string> | undefined;
    try {
      const response = await options.handler({ Records: records });
      keep = options.reportBatchItemFailures ? failedItems(response, records) : new Set();
      if (keep === undefined) log('invalid batchItemFailures response: the whole batch will be retried');
    } catch (error) {
      log(`invocation failed, the batch will be retried: ${(error as Error).message}`);
      keep = undefined;
    } finally {
      release();
      running--;
    }
    if (keep === undefined) return;
    const done = messages.filter((message) => !keep.has(message.MessageId ?? ''));
    for (const message of done) receives.delete(message.MessageId ?? '');
    if (done.length > 0) await deleteMessages(done);
  };

  const pollLoop = async () => {
    while (!controller.signal.aborted) {
      try {
        const batch = await gatherBatch();
        if (batch.length > 0) await invoke(batch);
      } catch (error) {
        if (controller.signal.aborted) return;
        log(`polling ${options.queueUrl} failed: ${(error as Error).message}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  };

  const loops = Array.from({ length: concurrency }, () => pollLoop());

  return {
    inFlight: () => running,
    peakConcurrency: () => peak,
    invocations: () => invocations,
    async stop(graceMs = 10_000) {
      controller.abort();
      let timer: NodeJS.Timeout | undefined;
      const grace = new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
      });
      await Promise.race([Promise.allSettled(loops), grace]);
      clearTimeout(timer);
    },
  };
}
