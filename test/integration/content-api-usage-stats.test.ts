import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type UsageStats = typeof import('#content/api/usage-stats.ts') &
  typeof import('#content/api/usage-reports.ts');
type JobFinishedEvent = import('#content/api/usage-stats.ts').JobFinishedEvent;
type Clients = typeof import('#platform/clients.ts');

let aws: LocalAws;
let stats: UsageStats;
let clients: Clients;

beforeAll(async () => {
  aws = await startLocalAws();
  stats = {
    ...(await import('#content/api/usage-stats.ts')),
    ...(await import('#content/api/usage-reports.ts')),
  };
  clients = await import('#platform/clients.ts');
});

afterAll(async () => {
  await aws?.stop();
});

const owner = () => `key-${randomUUID()}`;
const capabilities = { maxConcurrentJobs: 10, defaultModel: 'gemini-3.8-flash', qualityThreshold: 75 };

function done(at: string, overrides: Partial<JobFinishedEvent> = {}): JobFinishedEvent {
  return {
    type: 'finished',
    status: 'completed',
    structureType: 'course',
    words: 1000,
    tokens: { input: 1000, output: 3000 },
    costUsd: 0.1,
    qualityScore: 90,
    processingTimeMs: 20_000,
    model: 'gemini-3.8-flash',
    at,
    ...overrides,
  };
}

const created = (at: string, structureType = 'course') => ({ type: 'created' as const, structureType, at });

async function record(key: string, events: Parameters<UsageStats['recordJobEvent']>[1][]) {
  for (const event of events) await stats.recordJobEvent(key, event);
}

/** The DynamoDB commands `fn` sends, by name. */
async function commandsSentBy(fn: () => Promise<unknown>): Promise<string[]> {
  const sent: string[] = [];
  const original = clients.dynamo.send.bind(clients.dynamo);
  clients.dynamo.send = ((command: { constructor: { name: string } }, ...rest: unknown[]) => {
    sent.push(command.constructor.name);
    return (original as (...args: unknown[]) => unknown)(command, ...rest);
  }) as typeof clients.dynamo.send;
  try {
    await fn();
  } finally {
    clients.dynamo.send = original;
  }
  return sent;
}

