/**
 * Generates one chunk: asks the model for the chunk's questions, checks each one, asks again
 * for replacements of the rejected ones (telling the model why), and keeps the result in S3
 * and the checkpoint. Raw answers are kept too, so a bad chunk can be investigated.
 */
import type { GenerationSettings } from '../commons/config.ts';
import { logger } from '../commons/powertools.ts';
import { careerFamilyOf } from '../domain/catalog.ts';
import { type ChunkSpec, chunkFromKey, dedupeScopeOf, describeChunk } from '../domain/chunks.ts';
import type { TokenUsage } from '../domain/jobs.ts';
import { costOf } from '../domain/pricing.ts';
import { chunkPrompt, PROMPT_VERSION, SYSTEM_INSTRUCTION } from '../domain/prompts.ts';
import {
  checkQuestions,
  fingerprint,
  modelAnswerSchema,
  type Question,
  questionsResponseSchema,
  type Rejection,
} from '../domain/questions.ts';
import { callModelWithRetries, type ModelAnswer } from '../gemini/gemini-client.ts';
import * as jobs from '../store/job-store.ts';
import { s3Keys } from '../store/keys.ts';
import * as results from '../store/results-store.ts';

/** Calls per chunk: the first answer plus replacements for rejected questions. */
export const MAX_CALLS_PER_CHUNK = 4;

export interface ChunkFile {
  chunk_key: string;
  job_id: string;
  model: string;
  prompt_version: string;
  generated_at: string;
  question_count: number;
  calls: number;
  rejected: Rejection[];
  usage: TokenUsage;
  questions: Question[];
}

