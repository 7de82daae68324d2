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
 *
 * Fair shares between tenants (API keys). Slots go first come, first served, so under a busy
 * quota the slots already reserved are a queue: every waiting worker holds one, and a quiet
 * key's call waits behind all of them (40 workers at 180 RPM: 13 s). SQS fair queues
 * (`lib/constructs/pipeline.ts`) put a quiet key's chunk in front of the queue of chunks, but
 * not of this queue of slots. So a caller that names its tenant gets its slot only while its
 * tenant holds fewer than `AHEAD_PER_TENANT` slots still to come, whenever another tenant has
 * reserved within `ACTIVE_TENANT_MS`; otherwise it reserves nothing and waits until its
 * tenant is under that share again (one of its slots has passed), then asks again. The queue
 * of slots then holds at most `AHEAD_PER_TENANT` per active tenant, and a newcomer's first
 * call waits behind that many per tenant instead of behind every worker. A tenant alone reserves as before, so a lone job's
 * throughput is unchanged; with several, the frontier always holds a slot of each busy
 * tenant, so the quota stays used. Callers that name no tenant (the synchronous endpoints)
 * reserve as before.
 */
export const WINDOW_GUARD_MS = 250;
/** Slots still to come that a tenant may hold while another tenant is active. */
export const AHEAD_PER_TENANT = 2;
/** A tenant that reserved a slot this recently is active. */
export const ACTIVE_TENANT_MS = 60_000;

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

/** What the limiter item keeps of each tenant: its last slot and its slots still to come. */
export type TenantSlots = Record<string, { last: number; ahead: number[] }>;

export type Turn = { reserve: true } | { reserve: false; waitMs: number };

/**
 * Whether `tenant` may reserve now, by the fair-share rule above; pure, for the limiter and
 * its tests.
 */
export function fairTurn(tenants: TenantSlots, tenant: string, now: number): Turn {
  const othersActive = Object.entries(tenants).some(
    ([other, slots]) => other !== tenant && slots.last > now - ACTIVE_TENANT_MS,
  );
  if (!othersActive) return { reserve: true };
  const ahead = (tenants[tenant]?.ahead ?? []).filter((at) => at > now).sort((a, b) => a - b);
  if (ahead.length < AHEAD_PER_TENANT) return { reserve: true };
  // Ask again once the tenant is under its share, when the slot that puts it there has passed
  // (a few ms later, so it has).
  const under = ahead[ahead.length - AHEAD_PER_TENANT] ?? now;
  return { reserve: false, waitMs: under - now + 5 };
}

/**
 * The tenants' slots after `tenant` reserved `slot`: what is past and idle is dropped, and of a
 * tenant's slots to come only the last `AHEAD_PER_TENANT`, all that `fairTurn` reads, so the
 * item stays small however many calls a tenant has waiting.
 */
export function withSlot(tenants: TenantSlots, tenant: string, slot: number, now: number): TenantSlots {
  const next: TenantSlots = {};
  for (const [name, slots] of Object.entries(tenants)) {
    const ahead = slots.ahead.filter((at) => at > now);
    if (slots.last > now - ACTIVE_TENANT_MS || ahead.length > 0) next[name] = { last: slots.last, ahead };
  }
  const own = next[tenant] ?? { last: slot, ahead: [] };
  const ahead = [...own.ahead, slot].sort((a, b) => a - b).slice(-AHEAD_PER_TENANT);
  next[tenant] = { last: Math.max(own.last, slot), ahead };
  return next;
}

export async function reserveSlot(
  name: string,
  requestsPerMinute: number,
  weight: SlotWeight = ONE_REQUEST,
  /** The API key the call is made for (the job's owner), for fair shares between keys. */
  tenant?: string,
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
  for (let attempt = 0; attempt < 50; ) {
    const { Item } = await dynamo.send(
      new GetCommand({ TableName, Key: rateKey(name), ConsistentRead: true }),
    );
    const previous = typeof Item?.next_at === 'number' ? Item.next_at : undefined;
    const tenants = (Item?.tenants ?? {}) as TenantSlots;
    const now = Date.now();
    if (tenant !== undefined) {
      const turn = fairTurn(tenants, tenant, now);
      if (!turn.reserve) {
        // Not a conflict: the tenant has its share of slots to come; no attempt is spent. Its
        // waiting calls wake spread over half an interval, not all at once, and still before
        // its last slot to come has passed.
        await new Promise((r) => setTimeout(r, turn.waitMs + (Math.random() * interval) / 2));
        continue;
      }
    }
    const slot = Math.max(now, previous ?? 0);
    // next_at changes with every reservation, so its condition also guards the tenants' map.
    const values: Record<string, unknown> = { ':next': slot + count * interval };
    if (previous !== undefined) values[':previous'] = previous;
    if (tenant !== undefined) values[':tenants'] = withSlot(tenants, tenant, slot, now);
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName,
          Key: rateKey(name),
          UpdateExpression:
            tenant === undefined ? 'SET next_at = :next' : 'SET next_at = :next, tenants = :tenants',
          ConditionExpression:
            previous === undefined ? 'attribute_not_exists(next_at)' : 'next_at = :previous',
          ExpressionAttributeValues: values,
        }),
      );
      return { at: slot, waitMs: slot - now };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      attempt++;
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
  tenant?: string,
): Promise<number> {
  const { waitMs } = await reserveSlot(name, requestsPerMinute, weight, tenant);
  if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
  return waitMs;
}
