/**
 * What every kind of chunk generation shares: the chunk file, the failure that is not worth
 * retrying, and the model call with its retry policy and its raw answer kept under `raw/`.
 */
import type { GenerationSettings } from '#platform/config.ts';
import { callModelWithRetries, type ModelAnswer } from '#platform/gemini/gemini-client.ts';
import { outputLimit, type ThinkingLevel } from '#platform/gemini/model-capabilities.ts';
import { s3Keys } from '#platform/keys.ts';
import { logger } from '#platform/powertools.ts';
import type { JobParameters, JobType, TokenUsage } from './job.ts';
import { type ChunkQuality, GATE_VERSION } from './quality-report.ts';
import type { Provenance, Question, Rejection } from './questions.ts';
import type { RepairOutcome } from './repair-loop.ts';
import * as results from './results-store.ts';

/** Calls per chunk: the first answer plus replacements for rejected questions. */
export const MAX_CALLS_PER_CHUNK = 4;

export interface ChunkFile<Q = Question> {
  chunk_key: string;
  job_id: string;
  model: string;
  prompt_version: string;
  generated_at: string;
  question_count: number;
  calls: number;
  rejected: Rejection[];
  /** The quality gate's counts for this chunk. */
  quality?: ChunkQuality;
  usage: TokenUsage;
  /** USD of the chunk's calls, each priced as the model that served it, when it was made. */
  cost_usd: number;
  questions: Q[];
}

/** The chunk could not be completed with valid questions; retrying the same way will not help. */
export class ChunkGenerationFailed extends Error {
  readonly usage: TokenUsage;
  readonly quality?: ChunkQuality;
  /** USD of the calls made, each priced when it was made (pricing.ts callCost). */
  readonly costUsd: number;
  constructor(message: string, usage: TokenUsage, quality?: ChunkQuality, costUsd = 0) {
    super(message);
    this.name = 'ChunkGenerationFailed';
    this.usage = usage;
    this.quality = quality;
    this.costUsd = costUsd;
  }
}

export interface GenerateChunkInput {
  jobId: string;
  owner: string;
  chunkKey: string;
  attempt: number;
  apiKey: string;
  settings: GenerationSettings;
  /** Epoch ms by which the work must be done (the invocation's deadline, less a margin). */
  deadline: number;
  /** The job's type and parameters: assessment chunks are defined by them. */
  job?: { job_type: JobType; parameters: JobParameters };
  /**
   * Settles the chunk's budget reservation to its real cost. Called once the model calls are
   * over and before anything of the chunk is kept, so a redelivery that finds the chunk kept
   * (see keptByThisJob) knows its cost is settled and charges nothing again.
   */
  settleCost?: (costUsd: number) => Promise<void>;
}

export interface GeneratedChunk {
  /** What the chunk produced: questions for quiz banks and assessments, words for content sections. */
  questions: number;
  s3Key: string;
  usage: TokenUsage;
  costUsd: number;
  /** The quality gate's counts, for chunks of questions. */
  quality?: ChunkQuality;
}

/** A model call with the retry policy, its raw answer kept under `raw/`. */
export interface ModelTuning {
  model?: string;
  temperature?: number;
  maxOutputTokens?: number;
  thinkingLevel?: ThinkingLevel;
}

/**
 * Visible output of one question at most (stem, four options, explanation, tags: about 160
 * tokens on average), and of the JSON around them, for the output limit of a chunk's call.
 */
export const TOKENS_PER_QUESTION = 400;
const ANSWER_OVERHEAD_TOKENS = 512;

/**
 * The thinking level and output limit of a call for `size.need` questions: the first call at the
 * questions' level, replacements at the repair level; room for the questions plus the level's
 * thoughts, raised after answers that ended MAX_TOKENS. Interactive and batch calls share it.
 */
