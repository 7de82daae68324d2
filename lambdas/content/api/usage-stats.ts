/**
 * Usage counters per API key, kept up to date as jobs change, so `/api/stats`,
 * `/api/analytics?days=` and `/api/economy/stats?days=` (usage-reports.ts) read a handful of
 * items instead of scanning jobs.
 *
 * Items (keys in `platform/keys.ts`):
 *   one day     STATS#<owner> / DAY#<yyyy-mm-dd>   (UTC day; expires_at ~2 years later)
 *   all time    STATS#<owner> / TOTAL
 * A period of N days is one Query, `sk BETWEEN DAY#<first> AND DAY#<last>`: O(N) items.
 *
 * Each item holds flat number attributes, each moved by an atomic ADD. They are top-level on
 * purpose: DynamoDB's ADD does not reach into maps, and SET on a nested path fails until its
 * parent map exists, which concurrent first writers would race on. Names:
 *   jobs, completed, failed, cancelled                   jobs created / finished that way
 *   words, tokens_in, tokens_out, cost_nusd              cost in nano-USD (integers add exactly)
 *   quality_centi_sum, quality_n                         quality score x100 summed, and samples
 *   time_ms_sum, time_n                                  processing time of completed jobs
 *   quality_excellent|good|acceptable|poor               >= 90, >= 75, >= 60, below
 *   st#<structureType>#<jobs|finished|completed|words|cost_nusd|quality_centi_sum|quality_n>
 *   model#<model>#<finished|completed|tokens_in|tokens_out|cost_nusd|time_ms_sum|time_n>
 *
 * Counting rules: a job counts as one of `jobs` on the day it is created, and its outcome,
 * words, tokens and cost on the day it finishes (failed and cancelled jobs used tokens too).
 * Quality and processing time average over completed jobs only.
 *
 * Exactly once is the caller's part: record `created` after the job is stored, and `finished`
 * only from the update that won the job's move to a final status (`updateJob(..., from)`),
 * which happens once per outcome. The day and total items are two writes, not a transaction
 * (the local DynamoDB has none): if the second fails, the error is thrown and the totals lag
 * the days by that event.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#platform/clients.ts';
import { STATS_DAY_SK_PREFIX, statsDayKey, statsDaySk, statsPk, statsTotalKey } from '#platform/keys.ts';
import { queryAll, tableName, withoutKeys } from '#platform/table.ts';

/** The longest period a view reads. */
export const MAX_PERIOD_DAYS = 365;
/** Long enough for the largest period and the one before it (trends). */
const DAY_RETENTION_DAYS = 2 * MAX_PERIOD_DAYS + 20;
const NANO = 1e9;

// ---------------------------------------------------------------------------------------------
// Writing

export type FinishedStatus = 'completed' | 'failed' | 'cancelled';

export interface JobCreatedEvent {
  type: 'created';
  structureType: string;
  at: string | Date;
}

export interface JobFinishedEvent {
  type: 'finished';
  status: FinishedStatus;
  structureType: string;
  words: number;
  tokens: { input: number; output: number };
  costUsd: number;
  /** 0-100; null when the job has none (e.g. it failed before any content). */
  qualityScore: number | null;
  processingTimeMs: number;
  model: string;
  at: string | Date;
}

export type JobEvent = JobCreatedEvent | JobFinishedEvent;

export const QUALITY_LEVELS = ['excellent', 'good', 'acceptable', 'poor'] as const;
export type QualityLevel = (typeof QUALITY_LEVELS)[number];

export function qualityLevel(score: number): QualityLevel {
  if (score >= 90) return 'excellent';
  if (score >= 75) return 'good';
  if (score >= 60) return 'acceptable';
  return 'poor';
}

function dayOf(at: string | Date): string {
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) throw new TypeError(`Not a date: ${String(at)}`);
  return date.toISOString().slice(0, 10);
}

/** Names become attribute names; a bounded, non-empty name keeps the items bounded. */
function label(value: string, what: string): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 100) {
    throw new TypeError(`${what} must be a non-empty string of at most 100 characters`);
  }
  return value;
}

