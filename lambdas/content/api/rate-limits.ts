/**
 * Per-API-key limits, enforced in DynamoDB so every Lambda instance sees the same counts.
 *
 * Items (keys in `platform/keys.ts`):
 *   request window  RL#<owner>#<minute>  / WINDOW   count (N), expires_at (TTL)
 *   active jobs     RL#<owner>#JOBS      / JOBS     active (SS of job ids), expires_at (TTL)
 * `<minute>` is floor(epoch seconds / 60): a fixed one-minute window. A burst may straddle two
 * windows (up to twice the limit within 60 s across the boundary); in exchange each request
 * costs one conditional write and no read, and the seed's `X-RateLimit-Reset` is exact.
 *
 * A job slot must be released on every way a job ends (completed, failed, cancelled, timed
 * out). Should a release be lost anyway, `acquireJobSlot`'s `reclaim` lets the caller free
 * the slots of jobs that have ended when an owner hits the limit, and the item's TTL, moved a
 * day ahead on every acquire and release, bounds what is left: once an owner has started
 * nothing for a day, DynamoDB's TTL sweep removes the item and the owner starts from zero.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#platform/clients.ts';
import { jobSlotsKey, requestWindowKey } from '#platform/keys.ts';
import { isConditionFailure, tableName } from '#platform/table.ts';

/** The seed's defaults. */
export const DEFAULT_REQUESTS_PER_MINUTE = 100;
export const DEFAULT_CONCURRENT_JOBS = 10;

const WINDOW_SECONDS = 60;
const JOB_SLOTS_TTL_SECONDS = 24 * 60 * 60;

export interface RequestRate {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Unix seconds at which the current window ends. */
  reset: number;
}

/**
 * Counts one request against `owner`'s current minute. The increment is conditional on the
 * count being under the limit, so concurrent requests can never push it past the limit and
 * refused requests are not counted.
 */
export async function checkRequestRate(
  owner: string,
  limitPerMinute: number,
  now: number = Date.now(),
): Promise<RequestRate> {
  const window = Math.floor(now / 1000 / WINDOW_SECONDS);
  const reset = (window + 1) * WINDOW_SECONDS;
  try {
    const { Attributes } = await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: requestWindowKey(owner, window),
        UpdateExpression: 'ADD #count :one SET expires_at = :expires',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': 'count' },
        // The window item is useless once the window ends; a minute of slack for clock skew.
        ExpressionAttributeValues: {
          ':one': 1,
          ':limit': limitPerMinute,
          ':expires': reset + WINDOW_SECONDS,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const count = Number(Attributes?.count ?? 1);
    return { allowed: true, limit: limitPerMinute, remaining: Math.max(0, limitPerMinute - count), reset };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { allowed: false, limit: limitPerMinute, remaining: 0, reset };
  }
}

/** The seed's rate-limit headers, plus `Retry-After` on a refusal. */
export function rateLimitHeaders(result: RequestRate, now: number = Date.now()): Record<string, string> {
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(result.limit),
    'X-RateLimit-Remaining': String(result.remaining),
    'X-RateLimit-Reset': String(result.reset),
  };
  if (!result.allowed) headers['Retry-After'] = String(Math.max(1, result.reset - Math.floor(now / 1000)));
  return headers;
}

/** The `details` of the seed's 429 body for RATE_LIMIT_EXCEEDED. */
export function rateLimitExceededDetails(result: RequestRate) {
  return {
    code: 'RATE_LIMIT_EXCEEDED',
    limit: result.limit,
    reset: new Date(result.reset * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
    suggestion: 'Please wait before making more requests',
  };
}

export interface JobSlot {
  allowed: boolean;
  /** Active jobs after the call (including this one when allowed). */
  active: number;
  limit: number;
}

export interface AcquireOptions {
  /**
   * Given the ids holding slots, returns those whose jobs have in fact ended (e.g. from the
   * job store). Called only when the owner is at the limit; their slots are freed and the
   * acquire is tried once more, so a lost release heals on the owner's next job.
   */
  reclaim?: (jobIds: string[]) => Promise<string[]>;
}

/**
 * Takes one of `owner`'s `limit` concurrent-job slots for `jobId`. Idempotent: a job that
 * already holds a slot keeps it and is not counted twice (a retried request or a redelivered
 * message is safe). The check and the add are one conditional update, so concurrent callers
 * cannot overshoot.
 */
export async function acquireJobSlot(
  owner: string,
  jobId: string,
  limit: number,
  options: AcquireOptions = {},
): Promise<JobSlot> {
  const first = await tryAcquire(owner, jobId, limit);
  if (first.allowed || !options.reclaim) return first;
  const ended = await options.reclaim(await activeJobs(owner));
  if (ended.length === 0) return first;
  await Promise.all(ended.map((id) => releaseJobSlot(owner, id)));
  return tryAcquire(owner, jobId, limit);
}

async function tryAcquire(owner: string, jobId: string, limit: number): Promise<JobSlot> {
  try {
    const { Attributes } = await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: jobSlotsKey(owner),
        UpdateExpression: 'ADD active :job SET expires_at = :expires',
        ConditionExpression: 'attribute_not_exists(active) OR contains(active, :id) OR size(active) < :limit',
        ExpressionAttributeValues: {
          ':job': new Set([jobId]),
          ':id': jobId,
          ':limit': limit,
          ':expires': Math.floor(Date.now() / 1000) + JOB_SLOTS_TTL_SECONDS,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return { allowed: true, active: setSize(Attributes?.active), limit };
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    return { allowed: false, active: (await activeJobs(owner)).length, limit };
  }
}

/** Frees `jobId`'s slot; releasing a job that holds none is a no-op. Returns the active count. */
export async function releaseJobSlot(owner: string, jobId: string): Promise<number> {
  try {
    const { Attributes } = await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: jobSlotsKey(owner),
        UpdateExpression: 'DELETE active :job SET expires_at = :expires',
        // An owner without the item holds no slot; do not create one.
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: {
          ':job': new Set([jobId]),
          ':expires': Math.floor(Date.now() / 1000) + JOB_SLOTS_TTL_SECONDS,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return setSize(Attributes?.active);
  } catch (error) {
    if (isConditionFailure(error)) return 0;
    throw error;
  }
}

/** The ids of `owner`'s jobs holding a slot, for reconciliation against the jobs themselves. */
export async function activeJobs(owner: string): Promise<string[]> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName(), Key: jobSlotsKey(owner), ConsistentRead: true }),
  );
  const active = Item?.active;
  return active instanceof Set ? [...active].map(String).sort() : [];
}

function setSize(value: unknown): number {
  return value instanceof Set ? value.size : 0;
}
