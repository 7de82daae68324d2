/**
 * The fair-queue rule of the local SQS (local/sqs-fair-queue.ts), as "How Amazon SQS fair
 * queues work" in the SQS Developer Guide states it: which tenants' ready messages wait.
 */
import { describe, expect, it } from 'vitest';
import {
  FairQueueState,
  type LocalQueue,
  makeFair,
  NOISY_MIN_IN_FLIGHT,
  QUIET_AFTER_MS,
  type QueuedMessage,
} from '../../local/sqs-fair-queue.ts';

function clock() {
  let now = 1_000_000;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const inFlight = (tenant: string | undefined, count: number): QueuedMessage[] =>
  Array.from({ length: count }, () => ({ tenant, inFlight: true, ready: false }));
const ready = (tenant: string | undefined, count = 1): QueuedMessage[] =>
  Array.from({ length: count }, () => ({ tenant, inFlight: false, ready: true }));

describe('fair queue: which tenants wait', () => {
  it('holds back a tenant with 30 or more in flight and over 10% of them (concurrency share)', () => {
    const state = new FairQueueState(clock().now);
    const queue = [...inFlight('big', NOISY_MIN_IN_FLIGHT), ...ready('big', 5), ...ready('small')];
    expect([...state.heldBack(queue)]).toEqual(['big']);
  });

  it('does not hold back a tenant with fewer than 30 in flight and no processing time yet', () => {
    const state = new FairQueueState(clock().now);
    const queue = [...inFlight('big', NOISY_MIN_IN_FLIGHT - 1), ...ready('big', 5), ...ready('small')];
    expect(state.heldBack(queue).size).toBe(0);
  });

  it('holds back a tenant over 10% of recent processing time, with few in flight (processing-time share)', () => {
    const time = clock();
    const state = new FairQueueState(time.now);
    const busy = [...inFlight('big', 2), ...ready('big', 3)];
    state.heldBack(busy);
    time.advance(5_000);
    // Ten seconds of processing for the big tenant, none for the newcomer.
    expect([...state.heldBack([...busy, ...ready('newcomer')])]).toEqual(['big']);
    expect(state.processingShare('big')).toBe(1);
  });

  it('lets the noisy tenant with the fewest in flight go first when no quiet tenant is ready', () => {
    const time = clock();
    const state = new FairQueueState(time.now);
    const queue = [...inFlight('a', 6), ...inFlight('b', 4), ...ready('a', 3), ...ready('b', 3)];
    state.heldBack(queue);
    time.advance(2_000);
    expect([...state.heldBack(queue)]).toEqual(['a']);
  });

  it('delivers a lone tenant as usual: nothing is held when nothing else is ready', () => {
    const time = clock();
    const state = new FairQueueState(time.now);
    const queue = [...inFlight('lone', 40), ...ready('lone', 40)];
    state.heldBack(queue);
    time.advance(10_000);
    expect(state.heldBack(queue).size).toBe(0);
  });

  it('counts a message without MessageGroupId as a quiet tenant of its own', () => {
    const time = clock();
    const state = new FairQueueState(time.now);
    const busy = [...inFlight('big', 2), ...ready('big', 3)];
    state.heldBack(busy);
    time.advance(1_000);
    expect([...state.heldBack([...busy, ...ready(undefined)])]).toEqual(['big']);
  });

  it('treats a tenant that has sent nothing for 5 minutes as quiet again', () => {
    const time = clock();
    const state = new FairQueueState(time.now);
    state.sent('big');
    const busy = [...inFlight('big', 2), ...ready('big', 3)];
    state.heldBack(busy);
    time.advance(QUIET_AFTER_MS - 1);
    expect(state.heldBack([...busy, ...ready('other')]).has('big')).toBe(true);
    time.advance(1);
    expect(state.heldBack([...busy, ...ready('other')]).has('big')).toBe(false);
  });

  it('forgets processing time after a few minutes (a recent share, not a total)', () => {
    const time = clock();
    const state = new FairQueueState(time.now);
    state.heldBack([...inFlight('old', 5)]);
    time.advance(10_000);
    state.heldBack([...inFlight('old', 5)]);
    // Old work ends; a new tenant works for a while: the old one's share fades.
    for (let i = 0; i < 60; i++) {
      time.advance(10_000);
      state.heldBack([...inFlight('new', 1)]);
    }
    expect(state.processingShare('old')).toBeLessThan(0.1);
  });
});

describe('fair queue on a local-aws-sqs queue', () => {
  /** A queue shaped as local-aws-sqs 2.x keeps its messages (see makeFair). */
  function fakeQueue(fifo = false) {
    const queue: LocalQueue = {
      FifoQueue: fifo,
      newRecord: (record: unknown) =>
        ({ visible: true, delayed: false, record, tmRetention: 'timer' }) as ReturnType<
          LocalQueue['newRecord']
        >,
    };
    const send = (group?: string) =>
      queue.newRecord({ attributes: group === undefined ? {} : { MessageGroupId: group } }, 0);
    return { queue, send };
  }

  it("answers `delayed` for a noisy tenant's ready messages while a quiet tenant's are ready", () => {
    const { queue, send } = fakeQueue();
    makeFair(queue, new FairQueueState(clock().now));
    const busy = Array.from({ length: NOISY_MIN_IN_FLIGHT }, () => send('busy'));
    for (const entry of busy) entry.visible = false;
    const waiting = send('busy');
    const quiet = send('quiet');
    expect(waiting.delayed).toBe(true);
    expect(quiet.delayed).toBe(false);
  });

  it('stops counting a message once local-aws-sqs removes it (it reads tmRetention only then)', () => {
    const { queue, send } = fakeQueue();
    makeFair(queue, new FairQueueState(clock().now));
    const busy = Array.from({ length: NOISY_MIN_IN_FLIGHT }, () => send('busy'));
    for (const entry of busy) entry.visible = false;
    const waiting = send('busy');
    send('quiet');
    expect(waiting.delayed).toBe(true);
    expect(busy[0]?.tmRetention).toBe('timer');
    expect(waiting.delayed).toBe(false);
  });

  it("keeps a message's own delay", () => {
    const { queue, send } = fakeQueue();
    makeFair(queue, new FairQueueState(clock().now));
    const entry = send('a');
    entry.delayed = true;
    expect(entry.delayed).toBe(true);
    entry.delayed = false;
    expect(entry.delayed).toBe(false);
  });

  it('leaves FIFO queues alone', () => {
    const { queue } = fakeQueue(true);
    const newRecord = queue.newRecord;
    makeFair(queue);
    expect(queue.newRecord).toBe(newRecord);
  });
});
