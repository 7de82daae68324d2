/**
 * Regenerating one reviewed assessment question, an MCQ or an open question, as a job kind
 * (`assessment_question_regeneration`, started by `POST /questions/{id}/regenerate`): one chunk
 * of one question through the same pipeline as the assessment's chunks (assessment-chunk.ts:
 * its flavors' prompt, response schema and gate, the repair loop), at the old question's Bloom
 * level and type, checked for near-duplicates against its assessment's bank (the old question
 * among them). The assessment's document is searched again for the question's subject (the
 * assessment's query and the old question), and the passage the old one cited is given first,
 * so the new question is grounded as the old one was: it must cite one of the passages given.
 * An MCQ's key goes where the old one's stood, so the assessment's key balance holds.
 *
 * Keeping the replacement in the old question's place (same job, chunk, bank and order, so
 * `GET /job_status?review=` lists it there) and rejecting the old one is review/replacement.ts's,
 * as for a quiz bank's question.
 *
 * EduMate itself regenerates only whole assessments: its "Regenerate Questions" button asks
 * `/generate` again for a new set from the same collection (suyash-sketch/edu-mate
 * frontend/src/App.jsx `handleRegenerate`), which works here as it is. One question at a time,
 * with a reviewer's instructions, is the review API's own route, so no client's shape binds it.
 */
import type { GenerateChunkInput } from '#jobs/chunk-common.ts';
import { ChunkGenerationFailed } from '#jobs/chunk-common.ts';
import type { JobRecord } from '#jobs/job.ts';
import * as jobs from '#jobs/job-store.ts';
import { balanceByText, keyCuesOfTexts } from '#jobs/key-cues.ts';
import type { JobKind } from '#jobs/kind.ts';
import { openQuestionBank } from '#jobs/question-bank.ts';
import { zeroUsage } from '#jobs/repair-loop.ts';
import { s3Keys } from '#platform/keys.ts';
import { assessmentRegenerationBasics } from '#review/regenerate-basics.ts';
import { type ReplacementFile, regenerationKind, replacementFile } from '#review/replacement.ts';
import type { QuestionContent, ReviewRecord } from '#review/review-store.ts';
import type { PassageRef } from './assessment.ts';
import {
  type ChunkContext,
  chunkContext,
  documentIndexOf,
  embedQuery,
  type Flavor,
  generateQuestions,
  type KeptMcq,
  mcqFlavor,
  openFlavor,
  passagesPerChunk,
  stripMcq,
  stripOpen,
} from './assessment-chunk.ts';
import type { AssessmentChunk } from './chunks.ts';
import { DocumentIndexMissing, searchPassages } from './documents/index-store.ts';
import { ASSESSMENT_REGENERATION_PROMPT_VERSION, replacementLines } from './regenerate-prompt.ts';

const ASSESSMENT_QUESTION = { types: ['mcq', 'open'] as const, name: "an assessment's question" };
const TEMPLATE = 'assessment-question-regeneration';

/** The assessment job the question came from: its query, document and language. */
async function assessmentOf(owner: string, old: ReviewRecord): Promise<JobRecord> {
  const job = await jobs.getJob(old.job_id);
  if (!job || job.owner !== owner) {
    throw new ChunkGenerationFailed(
      `The assessment job ${old.job_id} of question ${old.id} no longer exists (jobs expire), so its query and document are unknown; edit the question with PATCH /questions/${old.id} instead`,
      zeroUsage(),
    );
  }
  return job;
}

/**
 * The passages to ground the replacement in: the one the old question cited first, then the
 * document's passages ranked for the assessment's query and the old question, at its level.
 */
async function passagesFor(
  input: GenerateChunkInput,
  documentId: string,
  query: string,
  old: ReviewRecord,
): Promise<PassageRef[]> {
  let index: Awaited<ReturnType<typeof documentIndexOf>>;
  try {
    index = await documentIndexOf(input.owner, documentId);
  } catch (error) {
    if (!(error instanceof DocumentIndexMissing)) throw error;
    throw new ChunkGenerationFailed(
      `The document ${documentId} of question ${old.id}'s assessment is gone, so the replacement cannot be grounded in it`,
      zeroUsage(),
    );
  }
  const cited = citedPassageOf(old.question);
  const first = cited === undefined ? undefined : index.passages.find((p) => p.id === cited);
  const vector = await embedQuery(input, `${query}\n${old.question.question}`, old.bloom_level);
  const k = passagesPerChunk(1);
  const ranked = searchPassages(index, vector, first ? k - 1 : k, first ? { excludeIds: [first.id] } : {});
  return [...(first ? [first] : []), ...ranked.map((hit) => hit.passage)];
}

