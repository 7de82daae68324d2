/**
 * Quiz banks as a job kind: a career level, a sector, the soft skills or everything, one chunk
 * per career level or soft-skills topic. Chunks go to the owner's checkpoint, so a job skips
 * what an earlier one finished; results are the seed's sector files and the combined bank.
 * The only kind with batch mode.
 */

import type { JobKind } from '#jobs/kind.ts';
import { planListedChunks } from '#jobs/stages.ts';
import { assembleBank } from './assemble-bank.ts';
import { chunkFromKey, chunksForJob, describeChunk, findChunk, quizJobType } from './chunks.ts';
import { quizBankBasics } from './kind-basics.ts';
import { PROMPT_VERSION, SYSTEM_INSTRUCTION } from './prompts.ts';
import { finishQuizChunk, generateQuizChunk, keptInCheckpoint, openQuizChunk } from './quiz-chunk.ts';

export const quizBank: JobKind = {
  ...quizBankBasics,
  plan: (job, { owner, settings }) =>
    planListedChunks(
      job,
      owner,
      chunksForJob(quizJobType(job.job_type), job.parameters, settings).map((c) => c.key),
    ),
  chunkLabel: async (job, chunkKey, settings) => {
    const chunk = findChunk(quizJobType(job.job_type), job.parameters, chunkKey, settings);
    return chunk && describeChunk(chunk);
  },
  generate: (input) => generateQuizChunk(input, chunkFromKey(input.chunkKey, input.settings)),
  keptElsewhere: keptInCheckpoint,
  assemble: async (job, input, settings) => ({
    files: await assembleBank(input.owner, chunksForJob(quizJobType(job.job_type), job.parameters, settings)),
  }),
  batch: {
    systemInstruction: SYSTEM_INSTRUCTION,
    promptVersion: PROMPT_VERSION,
    label: (chunkKey, settings) => describeChunk(chunkFromKey(chunkKey, settings)),
    open: (input, holding) => openQuizChunk(input, chunkFromKey(input.chunkKey, input.settings), holding),
    finish: (input, outcome) => finishQuizChunk(input, chunkFromKey(input.chunkKey, input.settings), outcome),
  },
};
