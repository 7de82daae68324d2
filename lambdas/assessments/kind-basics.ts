/**
 * What the job service needs of assessment jobs to start, estimate, list and end them (see
 * KindBasics). The assessments API hands these to the job service; the kind adds generation.
 */

import type { KindBasics } from '#jobs/kind.ts';
import { ASSESSMENT, assessmentChunks } from './chunks.ts';

/** An assessment call carries its retrieved passages: several thousand tokens of prompt. */
const ASSESSMENT_PROMPT_TOKENS = 4000;
/**
 * An open question's output: its stem, a model answer of two to five sentences (about 60 to 120
 * words, as the open prompt asks) and an explanation of what a good answer contains: about
 * 1.75 times a multiple-choice question's 160 tokens.
 */
export const OPEN_OUTPUT_TOKENS_PER_QUESTION = 280;

export const assessmentBasics: KindBasics = {
  types: [ASSESSMENT],
  title: (job) => `the assessment on "${job.parameters.query ?? ''}"`,
  chunks: (_jobType, parameters) =>
    assessmentChunks(parameters).map((chunk) => ({
      key: chunk.key,
      questionCount: chunk.questionCount,
      promptTokens: () => ASSESSMENT_PROMPT_TOKENS,
      ...(chunk.type === 'open' ? { outputTokensPerQuestion: OPEN_OUTPUT_TOKENS_PER_QUESTION } : {}),
    })),
};