describe('statsOverview', () => {
  it('gives exact aggregates of events over several days', async () => {
    const key = owner();
    await record(key, [
      created('2025-01-06T09:00:00Z'),
      created('2025-01-06T09:05:00Z'),
      done('2025-01-06T09:10:00Z', { qualityScore: 92 }),
      done('2025-01-06T09:20:00Z', {
        status: 'failed',
        words: 0,
        tokens: { input: 500, output: 0 },
        costUsd: 0.0004,
        qualityScore: null,
        processingTimeMs: 5000,
      }),
      created('2025-01-08T08:00:00Z', 'quiz'),
      created('2025-01-08T08:30:00Z'),
      done('2025-01-08T08:01:00Z', {
        structureType: 'quiz',
        words: 500,
        tokens: { input: 200, output: 800 },
        costUsd: 0.02,
        qualityScore: 70,
        processingTimeMs: 10_000,
        model: 'gemini-2.5-flash-lite',
      }),
    ]);

    const data = await stats.statsOverview(key, capabilities, { now: new Date('2025-01-08T12:00:00Z') });

    assert.deepEqual(data.overview, {
      total_jobs: 4,
      completed_jobs: 2,
      failed_jobs: 1,
      active_jobs: 1,
      total_words_generated: 1500,
      total_tokens_used: 5500,
      total_cost: 0.1204,
      avg_quality_score: 81,
      avg_processing_time: 15_000,
    });
    assert.deepEqual(
      data.recentTrends.map((d) => d.date),
      ['2025-01-02', '2025-01-03', '2025-01-04', '2025-01-05', '2025-01-06', '2025-01-07', '2025-01-08'],
    );
    assert.deepEqual(data.recentTrends[4], {
      date: '2025-01-06',
      total_jobs: 2,
      successful_jobs: 1,
      failed_jobs: 1,
      total_words_generated: 1000,
      total_tokens_used: 4500,
      total_cost_usd: 0.1004,
      avg_quality_score: 92,
    });
    assert.deepEqual(data.recentTrends[5], {
      date: '2025-01-07',
      total_jobs: 0,
      successful_jobs: 0,
      failed_jobs: 0,
      total_words_generated: 0,
      total_tokens_used: 0,
      total_cost_usd: 0,
      avg_quality_score: 0,
    });
    assert.deepEqual(data.structureTypes, [
      { structure_type: 'course', count: 3, avg_words: 500, avg_quality: 92, avg_cost: 0.0502 },
      { structure_type: 'quiz', count: 1, avg_words: 500, avg_quality: 70, avg_cost: 0.02 },
    ]);
    assert.deepEqual(data.capabilities, capabilities);
    assert.deepEqual(data.topTemplates, []);
  });

  it('adds up 20 concurrent finished events exactly', async () => {
    const key = owner();

    await Promise.all(
      Array.from({ length: 20 }, () =>
        stats.recordJobEvent(
          key,
          done('2025-01-08T10:00:00Z', {
            costUsd: 0.1,
            words: 123,
            tokens: { input: 10, output: 20 },
            qualityScore: 85,
          }),
        ),
      ),
    );

    const now = new Date('2025-01-08T23:59:59Z');
    const overview = (await stats.statsOverview(key, capabilities, { now })).overview;
    const analytics = await stats.analytics(key, 1, now);
    assert.equal(overview.completed_jobs, 20);
    assert.equal(overview.total_cost, 2);
    assert.equal(overview.total_words_generated, 2460);
    assert.equal(overview.total_tokens_used, 600);
    assert.equal(overview.avg_quality_score, 85);
    assert.deepEqual(analytics.summary, { totalJobs: 0, totalWords: 2460, totalCost: 2, avgQuality: 85 });
    assert.deepEqual(analytics.qualityDistribution[1], { quality_level: 'good', count: 20 });
  });

  it('reads one item and one day range, never a scan', async () => {
    const key = owner();
    await record(key, [created('2025-01-08T10:00:00Z'), done('2025-01-08T10:01:00Z')]);
    const now = new Date('2025-01-08T12:00:00Z');

    const sent = await commandsSentBy(async () => {
      await stats.statsOverview(key, capabilities, { now });
      await stats.analytics(key, 30, now);
      await stats.economyStats(key, 30, now);
    });

    assert.deepEqual(sent.sort(), ['GetCommand', 'QueryCommand', 'QueryCommand', 'QueryCommand']);
  });
});

