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
 */
export const WINDOW_GUARD_MS = 250;

import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '../clients.ts';
import { rateKey } from '../keys.ts';
import { isConditionFailure, tableName } from '../table.ts';

export interface SlotReservation {
  /** Epoch ms at which the call may start. */
  at: number;
  waitMs: number;
}

export async function reserveSlot(name: string, requestsPerMinute: number): Promise<SlotReservation> {
  const interval = (60_000 + WINDOW_GUARD_MS) / requestsPerMinute;
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
              ? { ':next': slot + interval }
              : { ':next': slot + interval, ':previous': previous },
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

export async function waitForSlot(name: string, requestsPerMinute: number): Promise<number> {
  const { waitMs } = await reserveSlot(name, requestsPerMinute);
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  return waitMs;
}
