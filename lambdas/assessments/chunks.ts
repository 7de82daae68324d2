/**
 * An assessment's chunks: one per Bloom level of its mix, split into batches of
 * ASSESSMENT_BATCH_SIZE questions, `assessment__apply__1`; open questions likewise, per level
 * of their own mix, `assessment__open__apply__1`. The keys are per job (chunk files live under
 * the job), so nothing carries over from one assessment to the next.
 */

import { chunkKey } from '#jobs/chunks.ts';
import type { JobParameters } from '#jobs/job.ts';
import { BLOOM_LEVELS, type BloomLevel } from '#jobs/questions.ts';

export const ASSESSMENT = 'assessment';
/** The key part that marks an open-question chunk. */
export const OPEN = 'open';
/** Questions per model call in an assessment: small batches keep each call's passages focused. */
export const ASSESSMENT_BATCH_SIZE = 10;

export type AssessmentQuestionType = 'mcq' | 'open';

export interface AssessmentChunk {
  key: string;
  type: AssessmentQuestionType;
  bloomLevel: BloomLevel;
  batch: number;
  questionCount: number;
}

function chunksOf(mix: Partial<Record<BloomLevel, number>>, type: AssessmentQuestionType): AssessmentChunk[] {
  return BLOOM_LEVELS.flatMap((bloomLevel) => {
    const count = mix[bloomLevel] ?? 0;
    const batches = Math.ceil(count / ASSESSMENT_BATCH_SIZE);
    return Array.from({ length: batches }, (_, i): AssessmentChunk => {
      const questionCount = Math.min(ASSESSMENT_BATCH_SIZE, count - i * ASSESSMENT_BATCH_SIZE);
      const key =
        type === 'open'
          ? chunkKey(ASSESSMENT, OPEN, bloomLevel, i + 1)
          : chunkKey(ASSESSMENT, bloomLevel, i + 1);
      return { key, type, bloomLevel, batch: i + 1, questionCount };
    });
  });
}

/** The MCQ chunks in Bloom's order, then the open-question chunks in Bloom's order. */
export function assessmentChunks(params: JobParameters): AssessmentChunk[] {
  return [...chunksOf(params.bloom_mix ?? {}, 'mcq'), ...chunksOf(params.subjective_mix ?? {}, 'open')];
}

export function describeChunk(chunk: AssessmentChunk): string {
  const kind = chunk.type === 'open' ? 'open questions' : 'questions';
  return `${chunk.bloomLevel} ${kind} (batch ${chunk.batch})`;
}

/**
 * Where the round-robin of key positions starts for an MCQ chunk (key-cues.ts): the questions
 * of the MCQ chunks before it, in Bloom's order, so the assessment's keys come out even however
 * its chunks finish. Open questions have no key.
 */
export function keyOffsetOf(params: JobParameters, key: string): number {
  let offset = 0;
  for (const chunk of assessmentChunks(params)) {
    if (chunk.key === key) break;
    if (chunk.type === 'mcq') offset += chunk.questionCount;
  }
  return offset;
}
