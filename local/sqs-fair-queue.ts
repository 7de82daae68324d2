/**
 * Fair-queue delivery for the local SQS, as "How Amazon SQS fair queues work" (SQS Developer
 * Guide, https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-fair-queues-detailed.html,
 * read December 2026) describes it:
 *
 * - A standard queue is fair as soon as messages carry a `MessageGroupId`: it names the tenant.
 *   A message without one is a tenant of its own.
 * - A tenant is noisy when it holds more than 10% of the queue's in-flight messages *and* at
 *   least 30 of its own are in flight (concurrency share), or when its recent share of the
 *   consumers' processing time exceeds 10% (processing-time share). The guide calls both
 *   thresholds approximate.
 * - While a quiet tenant has a message ready, consumers get it before any noisy tenant's; when
 *   only noisy tenants have messages ready, the one with the fewest in flight goes first. Noisy
 *   tenants' messages are neither dropped nor throttled, only delivered later.
 * - A tenant stops being noisy when its backlog is drained or it has sent nothing for 5 minutes.
 *
 * The guide gives no figure for "recent": here processing time decays with a time constant of
 * one minute. Processing time is time in flight (received, not yet deleted or visible again),
 * which is what a consumer spends on the message. The stand-in is exact where SQS is
 * approximate. Tenants without a `MessageGroupId` hold one message each: they never reach the
 * concurrency threshold, and their processing time is not tracked, so they are never noisy here.
 *
 * `FairQueueState` is the rule, free of any queue; `makeFair` applies it to a local-aws-sqs
 * queue (see there for how).
 */

/** A tenant above this share of in-flight messages or of processing time may be noisy. */
export const NOISY_SHARE = 0.1;
/** ...and, for the in-flight share, only with at least this many of its own in flight. */
export const NOISY_MIN_IN_FLIGHT = 30;
/** A tenant that has sent nothing for this long is quiet again. */
export const QUIET_AFTER_MS = 5 * 60_000;
/** Time constant of the "recent" processing time (the guide gives none). */
export const PROCESSING_TIME_CONSTANT_MS = 60_000;

/** What the rule needs to know of one message the queue holds. */
export interface QueuedMessage {
  /** Its MessageGroupId; undefined for a message that is a tenant of its own. */
  tenant: string | undefined;
  /** Received and neither deleted nor visible again. */
  inFlight: boolean;
  /** Visible and past its delay: a receive could return it. */
  ready: boolean;
}

export class FairQueueState {
  /** Decayed milliseconds in flight, by tenant. */
  private readonly processing = new Map<string, number>();
  private readonly lastSent = new Map<string, number>();
  private lastSample: number | undefined;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** A message of `tenant` was sent. */
  sent(tenant: string | undefined): void {
    if (tenant !== undefined) this.lastSent.set(tenant, this.now());
  }

  /** The tenant's recent share of processing time, 0 to 1. */
  processingShare(tenant: string): number {
    let total = 0;
    for (const value of this.processing.values()) total += value;
    return total > 0 ? (this.processing.get(tenant) ?? 0) / total : 0;
  }

  /** Adds the time in flight since the last sample, with older time decayed. */
  private sample(inFlight: ReadonlyMap<string, number>): void {
    const now = this.now();
    const elapsed = this.lastSample === undefined ? 0 : Math.max(0, now - this.lastSample);
    this.lastSample = now;
    const decay = Math.exp(-elapsed / PROCESSING_TIME_CONSTANT_MS);
    for (const [tenant, value] of this.processing) {
      const next = value * decay;
      if (next < 1 && !inFlight.has(tenant)) this.processing.delete(tenant);
      else this.processing.set(tenant, next);
    }
    for (const [tenant, count] of inFlight) {
      this.processing.set(tenant, (this.processing.get(tenant) ?? 0) + count * elapsed);
    }
  }

  private noisy(tenant: string, inFlight: ReadonlyMap<string, number>, totalInFlight: number): boolean {
    const sent = this.lastSent.get(tenant);
    if (sent !== undefined && this.now() - sent >= QUIET_AFTER_MS) return false;
    const own = inFlight.get(tenant) ?? 0;
    const concurrency = totalInFlight > 0 && own / totalInFlight > NOISY_SHARE && own >= NOISY_MIN_IN_FLIGHT;
    return concurrency || this.processingShare(tenant) > NOISY_SHARE;
  }

