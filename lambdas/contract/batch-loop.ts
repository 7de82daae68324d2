/**
 * Batch mode's loop in the state machine ("Run batch round" → "Batch done?" → "Wait for batch" →
 * "Run batch round" ...) and what bounds it. Every look at a batch writes history events, and a
 * Standard execution fails at 25,000 of them ("Maximum execution history size",
 * https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html), so the looks back off
 * and the loop ends: after BATCH_MAX_ROUNDS rounds, and once the job's batch window has passed.
 * `lib/settings.ts` refuses settings whose worst case would not fit.
 */

/**
 * Rounds a batch-mode job may submit. A chunk asks for another round only while it is short of
 * questions (at most 4 answered calls, MAX_CALLS_PER_CHUNK) or its request failed as a whole (at
 * most 3 times, batch-round.ts MAX_FAILED_REQUESTS): 7 rounds at worst, one more to spare.
 */
export const BATCH_MAX_ROUNDS = 8;

/**
 * History events one look at a batch writes: "Run batch round" (TaskStateEntered,
 * LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionSucceeded, TaskStateExited),
 * "Batch done?" (ChoiceStateEntered, ChoiceStateExited) and "Wait for batch" (WaitStateEntered,
 * WaitStateExited).
 */
export const EVENTS_PER_POLL = 9;

/** Events of the rest of an execution: start and end, plan, mode choice, collect, assemble, finalize. */
const EVENTS_OUTSIDE_THE_LOOP = 30;

/**
 * The share of AWS's 25,000 events the batch loop may plan for: the rest covers what the worst
 * case does not count (a retried "Run batch round" writes 3 more events per retry).
 */
export const BATCH_HISTORY_EVENT_BUDGET = 20_000;

export interface BatchPolling {
  /** First wait between looks at a batch. */
  batchPollSeconds: number;
  /** Longest wait between two looks. */
  batchPollMaxSeconds: number;
  /** How long a job may spend in batch rounds from its first submission. */
  batchWindowSeconds: number;
}

/**
 * Seconds to wait before the next look at a batch submitted `sinceSubmitSeconds` ago: as long as
 * it has run so far, between the first wait and the longest. A round's waits so double from
 * batchPollSeconds (60 s, 60 s, 120 s, 240 s, 480 s, then 900 s by default): quick answers are
 * seen soon, a batch that takes its day costs about a hundred looks instead of 1,440.
 */
export function nextPollSeconds(sinceSubmitSeconds: number, polling: BatchPolling): number {
  const since = Math.max(0, Math.round(sinceSubmitSeconds));
  return Math.min(polling.batchPollMaxSeconds, Math.max(polling.batchPollSeconds, since));
}

/**
 * The most looks a job's batch rounds can take: in each round the waits shorter than the longest
 * one (they double) and one look past the window, and as many of the longest waits as the window
 * holds.
 */
export function worstCasePolls(polling: BatchPolling, rounds = BATCH_MAX_ROUNDS): number {
  const { batchPollSeconds: first, batchPollMaxSeconds: longest, batchWindowSeconds: window } = polling;
  let shortWaits = 0;
  for (let wait = first; wait < longest; wait = Math.max(wait * 2, first + 1)) shortWaits += 1;
  // The first two waits are equal (the round has run for `first` seconds at the second look).
  if (shortWaits > 0) shortWaits += 1;
  return rounds * (shortWaits + 1) + Math.ceil(window / longest);
}

/** History events of a batch-mode execution at worst: every look, every submission, the rest. */
export function worstCaseBatchEvents(polling: BatchPolling, rounds = BATCH_MAX_ROUNDS): number {
  return EVENTS_PER_POLL * (worstCasePolls(polling, rounds) + rounds) + EVENTS_OUTSIDE_THE_LOOP;
}
