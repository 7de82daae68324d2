/**
 * What the job service needs of quiz-bank jobs to start, estimate, list and end them (see
 * KindBasics): their types, how messages name them, and their chunks with a first guess of
 * each prompt. The quiz-bank API hands these to the job service; the kind adds generation.
 */

import { CHARS_PER_TOKEN } from '#jobs/estimate.ts';
import type { JobParameters } from '#jobs/job.ts';
import type { KindBasics, ListedChunk } from '#jobs/kind.ts';
import { chunksForJob, QUIZ_JOB_TYPES, type QuizChunk, quizJobType } from './chunks.ts';
import { chunkPrompt, SYSTEM_INSTRUCTION } from './prompts.ts';

/** The avoid list of a chunk grows with the questions its bank already has; a mid-size guess. */
const AVOID_LIST_TOKENS = 600;

function listed(chunk: QuizChunk): ListedChunk {
  return {
    key: chunk.key,
    questionCount: chunk.questionCount,
    promptTokens: () =>
      Math.ceil(
        (SYSTEM_INSTRUCTION.length + chunkPrompt({ chunk, count: chunk.questionCount, avoid: [] }).length) /
          CHARS_PER_TOKEN,
      ) + AVOID_LIST_TOKENS,
  };
}

/** How messages name a quiz-bank job. */
export function jobTitle(type: string, params: JobParameters): string {
  switch (quizJobType(type)) {
    case 'career_level':
      return `${params.sector}/${params.career} Level ${params.level}`;
    case 'sector':
      return `sector '${params.sector}'`;
    case 'soft_skills':
      return 'soft skills';
    case 'full':
      return params.include_soft_skills === false ? 'all sectors' : 'all sectors and soft skills';
  }
}

export const quizBankBasics: KindBasics = {
  types: QUIZ_JOB_TYPES,
  title: (job) => jobTitle(job.job_type, job.parameters),
  chunks: (jobType, parameters, settings) =>
    chunksForJob(quizJobType(jobType), parameters, settings).map(listed),
};