function count(value: number, what: string): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${what} must be a non-negative number`);
  return Math.round(value);
}

/** The counters one event adds. */
export function countersFor(event: JobEvent): Record<string, number> {
  const st = `st#${label(event.structureType, 'structureType')}#`;
  if (event.type === 'created') return { jobs: 1, [`${st}jobs`]: 1 };

  const model = `model#${label(event.model, 'model')}#`;
  const words = count(event.words, 'words');
  const tokensIn = count(event.tokens.input, 'tokens.input');
  const tokensOut = count(event.tokens.output, 'tokens.output');
  const cost = count(event.costUsd * NANO, 'costUsd');
  const adds: Record<string, number> = {
    [event.status]: 1,
    words,
    tokens_in: tokensIn,
    tokens_out: tokensOut,
    cost_nusd: cost,
    [`${st}finished`]: 1,
    [`${st}words`]: words,
    [`${st}cost_nusd`]: cost,
    [`${model}finished`]: 1,
    [`${model}tokens_in`]: tokensIn,
    [`${model}tokens_out`]: tokensOut,
    [`${model}cost_nusd`]: cost,
  };
  if (event.status === 'completed') {
    const time = count(event.processingTimeMs, 'processingTimeMs');
    Object.assign(adds, {
      [`${st}completed`]: 1,
      [`${model}completed`]: 1,
      time_ms_sum: time,
      time_n: 1,
      [`${model}time_ms_sum`]: time,
      [`${model}time_n`]: 1,
    });
    if (event.qualityScore !== null && event.qualityScore !== undefined) {
      if (!Number.isFinite(event.qualityScore) || event.qualityScore < 0 || event.qualityScore > 100) {
        throw new TypeError('qualityScore must be between 0 and 100');
      }
      const centi = Math.round(event.qualityScore * 100);
      Object.assign(adds, {
        quality_centi_sum: centi,
        quality_n: 1,
        [`quality_${qualityLevel(event.qualityScore)}`]: 1,
        [`${st}quality_centi_sum`]: centi,
        [`${st}quality_n`]: 1,
      });
    }
  }
  for (const [name, value] of Object.entries(adds)) if (value === 0) delete adds[name];
  return adds;
}

function addExpression(adds: Record<string, number>) {
  const names: Record<string, string> = {};
  const values: Record<string, number> = {};
  const terms = Object.entries(adds).map(([name, value], i) => {
    names[`#a${i}`] = name;
    values[`:a${i}`] = value;
    return `#a${i} :a${i}`;
  });
  return { expression: `ADD ${terms.join(', ')}`, names, values };
}

/** Adds one job event to the owner's counters for its day and for all time. */
export async function recordJobEvent(owner: string, event: JobEvent): Promise<void> {
  const day = dayOf(event.at);
  const { expression, names, values } = addExpression(countersFor(event));
  const expiresAt = Math.floor(Date.parse(`${day}T00:00:00Z`) / 1000) + DAY_RETENTION_DAYS * 86_400;
  await Promise.all([
    dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: statsDayKey(owner, day),
        UpdateExpression: `${expression} SET expires_at = :expires`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ...values, ':expires': expiresAt },
      }),
    ),
    dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: statsTotalKey(owner),
        UpdateExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    ),
  ]);
}

// ---------------------------------------------------------------------------------------------
// Reading

export type Counters = Record<string, number>;

function countersOf(item: Record<string, unknown> | undefined): Counters {
  const counters: Counters = {};
  for (const [name, value] of Object.entries(withoutKeys<Counters>(item ?? {}, 'expires_at'))) {
    if (typeof value === 'number') counters[name] = value;
  }
  return counters;
}

export function sum(records: Counters[]): Counters {
  const total: Counters = {};
  for (const record of records) {
    for (const [name, value] of Object.entries(record)) total[name] = (total[name] ?? 0) + value;
  }
  return total;
}

