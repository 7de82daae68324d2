/**
 * One chunk of an assessment: the MCQs or the open questions of one Bloom level (one batch of
 * them). With a document, it retrieves the passages most relevant to the query at that level and
 * grounds the questions in them: the model may only cite a passage it was given (the response
 * schema says so and the check enforces it), so every question points at a passage that exists;
 * an open question's model answer must also be supported by the passage it cites. MCQs and open
 * questions share the assessment's bank, so neither repeats the other.
 */
import { randomUUID } from 'node:crypto';

import {
  type ChunkFile,
  failureOf,
  type GenerateChunkInput,
  type GeneratedChunk,
  MAX_CALLS_PER_CHUNK,
  modelCaller,
  provenanceOf,
  questionCallTuning,
  TOKENS_PER_QUESTION,
} from '#jobs/chunk-common.ts';
import { chunkKey } from '#jobs/chunks.ts';
import * as jobs from '#jobs/job-store.ts';
import { balanceByText, type KeyCues, keyCuesOfTexts } from '#jobs/key-cues.ts';
import type { ChunkQuality } from '#jobs/quality-report.ts';
import { openQuestionBank, type QuestionBank } from '#jobs/question-bank.ts';
import { type BloomLevel, checkQuestions, fingerprint, type Rejection } from '#jobs/questions.ts';
import { type RepairOutcome, runRepairLoop } from '#jobs/repair-loop.ts';
import * as results from '#jobs/results-store.ts';
import { DEFAULTS, ENV, intEnv, optionalEnv } from '#platform/config.ts';
import { s3Keys } from '#platform/keys.ts';
import { DEFAULT_LANGUAGE } from '#platform/language.ts';
import { type QuestionContent as ReviewedQuestion, recordQuestions } from '#review/review-store.ts';
import {
  ASSESSMENT_PROMPT_VERSION,
  ASSESSMENT_SYSTEM_INSTRUCTION,
  type AssessmentQuestion,
  assessmentProblems,
  assessmentPrompt,
  assessmentResponseSchema,
  type PassageRef,
  toAssessmentQuestion,
} from './assessment.ts';
import { BLOOM_GUIDANCE } from './bloom.ts';
import { ASSESSMENT, type AssessmentChunk, assessmentChunks, describeChunk, keyOffsetOf } from './chunks.ts';
import { embedTexts } from './documents/embeddings.ts';
import { type DocumentIndex, loadIndex, searchPassages } from './documents/index-store.ts';
import {
  checkOpenQuestions,
  OPEN_PROMPT_VERSION,
  OPEN_SYSTEM_INSTRUCTION,
  type OpenQuestion,
  openPrompt,
  openResponseSchema,
} from './open-questions.ts';

/** Places in a job's order per chunk: more than any chunk's questions. */
const ORDER_PER_CHUNK = 1000;

/** Passages given to the model per chunk: enough to spread the questions, few enough to stay focused. */
export function passagesPerChunk(questions: number): number {
  return Math.min(12, Math.max(4, questions + 2));
}

/** A warm worker keeps the last document's index: chunks of one assessment share it. */
let cachedIndex: { key: string; index: DocumentIndex } | undefined;

export async function documentIndexOf(owner: string, documentId: string): Promise<DocumentIndex> {
  const key = `${owner}/${documentId}`;
  if (cachedIndex?.key !== key) cachedIndex = { key, index: await loadIndex(owner, documentId) };
  return cachedIndex.index;
}

/** The embedding of a retrieval query, phrased for the Bloom level the questions ask for. */
export async function embedQuery(input: GenerateChunkInput, query: string, bloomLevel: BloomLevel) {
  const [vector] = await embedTexts(
    [`${query}\nQuestions that ask the learner to ${BLOOM_GUIDANCE[bloomLevel]}.`],
    {
      apiKey: input.apiKey,
      model: optionalEnv(ENV.geminiEmbeddingModel) ?? DEFAULTS.geminiEmbeddingModel,
      dimensions: intEnv(ENV.embeddingDimensions, DEFAULTS.embeddingDimensions, 1),
      taskType: 'RETRIEVAL_QUERY',
      requestsPerMinute: intEnv(ENV.embeddingRequestsPerMinute, DEFAULTS.embeddingRequestsPerMinute, 1),
      deadline: input.deadline,
    },
  );
  if (!vector) throw new Error('The embedding of the query came back empty');
  return vector;
}

