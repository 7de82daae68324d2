/**
 * An assessment's chunks: one per Bloom level of its mix, split into batches of
 * ASSESSMENT_BATCH_SIZE questions, `assessment__apply__1`. The keys are per job (chunk files
 * live under the job), so nothing carries over from one assessment to the next.
 */

import { chunkKey } from '#jobs/chunks.ts';
import type { JobParameters } from '#jobs/job.ts';
import { BLOOM_LEVELS, type BloomLevel } from '#jobs/questions.ts';

export const ASSESSMENT = 'assessment';
/** Questions per model call in an assessment: small batches keep each call's passages focused. */
export const ASSESSMENT_BATCH_SIZE = 10;

export interface AssessmentChunk {
  key: string;
  bloomLevel: BloomLevel;
  batch: number;
  questionCount: number;
}

export function assessmentChunks(params: JobParameters): AssessmentChunk[] {
  const mix = params.bloom_mix ?? {};
  return BLOOM_LEVELS.flatMap((bloomLevel) => {
    const count = mix[bloomLevel] ?? 0;
    const batches = Math.ceil(count / ASSESSMENT_BATCH_SIZE);
    return Array.from({ length: batches }, (_, i): AssessmentChunk => {
      const questionCount = Math.min(ASSESSMENT_BATCH_SIZE, count - i * ASSESSMENT_BATCH_SIZE);
      return { key: chunkKey(ASSESSMENT, bloomLevel, i + 1), bloomLevel, batch: i + 1, questionCount };
    });
  });
}

export function describeChunk(chunk: AssessmentChunk): string {
  return `${chunk.bloomLevel} questions (batch ${chunk.batch})`;
}