describe('analytics', () => {
  it('compares the period with the one before it', async () => {
    const key = owner();
    // Previous period (Jan 5-7): 4 jobs, 1000 words, $0.20, quality 80.
    await record(key, [
      ...Array.from({ length: 4 }, () => created('2025-01-05T10:00:00Z')),
      done('2025-01-06T10:00:00Z', { words: 600, costUsd: 0.15, qualityScore: 70 }),
      done('2025-01-07T10:00:00Z', { words: 400, costUsd: 0.05, qualityScore: 90 }),
    ]);
    // This period (Jan 8-10): 5 jobs, 1500 words, $0.10, quality 88.
    await record(key, [
      ...Array.from({ length: 5 }, () => created('2025-01-09T10:00:00Z')),
      done('2025-01-08T10:00:00Z', {
        words: 1500,
        costUsd: 0.06,
        qualityScore: 88,
        processingTimeMs: 30_000,
      }),
      done('2025-01-10T10:00:00Z', {
        status: 'failed',
        words: 0,
        costUsd: 0.04,
        qualityScore: null,
        model: 'gemini-2.5-flash',
      }),
    ]);

    const data = await stats.analytics(key, 3, new Date('2025-01-10T18:00:00Z'));

    assert.equal(data.period, '3 days');
    assert.deepEqual(data.trends, { jobs: 25, words: 50, cost: -50, quality: 10 });
    assert.deepEqual(data.dailyMetrics, [
      {
        date: '2025-01-08',
        total_jobs: 0,
        total_words_generated: 1500,
        total_cost_usd: 0.06,
        avg_quality_score: 88,
        avg_generation_time_ms: 30_000,
      },
      {
        date: '2025-01-09',
        total_jobs: 5,
        total_words_generated: 0,
        total_cost_usd: 0,
        avg_quality_score: 0,
        avg_generation_time_ms: 0,
      },
      {
        date: '2025-01-10',
        total_jobs: 0,
        total_words_generated: 0,
        total_cost_usd: 0.04,
        avg_quality_score: 0,
        avg_generation_time_ms: 0,
      },
    ]);
    assert.deepEqual(data.providerBreakdown, [
      {
        provider: 'google',
        model: 'gemini-2.5-flash',
        usage_count: 1,
        total_tokens: 4000,
        total_cost: 0.04,
        avg_latency: 0,
        success_rate: 0,
      },
      {
        provider: 'google',
        model: 'gemini-3.8-flash',
        usage_count: 1,
        total_tokens: 4000,
        total_cost: 0.06,
        avg_latency: 30_000,
        success_rate: 100,
      },
    ]);
    assert.deepEqual(data.summary, { totalJobs: 5, totalWords: 1500, totalCost: 0.1, avgQuality: 88 });
  });

  it('distributes quality over the seed buckets, completed jobs only', async () => {
    const key = owner();
    const at = '2025-01-08T10:00:00Z';
    await record(key, [
      ...[100, 90, 89.9, 75, 74.9, 60, 59.9, 10].map((q) => done(at, { qualityScore: q })),
      done(at, { status: 'failed', qualityScore: 95 }),
      done(at, { status: 'cancelled', qualityScore: 95 }),
      done(at, { qualityScore: null }),
    ]);

    const data = await stats.analytics(key, 7, new Date('2025-01-08T12:00:00Z'));

    assert.deepEqual(data.qualityDistribution, [
      { quality_level: 'excellent', count: 2 },
      { quality_level: 'good', count: 2 },
      { quality_level: 'acceptable', count: 2 },
      { quality_level: 'poor', count: 2 },
    ]);
    assert.equal(data.summary.avgQuality, round1((100 + 90 + 89.9 + 75 + 74.9 + 60 + 59.9 + 10) / 8));
  });

  it('ignores days before the previous period and after today', async () => {
    const key = owner();
    // This period is Jan 1-7, the previous one Dec 25-31.
    await record(key, [
      created('2024-12-24T23:59:59Z'), // before both
      created('2024-12-25T00:00:00Z'),
      created('2024-12-31T23:59:59Z'),
      created('2025-01-01T00:00:00Z'),
      created('2025-01-07T23:59:59Z'),
      created('2025-01-08T00:00:00Z'), // tomorrow
      done('2025-01-08T00:00:00Z'),
    ]);

    const data = await stats.analytics(key, 7, new Date('2025-01-07T12:00:00Z'));
    const economy = await stats.economyStats(key, 7, new Date('2025-01-07T12:00:00Z'));

    assert.equal(data.summary.totalJobs, 2);
    assert.equal(data.summary.totalWords, 0);
    assert.deepEqual(data.trends, { jobs: 0, words: 0, cost: 0, quality: 0 }, '2 jobs before, 2 now');
    assert.equal(data.dailyMetrics.length, 7);
    assert.equal(data.dailyMetrics[0]?.date, '2025-01-01');
    assert.equal(economy.summary.totalJobs, 2);
    assert.equal(economy.summary.totalCostRaw, 0);
  });

  it('refuses a period that is not 1 to 365 whole days', async () => {
    for (const days of [0, 366, 1.5, Number.NaN]) {
      await assert.rejects(stats.analytics(owner(), days), { name: 'InvalidRequest', statusCode: 400 });
      await assert.rejects(stats.economyStats(owner(), days), { name: 'InvalidRequest', statusCode: 400 });
    }
  });
});

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

