/**
 * Generates one chunk: asks the model for the chunk's questions, checks each one, asks again
 * for replacements of the rejected ones (telling the model why), and keeps the result in S3
 * (and, for quiz banks, in the checkpoint). Raw answers are kept too, so a bad chunk can be
 * investigated. A chunk its job has kept already is found again rather than generated twice.
 */

import { generateAssessmentChunk } from '#assessments/assessment-chunk.ts';
import { generateContentSection } from '#content/content-job.ts';
import { costOf } from '#platform/gemini/pricing.ts';
import { s3Keys } from '#platform/keys.ts';
import { careerFamilyOf } from '#quiz-bank/catalog.ts';
import {
  bloomLevelsFor,
  chunkPrompt,
  PROMPT_VERSION,
  SOFT_SKILLS_BLOOM_LEVELS,
  SYSTEM_INSTRUCTION,
} from '#quiz-bank/prompts.ts';
import {
  type ChunkFile,
  failureOf,
  type GenerateChunkInput,
  type GeneratedChunk,
  MAX_CALLS_PER_CHUNK,
  modelCaller,
  provenanceOf,
} from './chunk-common.ts';
import { chunkFromKey, dedupeScopeOf, type QuizChunk } from './chunks.ts';
import type { JobRecord } from './job.ts';
import type { ChunkRecord, KeptChunk } from './job-store.ts';
import * as jobs from './job-store.ts';
import { openQuestionBank } from './question-bank.ts';
import { checkQuestions, fingerprint, type Question, questionsResponseSchema } from './questions.ts';
import { type RepairOutcome, type RepairSpec, runRepairLoop } from './repair-loop.ts';
import * as results from './results-store.ts';

/**
 * A quiz chunk's questions: what to ask, how to check, and the bank that admits them. Batch
 * mode opens the same chunk once per round, keeping the questions it already holds in the bank.
 */
export async function openQuizChunk(
  input: GenerateChunkInput,
  chunk: QuizChunk,
  holding: string[] = [],
): Promise<RepairSpec<Question>> {
  const scope = dedupeScopeOf(chunk, input.jobId);
  const difficulty = chunk.kind === 'career_level' ? chunk.level : 0;
  const defaultCategory =
    chunk.kind === 'career_level'
      ? careerFamilyOf(chunk.sector, chunk.career).toLowerCase().replace(/\s+/g, '_')
      : chunk.topic.toLowerCase();
  const label = chunk.kind === 'career_level' ? 'the same career' : 'the same topic';
  const bank = await openQuestionBank({
    owner: input.owner,
    scope,
    chunkKey: chunk.key,
    gate: input.settings.gate,
    label,
    holding,
  });
  const seen = new Set(bank.others.map((text) => fingerprint(text)));
  const bloomLevels = chunk.kind === 'career_level' ? bloomLevelsFor(chunk.level) : SOFT_SKILLS_BLOOM_LEVELS;
  const index = bank.index();
  return {
    count: chunk.questionCount,
    maxCalls: MAX_CALLS_PER_CHUNK,
    prompt: (need, rejections, kept) =>
      chunkPrompt({
        chunk,
        count: need,
        avoid: [...bank.others, ...kept.map((q) => q.question)],
        rejections,
      }),
    schema: (need) => questionsResponseSchema(need, bloomLevels),
    check: (items, kept) =>
      checkQuestions(items, {
        difficulty,
        defaultCategory,
        seen: new Set([...seen, ...kept.map((q) => fingerprint(q.question))]),
        bank: index,
        gate: input.settings.gate,
        bloomLevels,
      }),
    admit: (questions) => bank.admit(questions),
  };
}

/**
 * Keeps a quiz chunk whose questions are all there: the chunk file (with each question's
 * provenance and the gate's counts) and its checkpoint entry. A chunk still short of questions
 * fails, naming the last reasons.
 */
