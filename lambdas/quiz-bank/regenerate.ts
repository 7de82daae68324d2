/**
 * Regenerating one reviewed quiz-bank question (`POST /questions/{id}/regenerate`) as a job
 * kind: one chunk of one question through the same repair loop, quality gate and near-duplicate
 * check against the question's bank as generation, asked with the replaced question and the
 * reviewer's instructions. The kind lives here, not in lambdas/review/, because it is built from
 * the quiz bank's prompts and chunks, and the review room imports no product (ARCHITECTURE.md
 * "Rooms"); the route that starts it is the review API's, with the basics of review/.
 *
 * Where the new question is kept: in its own review record (`replaces` naming the old one), in
 * the old question's place (same job, chunk, bank and order), and nowhere in the result files.
 * The old record gets `replaced_by`, and `review=` downloads and exports put the replacement
 * where the old question stood (review-filter.ts); assessments list their records anyway. One
 * copy of the question, so no file of the bank is rewritten and no second source can drift.
 * A small chunk file is kept too, as for every chunk: what the call made and cost.
 */

import {
  type ChunkFile,
  ChunkGenerationFailed,
  failureOf,
  type GenerateChunkInput,
  type GeneratedChunk,
  MAX_CALLS_PER_CHUNK,
  modelCaller,
  provenanceOf,
  questionCallTuning,
} from '#jobs/chunk-common.ts';
import { balanceLettered, keyCuesOfLettered } from '#jobs/key-cues.ts';
import type { JobKind } from '#jobs/kind.ts';
import { openQuestionBank } from '#jobs/question-bank.ts';
import { checkQuestions, fingerprint, type Question, questionsResponseSchema } from '#jobs/questions.ts';
import { runRepairLoop, zeroUsage } from '#jobs/repair-loop.ts';
import * as results from '#jobs/results-store.ts';
import { s3Keys } from '#platform/keys.ts';
import { regenerationBasics, regenerationChunkKey } from '#review/regenerate-basics.ts';
import { decided } from '#review/review-service.ts';
import {
  getReview,
  ReviewConflict,
  type ReviewRecord,
  recordQuestions,
  saveReview,
} from '#review/review-store.ts';
import { chunkFromKey } from './chunks.ts';
import { SYSTEM_INSTRUCTION } from './prompts.ts';
import { REGENERATION_PROMPT_VERSION, regenerationPrompt } from './regenerate-prompt.ts';

const TEMPLATE = 'question-regeneration';

/** The question to replace, as the job's parameters name it; a failure not worth retrying otherwise. */
async function questionToReplace(owner: string, id: string | undefined): Promise<ReviewRecord> {
  const record = id === undefined ? undefined : await getReview(owner, id);
  if (!record) throw new ChunkGenerationFailed(`Question ${id} no longer exists`, zeroUsage());
  if (record.type !== 'quiz') {
    throw new ChunkGenerationFailed(`Question ${id} is not a quiz bank's question`, zeroUsage());
  }
  return record;
}

/** Where the old question's key stood (a–d as 0–3): the new one's goes there, so the bank's balance holds. */
const keyIndexOf = (q: Question) =>
  Math.max(
    0,
    q.options.findIndex((o) => o.id === q.correct_answer),
  );

async function generateReplacement(input: GenerateChunkInput, old: ReviewRecord): Promise<ChunkFile> {
  const previous = old.question as unknown as Question;
  const chunk = { ...chunkFromKey(old.chunk_key, input.settings), questionCount: 1 };
  const instructions = input.job?.parameters.instructions;
  // Its own chunk key: opening the bank under the old question's chunk would withdraw that
  // chunk's questions as an unfinished attempt's. The bank's questions, the old one among them,
  // are all "others" here, so a near-copy of the old question is refused like any duplicate.
  const bank = await openQuestionBank({
    owner: input.owner,
    scope: old.bank_scope,
    chunkKey: input.chunkKey,
    gate: input.settings.gate,
    label: chunk.kind === 'career_level' ? 'the same career' : 'the same topic',
  });
  const bloomLevels = [old.bloom_level];
  const index = bank.index();
  const seen = new Set(bank.others.map((text) => fingerprint(text)));
  const ask = modelCaller(input, SYSTEM_INSTRUCTION, REGENERATION_PROMPT_VERSION);
  const outcome = await runRepairLoop<Question>({
    count: 1,
    maxCalls: MAX_CALLS_PER_CHUNK,
    prompt: (_need, rejections) =>
      regenerationPrompt({ chunk, old: previous, instructions, avoid: bank.others, rejections }),
    schema: (need) => questionsResponseSchema(need, bloomLevels),
    check: (items) =>
      checkQuestions(items, {
        difficulty: previous.difficulty,
        defaultCategory: previous.category,
        seen,
        bank: index,
        gate: input.settings.gate,
        bloomLevels,
      }),
    admit: (questions) => bank.admit(questions),
    model: input.settings.model,
    ask: (prompt, schema, call, size) =>
      ask(prompt, schema, call, questionCallTuning(input.settings, input.settings.model, call, size)),
  });
  if (outcome.kept.length < 1) throw failureOf(chunk, `the replacement of question ${old.id}`, outcome);
  // Offset = the old key's index, question 0: round-robin puts the key exactly there.
  const kept = balanceLettered(outcome.kept, keyIndexOf(previous)).map(
    (q, i): Question => ({
      ...q,
      language: chunk.language,
      provenance: provenanceOf(input, TEMPLATE, REGENERATION_PROMPT_VERSION, outcome.keptCalls[i] ?? 1),
    }),
  );
  await input.settleCost?.(outcome.costUsd);
  return {
    chunk_key: input.chunkKey,
    job_id: input.jobId,
    model: input.settings.model,
    prompt_version: REGENERATION_PROMPT_VERSION,
    generated_at: new Date().toISOString(),
    question_count: kept.length,
    calls: outcome.calls,
    rejected: outcome.rejected,
    quality: { ...outcome.quality, key_cues: keyCuesOfLettered(kept) },
    usage: outcome.usage,
    cost_usd: outcome.costUsd,
    questions: kept,
  };
}