describe('economyStats', () => {
  it('reports cost in the seed format, with savings from a cheaper model in the price table', async () => {
    const key = owner();
    // 1M tokens each way on gemini-3.8-flash: $0.75 + $3.75 at list prices.
    await record(key, [
      created('2025-01-07T10:00:00Z'),
      created('2025-01-08T10:00:00Z'),
      done('2025-01-07T10:05:00Z', {
        words: 600_000,
        tokens: { input: 600_000, output: 600_000 },
        costUsd: 2.7,
        processingTimeMs: 30_000,
      }),
      done('2025-01-08T10:05:00Z', {
        words: 150_000,
        tokens: { input: 400_000, output: 400_000 },
        costUsd: 1.8,
        processingTimeMs: 10_000,
      }),
    ]);

    const data = await stats.economyStats(key, 7, new Date('2025-01-08T12:00:00Z'));

    assert.equal(data.period, '7 days');
    // gemini-2.5-flash-lite: $0.10 + $0.40 for the same tokens, so $4.00 less.
    assert.deepEqual(data.summary, {
      totalCost: '$4.50',
      totalCostRaw: 4.5,
      potentialSavings: '$4.00',
      totalTokens: 2_000_000,
      totalWords: 750_000,
      totalJobs: 2,
      avgCostPer1kWords: 0.006,
      avgTokensPer1kWords: 2667,
    });
    assert.deepEqual(data.dailyUsage.at(-1), {
      date: '2025-01-08',
      jobs: 1,
      words: 150_000,
      tokens: 800_000,
      cost: '$1.80',
      costRaw: 1.8,
      avgCostPer1kWords: 0.012,
    });
    assert.equal(data.dailyUsage.length, 7);
    assert.deepEqual(data.providerBreakdown, [
      {
        provider: 'google',
        model: 'gemini-3.8-flash',
        requests: 2,
        tokens: 2_000_000,
        totalCost: '$4.50',
        totalCostRaw: 4.5,
        avgCostPer1k: '$0.00225',
        avgLatency: 20_000,
        successRate: '100%',
      },
    ]);
    assert.equal(data.recommendations.length, 1);
    assert.match(data.recommendations[0] ?? '', /gemini-2\.5-flash-lite instead of gemini-3\.8-flash/);
    assert.match(data.recommendations[0] ?? '', /\$0\.50 instead of \$4\.50 \(89% less/);
  });

  it('warns about a retiring model, many failures and low quality', async () => {
    const key = owner();
    const at = '2026-11-01T10:00:00Z';
    await record(key, [
      done(at, { model: 'gemini-2.5-flash-lite', qualityScore: 60, costUsd: 0.0004 }),
      done(at, { model: 'gemini-2.5-flash', status: 'failed', qualityScore: null, costUsd: 0 }),
    ]);

    const data = await stats.economyStats(key, 7, new Date(at));

    assert.equal(data.summary.potentialSavings, '$0.00');
    assert.deepEqual(
      data.recommendations.map((r) => r.split(':')[0]),
      [
        'gemini-2.5-flash retires on 2026-12-01 (in 30 days)',
        '50% of finished jobs failed this period',
        'Average quality was 60, below 75',
      ],
    );
  });

  it('has nothing to recommend without usage', async () => {
    const data = await stats.economyStats(owner(), 7, new Date('2025-01-08T12:00:00Z'));

    assert.deepEqual(data.recommendations, []);
    assert.equal(data.summary.totalCost, '$0.00');
    assert.equal(data.summary.avgCostPer1kWords, 0);
  });
});