export async function finishQuizChunk(
  input: GenerateChunkInput,
  chunk: QuizChunk,
  outcome: RepairOutcome<Question>,
  pricing: { batch?: boolean } = {},
): Promise<GeneratedChunk> {
  const { calls, usage, quality } = outcome;
  if (outcome.kept.length < chunk.questionCount)
    throw failureOf(chunk, outcome.kept.length, calls, outcome.lastRejected, usage, quality);
  const kept = outcome.kept.map(
    (question, i): Question => ({
      ...question,
      provenance: provenanceOf(input, 'quiz-chunk', PROMPT_VERSION, outcome.keptCalls[i] ?? 1),
    }),
  );

  const costUsd = costOf(input.settings.model, usage, pricing);
  await input.settleCost?.(costUsd);

  const s3Key = s3Keys.chunk(input.owner, chunk.key);
  const file: ChunkFile = {
    chunk_key: chunk.key,
    job_id: input.jobId,
    model: input.settings.model,
    prompt_version: PROMPT_VERSION,
    generated_at: new Date().toISOString(),
    question_count: kept.length,
    calls,
    rejected: outcome.rejected,
    quality,
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
    usage,
    cost_usd: costUsd,
    quality,
    calls,
  });
  return { questions: kept.length, s3Key, usage, costUsd, quality };
}

/**
 * A chunk this job has already kept, found by a redelivery whose earlier delivery stopped
 * after keeping it and before recording its outcome: what generating it returned, read back
 * from the checkpoint (quiz banks) or from the chunk's record (assessments), with its model
 * calls. Its cost was settled before it was kept. A checkpoint entry of another job (plan-chunks
 * already dropped or deliberately regenerates those) or one written before entries kept their
 * figures is none: the chunk is generated as before.
 */
export async function keptByThisJob(
  job: Pick<JobRecord, 'job_id' | 'owner' | 'job_type' | 'mode'>,
  chunkKey: string,
  record: ChunkRecord | undefined,
): Promise<(GeneratedChunk & { calls: number }) | undefined> {
  if (record?.kept) return generatedOf(record.kept);
  if (job.job_type === 'assessment' || job.job_type === 'content') return undefined;
  // A worker keeps a chunk only after starting an attempt on its record: without a record, only
  // a batch round can have kept it. The common first delivery skips the read.
  if (!record && job.mode !== 'batch') return undefined;
  const entry = await jobs.getCheckpoint(job.owner, chunkKey);
  if (entry?.job_id !== job.job_id || entry.usage === undefined || entry.cost_usd === undefined) {
    return undefined;
  }
  return generatedOf({ ...entry, usage: entry.usage, cost_usd: entry.cost_usd, calls: entry.calls ?? 0 });
}

function generatedOf(kept: KeptChunk): GeneratedChunk & { calls: number } {
  return {
    questions: kept.questions,
    s3Key: kept.s3_key,
    usage: kept.usage,
    costUsd: kept.cost_usd,
    ...(kept.quality ? { quality: kept.quality } : {}),
    calls: kept.calls,
  };
}

async function generateQuizChunk(input: GenerateChunkInput, chunk: QuizChunk): Promise<GeneratedChunk> {
  const spec = await openQuizChunk(input, chunk);
  const outcome = await runRepairLoop<Question>({
    ...spec,
    ask: modelCaller(input, SYSTEM_INSTRUCTION, PROMPT_VERSION),
  });
  return finishQuizChunk(input, chunk, outcome);
}

export {
  type ChunkFile,
  ChunkGenerationFailed,
  type GenerateChunkInput,
  type GeneratedChunk,
  MAX_CALLS_PER_CHUNK,
} from './chunk-common.ts';

export async function generateChunk(input: GenerateChunkInput): Promise<GeneratedChunk> {
  if (input.job?.job_type === 'assessment') return generateAssessmentChunk(input);
  if (input.job?.job_type === 'content') return generateContentSection(input);
  return generateQuizChunk(input, chunkFromKey(input.chunkKey, input.settings));
}
