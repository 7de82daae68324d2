/**
 * Giving an SQS message back to its queue for a later delivery. A worker whose message failed
 * for a reason that may pass (a quota, a 5xx, a network hiccup) does not let it come back after
 * the queue's visibility timeout: it sets the message's visibility to a delay that doubles with
 * each delivery, so a failure that lasts is retried less and less often until the message's
 * last delivery, which the worker settles for good.
 */
import type { SQSRecord } from 'aws-lambda';
import { sqs } from './clients.ts';
import { logger } from './powertools.ts';

/**
 * Seconds before the next delivery of a message that failed on delivery `receiveCount`: 15 s
 * after the first, 30 s after the second, doubling up to the 15 minutes a worker may run.
 */
export function redeliveryDelaySeconds(receiveCount: number): number {
  return Math.min(900, 15 * 2 ** (receiveCount - 1));
}

export interface ReturnLater {
  queueUrl: string;
  /** The delivery that failed (the message's ApproximateReceiveCount). */
  receiveCount: number;
  /** The warning logged, with the error and the delay. */
  message: string;
  error: string;
}

/** Sends the message back to its queue until redeliveryDelaySeconds have passed. */
export async function returnLater(record: SQSRecord, later: ReturnLater): Promise<void> {
  const delaySeconds = redeliveryDelaySeconds(later.receiveCount);
  logger.warn(later.message, { error: later.error, retry_in_seconds: delaySeconds });
  const { client, sdk } = await sqs();
  await client.send(
    new sdk.ChangeMessageVisibilityCommand({
      QueueUrl: later.queueUrl,
      ReceiptHandle: record.receiptHandle,
      VisibilityTimeout: delaySeconds,
    }),
  );
}
