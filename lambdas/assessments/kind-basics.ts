/**
 * What the job service needs of assessment jobs to start, estimate, list and end them (see
 * KindBasics). The assessments API hands these to the job service; the kind adds generation.
 */

import type { KindBasics } from '#jobs/kind.ts';
import { ASSESSMENT, assessmentChunks } from './chunks.ts';

/** An assessment call carries its retrieved passages: several thousand tokens of prompt. */
const ASSESSMENT_PROMPT_TOKENS = 4000;

export const assessmentBasics: KindBasics = {
  types: [ASSESSMENT],
  title: (job) => `the assessment on "${job.parameters.query ?? ''}"`,
  chunks: (_jobType, parameters) =>
    assessmentChunks(parameters).map((chunk) => ({
      key: chunk.key,
      questionCount: chunk.questionCount,
      promptTokens: () => ASSESSMENT_PROMPT_TOKENS,
    })),
};
