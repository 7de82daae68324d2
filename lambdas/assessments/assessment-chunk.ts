/**
 * One chunk of an assessment: the questions of one Bloom level (one batch of them). With a
 * document, it retrieves the passages most relevant to the query at that level and grounds the
 * questions in them: the model may only cite a passage it was given (the response schema says
 * so and the check enforces it), so every question points at a passage that exists.
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
import { chunkKey } from '#jobs/chunks.ts';
import * as jobs from '#jobs/job-store.ts';
import { openQuestionBank } from '#jobs/question-bank.ts';
import { checkQuestions, fingerprint } from '#jobs/questions.ts';
import { runRepairLoop } from '#jobs/repair-loop.ts';
import * as results from '#jobs/results-store.ts';
import { DEFAULTS, ENV, intEnv, optionalEnv } from '#platform/config.ts';
import { s3Keys } from '#platform/keys.ts';
import { DEFAULT_LANGUAGE } from '#platform/language.ts';
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
import { ASSESSMENT, type AssessmentChunk, assessmentChunks, describeChunk } from './chunks.ts';
import { embedTexts } from './documents/embeddings.ts';
import { type DocumentIndex, loadIndex, searchPassages } from './documents/index-store.ts';

/** Passages given to the model per chunk: enough to spread the questions, few enough to stay focused. */
function passagesPerChunk(questions: number): number {
  return Math.min(12, Math.max(4, questions + 2));
}

/** A warm worker keeps the last document's index: chunks of one assessment share it. */
let cachedIndex: { key: string; index: DocumentIndex } | undefined;

async function indexOf(owner: string, documentId: string): Promise<DocumentIndex> {
  const key = `${owner}/${documentId}`;
  if (cachedIndex?.key !== key) cachedIndex = { key, index: await loadIndex(owner, documentId) };
  return cachedIndex.index;
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
  const index = await indexOf(input.owner, documentId);
  const [vector] = await embedTexts(
    [`${query}\nQuestions that ask the learner to ${BLOOM_GUIDANCE[chunk.bloomLevel]}.`],
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
  const k = passagesPerChunk(chunk.questionCount);
  const ranked = searchPassages(index, vector, k * chunk.batch);
  const window = ranked.slice(k * (chunk.batch - 1));
  // A short document has fewer passages than batches want: reuse the best ones then.
  return (window.length > 0 ? window : ranked.slice(0, k)).map((r): PassageRef => r.passage);
}

export async function generateAssessmentChunk(input: GenerateChunkInput): Promise<GeneratedChunk> {
  const params = input.job?.parameters ?? {};
  const chunk = assessmentChunks(params).find((c) => c.key === input.chunkKey);
  if (!chunk) throw new Error(`Chunk ${input.chunkKey} is not part of job ${input.jobId}`);
  const query = params.query ?? '';
  // Jobs started before `language` existed, or by routes that do not take it, are English.
  const language = params.language ?? DEFAULT_LANGUAGE;
  const documentId = params.document_id;
  const passages = documentId ? await retrieve(input, chunk, documentId, query) : [];
  const passageIds = passages.map((p) => p.id);
  const byId = new Map(passages.map((p) => [p.id, p]));
  // Questions must not repeat within the assessment, across its levels.
  const scope = chunkKey(ASSESSMENT, input.jobId);

  type Kept = AssessmentQuestion & { fingerprint: string; id: string };
  const bank = await openQuestionBank({
    owner: input.owner,
    scope,
    chunkKey: chunk.key,
    gate: input.settings.gate,
    label: 'this assessment',
  });
  const index = bank.index();
  const ask = modelCaller(input, ASSESSMENT_SYSTEM_INSTRUCTION, ASSESSMENT_PROMPT_VERSION);
  const outcome = await runRepairLoop<Kept>({
    count: chunk.questionCount,
    maxCalls: MAX_CALLS_PER_CHUNK,
    prompt: (need, rejections, kept) =>
      assessmentPrompt({
        query,
        bloomLevel: chunk.bloomLevel,
        count: need,
        passages,
        avoid: kept.map((q) => q.question),
        rejections,
        language,
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
        const source = documentId && passage ? { document_id: documentId, passage } : undefined;
        return {
          ...toAssessmentQuestion(question, chunk.bloomLevel, source),
          fingerprint: fingerprint(question.question),
          id: question.id,
        };
      });
      return { accepted, rejected: checked.rejected };
    },
    admit: (questions) => bank.admit(questions),
    model: input.settings.model,
    ask: (prompt, schema, call, size) =>
      ask(prompt, schema, call, questionCallTuning(input.settings, input.settings.model, call, size)),
  });
  const { kept, calls, usage, costUsd, quality } = outcome;
  if (kept.length < chunk.questionCount) throw failureOf(chunk, describeChunk(chunk), outcome);

  await input.settleCost?.(costUsd);

  const s3Key = s3Keys.assessmentChunk(input.owner, input.jobId, chunk.key);
  const file: ChunkFile<AssessmentQuestion> = {
    chunk_key: chunk.key,
    job_id: input.jobId,
    model: input.settings.model,
    prompt_version: ASSESSMENT_PROMPT_VERSION,
    generated_at: new Date().toISOString(),
    question_count: kept.length,
    calls,
    rejected: outcome.rejected,
    quality,
    usage,
    cost_usd: costUsd,
    questions: kept.map(({ fingerprint: _f, id: _id, ...question }, i) => ({
      ...question,
      language,
      provenance: provenanceOf(
        input,
        'assessment-chunk',
        ASSESSMENT_PROMPT_VERSION,
        outcome.keptCalls[i] ?? 1,
      ),
    })),
  };
  await results.putJson(s3Key, file);
  // Assessments have no checkpoint entry to say the chunk is kept: its record says so instead.
  await jobs.noteChunkKept(input.jobId, chunk.key, {
    s3_key: s3Key,
    questions: kept.length,
    usage,
    cost_usd: costUsd,
    quality,
    calls,
  });
  return { questions: kept.length, s3Key, usage, costUsd, quality };
}