/**
 * The old question rejected by the key that asked (its name, as the request recorded it with the
 * claim; the owner's key id for a claim made before names), naming its replacement. Retried on a
 * concurrent decision.
 */
async function markReplaced(owner: string, oldId: string, newId: string, jobId: string): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const current = await questionToReplace(owner, oldId);
    if (current.replaced_by === newId) return;
    const note = `Replaced by question ${newId}, regenerated by job ${jobId}`;
    const next = {
      ...decided(
        current,
        'rejected',
        current.regenerating_by ?? { name: owner, keyId: owner },
        new Date().toISOString(),
        note,
      ),
      replaced_by: newId,
    };
    try {
      await saveReview(owner, current, next);
      return;
    } catch (error) {
      if (!(error instanceof ReviewConflict)) throw error;
    }
  }
  throw new Error(`Question ${oldId} kept changing while it was being marked replaced`);
}

/**
 * Generates the replacement, then keeps it: the chunk file first, then the new record, then the
 * old one's rejection. A redelivery that finds this job's file picks up where the last stopped
 * and never generates (or charges for) a second replacement.
 */
export async function regenerateQuestion(input: GenerateChunkInput): Promise<GeneratedChunk> {
  const oldId = input.job?.parameters.question_id;
  const s3Key = s3Keys.chunk(input.owner, input.chunkKey);
  const earlier = await results.getJson<ChunkFile>(s3Key);
  const old = await questionToReplace(input.owner, oldId);
  let file: ChunkFile;
  if (earlier?.job_id === input.jobId) file = earlier;
  else {
    if (old.replaced_by) {
      throw new ChunkGenerationFailed(
        `Question ${old.id} was already replaced by question ${old.replaced_by}`,
        zeroUsage(),
      );
    }
    // The request claimed the question for this job (regenerate-service.ts); another job's claim wins.
    if (old.regenerating !== input.jobId) {
      throw new ChunkGenerationFailed(
        `Question ${old.id} is being regenerated by job ${old.regenerating ?? 'none'}, not this one`,
        zeroUsage(),
      );
    }
    file = await generateReplacement(input, old);
    await results.putJson(s3Key, file);
  }
  const replacement = file.questions[0] as Question;
  if (!(await getReview(input.owner, replacement.id))) {
    // The old question's origin (job, chunk, bank, filters, order): the new one takes its place.
    const {
      id: _id,
      type: _type,
      question: _question,
      bloom_level: _bloom,
      state: _state,
      reviewer: _reviewer,
      reviewer_key_id: _reviewerKey,
      reviewed_at: _at,
      note: _note,
      version: _version,
      replaces: _replaces,
      replaced_by: _by,
      regenerating: _claim,
      regenerating_since: _since,
      regenerating_by: _requester,
      created_at: _created,
      revision: _revision,
      ...origin
    } = old;
    await recordQuestions(input.owner, { ...origin, replaces: old.id }, [replacement]);
  }
  await markReplaced(input.owner, old.id, replacement.id, input.jobId);
  return {
    questions: 1,
    s3Key,
    usage: file.usage,
    costUsd: file.cost_usd,
    quality: file.quality,
  };
}

export const questionRegeneration: JobKind = {
  ...regenerationBasics,
  plan: async (job) => ({ total: 1, stages: [[regenerationChunkKey(job.parameters.question_id ?? '')]] }),
  chunkLabel: async (job, chunkKey) =>
    chunkKey === regenerationChunkKey(job.parameters.question_id ?? '')
      ? `the replacement of question ${job.parameters.question_id}`
      : undefined,
  generate: regenerateQuestion,
  // Nothing to assemble: the replacement is read from its review record (see above).
  assemble: async () => ({ files: [] }),
};
