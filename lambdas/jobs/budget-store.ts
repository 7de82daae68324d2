/**
 * Spending limits: a job's `max_cost_usd` and an API key's monthly budget. Before a chunk runs,
 * the worker reserves its estimated cost with a conditional update (committed + estimate must
 * stay within the limit), and when the chunk ends the reservation is settled to what it
 * really cost. Chunks running at once therefore cannot overshoot a limit together: the spend
 * stops within one chunk's cost of it (by how far that chunk's estimate was off).
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#platform/clients.ts';
import { budgetLimitKey, budgetMonthKey, jobKey } from '#platform/keys.ts';
import { isConditionFailure, tableName } from '#platform/table.ts';

/** The calendar month a cost counts against, in UTC: `2026-11`. */
export const monthOf = (date = new Date()) => date.toISOString().slice(0, 7);

export interface MonthlyBudget {
  monthly_usd: number | null;
  month: string;
  /** Settled spend plus what running chunks have reserved. */
  committed_usd: number;
}

export async function getMonthlyBudget(owner: string, month = monthOf()): Promise<MonthlyBudget> {
  const [limit, used] = await Promise.all([
    dynamo.send(new GetCommand({ TableName: tableName(), Key: budgetLimitKey(owner), ConsistentRead: true })),
    dynamo.send(
      new GetCommand({ TableName: tableName(), Key: budgetMonthKey(owner, month), ConsistentRead: true }),
    ),
  ]);
  const monthly = limit.Item?.monthly_usd;
  return {
    monthly_usd: typeof monthly === 'number' ? monthly : null,
    month,
    committed_usd: Number(used.Item?.committed_usd ?? 0),
  };
}

export async function setMonthlyBudget(owner: string, monthlyUsd: number | null): Promise<void> {
  await dynamo.send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...budgetLimitKey(owner), monthly_usd: monthlyUsd, updated_at: new Date().toISOString() },
    }),
  );
}

/** Adds `amount` to a committed total unless that would pass `limit`; false when it would. */
async function commit(key: Record<string, string>, amount: number, limit: number | null): Promise<boolean> {
  // Nothing committed yet passes the condition below, so an amount over the limit stops here.
  if (limit !== null && amount > limit) return false;
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: key,
        UpdateExpression: 'ADD committed_usd :amount',
        ...(limit === null
          ? {}
          : {
              ConditionExpression: 'attribute_not_exists(committed_usd) OR committed_usd <= :room',
              ExpressionAttributeValues: { ':amount': amount, ':room': limit - amount },
            }),
        ...(limit === null ? { ExpressionAttributeValues: { ':amount': amount } } : {}),
      }),
    );
    return true;
  } catch (error) {
    if (isConditionFailure(error)) return false;
    throw error;
  }
}

export interface Reservation {
  month: string;
  amount: number;
  job: boolean;
  monthly: boolean;
}

export type ReservationOutcome = { ok: true; reservation: Reservation } | { ok: false; reason: string };

/**
 * Reserves a chunk's estimated cost against the job's limit, then the key's monthly budget
 * (undoing the first when the second refuses). Jobs without either limit reserve nothing.
 */
export async function reserve(
  job: { job_id: string; owner: string; max_cost_usd?: number | null; cost_usd: number },
  amount: number,
  monthlyUsd: number | null,
): Promise<ReservationOutcome> {
  const month = monthOf();
  const jobLimit = job.max_cost_usd ?? null;
  const jobReserved = jobLimit !== null && (await commit(jobKey(job.job_id), amount, jobLimit));
  if (jobLimit !== null && !jobReserved) {
    return {
      ok: false,
      reason: `Budget reached: the job's max_cost_usd of $${jobLimit} would be passed by the next chunk (about $${amount.toFixed(4)}; $${job.cost_usd.toFixed(4)} spent)`,
    };
  }
  if (monthlyUsd !== null && !(await commit(budgetMonthKey(job.owner, month), amount, monthlyUsd))) {
    if (jobReserved) await commit(jobKey(job.job_id), -amount, null);
    return {
      ok: false,
      reason: `Budget reached: this API key's monthly budget of $${monthlyUsd} for ${month} would be passed by the next chunk (about $${amount.toFixed(4)})`,
    };
  }
  return { ok: true, reservation: { month, amount, job: jobReserved, monthly: monthlyUsd !== null } };
}

/**
 * Replaces a reservation by the chunk's real cost. Without a monthly budget nothing was reserved
 * for the month, and the real cost is simply added: spend is counted per month either way, so a
 * budget set later sees this month's.
 */
export async function settle(
  jobId: string,
  owner: string,
  reservation: Reservation,
  actualUsd: number,
): Promise<void> {
  const delta = actualUsd - reservation.amount;
  const monthly = reservation.monthly ? delta : actualUsd;
  await Promise.all([
    reservation.job && delta !== 0 ? commit(jobKey(jobId), delta, null) : undefined,
    monthly !== 0 ? commit(budgetMonthKey(owner, reservation.month), monthly, null) : undefined,
  ]);
}
