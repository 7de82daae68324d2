import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type RateLimits = typeof import('#content/api/rate-limits.ts');

let aws: LocalAws;
let limits: RateLimits;

beforeAll(async () => {
  aws = await startLocalAws();
  limits = await import('#content/api/rate-limits.ts');
});

afterAll(async () => {
  await aws?.stop();
});

const owner = () => `key-${randomUUID()}`;
/** 2025-01-08T10:00:00Z plus `seconds`, in epoch ms. */
const at = (seconds: number) => Date.UTC(2025, 0, 8, 10, 0, 0) + seconds * 1000;

describe('checkRequestRate', () => {
  it('allows exactly the limit out of 20 concurrent requests', async () => {
    const key = owner();

    const results = await Promise.all(
      Array.from({ length: 20 }, () => limits.checkRequestRate(key, 10, at(5))),
    );

    assert.equal(results.filter((r) => r.allowed).length, 10);
    const remaining = results
      .filter((r) => r.allowed)
      .map((r) => r.remaining)
      .sort((a, b) => a - b);
    assert.deepEqual(remaining, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    for (const refused of results.filter((r) => !r.allowed)) assert.equal(refused.remaining, 0);
  });

  it('starts a new window each minute', async () => {
    const key = owner();
    for (let i = 0; i < 3; i++) assert.equal((await limits.checkRequestRate(key, 3, at(10))).allowed, true);

    const sameMinute = await limits.checkRequestRate(key, 3, at(59.999));
    const nextMinute = await limits.checkRequestRate(key, 3, at(60));

    assert.deepEqual(sameMinute, { allowed: false, limit: 3, remaining: 0, reset: at(60) / 1000 });
    assert.deepEqual(nextMinute, { allowed: true, limit: 3, remaining: 2, reset: at(120) / 1000 });
  });

  it('keeps API keys apart', async () => {
    const [a, b] = [owner(), owner()];
    await limits.checkRequestRate(a, 1, at(0));

    assert.equal((await limits.checkRequestRate(a, 1, at(0))).allowed, false);
    assert.equal((await limits.checkRequestRate(b, 1, at(0))).allowed, true);
  });

  it('lets the window item expire after its window', async () => {
    const key = owner();
    await limits.checkRequestRate(key, 5, at(30));

    const { Item } = await aws.dynamoClient.send(
      new GetItemCommand({
        TableName: aws.tableName,
        Key: { pk: { S: `RL#${key}#${Math.floor(at(30) / 60_000)}` }, sk: { S: 'WINDOW' } },
      }),
    );

    assert.equal(Item?.count?.N, '1');
    assert.equal(Number(Item?.expires_at?.N), at(120) / 1000);
  });

  it('gives the seed rate-limit headers, and Retry-After on a refusal', async () => {
    const key = owner();

    const first = await limits.checkRequestRate(key, 2, at(15));
    await limits.checkRequestRate(key, 2, at(15));
    const refused = await limits.checkRequestRate(key, 2, at(45));

    assert.deepEqual(limits.rateLimitHeaders(first, at(15)), {
      'X-RateLimit-Limit': '2',
      'X-RateLimit-Remaining': '1',
      'X-RateLimit-Reset': String(at(60) / 1000),
    });
    assert.deepEqual(limits.rateLimitHeaders(refused, at(45)), {
      'X-RateLimit-Limit': '2',
      'X-RateLimit-Remaining': '0',
      'X-RateLimit-Reset': String(at(60) / 1000),
      'Retry-After': '15',
    });
    assert.deepEqual(limits.rateLimitExceededDetails(refused), {
      code: 'RATE_LIMIT_EXCEEDED',
      limit: 2,
      reset: '2025-01-08T10:01:00Z',
      suggestion: 'Please wait before making more requests',
    });
  });
});

describe('job slots', () => {
  it('refuses the job over the limit and frees a slot on release', async () => {
    const key = owner();

    const first = await limits.acquireJobSlot(key, 'job-1', 2);
    const second = await limits.acquireJobSlot(key, 'job-2', 2);
    const third = await limits.acquireJobSlot(key, 'job-3', 2);
    const left = await limits.releaseJobSlot(key, 'job-1');
    const retried = await limits.acquireJobSlot(key, 'job-3', 2);

    assert.deepEqual(first, { allowed: true, active: 1, limit: 2 });
    assert.deepEqual(second, { allowed: true, active: 2, limit: 2 });
    assert.deepEqual(third, { allowed: false, active: 2, limit: 2 });
    assert.equal(left, 1);
    assert.deepEqual(retried, { allowed: true, active: 2, limit: 2 });
    assert.deepEqual(await limits.activeJobs(key), ['job-2', 'job-3']);
  });

  it('counts a job acquired twice once, even at the limit', async () => {
    const key = owner();

    await limits.acquireJobSlot(key, 'job-1', 2);
    const again = await limits.acquireJobSlot(key, 'job-1', 2);
    const other = await limits.acquireJobSlot(key, 'job-2', 2);
    const atLimitAgain = await limits.acquireJobSlot(key, 'job-2', 2);

    assert.deepEqual(again, { allowed: true, active: 1, limit: 2 });
    assert.deepEqual(other, { allowed: true, active: 2, limit: 2 });
    assert.deepEqual(atLimitAgain, { allowed: true, active: 2, limit: 2 });
  });

  it('lets exactly the limit through out of 20 concurrent jobs', async () => {
    const key = owner();

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => limits.acquireJobSlot(key, `job-${i}`, 10)),
    );

    assert.equal(results.filter((r) => r.allowed).length, 10);
    assert.equal((await limits.activeJobs(key)).length, 10);
  });

  it('releasing a job without a slot changes nothing', async () => {
    const key = owner();
    await limits.acquireJobSlot(key, 'job-1', 2);

    assert.equal(await limits.releaseJobSlot(key, 'job-unknown'), 1);
    assert.equal(await limits.releaseJobSlot(owner(), 'job-1'), 0);
    assert.deepEqual(await limits.activeJobs(key), ['job-1']);
  });

  it('reclaims the slots of jobs that ended without a release', async () => {
    const key = owner();
    await limits.acquireJobSlot(key, 'job-1', 2);
    await limits.acquireJobSlot(key, 'job-2', 2);
    const asked: string[][] = [];

    const slot = await limits.acquireJobSlot(key, 'job-3', 2, {
      reclaim: async (ids) => {
        asked.push(ids);
        return ['job-1'];
      },
    });

    assert.deepEqual(asked, [['job-1', 'job-2']]);
    assert.deepEqual(slot, { allowed: true, active: 2, limit: 2 });
    assert.deepEqual(await limits.activeJobs(key), ['job-2', 'job-3']);
  });

  it('stays refused when every held job is still running', async () => {
    const key = owner();
    await limits.acquireJobSlot(key, 'job-1', 1);

    const slot = await limits.acquireJobSlot(key, 'job-2', 1, { reclaim: async () => [] });

    assert.deepEqual(slot, { allowed: false, active: 1, limit: 1 });
  });
});