interface StructureUsage {
  jobs: number;
  finished: number;
  completed: number;
  words: number;
  costUsd: number;
  qualitySum: number;
  qualityN: number;
}

interface ModelUsage {
  finished: number;
  completed: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  timeSum: number;
  timeN: number;
}

export interface Usage {
  jobs: number;
  completed: number;
  failed: number;
  cancelled: number;
  words: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  qualitySum: number;
  qualityN: number;
  timeSum: number;
  timeN: number;
  quality: Record<QualityLevel, number>;
  structures: Map<string, StructureUsage>;
  models: Map<string, ModelUsage>;
}

/** Splits `prefix#<name>#<counter>` attributes into one record per name. */
function grouped(counters: Counters, prefix: string): Map<string, Counters> {
  const groups = new Map<string, Counters>();
  for (const [attribute, value] of Object.entries(counters)) {
    if (!attribute.startsWith(`${prefix}#`)) continue;
    const cut = attribute.lastIndexOf('#');
    const name = attribute.slice(prefix.length + 1, cut);
    const group = groups.get(name) ?? {};
    group[attribute.slice(cut + 1)] = value;
    groups.set(name, group);
  }
  return groups;
}

export function usageOf(c: Counters): Usage {
  const n = (name: string, from: Counters = c) => from[name] ?? 0;
  const structures = new Map<string, StructureUsage>();
  for (const [name, g] of grouped(c, 'st')) {
    structures.set(name, {
      jobs: n('jobs', g),
      finished: n('finished', g),
      completed: n('completed', g),
      words: n('words', g),
      costUsd: n('cost_nusd', g) / NANO,
      qualitySum: n('quality_centi_sum', g) / 100,
      qualityN: n('quality_n', g),
    });
  }
  const models = new Map<string, ModelUsage>();
  for (const [name, g] of grouped(c, 'model')) {
    models.set(name, {
      finished: n('finished', g),
      completed: n('completed', g),
      tokensIn: n('tokens_in', g),
      tokensOut: n('tokens_out', g),
      costUsd: n('cost_nusd', g) / NANO,
      timeSum: n('time_ms_sum', g),
      timeN: n('time_n', g),
    });
  }
  return {
    jobs: n('jobs'),
    completed: n('completed'),
    failed: n('failed'),
    cancelled: n('cancelled'),
    words: n('words'),
    tokensIn: n('tokens_in'),
    tokensOut: n('tokens_out'),
    costUsd: n('cost_nusd') / NANO,
    qualitySum: n('quality_centi_sum') / 100,
    qualityN: n('quality_n'),
    timeSum: n('time_ms_sum'),
    timeN: n('time_n'),
    quality: {
      excellent: n('quality_excellent'),
      good: n('quality_good'),
      acceptable: n('quality_acceptable'),
      poor: n('quality_poor'),
    },
    structures,
    models,
  };
}

/** The `count` UTC days ending with `last`, oldest first. */
export function daysEnding(last: Date, count: number): string[] {
  const end = Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate());
  return Array.from({ length: count }, (_, i) =>
    new Date(end - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** Counters per day for the `count` days ending today, oldest first: one Query. */
export async function dailyCounters(owner: string, count: number, now: Date): Promise<[string, Counters][]> {
  const days = daysEnding(now, count);
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND sk BETWEEN :first AND :last',
    ExpressionAttributeValues: {
      ':pk': statsPk(owner),
      ':first': statsDaySk(days[0] as string),
      ':last': statsDaySk(days[days.length - 1] as string),
    },
  });
  const byDay = new Map<string, Counters>();
  for (const item of items) byDay.set(String(item.sk).slice(STATS_DAY_SK_PREFIX.length), countersOf(item));
  return days.map((day) => [day, byDay.get(day) ?? {}]);
}

/** The owner's all-time counters. */
export async function totalCounters(owner: string): Promise<Counters> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName(), Key: statsTotalKey(owner), ConsistentRead: true }),
  );
  return countersOf(Item);
}