/** The chunk could not be completed with valid questions; retrying the same way will not help. */
export class ChunkGenerationFailed extends Error {
  readonly usage: TokenUsage;
  constructor(message: string, usage: TokenUsage) {
    super(message);
    this.name = 'ChunkGenerationFailed';
    this.usage = usage;
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
}

export interface GeneratedChunk {
  chunk: ChunkSpec;
  questions: number;
  s3Key: string;
  usage: TokenUsage;
  costUsd: number;
}

const zeroUsage = (): TokenUsage => ({
  input_tokens: 0,
  output_tokens: 0,
  thinking_tokens: 0,
  cached_tokens: 0,
});

function addUsage(total: TokenUsage, more: TokenUsage): void {
  total.input_tokens += more.input_tokens;
  total.output_tokens += more.output_tokens;
  total.thinking_tokens += more.thinking_tokens;
  total.cached_tokens += more.cached_tokens;
}

/** Questions already kept for the same career (other levels) or topic, from the checkpoint. */
async function siblingQuestions(owner: string, chunk: ChunkSpec): Promise<Question[]> {
  const scope = dedupeScopeOf(chunk);
  const entries = await jobs.listCheckpoint(owner, `${scope}__`);
  const files = await Promise.all(
    entries.filter((e) => e.chunk_key !== chunk.key).map((e) => results.getJson<ChunkFile>(e.s3_key)),
  );
  return files.flatMap((file) => file?.questions ?? []);
}

/** Parses the model's JSON; an unusable answer becomes one rejection that says why. */
function itemsOf(answer: ModelAnswer): { items: unknown[]; problem?: string } {
  if (answer.finishReason && answer.finishReason !== 'STOP') {
    return { items: [], problem: `the answer stopped early (finishReason ${answer.finishReason})` };
  }
  try {
    const parsed = modelAnswerSchema.safeParse(JSON.parse(answer.text));
    if (!parsed.success) return { items: [], problem: 'the answer did not have a "questions" array' };
    return { items: parsed.data.questions };
  } catch {
    return { items: [], problem: 'the answer was not valid JSON' };
  }
}

export async function generateChunk(input: GenerateChunkInput): Promise<GeneratedChunk> {
  const { settings } = input;
  const chunk = chunkFromKey(input.chunkKey, settings);
  const scope = dedupeScopeOf(chunk);
  const difficulty = chunk.kind === 'career_level' ? chunk.level : 0;
  const defaultCategory =
    chunk.kind === 'career_level'
      ? careerFamilyOf(chunk.sector, chunk.career).toLowerCase().replace(/\s+/g, '_')
      : chunk.topic.toLowerCase();

  const siblings = await siblingQuestions(input.owner, chunk);
  const seen = new Set(siblings.map((q) => fingerprint(q.question)));
  const kept: Question[] = [];
  const allRejected: Rejection[] = [];
  let lastRejected: Rejection[] = [];
  const usage = zeroUsage();
  let calls = 0;

  while (kept.length < chunk.questionCount && calls < MAX_CALLS_PER_CHUNK) {
    calls += 1;
    const need = chunk.questionCount - kept.length;
    const answer = await callModelWithRetries(
      {
        apiKey: input.apiKey,
        model: settings.model,
        systemInstruction: SYSTEM_INSTRUCTION,
        prompt: chunkPrompt({
          chunk,
          count: need,
          avoid: [...siblings, ...kept].map((q) => q.question),
          rejections: lastRejected,
        }),
        responseSchema: questionsResponseSchema(need),
        timeoutMs: settings.geminiTimeoutSeconds * 1000,
      },
      {
        maxAttempts: 5,
        baseDelayMs: 1000,
        maxDelayMs: 30_000,
        requestsPerMinute: settings.requestsPerMinute,
        deadline: input.deadline,
        onRetry: (error, attempt, delayMs) =>
          logger.warn('Model call failed, retrying', {
            chunk_key: chunk.key,
            kind: error.kind,
            status: error.status,
            attempt,
            delay_ms: Math.round(delayMs),
            error: error.message,
          }),
      },
    );
    addUsage(usage, answer.usage);
    await results.putJson(s3Keys.raw(input.jobId, chunk.key, input.attempt, calls), {
      chunk_key: chunk.key,
      prompt_version: PROMPT_VERSION,
      received_at: new Date().toISOString(),
      response: answer.raw,
    });

    const { items, problem } = itemsOf(answer);
    if (problem) {
      lastRejected = [{ index: -1, question: '', reasons: [problem] }];
      allRejected.push(...lastRejected);
      continue;
    }
    const checked = checkQuestions(items.slice(0, need), {
      difficulty,
      defaultCategory,
      seen: new Set([...seen, ...kept.map((q) => fingerprint(q.question))]),
    });
    const rejected = [...checked.rejected];
    if (items.length < need) {
      rejected.push({
        index: -1,
        question: '',
        reasons: [`only ${items.length} of ${need} questions were returned`],
      });
    }
    for (const question of checked.accepted) {
      if (await jobs.claimQuestion(input.owner, scope, fingerprint(question.question), chunk.key)) {
        kept.push(question);
      } else {
        rejected.push({
          index: -1,
          question: question.question,
          reasons: ['duplicates another question of the same career'],
        });
      }
    }
    lastRejected = rejected;
    allRejected.push(...rejected);
  }

  if (kept.length < chunk.questionCount) {
    const reasons = [...new Set(lastRejected.flatMap((r) => r.reasons))].join('; ');
    throw new ChunkGenerationFailed(
      `Only ${kept.length} of ${chunk.questionCount} questions passed the checks after ${calls} model calls for ${describeChunk(chunk)}. Last problems: ${reasons || 'none recorded'}`,
      usage,
    );
  }

  const s3Key = s3Keys.chunk(input.owner, chunk.key);
  const file: ChunkFile = {
    chunk_key: chunk.key,
    job_id: input.jobId,
    model: settings.model,
    prompt_version: PROMPT_VERSION,
    generated_at: new Date().toISOString(),
    question_count: kept.length,
    calls,
    rejected: allRejected,
    usage,
    questions: kept,
  };
  await results.putJson(s3Key, file);
  await jobs.putCheckpoint(input.owner, {
    chunk_key: chunk.key,
    s3_key: s3Key,
    questions: kept.length,
    job_id: input.jobId,
    completed_at: file.generated_at,
  });
  return { chunk, questions: kept.length, s3Key, usage, costUsd: costOf(settings.model, usage) };
}
