/**
 * Generates one chunk: asks the model for the chunk's questions, checks each one, asks again
 * for replacements of the rejected ones (telling the model why), and keeps the result in S3
 * (and, for quiz banks, in the checkpoint). Raw answers are kept too, so a bad chunk can be
 * investigated.
 */

import { generateContentSection } from '../content-pipeline/content-job.ts';
import { careerFamilyOf } from '../domain/catalog.ts';
import { chunkFromKey, dedupeScopeOf, type QuizChunk } from '../domain/chunks.ts';
import { costOf } from '../domain/pricing.ts';
import { chunkPrompt, PROMPT_VERSION, SYSTEM_INSTRUCTION } from '../domain/prompts.ts';
import { checkQuestions, fingerprint, type Question, questionsResponseSchema } from '../domain/questions.ts';
import * as jobs from '../store/job-store.ts';
import { s3Keys } from '../store/keys.ts';
import * as results from '../store/results-store.ts';
import { generateAssessmentChunk } from './assessment-chunk.ts';
import {
  type ChunkFile,
  failureOf,
  type GenerateChunkInput,
  type GeneratedChunk,
  MAX_CALLS_PER_CHUNK,
  modelCaller,
} from './chunk-common.ts';
import { runRepairLoop } from './repair-loop.ts';

/** Questions already kept for the same career (other levels) or topic, from the checkpoint. */
async function siblingQuestions(owner: string, chunk: QuizChunk, scope: string): Promise<Question[]> {
  const entries = await jobs.listCheckpoint(owner, `${scope}__`);
  const files = await Promise.all(
    entries.filter((e) => e.chunk_key !== chunk.key).map((e) => results.getJson<ChunkFile>(e.s3_key)),
  );
  return files.flatMap((file) => file?.questions ?? []);
}

async function generateQuizChunk(input: GenerateChunkInput, chunk: QuizChunk): Promise<GeneratedChunk> {
  const scope = dedupeScopeOf(chunk, input.jobId);
  const difficulty = chunk.kind === 'career_level' ? chunk.level : 0;
  const defaultCategory =
    chunk.kind === 'career_level'
      ? careerFamilyOf(chunk.sector, chunk.career).toLowerCase().replace(/\s+/g, '_')
      : chunk.topic.toLowerCase();
  const siblings = await siblingQuestions(input.owner, chunk, scope);
  const seen = new Set(siblings.map((q) => fingerprint(q.question)));

  const outcome = await runRepairLoop<Question>({
    count: chunk.questionCount,
    maxCalls: MAX_CALLS_PER_CHUNK,
    prompt: (need, rejections, kept) =>
      chunkPrompt({ chunk, count: need, avoid: [...siblings, ...kept].map((q) => q.question), rejections }),
    schema: questionsResponseSchema,
    check: (items, kept) =>
      checkQuestions(items, {
        difficulty,
        defaultCategory,
        seen: new Set([...seen, ...kept.map((q) => fingerprint(q.question))]),
      }),
    claim: (q) => jobs.claimQuestion(input.owner, scope, fingerprint(q.question), chunk.key),
    textOf: (q) => q.question,
    duplicateReason: 'duplicates another question of the same career',
    ask: modelCaller(input, SYSTEM_INSTRUCTION, PROMPT_VERSION),
  });
  const { kept, calls, usage } = outcome;
  if (kept.length < chunk.questionCount)
    throw failureOf(chunk, kept.length, calls, outcome.lastRejected, usage);

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
  return { questions: kept.length, s3Key, usage, costUsd: costOf(input.settings.model, usage) };
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