/**
 * The passages for one batch of one level: ranked against the query phrased for that level;
 * later batches of the same level take the next passages down the ranking.
 */
async function retrieve(
  input: GenerateChunkInput,
  chunk: AssessmentChunk,
  documentId: string,
  query: string,
) {
  const index = await documentIndexOf(input.owner, documentId);
  const vector = await embedQuery(input, query, chunk.bloomLevel);
  const k = passagesPerChunk(chunk.questionCount);
  const ranked = searchPassages(index, vector, k * chunk.batch);
  const window = ranked.slice(k * (chunk.batch - 1));
  // A short document has fewer passages than batches want: reuse the best ones then.
  return (window.length > 0 ? window : ranked.slice(0, k)).map((r): PassageRef => r.passage);
}

/** What a chunk knows before its first call: its passages, its document and its bank. */
export interface ChunkContext {
  input: GenerateChunkInput;
  chunk: AssessmentChunk;
  query: string;
  /** ISO 639-1 code the questions are written in. */
  language: string;
  documentId: string | undefined;
  passages: PassageRef[];
  byId: Map<string, PassageRef>;
  bank: QuestionBank;
}

/** A chunk's context from its job's parameters, the passages retrieved for it and its bank. */
export function chunkContext(
  input: GenerateChunkInput,
  chunk: AssessmentChunk,
  params: { query?: string; document_id?: string; language?: string },
  passages: PassageRef[],
  bank: QuestionBank,
): ChunkContext {
  return {
    input,
    chunk,
    query: params.query ?? '',
    // Jobs started before `language` existed, or by routes that do not take it, are English.
    language: params.language ?? DEFAULT_LANGUAGE,
    documentId: params.document_id,
    passages,
    byId: new Map(passages.map((p) => [p.id, p])),
    bank,
  };
}

/** How one type of question is asked for and checked; the rest of a chunk is the same for both. */
export interface Flavor<Q extends { id: string; question: string }> {
  systemInstruction: string;
  promptVersion: string;
  template: string;
  /** Room for one question's visible answer (questionCallTuning's default suits an MCQ). */
  tokensPerQuestion?: number;
  prompt(need: number, rejections: Rejection[], kept: Q[]): string;
  schema(need: number): unknown;
  check(items: unknown[], kept: Q[]): { accepted: Q[]; rejected: Rejection[] };
  /** The kept questions as they are stored (MCQs: keys balanced over positions), with their key cues. */
  arrange?(kept: Q[]): { kept: Q[]; keyCues: KeyCues };
}

export type KeptMcq = AssessmentQuestion & { fingerprint: string; id: string };
/** Open questions are numbered when the assessment is assembled. */
export type KeptOpen = Omit<OpenQuestion, 'question_no'> & { id: string };

function sourceOf(ctx: ChunkContext, passage: PassageRef | undefined) {
  if (!ctx.documentId || !passage) return {};
  return {
    source: {
      document_id: ctx.documentId,
      passage_id: passage.id,
      page: passage.page,
      excerpt: passage.text.slice(0, 300),
    },
  };
}

