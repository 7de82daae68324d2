import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type RateLimiter = typeof import('#platform/gemini/rate-limiter.ts');

let aws: LocalAws;
let limiter: RateLimiter;

beforeAll(async () => {
  aws = await startLocalAws();
  limiter = await import('#platform/gemini/rate-limiter.ts');
});

afterAll(async () => {
  await aws?.stop();
});

/** The most calls any 60-second window (t - 60 s, t] holds, given the calls' start times. */
function busiestMinute(starts: number[]): number {
  const sorted = [...starts].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    const end = sorted[i] ?? 0;
    while (end - (sorted[j] ?? end) >= 60_000) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

describe('rate limiter', () => {
  it('gives 30 concurrent callers distinct slots at least 60 000 / rpm ms apart', async () => {
    const name = `x-${randomUUID()}`;

    const slots = await Promise.all(Array.from({ length: 30 }, () => limiter.reserveSlot(name, 600)));

    const starts = slots.map((s) => s.at).sort((a, b) => a - b);
    assert.equal(new Set(starts).size, 30, 'every caller has its own slot');
    for (let i = 1; i < starts.length; i++) {
      const gap = (starts[i] ?? 0) - (starts[i - 1] ?? 0);
      assert.ok(gap >= 100 - 1e-6, `slots ${i - 1} and ${i} are ${gap} ms apart`);
    }
  });

  it('never lets a 60-second window hold more than rpm calls', async () => {
    const name = `x-${randomUUID()}`;
    const rpm = 12;

    const slots = await Promise.all(Array.from({ length: 30 }, () => limiter.reserveSlot(name, rpm)));

    assert.equal(busiestMinute(slots.map((s) => s.at)), rpm);
  });

  it('spreads rpm slots over 60 s plus the guard, so arrival jitter up to the guard cannot cause a 429', async () => {
    const name = `x-${randomUUID()}`;
    const rpm = 12;

    const slots = await Promise.all(Array.from({ length: rpm + 1 }, () => limiter.reserveSlot(name, rpm)));

    const starts = slots.map((s) => s.at).sort((a, b) => a - b);
    const span = (starts[rpm] ?? 0) - (starts[0] ?? 0);
    assert.ok(span >= 60_000 + limiter.WINDOW_GUARD_MS - 1, `rpm + 1 slots span ${span} ms`);
  });

  it('tells each caller how long to wait for its slot', async () => {
    const name = `x-${randomUUID()}`;
    const before = Date.now();

    const slots = await Promise.all(Array.from({ length: 5 }, () => limiter.reserveSlot(name, 60)));

    const byTime = [...slots].sort((a, b) => a.at - b.at);
    assert.ok(
      (byTime[0]?.waitMs ?? -1) >= 0 && (byTime[0]?.waitMs ?? Infinity) < 1000,
      'the first starts at once',
    );
    assert.ok((byTime[4]?.at ?? 0) >= before + 4 * 1000, 'the fifth waits four intervals');
    for (const slot of slots) assert.ok(slot.waitMs >= 0);
  });

  it('counts a weighted call as its requests: no 60-second window holds more than rpm of them', async () => {
    const name = `x-${randomUUID()}`;
    const rpm = 20;
    const largest = 8;
    // Calls of 1 to 8 requests each (a batch of texts, each counted), reserved concurrently.
    const counts = Array.from({ length: 30 }, (_, i) => 1 + ((i * 5) % largest));

    const slots = await Promise.all(
      counts.map((count) => limiter.reserveSlot(name, rpm, { count, largest })),
    );

    const starts = slots.flatMap((slot, i) => Array.from({ length: counts[i] ?? 0 }, () => slot.at));
    assert.equal(
      starts.length,
      counts.reduce((a, b) => a + b, 0),
    );
    assert.ok(busiestMinute(starts) <= rpm, `a minute holds ${busiestMinute(starts)} requests`);
  });

  it('keeps the one-request interval when every call is one request', async () => {
    const name = `x-${randomUUID()}`;

    const slots = await Promise.all(
      Array.from({ length: 3 }, () => limiter.reserveSlot(name, 600, { count: 1, largest: 1 })),
    );

    const starts = slots.map((s) => s.at).sort((a, b) => a - b);
    assert.ok((starts[2] ?? 0) - (starts[0] ?? 0) < 2 * 101, 'slots 100.4 ms apart, as without a weight');
  });

  it('refuses a call counted as more than a minute of requests', async () => {
    await assert.rejects(
      limiter.reserveSlot(`x-${randomUUID()}`, 10, { count: 11, largest: 11 }),
      RangeError,
    );
    await assert.rejects(limiter.reserveSlot(`x-${randomUUID()}`, 10, { count: 3, largest: 2 }), RangeError);
  });

  it('keeps separate limiters apart', async () => {
    const [a, b] = await Promise.all([
      limiter.reserveSlot(`x-${randomUUID()}`, 1),
      limiter.reserveSlot(`x-${randomUUID()}`, 1),
    ]);

    assert.ok((a?.waitMs ?? Infinity) < 1000 && (b?.waitMs ?? Infinity) < 1000);
  });

  it('waitForSlot sleeps until the reserved slot', async () => {
    const name = `x-${randomUUID()}`;
    await limiter.reserveSlot(name, 200); // takes the first slot: the next is 300 ms later

    const started = Date.now();
    const waited = await limiter.waitForSlot(name, 200);
    const elapsed = Date.now() - started;

    assert.ok(waited > 200, `announced wait ${waited} ms`);
    assert.ok(elapsed >= waited - 5, `slept ${elapsed} ms for an announced ${waited} ms`);
  });

  it("gives a newcomer key's call a slot within a few of the busy keys' slots, not behind every waiting call", async () => {
    const name = `x-${randomUUID()}`;
    const rpm = 120; // slots 502 ms apart
    const interval = (60_000 + limiter.WINDOW_GUARD_MS) / rpm;
    await limiter.reserveSlot(name, rpm, undefined, 'other');
    // Eight waiting calls of a busy key: first come, first served, they would hold the next 8 slots.
    const busy = Array.from({ length: 8 }, () => limiter.reserveSlot(name, rpm, undefined, 'busy'));
    // Long enough for all eight to have reserved, were it first come, first served.
    await new Promise((resolve) => setTimeout(resolve, 300));

    const asked = Date.now();
    const newcomer = await limiter.reserveSlot(name, rpm, undefined, 'newcomer');
    const reserving = Date.now() - asked;
    const busySlots = await Promise.all(busy);

    // Ahead of the newcomer: at most AHEAD_PER_TENANT busy slots, plus one for each interval its
    // own reservation took. First come, first served, all eight would be.
    const before = busySlots.filter((slot) => slot.at < newcomer.at).length;
    const allowed = limiter.AHEAD_PER_TENANT + Math.ceil(reserving / interval);
    assert.ok(allowed < 8, `reserving took ${reserving} ms: too slow to tell`);
    assert.ok(before <= allowed, `${before} busy slots before the newcomer's, more than ${allowed}`);
    // The quota holds: every slot its own, an interval apart (to float precision: epoch ms).
    const starts = [...busySlots, newcomer].map((slot) => slot.at).sort((a, b) => a - b);
    for (let i = 1; i < starts.length; i++)
      assert.ok((starts[i] ?? 0) - (starts[i - 1] ?? 0) >= interval - 0.01, `slots ${i - 1} and ${i}`);
  });

  it('lets a key alone reserve slot after slot without waiting, as without a tenant (a lone job keeps its pace)', async () => {
    const name = `x-${randomUUID()}`;
    const started = Date.now();

    const slots = [];
    for (let i = 0; i < 5; i++) slots.push(await limiter.reserveSlot(name, 60, undefined, 'alone'));

    // Held to two slots ahead, the third call would have waited a second for the first slot.
    assert.ok(Date.now() - started < 900, `reserving took ${Date.now() - started} ms`);
    assert.ok((slots[4]?.at ?? 0) - (slots[0]?.at ?? 0) >= 4 * 1000, 'consecutive slots, an interval apart');
  });
});
