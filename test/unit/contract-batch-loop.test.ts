/**
 * The batch loop's looks back off and its worst case fits Step Functions' 25,000 history events.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import {
  BATCH_HISTORY_EVENT_BUDGET,
  BATCH_MAX_ROUNDS,
  type BatchPolling,
  EVENTS_PER_POLL,
  nextPollSeconds,
  worstCaseBatchEvents,
  worstCasePolls,
} from '#contract/batch-loop.ts';
import { DEFAULTS } from '#platform/config.ts';

const DEFAULT_POLLING: BatchPolling = {
  batchPollSeconds: DEFAULTS.batchPollSeconds,
  batchPollMaxSeconds: DEFAULTS.batchPollMaxSeconds,
  batchWindowSeconds: DEFAULTS.batchWindowSeconds,
};

/** The looks one round takes when its batch runs `seconds`, as the loop makes them. */
function looksOfARound(seconds: number, polling: BatchPolling): number[] {
  const waits: number[] = [];
  for (let since = 0; since < seconds; ) {
    const wait = nextPollSeconds(since, polling);
    waits.push(wait);
    since += wait;
  }
  return waits;
}

describe('the batch loop', () => {
  it('waits batchPollSeconds first, then as long as the batch has run, doubling up to batchPollMaxSeconds', () => {
    assert.deepEqual(
      looksOfARound(3600, DEFAULT_POLLING).slice(0, 8),
      [60, 60, 120, 240, 480, 900, 900, 900],
    );
  });

  it('looks at a day-long batch about a hundred times instead of 1,440', () => {
    const looks = looksOfARound(24 * 3600, DEFAULT_POLLING).length;
    assert.ok(looks < 110, `${looks} looks`);
  });

  it('counts no fewer looks than a job of BATCH_MAX_ROUNDS rounds can take within its window', () => {
    // Rounds that share the window evenly, each looked at until its batch is done.
    for (const polling of [
      DEFAULT_POLLING,
      { batchPollSeconds: 1, batchPollMaxSeconds: 2, batchWindowSeconds: 30 },
    ]) {
      const perRound = polling.batchWindowSeconds / BATCH_MAX_ROUNDS;
      const looks = BATCH_MAX_ROUNDS * looksOfARound(perRound, polling).length;
      assert.ok(looks <= worstCasePolls(polling), `${looks} > ${worstCasePolls(polling)}`);
    }
  });

  it('fits the default settings in the history budget; a look every 60 s for the window would not', () => {
    assert.ok(worstCaseBatchEvents(DEFAULT_POLLING) < BATCH_HISTORY_EVENT_BUDGET / 4);
    // As the loop was: 60 s between looks, however long the batch ran.
    const fixed = { ...DEFAULT_POLLING, batchPollMaxSeconds: 60 };
    assert.ok(worstCaseBatchEvents(fixed) > 25_000, String(worstCaseBatchEvents(fixed)));
    assert.equal(EVENTS_PER_POLL, 9);
  });
});