function citedPassageOf(question: QuestionContent): string | undefined {
  const source = question.source as { passage_id?: unknown } | undefined;
  return typeof source?.passage_id === 'string' ? source.passage_id : undefined;
}

/** The chunk's flavor asked for a replacement: the old question, the instructions, the key's place. */
function replacing<Q extends { id: string; question: string }>(
  flavor: Flavor<Q>,
  ctx: ChunkContext,
  old: ReviewRecord,
): Flavor<Q> {
  const instructions = ctx.input.job?.parameters.instructions;
  const previous = old.question as QuestionContent & {
    options?: string[];
    correct_answer?: string;
    model_answer?: string;
  };
  return {
    ...flavor,
    promptVersion: ASSESSMENT_REGENERATION_PROMPT_VERSION,
    template: TEMPLATE,
    prompt: (need, rejections, kept) =>
      [
        flavor.prompt(need, rejections, kept),
        ...replacementLines({
          old: previous,
          instructions,
          grounded: ctx.passages.length > 0,
          // The open flavor's prompt lists the bank already; the MCQ flavor's only what it kept.
          avoid: old.type === 'mcq' ? ctx.bank.others : [],
        }),
      ].join('\n'),
  };
}

/** An MCQ's key where the old one's stood (question 0 of a round-robin at that offset). */
function keyInPlace(flavor: Flavor<KeptMcq>, old: ReviewRecord): Flavor<KeptMcq> {
  const options = Array.isArray(old.question.options) ? (old.question.options as string[]) : [];
  const offset = Math.max(0, options.indexOf(String(old.question.correct_answer)));
  return {
    ...flavor,
    arrange: (kept) => {
      const balanced = balanceByText(kept, offset);
      return { kept: balanced, keyCues: keyCuesOfTexts(balanced) };
    },
  };
}

async function generateReplacement(input: GenerateChunkInput, old: ReviewRecord): Promise<ReplacementFile> {
  const assessment = await assessmentOf(input.owner, old);
  const params = assessment.parameters;
  const query = params.query ?? '';
  const documentId = params.document_id;
  const passages = documentId ? await passagesFor(input, documentId, query, old) : [];
  // Its own chunk key: opening the bank under the old question's chunk would withdraw that
  // chunk's questions as an unfinished attempt's. The old question is one of the "others", so a
  // near-copy of it is refused like any duplicate.
  const bank = await openQuestionBank({
    owner: input.owner,
    scope: old.bank_scope,
    chunkKey: input.chunkKey,
    gate: input.settings.gate,
    label: 'this assessment',
  });
  const chunk: AssessmentChunk = {
    key: input.chunkKey,
    type: old.type === 'open' ? 'open' : 'mcq',
    bloomLevel: old.bloom_level,
    batch: 1,
    questionCount: 1,
  };
  const ctx = chunkContext(input, chunk, params, passages, bank);
  const label = `the replacement of question ${old.id}`;
  const generated =
    chunk.type === 'open'
      ? await generateQuestions(ctx, replacing(openFlavor(ctx), ctx, old), stripOpen, label)
      : await generateQuestions(ctx, keyInPlace(replacing(mcqFlavor(ctx), ctx, old), old), stripMcq, label);
  const { outcome } = generated;
  return replacementFile(input, {
    // The id its review record gets (the one its bank knows it by).
    question: { ...generated.questions[0], id: generated.ids[0] ?? '' } as unknown as QuestionContent,
    model: input.settings.model,
    promptVersion: ASSESSMENT_REGENERATION_PROMPT_VERSION,
    calls: outcome.calls,
    rejected: outcome.rejected,
    quality: generated.quality,
    usage: outcome.usage,
    costUsd: outcome.costUsd,
  });
}

export const assessmentQuestionRegeneration: JobKind = regenerationKind(assessmentRegenerationBasics, {
  replaceable: ASSESSMENT_QUESTION,
  // Under the regeneration job, as an assessment's chunk files are under theirs.
  s3Key: (input) => s3Keys.assessmentChunk(input.owner, input.jobId, input.chunkKey),
  generate: generateReplacement,
});
