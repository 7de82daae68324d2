/**
 * What the simulator can be told: the options, their defaults, and the one merge that every way
 * of setting them goes through (start options, `configure()`, the admin endpoint, the CLI).
 */
import { isRecord } from './json.ts';
import { KEY_POSITIONS, type KeyPosition } from './key-bias.ts';
import { BLOCK_REASONS, type BlockReason, STOP_REASONS, type StopReason } from './refusals.ts';

export const FAULT_KINDS = [
  'error429',
  'error500',
  'error503',
  'hang',
  'malformedJson',
  'truncated',
  'safety',
  'blockedPrompt',
  'policyStop',
  'badItems',
  'nearDuplicate',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface SimulatorConfig {
  /** Seeds every deterministic choice: answers (with the request), latency and faults (with the call index). */
  seed?: number;
  /** When set, only this key is accepted; otherwise any non-empty key is. */
  apiKey?: string;
  latencyMs?: { min: number; max: number };
  latencyScale?: number;
  /** Requests per minute over a sliding 60 s window of accepted calls; undefined = unlimited. */
  rpm?: number;
  /** Input (prompt) tokens per minute, as Gemini counts its TPM quota; undefined = unlimited. */
  tpm?: number;
  /**
   * Requests per day per model, reset at midnight Pacific time (daily-quota.ts); undefined =
   * unlimited.
   */
  rpd?: number;
  /** Probabilities 0..1, mutually exclusive, tried in the order of FAULT_KINDS. */
  faults?: Partial<Record<FaultKind, number>>;
  /** The first N generateContent calls answer 503, whatever the rates say. */
  failFirstCalls?: number;
  /** How long a `hang` holds the request before giving up with 504. */
  hangMs?: number;
  embeddingDimensions?: number;
  /** Embedding calls: the first N answer 503, then each fails with 503 at this rate (0..1). */
  embeddingFailFirstCalls?: number;
  embeddingErrorRate?: number;
  /** Fixed latency of each embedding call, scaled by latencyScale. */
  embeddingLatencyMs?: number;
  /**
   * Embedding requests per minute over a sliding 60 s window, each text of a
   * batchEmbedContents call counting as one, as Gemini counts them; undefined = unlimited.
   */
  embeddingRpm?: number;
  /** retryDelay announced by injected (`error429`) answers. */
  injected429DelayMs?: number;
  /**
   * A fixed thoughtsTokenCount for every answer (capped by the request's thinkingBudget);
   * undefined = by the request's thinking level or the model's default (`thinking.ts`).
   */
  thoughtsTokens?: number;
  /**
   * How long a batch (batchGenerateContent) takes from creation to done, scaled by latencyScale:
   * pending for its first fifth, then running, its requests answered in proportion to the time.
   */
  batchLatencyMs?: number;
  /**
   * A batch not done this long after its creation ends BATCH_STATE_EXPIRED with no results; the
   * Gemini API's window is 48 hours (https://ai.google.dev/gemini-api/docs/batch-api, "Monitoring
   * job status"). Not scaled by latencyScale: it is the API's rule, not a latency.
   */
  batchExpiryMs?: number;
  /**
   * The first N batches created (after those expireFirstBatches holds) end BATCH_STATE_FAILED at
   * the end of their batchLatencyMs; counted from the last stats reset.
   */
  failFirstBatches?: number;
  /** Later batches end BATCH_STATE_FAILED at this rate (0..1), drawn from the seed. */
  batchFailureRate?: number;
  /** The first N batches created are never done, so they end BATCH_STATE_EXPIRED at batchExpiryMs. */
  expireFirstBatches?: number;
  /** The `promptFeedback.blockReason` a `blockedPrompt` fault answers with. */
  blockReason?: BlockReason;
  /** The `finishReason` a `policyStop` fault ends its candidate with. */
  stopReason?: StopReason;
  /**
   * Every multiple-choice question's correct answer at this option ('a'–'d'), as a model that
   * favours one position writes them (key-bias.ts); undefined = wherever the seed puts it.
   */
  keyPosition?: KeyPosition;
  /**
   * The correct option clearly the longest (its distractors cut to a third of its length),
   * except in an answer to a repair call that passes on the gate's "clearly the longest"
   * rejection, which comes back fixed (key-bias.ts).
   */
  longestKey?: boolean;
}

export type EffectiveConfig = Required<
  Omit<SimulatorConfig, 'apiKey' | 'rpm' | 'tpm' | 'rpd' | 'thoughtsTokens' | 'embeddingRpm' | 'keyPosition'>
> &
  Pick<SimulatorConfig, 'apiKey' | 'rpm' | 'tpm' | 'rpd' | 'thoughtsTokens' | 'embeddingRpm' | 'keyPosition'>;

export const DEFAULT_CONFIG: EffectiveConfig = {
  seed: 42,
  latencyMs: { min: 0, max: 0 },
  latencyScale: 1,
  faults: {},
  failFirstCalls: 0,
  hangMs: 10 * 60_000,
  embeddingDimensions: 768,
  embeddingFailFirstCalls: 0,
  embeddingErrorRate: 0,
  embeddingLatencyMs: 0,
  injected429DelayMs: 2000,
  batchLatencyMs: 2000,
  batchExpiryMs: 48 * 3_600_000,
  failFirstBatches: 0,
  batchFailureRate: 0,
  expireFirstBatches: 0,
  blockReason: 'SAFETY',
  stopReason: 'RECITATION',
  longestKey: false,
};

export class ConfigError extends Error {}

function finiteNumber(key: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new ConfigError(`${key} must be a number >= ${min}`);
  }
  return value;
}