  /**
   * The tenants whose ready messages must wait now: every noisy tenant while a quiet one has a
   * message ready, otherwise the noisy tenants with more in flight than the least busy of them.
   * Call it whenever the queue is read; each call also samples the time in flight.
   */
  heldBack(messages: Iterable<QueuedMessage>): Set<string> {
    const inFlight = new Map<string, number>();
    const ready = new Set<string>();
    let totalInFlight = 0;
    let quietReady = false;
    for (const message of messages) {
      if (message.inFlight) {
        totalInFlight++;
        if (message.tenant !== undefined)
          inFlight.set(message.tenant, (inFlight.get(message.tenant) ?? 0) + 1);
      }
      if (message.ready) {
        if (message.tenant === undefined) quietReady = true;
        else ready.add(message.tenant);
      }
    }
    this.sample(inFlight);
    const noisy = [...ready].filter((tenant) => this.noisy(tenant, inFlight, totalInFlight));
    if (noisy.length < ready.size || quietReady) return new Set(noisy);
    const fewest = Math.min(...noisy.map((tenant) => inFlight.get(tenant) ?? 0));
    return new Set(noisy.filter((tenant) => (inFlight.get(tenant) ?? 0) > fewest));
  }
}

// --- applying the rule to a local-aws-sqs queue ----------------------------------------------

/** A message as local-aws-sqs 2.x keeps it: its record and two flags its receive loop reads. */
interface Entry {
  visible: boolean;
  delayed: boolean;
  record: { attributes: { MessageGroupId?: string } };
  tmRetention?: unknown;
}

/** The parts of a local-aws-sqs queue this module uses. */
export interface LocalQueue {
  FifoQueue: boolean;
  newRecord: (record: unknown, delaySeconds: number) => Entry;
}

const fairQueues = new WeakSet<object>();

/**
 * Makes a local-aws-sqs standard queue deliver as a fair queue. local-aws-sqs keeps its
 * messages in a private list that its receive loop walks in order, taking the first that is
 * visible and not `delayed`; `newRecord`, a public property, creates each entry. So each new
 * entry is wrapped: its `delayed` answers true while its tenant is held back (its own delay is
 * kept aside), and reading its `tmRetention`, which local-aws-sqs does only when it removes the
 * message (delete, purge, retention, redrive), drops it from the messages counted here. Order
 * within what may be delivered stays local-aws-sqs's. Written against local-aws-sqs 2.0.2; the
 * fair-queue tests fail should its internals change.
 */
export function makeFair(queue: LocalQueue, state = new FairQueueState()): void {
  if (queue.FifoQueue || fairQueues.has(queue)) return;
  fairQueues.add(queue);
  const entries = new Map<Entry, { delayed: boolean }>();
  let held = new Set<string>();
  let computedAt = -1;

  const heldBack = (): Set<string> => {
    // The receive loop asks every 10 ms for each message: work out the answer once a millisecond.
    const now = Date.now();
    if (now !== computedAt) {
      computedAt = now;
      held = state.heldBack(
        [...entries].map(([entry, own]) => ({
          tenant: entry.record.attributes.MessageGroupId,
          inFlight: !entry.visible,
          ready: entry.visible && !own.delayed,
        })),
      );
    }
    return held;
  };

  const newRecord = queue.newRecord;
  queue.newRecord = (record, delaySeconds) => {
    const entry = newRecord(record, delaySeconds);
    const tenant = entry.record.attributes.MessageGroupId;
    const own = { delayed: entry.delayed };
    let retention = entry.tmRetention;
    entries.set(entry, own);
    computedAt = -1;
    state.sent(tenant);
    // Not enumerable: the receive loop copies each entry it delivers, which must not read these.
    Object.defineProperty(entry, 'delayed', {
      enumerable: false,
      get: () => own.delayed || (tenant !== undefined && heldBack().has(tenant)),
      set: (value: boolean) => {
        own.delayed = value;
      },
    });
    Object.defineProperty(entry, 'tmRetention', {
      enumerable: false,
      get: () => {
        entries.delete(entry);
        computedAt = -1;
        return retention;
      },
      set: (value: unknown) => {
        retention = value;
      },
    });
    return entry;
  };
}
