/**
 * Everything the simulator changes as it serves: the counters it reports, the call index that
 * keys fault and latency draws, the quota window, the texts nearDuplicate echoes, the batches.
 * The server makes one and hands it to every endpoint, so what one request leaves behind is
 * visible in one place.
 */
import type { EffectiveConfig, FaultKind } from './config.ts';

export type Outcome =
  | 'ok'
  | '429_quota'
  | '429_injected'
  /** The model's requests of the (Pacific) day ran out: `rpd`. */
  | '429_daily'
  | '500'
  | '503'
  | 'malformed'
  | 'truncated'
  | 'safety'
  /** A `blockedPrompt`: promptFeedback.blockReason, no candidates. */
  | 'blocked'
  /** A `policyStop`: the candidate ended with the configured finish reason, no content. */
  | 'policy_stop'
  | 'hang'
  | 'bad_items'
  | 'near_duplicate'
  | 'auth'
  | 'bad_request'
  /** The client went away while the answer was being delayed. */
  | 'aborted';

const OUTCOMES: readonly Outcome[] = [
  'ok',
  '429_quota',
  '429_injected',
  '429_daily',
  '500',
  '503',
  'malformed',
  'truncated',
  'safety',
  'blocked',
  'policy_stop',
  'hang',
  'bad_items',
  'near_duplicate',
  'auth',
  'bad_request',
  'aborted',
];

export interface SimulatorStats {
  /** generateContent requests received; every one ends in exactly one outcome. */
  totalCalls: number;
  /** Calls admitted by the quota window (so they count against rpm/tpm). */
  acceptedCalls: number;
  outcomes: Record<Outcome, number>;
  inFlight: number;
  peakInFlight: number;
  promptTokens: number;
  candidatesTokens: number;
  thoughtsTokens: number;
  totalTokens: number;
  callsByModel: Record<string, number>;
  /** `throttled`: refused by the embedding quota (embeddingRpm, counted per text). */
  embeddings: { requests: number; texts: number; rejected: number; failed: number; throttled: number };
  /** Batch mode; its requests count here only, not in the generateContent fields above. */
  batches: BatchStats;
}

export interface BatchStats {
  created: number;
  cancelled: number;
  /** Batches that ended BATCH_STATE_FAILED as a whole (no results, nothing billed). */
  failedBatches: number;
  /** Batches that ended BATCH_STATE_EXPIRED (not done within the expiry window; no results). */
  expired: number;
  /** Inlined requests received in created batches. */
  requests: number;
  /** Of those, answered so far: with a response or with a per-request error. */
  answered: number;
  /** Answered with a per-request error (an injected 429, 500, 503 or hang). */
  failed: number;
  promptTokens: number;
  candidatesTokens: number;
  thoughtsTokens: number;
}

export interface BatchItem {
  /** A GenerateContentRequest, as generateContent would receive it. */
  request: Record<string, unknown>;
  metadata: unknown;
  fault: FaultKind | undefined;
}

export interface BatchJob {
  id: string;
  model: string;
  displayName: string;
  createdAt: number;
  durationMs: number;
  requests: BatchItem[];
  /** InlinedResponses produced so far, in request order. */
  results: Record<string, unknown>[];
  succeeded: number;
  failed: number;
  cancelledAt: number | undefined;
  /** Decided at creation: succeeds, fails as a whole, or is never done and expires. */
  fate: BatchFate;
  /** Set once a failed or expired end has been counted in the stats. */
  endCounted: boolean;
}

export type BatchFate = 'succeed' | 'fail' | 'expire';

export interface SimulatorState {
  config: EffectiveConfig;
  stats: SimulatorStats;
  inFlight: number;
  /** Counts admitted-for-processing calls; fault and latency draws are keyed by it. */
  callIndex: number;
  /** Accepted calls of the last minute, for rpm and tpm. */
  quotaWindow: { at: number; tokens: number }[];
  /** Admitted embedding calls of the last minute and their texts, for embeddingRpm. */
  embeddingQuotaWindow: { at: number; texts: number }[];
  /** Accepted calls per model and Pacific day, for rpd. */
  dailyRequests: Map<string, number>;
  /** Question-like texts of recent answers, for nearDuplicate to echo in a later one. */
  recentTexts: string[];
  batches: Map<string, BatchJob>;
  /** Batches created so far: numbers them, and so keys their fault draws. */
  batchCount: number;
}

export function newState(config: EffectiveConfig): SimulatorState {
  return {
    config,
    stats: emptyStats(0),
    inFlight: 0,
    callIndex: 0,
    quotaWindow: [],
    embeddingQuotaWindow: [],
    dailyRequests: new Map(),
    recentTexts: [],
    batches: new Map(),
    batchCount: 0,
  };
}

export function emptyStats(inFlight: number): SimulatorStats {
  return {
    totalCalls: 0,
    acceptedCalls: 0,
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>,
    inFlight,
    peakInFlight: inFlight,
    promptTokens: 0,
    candidatesTokens: 0,
    thoughtsTokens: 0,
    totalTokens: 0,
    callsByModel: {},
    embeddings: { requests: 0, texts: 0, rejected: 0, failed: 0, throttled: 0 },
    batches: {
      created: 0,
      cancelled: 0,
      failedBatches: 0,
      expired: 0,
      requests: 0,
      answered: 0,
      failed: 0,
      promptTokens: 0,
      candidatesTokens: 0,
      thoughtsTokens: 0,
    },
  };
}

export function countOutcome(state: SimulatorState, outcome: Outcome): void {
  state.stats.outcomes[outcome] += 1;
}
