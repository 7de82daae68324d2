/**
 * Regenerating one reviewed quiz-bank question (`POST /questions/{id}/regenerate`) as a job
 * kind: one chunk of one question through the same repair loop, quality gate and near-duplicate
 * check against the question's bank as generation, asked with the replaced question and the
 * reviewer's instructions. The kind lives here, not in lambdas/review/, because it is built from
 * the quiz bank's prompts and chunks, and the review room imports no product (ARCHITECTURE.md
 * "Rooms"); the route that starts it is the review API's, with the basics of review/.
 *
 * Finding the question, keeping the replacement in the old one's place and rejecting the old
 * one are review/replacement.ts's, shared with the assessments' regeneration; the replacement is
 * kept in its own review record only, so no file of the bank is rewritten.
 */

import {
  failureOf,
  type GenerateChunkInput,
  MAX_CALLS_PER_CHUNK,
  modelCaller,
  provenanceOf,
  questionCallTuning,
} from '#jobs/chunk-common.ts';
import { balanceLettered, keyCuesOfLettered } from '#jobs/key-cues.ts';
import type { JobKind } from '#jobs/kind.ts';
import { openQuestionBank } from '#jobs/question-bank.ts';
import { checkQuestions, fingerprint, type Question, questionsResponseSchema } from '#jobs/questions.ts';
import { runRepairLoop } from '#jobs/repair-loop.ts';
import { s3Keys } from '#platform/keys.ts';
import { regenerationBasics } from '#review/regenerate-basics.ts';
import { type ReplacementFile, regenerationKind, replacementFile } from '#review/replacement.ts';
import type { QuestionContent, ReviewRecord } from '#review/review-store.ts';
import { chunkFromKey } from './chunks.ts';
import { SYSTEM_INSTRUCTION } from './prompts.ts';
import { REGENERATION_PROMPT_VERSION, regenerationPrompt } from './regenerate-prompt.ts';

const TEMPLATE = 'question-regeneration';

const QUIZ_QUESTION = { types: ['quiz'] as const, name: "a quiz bank's question" };

/** Where the old question's key stood (a–d as 0–3): the new one's goes there, so the bank's balance holds. */
const keyIndexOf = (q: Question) =>
  Math.max(
    0,
    q.options.findIndex((o) => o.id === q.correct_answer),
  );

async function generateReplacement(input: GenerateChunkInput, old: ReviewRecord): Promise<ReplacementFile> {
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
  return replacementFile(input, {
    question: kept[0] as unknown as QuestionContent,
    model: input.settings.model,
    promptVersion: REGENERATION_PROMPT_VERSION,
    calls: outcome.calls,
    rejected: outcome.rejected,
    quality: { ...outcome.quality, key_cues: keyCuesOfLettered(kept) },
    usage: outcome.usage,
    costUsd: outcome.costUsd,
  });
}

export const questionRegeneration: JobKind = regenerationKind(regenerationBasics, {
  replaceable: QUIZ_QUESTION,
  // Beside the quiz bank's chunk files.
  s3Key: (input) => s3Keys.chunk(input.owner, input.chunkKey),
  generate: generateReplacement,
});
