/**
 * Usage counters per API key, kept up to date as jobs change, so `/api/stats`,
 * `/api/analytics?days=` and `/api/economy/stats?days=` read a handful of items instead of
 * scanning jobs.
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
import { InvalidRequest } from '#platform/errors.ts';
import { priceTable } from '#platform/gemini/pricing.ts';
import { STATS_DAY_SK_PREFIX, statsDayKey, statsDaySk, statsPk, statsTotalKey } from '#platform/keys.ts';
import { queryAll, tableName, withoutKeys } from '#platform/table.ts';

export const DEFAULT_PERIOD_DAYS = 7;
export const MAX_PERIOD_DAYS = 365;
/** Long enough for the largest period and the one before it (trends). */
const DAY_RETENTION_DAYS = 2 * MAX_PERIOD_DAYS + 20;
const NANO = 1e9;
const PROVIDER = 'google';

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

type Counters = Record<string, number>;

function countersOf(item: Record<string, unknown> | undefined): Counters {
  const counters: Counters = {};
  for (const [name, value] of Object.entries(withoutKeys<Counters>(item ?? {}, 'expires_at'))) {
    if (typeof value === 'number') counters[name] = value;
  }
  return counters;
}

function sum(records: Counters[]): Counters {
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

interface Usage {
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

function usageOf(c: Counters): Usage {
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

const round = (value: number, digits: number) => {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
};
/** Averages of nothing are 0, not NaN: the seed's fields are numbers. */
const average = (total: number, n: number, digits: number) => (n > 0 ? round(total / n, digits) : 0);
const money = (usd: number) => round(usd, 6);

/** `$375.50`, `$0.015`, `$0.00075`: cents above a dollar, three significant digits below. */
export function formatUsd(usd: number): string {
  const sign = usd < 0 ? '-' : '';
  const value = Math.abs(usd);
  if (value === 0) return '$0.00';
  if (value >= 1) return `${sign}$${value.toFixed(2)}`;
  const decimals = Math.min(9, Math.max(2, Math.ceil(-Math.log10(value)) + 2));
  const text = value.toFixed(decimals).replace(/(\.\d\d\d*?)0+$/, '$1');
  return `${sign}$${text}`;
}

function validDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_PERIOD_DAYS) {
    throw new InvalidRequest(`days must be a whole number between 1 and ${MAX_PERIOD_DAYS}`);
  }
  return days;
}

/** The `count` UTC days ending with `last`, oldest first. */
function daysEnding(last: Date, count: number): string[] {
  const end = Date.UTC(last.getUTCFullYear(), last.getUTCMonth(), last.getUTCDate());
  return Array.from({ length: count }, (_, i) =>
    new Date(end - (count - 1 - i) * 86_400_000).toISOString().slice(0, 10),
  );
}

/** Counters per day for the `count` days ending today, oldest first: one Query. */
async function dailyCounters(owner: string, count: number, now: Date): Promise<[string, Counters][]> {
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

export interface Capabilities {
  maxConcurrentJobs: number;
  defaultModel: string;
  qualityThreshold: number;
}

export interface StatsOptions {
  now?: Date;
  /** Days in `recentTrends` (default 7). */
  trendDays?: number;
  /** The templates module's `topTemplates`, placed where the seed has it. */
  topTemplates?: unknown[];
}

/** The seed's `/api/stats` `data`. */
export async function statsOverview(owner: string, capabilities: Capabilities, options: StatsOptions = {}) {
  const now = options.now ?? new Date();
  const [{ Item }, days] = await Promise.all([
    dynamo.send(new GetCommand({ TableName: tableName(), Key: statsTotalKey(owner), ConsistentRead: true })),
    dailyCounters(owner, validDays(options.trendDays ?? DEFAULT_PERIOD_DAYS), now),
  ]);
  const total = usageOf(countersOf(Item));
  return {
    overview: {
      total_jobs: total.jobs,
      completed_jobs: total.completed,
      failed_jobs: total.failed,
      // Created but not yet finished; never negative, even if a `created` event was lost.
      active_jobs: Math.max(0, total.jobs - total.completed - total.failed - total.cancelled),
      total_words_generated: total.words,
      total_tokens_used: total.tokensIn + total.tokensOut,
      total_cost: money(total.costUsd),
      avg_quality_score: average(total.qualitySum, total.qualityN, 1),
      avg_processing_time: average(total.timeSum, total.timeN, 0),
    },
    recentTrends: days.map(([date, counters]) => {
      const day = usageOf(counters);
      return {
        date,
        total_jobs: day.jobs,
        successful_jobs: day.completed,
        failed_jobs: day.failed,
        total_words_generated: day.words,
        total_tokens_used: day.tokensIn + day.tokensOut,
        total_cost_usd: money(day.costUsd),
        avg_quality_score: average(day.qualitySum, day.qualityN, 1),
      };
    }),
    topTemplates: options.topTemplates ?? [],
    structureTypes: [...total.structures]
      .map(([type, s]) => ({
        structure_type: type,
        count: s.jobs,
        avg_words: average(s.words, s.finished, 0),
        avg_quality: average(s.qualitySum, s.qualityN, 1),
        avg_cost: average(s.costUsd, s.finished, 6),
      }))
      .sort((a, b) => b.count - a.count || a.structure_type.localeCompare(b.structure_type)),
    capabilities,
  };
}

/** Percentage change from `before` to `after`; from nothing to something counts as +100. */
export function percentChange(before: number, after: number): number {
  if (before === 0) return after === 0 ? 0 : 100;
  return round(((after - before) / before) * 100, 1);
}

const periodLabel = (days: number) => (days === 1 ? '1 day' : `${days} days`);

function modelRows(usage: Usage) {
  return [...usage.models]
    .map(([model, m]) => ({ model, ...m }))
    .sort((a, b) => b.finished - a.finished || a.model.localeCompare(b.model));
}

/** The seed's `/api/analytics` `data` for the last `days` days (today included, UTC). */
export async function analytics(owner: string, days: number = DEFAULT_PERIOD_DAYS, now: Date = new Date()) {
  const period = validDays(days);
  // This period and the one before it, for the trends, in one Query.
  const all = await dailyCounters(owner, 2 * period, now);
  const previous = usageOf(sum(all.slice(0, period).map(([, c]) => c)));
  const current = all.slice(period);
  const usage = usageOf(sum(current.map(([, c]) => c)));
  const avgQuality = (u: Usage) => (u.qualityN > 0 ? u.qualitySum / u.qualityN : 0);
  return {
    period: periodLabel(period),
    dailyMetrics: current.map(([date, counters]) => {
      const day = usageOf(counters);
      return {
        date,
        total_jobs: day.jobs,
        total_words_generated: day.words,
        total_cost_usd: money(day.costUsd),
        avg_quality_score: average(day.qualitySum, day.qualityN, 1),
        avg_generation_time_ms: average(day.timeSum, day.timeN, 0),
      };
    }),
    trends: {
      jobs: percentChange(previous.jobs, usage.jobs),
      words: percentChange(previous.words, usage.words),
      cost: percentChange(previous.costUsd, usage.costUsd),
      quality: percentChange(avgQuality(previous), avgQuality(usage)),
    },
    providerBreakdown: modelRows(usage).map((m) => ({
      provider: PROVIDER,
      model: m.model,
      usage_count: m.finished,
      total_tokens: m.tokensIn + m.tokensOut,
      total_cost: money(m.costUsd),
      avg_latency: average(m.timeSum, m.timeN, 0),
      success_rate: average(m.completed * 100, m.finished, 1),
    })),
    qualityDistribution: QUALITY_LEVELS.map((level) => ({
      quality_level: level,
      count: usage.quality[level],
    })),
    summary: {
      totalJobs: usage.jobs,
      totalWords: usage.words,
      totalCost: money(usage.costUsd),
      avgQuality: average(usage.qualitySum, usage.qualityN, 1),
    },
  };
}

interface Alternative {
  model: string;
  costUsd: number;
}

/** The cheapest model in the price table, still offered on `day`, for this token mix. */
function cheapestFor(tokensIn: number, tokensOut: number, day: string): Alternative | undefined {
  let best: Alternative | undefined;
  for (const [model, price] of Object.entries(priceTable.models)) {
    if (price.retires_on !== undefined && price.retires_on <= day) continue;
    const costUsd = (tokensIn * price.input_per_million + tokensOut * price.output_per_million) / 1_000_000;
    if (!best || costUsd < best.costUsd) best = { model, costUsd };
  }
  return best;
}

const RETIREMENT_NOTICE_DAYS = 60;

function recommendationsFor(usage: Usage, today: string): { potentialSavings: number; advice: string[] } {
  const advice: string[] = [];
  let potentialSavings = 0;
  for (const m of modelRows(usage)) {
    const cheapest = cheapestFor(m.tokensIn, m.tokensOut, today);
    if (cheapest && cheapest.model !== m.model && cheapest.costUsd < m.costUsd) {
      const saving = m.costUsd - cheapest.costUsd;
      potentialSavings += saving;
      advice.push(
        `Consider ${cheapest.model} instead of ${m.model} where its quality is enough: this period's ${m.model} tokens would have cost ${formatUsd(cheapest.costUsd)} instead of ${formatUsd(m.costUsd)} (${round((saving / m.costUsd) * 100, 0)}% less, at list prices)`,
      );
    }
    const retires = priceTable.models[m.model]?.retires_on;
    if (retires !== undefined) {
      const daysLeft = Math.round((Date.parse(retires) - Date.parse(today)) / 86_400_000);
      if (daysLeft <= RETIREMENT_NOTICE_DAYS) {
        advice.push(
          daysLeft > 0
            ? `${m.model} retires on ${retires} (in ${daysLeft} days): move its jobs to a model listed in /api/economy/pricing`
            : `${m.model} was retired on ${retires}: move its jobs to a model listed in /api/economy/pricing`,
        );
      }
    }
  }
  const finished = usage.completed + usage.failed + usage.cancelled;
  if (finished > 0 && usage.failed / finished >= 0.1) {
    advice.push(
      `${round((usage.failed / finished) * 100, 0)}% of finished jobs failed this period: check their error codes before retrying, and retry failed jobs (only their failed sections are regenerated) rather than starting new ones`,
    );
  }
  if (usage.qualityN > 0 && usage.qualitySum / usage.qualityN < 75) {
    advice.push(
      `Average quality was ${round(usage.qualitySum / usage.qualityN, 1)}, below 75: set qualityRequirements.minQualityScore so weak sections are regenerated before you pay for follow-up jobs`,
    );
  }
  return { potentialSavings, advice };
}

/** The seed's `/api/economy/stats` `data` for the last `days` days (today included, UTC). */
export async function economyStats(
  owner: string,
  days: number = DEFAULT_PERIOD_DAYS,
  now: Date = new Date(),
) {
  const period = validDays(days);
  const daily = await dailyCounters(owner, period, now);
  const usage = usageOf(sum(daily.map(([, c]) => c)));
  const today = daysEnding(now, 1)[0] as string;
  const { potentialSavings, advice } = recommendationsFor(usage, today);
  const tokens = usage.tokensIn + usage.tokensOut;
  return {
    period: periodLabel(period),
    summary: {
      totalCost: formatUsd(usage.costUsd),
      totalCostRaw: money(usage.costUsd),
      potentialSavings: formatUsd(potentialSavings),
      totalTokens: tokens,
      totalWords: usage.words,
      totalJobs: usage.jobs,
      avgCostPer1kWords: average(usage.costUsd * 1000, usage.words, 6),
      avgTokensPer1kWords: average(tokens * 1000, usage.words, 0),
    },
    dailyUsage: daily.map(([date, counters]) => {
      const day = usageOf(counters);
      return {
        date,
        jobs: day.jobs,
        words: day.words,
        tokens: day.tokensIn + day.tokensOut,
        cost: formatUsd(day.costUsd),
        costRaw: money(day.costUsd),
        avgCostPer1kWords: average(day.costUsd * 1000, day.words, 6),
      };
    }),
    providerBreakdown: modelRows(usage).map((m) => ({
      provider: PROVIDER,
      model: m.model,
      requests: m.finished,
      tokens: m.tokensIn + m.tokensOut,
      totalCost: formatUsd(m.costUsd),
      totalCostRaw: money(m.costUsd),
      avgCostPer1k: formatUsd(
        m.tokensIn + m.tokensOut > 0 ? (m.costUsd * 1000) / (m.tokensIn + m.tokensOut) : 0,
      ),
      avgLatency: average(m.timeSum, m.timeN, 0),
      successRate: `${average(m.completed * 100, m.finished, 0)}%`,
    })),
    recommendations: advice,
  };
}
