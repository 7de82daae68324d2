/**
 * The seed's usage views, `/api/stats`, `/api/analytics?days=` and `/api/economy/stats?days=`,
 * computed from the per-day and all-time counters of usage-stats.ts.
 */
import { InvalidRequest } from '#platform/errors.ts';
import { priceTable, type Rate, rateAt, servingModel } from '#platform/gemini/pricing.ts';
import {
  dailyCounters,
  daysEnding,
  MAX_PERIOD_DAYS,
  QUALITY_LEVELS,
  sum,
  totalCounters,
  type Usage,
  usageOf,
} from './usage-stats.ts';

export const DEFAULT_PERIOD_DAYS = 7;
const PROVIDER = 'google';

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
  const [totals, days] = await Promise.all([
    totalCounters(owner),
    dailyCounters(owner, validDays(options.trendDays ?? DEFAULT_PERIOD_DAYS), now),
  ]);
  const total = usageOf(totals);
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
  for (const [model, entry] of Object.entries(priceTable.models)) {
    if (entry.retires_on !== undefined && entry.retires_on <= day) continue;
    const price = rateAt(servingModel(model), day) as Rate;
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