export function mcqFlavor(ctx: ChunkContext): Flavor<KeptMcq> {
  const { input, chunk, passages, byId, bank } = ctx;
  const passageIds = passages.map((p) => p.id);
  const index = bank.index();
  return {
    systemInstruction: ASSESSMENT_SYSTEM_INSTRUCTION,
    promptVersion: ASSESSMENT_PROMPT_VERSION,
    template: 'assessment-chunk',
    prompt: (need, rejections, kept) =>
      assessmentPrompt({
        query: ctx.query,
        bloomLevel: chunk.bloomLevel,
        count: need,
        passages,
        avoid: kept.map((q) => q.question),
        rejections,
        language: ctx.language,
      }),
    schema: (need) => assessmentResponseSchema(need, chunk.bloomLevel, passageIds),
    check: (items, kept) => {
      const checked = checkQuestions(items, {
        difficulty: 0,
        defaultCategory: 'assessment',
        seen: new Set([...bank.others.map((text) => fingerprint(text)), ...kept.map((q) => q.fingerprint)]),
        bank: index,
        gate: input.settings.gate,
        bloomLevels: [chunk.bloomLevel],
        extraCheck: (item) => assessmentProblems(item, chunk.bloomLevel, new Set(passageIds)),
      });
      const accepted = checked.accepted.map((question, i) => {
        const item = items[checked.acceptedIndexes[i] ?? -1] as { source_passage_id?: string } | undefined;
        const passage = item?.source_passage_id ? byId.get(item.source_passage_id) : undefined;
        const source = ctx.documentId && passage ? { document_id: ctx.documentId, passage } : undefined;
        return {
          ...toAssessmentQuestion(question, chunk.bloomLevel, source),
          fingerprint: fingerprint(question.question),
          id: question.id,
        };
      });
      return { accepted, rejected: checked.rejected };
    },
    arrange: (kept) => {
      const balanced = balanceByText(kept, keyOffsetOf(input.job?.parameters ?? {}, chunk.key));
      return { kept: balanced, keyCues: keyCuesOfTexts(balanced) };
    },
  };
}

export function openFlavor(ctx: ChunkContext): Flavor<KeptOpen> {
  const { input, chunk, passages, byId, bank } = ctx;
  const passageIds = passages.map((p) => p.id);
  const index = bank.index();
  return {
    systemInstruction: OPEN_SYSTEM_INSTRUCTION,
    promptVersion: OPEN_PROMPT_VERSION,
    template: 'assessment-open-chunk',
    // A model answer may run to LIMITS.modelAnswerChars (about 500 tokens) besides stem and explanation.
    tokensPerQuestion: 2 * TOKENS_PER_QUESTION,
    prompt: (need, rejections, kept) =>
      openPrompt({
        query: ctx.query,
        bloomLevel: chunk.bloomLevel,
        count: need,
        passages,
        // The assessment's MCQs kept so far too: an open question must not ask what one of them asks.
        avoid: [...bank.others, ...kept.map((q) => q.question)],
        rejections,
        language: ctx.language,
      }),
    schema: (need) => openResponseSchema(need, chunk.bloomLevel, passageIds),
    check: (items) => {
      const checked = checkOpenQuestions(items, {
        bloomLevel: chunk.bloomLevel,
        passages: byId,
        bank: index,
        nearDuplicateThreshold: input.settings.gate.nearDuplicateThreshold,
      });
      const accepted = checked.accepted.map(
        ({ passage, ...q }): KeptOpen => ({ ...q, ...sourceOf(ctx, passage), id: randomUUID() }),
      );
      return { accepted, rejected: checked.rejected };
    },
  };
}

/** A chunk's questions as they are stored, with the repair loop's outcome and the quality figures. */
export interface GeneratedQuestions<Q> {
  questions: Record<string, unknown>[];
  /** The id each question's bank and review record know it by, in the same order. */
  ids: string[];
  outcome: RepairOutcome<Q>;
  quality: ChunkQuality;
}

/**
 * The repair loop for one flavor, until the chunk's questions are kept (or ChunkGenerationFailed
 * names `label`), then their stored shape; the chunk's cost is settled before anything is kept.
 */
export async function generateQuestions<Q extends { id: string; question: string }>(
  ctx: ChunkContext,
  flavor: Flavor<Q>,
  strip: (q: Q) => object,
  label: string,
): Promise<GeneratedQuestions<Q>> {
  const { input, chunk, bank } = ctx;
  const ask = modelCaller(input, flavor.systemInstruction, flavor.promptVersion);
  const outcome = await runRepairLoop<Q>({
    count: chunk.questionCount,
    maxCalls: MAX_CALLS_PER_CHUNK,
    prompt: flavor.prompt,
    schema: flavor.schema,
    check: flavor.check,
    admit: (questions) => bank.admit(questions),
    model: input.settings.model,
    ask: (prompt, schema, call, size) =>
      ask(
        prompt,
        schema,
        call,
        questionCallTuning(input.settings, input.settings.model, call, {
          ...size,
          tokensPerQuestion: flavor.tokensPerQuestion,
        }),
      ),
  });
  if (outcome.kept.length < chunk.questionCount) throw failureOf(chunk, label, outcome);
  const arranged = flavor.arrange?.(outcome.kept);
  const kept = arranged?.kept ?? outcome.kept;
  const quality = arranged ? { ...outcome.quality, key_cues: arranged.keyCues } : outcome.quality;

  await input.settleCost?.(outcome.costUsd);
  const questions = kept.map((question, i) => ({
    ...strip(question),
    language: ctx.language,
    provenance: provenanceOf(input, flavor.template, flavor.promptVersion, outcome.keptCalls[i] ?? 1),
  }));
  return { questions, ids: kept.map((q) => q.id), outcome, quality };
}