/**
 * Applies a partial config; `null` or `undefined` for a key restores its default (for rpm/tpm:
 * unlimited; for thoughtsTokens: by thinking level), because JSON bodies of the admin endpoint cannot say `undefined`. Unknown keys are
 * refused so that a typo in a benchmark does not silently test nothing.
 */
export function mergeConfig(current: EffectiveConfig, patch: Record<string, unknown>): EffectiveConfig {
  const next: EffectiveConfig = {
    ...current,
    latencyMs: { ...current.latencyMs },
    faults: { ...current.faults },
  };
  for (const [key, value] of Object.entries(patch)) {
    const unset = value === undefined || value === null;
    switch (key) {
      case 'seed':
        next.seed = unset ? DEFAULT_CONFIG.seed : Math.trunc(finiteNumber(key, value, -Infinity));
        break;
      case 'apiKey':
        if (!unset && typeof value !== 'string') throw new ConfigError('apiKey must be a string');
        next.apiKey = unset || value === '' ? undefined : (value as string);
        break;
      case 'rpm':
      case 'tpm':
      case 'embeddingRpm':
      case 'rpd':
        next[key] = unset ? undefined : finiteNumber(key, value, 1);
        break;
      case 'latencyScale':
      case 'embeddingFailFirstCalls':
      case 'embeddingErrorRate':
      case 'embeddingLatencyMs':
      case 'failFirstCalls':
      case 'hangMs':
      case 'injected429DelayMs':
      case 'batchLatencyMs':
      case 'batchExpiryMs':
      case 'failFirstBatches':
      case 'expireFirstBatches':
        next[key] = unset ? DEFAULT_CONFIG[key] : finiteNumber(key, value);
        break;
      case 'thoughtsTokens':
        next.thoughtsTokens = unset ? undefined : finiteNumber(key, value);
        break;
      case 'batchFailureRate': {
        const rate = unset ? DEFAULT_CONFIG.batchFailureRate : finiteNumber(key, value);
        if (rate > 1) throw new ConfigError('batchFailureRate must be between 0 and 1');
        next.batchFailureRate = rate;
        break;
      }
      case 'blockReason':
      case 'stopReason': {
        const allowed: readonly string[] = key === 'blockReason' ? BLOCK_REASONS : STOP_REASONS;
        if (unset) next[key] = DEFAULT_CONFIG[key] as never;
        else if (typeof value === 'string' && allowed.includes(value)) next[key] = value as never;
        else throw new ConfigError(`${key} must be one of ${allowed.join(', ')}`);
        break;
      }
      case 'keyPosition':
        if (unset) next.keyPosition = undefined;
        else if (typeof value === 'string' && (KEY_POSITIONS as readonly string[]).includes(value))
          next.keyPosition = value as KeyPosition;
        else throw new ConfigError(`keyPosition must be one of ${KEY_POSITIONS.join(', ')}`);
        break;
      case 'longestKey':
        if (!unset && typeof value !== 'boolean') throw new ConfigError('longestKey must be true or false');
        next.longestKey = unset ? DEFAULT_CONFIG.longestKey : (value as boolean);
        break;
      case 'embeddingDimensions':
        next.embeddingDimensions = unset ? DEFAULT_CONFIG.embeddingDimensions : finiteNumber(key, value, 1);
        break;
      case 'latencyMs': {
        if (unset) {
          next.latencyMs = { ...DEFAULT_CONFIG.latencyMs };
          break;
        }
        if (!isRecord(value)) throw new ConfigError('latencyMs must be { min, max }');
        const min = finiteNumber('latencyMs.min', value.min ?? 0);
        const max = finiteNumber('latencyMs.max', value.max ?? min);
        if (max < min) throw new ConfigError('latencyMs.max must be >= latencyMs.min');
        next.latencyMs = { min, max };
        break;
      }
      case 'faults': {
        if (unset) {
          next.faults = {};
          break;
        }
        if (!isRecord(value)) throw new ConfigError('faults must be an object of rates');
        // Merged per kind so one fault can be switched on without restating the others.
        for (const [kind, rate] of Object.entries(value)) {
          if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
            throw new ConfigError(`unknown fault "${kind}"; known: ${FAULT_KINDS.join(', ')}`);
          }
          if (rate === null || rate === undefined) delete next.faults[kind as FaultKind];
          else {
            const r = finiteNumber(`faults.${kind}`, rate);
            if (r > 1) throw new ConfigError(`faults.${kind} must be between 0 and 1`);
            next.faults[kind as FaultKind] = r;
          }
        }
        break;
      }
      default:
        throw new ConfigError(`unknown simulator option "${key}"`);
    }
  }
  return next;
}
