/**
 * Generates one quiz-bank chunk: asks the model for the chunk's questions, checks each one,
 * asks again for replacements of the rejected ones (telling the model why), and keeps the
 * result in S3 and in the owner's checkpoint, which is what lets later jobs skip it. Raw answers
 * are kept too, so a bad chunk can be investigated.
 */

import {
  type ChunkFile,
  failureOf,
  type GenerateChunkInput,
  type GeneratedChunk,
  MAX_CALLS_PER_CHUNK,
  modelCaller,
  provenanceOf,
  questionCallTuning,
} from '#jobs/chunk-common.ts';
import type { JobRecord } from '#jobs/job.ts';
import * as jobs from '#jobs/job-store.ts';
import { openQuestionBank } from '#jobs/question-bank.ts';
import { checkQuestions, fingerprint, type Question, questionsResponseSchema } from '#jobs/questions.ts';
import { type RepairOutcome, type RepairSpec, runRepairLoop } from '#jobs/repair-loop.ts';
import * as results from '#jobs/results-store.ts';
import { s3Keys } from '#platform/keys.ts';
import { recordQuestions } from '#review/review-store.ts';
import { careerFamilyOf } from './catalog.ts';
import { dedupeScopeOf, describeChunk, type QuizChunk, SOFT_SKILLS } from './chunks.ts';
import {
  bloomLevelsFor,
  chunkPrompt,
  PROMPT_VERSION,
  SOFT_SKILLS_BLOOM_LEVELS,
  SYSTEM_INSTRUCTION,
} from './prompts.ts';

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
): Promise<GeneratedChunk> {
  const { calls, usage, costUsd, quality } = outcome;
  if (outcome.kept.length < chunk.questionCount) throw failureOf(chunk, describeChunk(chunk), outcome);
  const kept = outcome.kept.map(
    (question, i): Question => ({
      ...question,
      language: chunk.language,
      provenance: provenanceOf(input, 'quiz-chunk', PROMPT_VERSION, outcome.keptCalls[i] ?? 1),
    }),
  );

  await input.settleCost?.(costUsd);
  // Each kept question starts pending review. Recorded before the chunk is kept: a delivery that
  // stops in between leaves records no chunk file names, never a kept question without one.
  await recordQuestions(input.owner, originOf(chunk, input.jobId), kept);

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
    cost_usd: costUsd,
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

/** What the review API's filters match a quiz chunk's questions by. */
function originOf(chunk: QuizChunk, jobId: string) {
  const common = { job_id: jobId, chunk_key: chunk.key, bank_scope: dedupeScopeOf(chunk, jobId) };
  return chunk.kind === 'career_level'
    ? { ...common, sector: chunk.sector, career: chunk.career, level: chunk.level }
    : { ...common, sector: SOFT_SKILLS, topic: chunk.topic };
}

export async function generateQuizChunk(
  input: GenerateChunkInput,
  chunk: QuizChunk,
): Promise<GeneratedChunk> {
  const spec = await openQuizChunk(input, chunk);
  const ask = modelCaller(input, SYSTEM_INSTRUCTION, PROMPT_VERSION);
  const outcome = await runRepairLoop<Question>({
    ...spec,
    model: input.settings.model,
    ask: (prompt, schema, call, size) =>
      ask(prompt, schema, call, questionCallTuning(input.settings, input.settings.model, call, size)),
  });
  return finishQuizChunk(input, chunk, outcome);
}

/**
 * The chunk as this job kept it in the owner's checkpoint, with the figures generating it
 * returned. An entry of another job, or one written before entries kept their figures, is none.
 */
export async function keptInCheckpoint(job: Pick<JobRecord, 'job_id' | 'owner'>, chunkKey: string) {
  const entry = await jobs.getCheckpoint(job.owner, chunkKey);
  if (entry?.job_id !== job.job_id || entry.usage === undefined || entry.cost_usd === undefined) {
    return undefined;
  }
  return { ...entry, usage: entry.usage, cost_usd: entry.cost_usd, calls: entry.calls ?? 0 };
}