/** A chunk's questions generated, then its review records, its chunk file and its record. */
async function runChunk<Q extends { id: string; question: string }>(
  ctx: ChunkContext,
  flavor: Flavor<Q>,
  strip: (q: Q) => object,
): Promise<GeneratedChunk> {
  const { input, chunk } = ctx;
  const { questions, ids, outcome, quality } = await generateQuestions(
    ctx,
    flavor,
    strip,
    describeChunk(chunk),
  );
  const { calls, usage, costUsd } = outcome;
  // Each kept question starts pending review, by the id its bank knows it by; recorded before the
  // chunk is kept (see quiz-chunk.ts). `order` puts a review state's questions back in the
  // result's order: chunk by chunk as the job lists them.
  const chunkIndex = assessmentChunks(input.job?.parameters ?? {}).findIndex((c) => c.key === chunk.key);
  await recordQuestions(
    input.owner,
    {
      job_id: input.jobId,
      chunk_key: chunk.key,
      bank_scope: chunkKey(ASSESSMENT, input.jobId),
      assessment_id: input.jobId,
      order: Math.max(chunkIndex, 0) * ORDER_PER_CHUNK,
    },
    questions.map((q, i) => ({ ...q, id: ids[i] ?? '' }) as unknown as ReviewedQuestion),
    chunk.type === 'open' ? 'open' : 'mcq',
  );

  const s3Key = s3Keys.assessmentChunk(input.owner, input.jobId, chunk.key);
  const file: ChunkFile<object> = {
    chunk_key: chunk.key,
    job_id: input.jobId,
    model: input.settings.model,
    prompt_version: flavor.promptVersion,
    generated_at: new Date().toISOString(),
    question_count: questions.length,
    calls,
    rejected: outcome.rejected,
    quality,
    usage,
    cost_usd: costUsd,
    questions,
  };
  await results.putJson(s3Key, file);
  // Assessments have no checkpoint entry to say the chunk is kept: its record says so instead.
  await jobs.noteChunkKept(input.jobId, chunk.key, {
    s3_key: s3Key,
    questions: questions.length,
    usage,
    cost_usd: costUsd,
    quality,
    calls,
  });
  return { questions: questions.length, s3Key, usage, costUsd, quality };
}

export async function generateAssessmentChunk(input: GenerateChunkInput): Promise<GeneratedChunk> {
  const params = input.job?.parameters ?? {};
  const chunk = assessmentChunks(params).find((c) => c.key === input.chunkKey);
  if (!chunk) throw new Error(`Chunk ${input.chunkKey} is not part of job ${input.jobId}`);
  const query = params.query ?? '';
  const documentId = params.document_id;
  const passages = documentId ? await retrieve(input, chunk, documentId, query) : [];
  // Questions must not repeat within the assessment, across its levels and types.
  const bank = await openQuestionBank({
    owner: input.owner,
    scope: chunkKey(ASSESSMENT, input.jobId),
    chunkKey: chunk.key,
    gate: input.settings.gate,
    label: 'this assessment',
  });
  const ctx = chunkContext(input, chunk, params, passages, bank);
  if (chunk.type === 'open') return runChunk(ctx, openFlavor(ctx), stripOpen);
  return runChunk(ctx, mcqFlavor(ctx), stripMcq);
}

/** A kept question as stored: without the id (its review record's key) and the fingerprint. */
export const stripOpen = ({ id: _id, ...q }: KeptOpen) => q;
export const stripMcq = ({ fingerprint: _f, id: _id, ...q }: KeptMcq) => q;
