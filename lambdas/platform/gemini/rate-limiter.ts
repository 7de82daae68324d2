/**
 * A requests-per-minute limit shared by every concurrent worker, kept in DynamoDB.
 * Each call reserves the next free slot (`next_at`), slots `(60 000 + guard) / rpm` ms apart,
 * with an optimistic conditional update; so no 60-second window ever holds more than `rpm`
 * calls, whatever the number of workers, and the caller sleeps until its slot.
 *
 * The guard: Gemini counts a call when it arrives, not when its slot began, and arrivals
 * jitter. With slots exactly 60 s / rpm apart, a window's first call arriving late and the
 * next window's first arriving early puts rpm + 1 calls in one minute: a 429. Spreading rpm
 * slots over 60 s plus the guard absorbs that much jitter for a fraction of a percent of
 * throughput.
 *
 * A call can count as several requests: Gemini counts each text of a batchEmbedContents call
 * against the embedding requests-per-minute quota, not the call. Such a call takes `count`
 * consecutive slots and starts at the first; the next caller's slot follows the last. Sent all
 * at once, those requests would let the minute after a small call's start hold a large call
 * too, so the interval leaves room for the largest count any caller of the limiter asks for:
 * it is `(60 000 + guard) / (rpm - largest + 1)`. Then any calls a..b within 60 s are at least
 * `(their requests - b's) * interval` apart, which bounds their requests by rpm. With
 * `largest` 1 this is the single-call limiter above.
 */
export const WINDOW_GUARD_MS = 250;

import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.ts';
import { rateKey } from '../keys.ts';
import { isConditionFailure, tableName } from '../table.ts';

export interface SlotWeight {
  /** The requests this call counts as (1 unless it is a batch Gemini counts per item). */
  count: number;
  /**
   * The largest `count` any caller of this limiter asks for; every caller of one limiter must
   * give the same, and it may be at most the rpm (never more than a minute's budget at once).
   */
  largest: number;
}

const ONE_REQUEST: SlotWeight = { count: 1, largest: 1 };

export interface SlotReservation {
  /** Epoch ms at which the call may start. */
  at: number;
  waitMs: number;
}

export async function reserveSlot(
  name: string,
  requestsPerMinute: number,
  weight: SlotWeight = ONE_REQUEST,
): Promise<SlotReservation> {
  const { count, largest } = weight;
  if (!Number.isInteger(count) || !Number.isInteger(largest) || count < 1 || count > largest) {
    throw new RangeError(`A call counts as 1 to ${largest} requests, not ${count}`);
  }
  if (largest > requestsPerMinute) {
    throw new RangeError(
      `A call may count as at most the ${requestsPerMinute} requests of a minute, not ${largest}`,
    );
  }
  const interval = (60_000 + WINDOW_GUARD_MS) / (requestsPerMinute - largest + 1);
  const TableName = tableName();
  for (let attempt = 0; attempt < 50; attempt++) {
    const { Item } = await dynamo.send(
      new GetCommand({ TableName, Key: rateKey(name), ConsistentRead: true }),
    );
    const previous = typeof Item?.next_at === 'number' ? Item.next_at : undefined;
    const now = Date.now();
    const slot = Math.max(now, previous ?? 0);
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: rateKey(name),
          UpdateExpression: 'SET next_at = :next',
          ConditionExpression:
            previous === undefined ? 'attribute_not_exists(next_at)' : 'next_at = :previous',
          ExpressionAttributeValues:
            previous === undefined
              ? { ':next': slot + count * interval }
              : { ':next': slot + count * interval, ':previous': previous },
        }),
      );
      return { at: slot, waitMs: slot - now };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      // Another worker took the slot; read again after a short random pause.
      await new Promise((r) => setTimeout(r, Math.random() * 20));
    }
  }
  throw new Error('Could not reserve a model call slot after 50 attempts');
}

export async function waitForSlot(
  name: string,
  requestsPerMinute: number,
  weight: SlotWeight = ONE_REQUEST,
): Promise<number> {
  const { waitMs } = await reserveSlot(name, requestsPerMinute, weight);
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  return waitMs;
}