export function questionCallTuning(
  settings: Pick<GenerationSettings, 'thinking'>,
  model: string,
  call: number,
  size: { need: number; maxTokensStops: number; tokensPerQuestion?: number },
): ModelTuning {
  const level = call === 1 ? settings.thinking.questions : settings.thinking.repair;
  return {
    thinkingLevel: level,
    maxOutputTokens: outputLimit({
      model,
      visibleTokens: size.need * (size.tokensPerQuestion ?? TOKENS_PER_QUESTION) + ANSWER_OVERHEAD_TOKENS,
      level,
      maxTokensStops: size.maxTokensStops,
    }),
  };
}

export function modelCaller(
  input: GenerateChunkInput,
  systemInstruction: string,
  promptVersion: string,
  tuning: ModelTuning = {},
) {
  return async (
    prompt: string,
    responseSchema: unknown,
    call: number,
    perCall: ModelTuning = {},
  ): Promise<ModelAnswer> => {
    const { temperature, maxOutputTokens, thinkingLevel } = { ...tuning, ...perCall };
    const answer = await callModelWithRetries(
      {
        apiKey: input.apiKey,
        model: tuning.model ?? input.settings.model,
        systemInstruction,
        prompt,
        responseSchema,
        timeoutMs: input.settings.geminiTimeoutSeconds * 1000,
        ...(temperature !== undefined ? { temperature } : {}),
        ...(maxOutputTokens !== undefined ? { maxOutputTokens } : {}),
        ...(thinkingLevel !== undefined ? { thinkingLevel } : {}),
      },
      {
        maxAttempts: 5,
        baseDelayMs: 1000,
        maxDelayMs: 30_000,
        requestsPerMinute: input.settings.requestsPerMinute,
        deadline: input.deadline,
        onRetry: (error, attempt, delayMs) =>
          logger.warn('Model call failed, retrying', {
            chunk_key: input.chunkKey,
            kind: error.kind,
            status: error.status,
            attempt,
            delay_ms: Math.round(delayMs),
            error: error.message,
          }),
      },
    );
    await results.putJson(s3Keys.raw(input.jobId, input.chunkKey, input.attempt, call), {
      chunk_key: input.chunkKey,
      prompt_version: promptVersion,
      received_at: new Date().toISOString(),
      response: answer.raw,
    });
    return answer;
  };
}

/**
 * A chunk still short of questions when its calls ran out, or when Gemini refused it for good;
 * `label` names it as messages do. A refusal says what Gemini did, first, so the job's summary
 * shows it rather than a parse error.
 */
export function failureOf(
  chunk: { questionCount: number },
  label: string,
  outcome: Pick<
    RepairOutcome<unknown>,
    'calls' | 'lastRejected' | 'usage' | 'costUsd' | 'quality' | 'refused'
  > & {
    kept: unknown[];
  },
) {
  const { calls, usage, costUsd, quality } = outcome;
  const kept = outcome.kept.length;
  if (outcome.refused) {
    return new ChunkGenerationFailed(
      `${outcome.refused}, for ${label} (${kept} of ${chunk.questionCount} questions kept after ${calls} model calls; not asked again, the same request would be refused again)`,
      usage,
      quality,
      costUsd,
    );
  }
  const reasons = [...new Set(outcome.lastRejected.flatMap((r) => r.reasons))].join('; ');
  return new ChunkGenerationFailed(
    `Only ${kept} of ${chunk.questionCount} questions passed the checks after ${calls} model calls for ${label}. Last problems: ${reasons || 'none recorded'}`,
    usage,
    quality,
    costUsd,
  );
}

/** What a kept question records of how it was made and checked. */
export function provenanceOf(
  input: GenerateChunkInput,
  template: string,
  promptVersion: string,
  call: number,
): Provenance {
  return {
    model: input.settings.model,
    prompt_template: template,
    prompt_version: promptVersion,
    gate_version: GATE_VERSION,
    attempt: input.attempt,
    call,
    validation: call === 1 ? 'passed_first_time' : 'repaired',
  };
}
