/**
 * Assessments as a job kind: MCQs and open questions on a query, optionally grounded in a
 * document, in a mix of Bloom levels, one chunk per type, level and batch. Chunks belong to their
 * job (no checkpoint across jobs); the result is the job's MCQs in Bloom's order, and its open
 * questions in Bloom's order when the job asked for them.
 */

import { flatChunkResults } from '#contract/pipeline.ts';
import type { ChunkFile } from '#jobs/chunk-common.ts';
import type { JobRecord } from '#jobs/job.ts';
import type { JobKind } from '#jobs/kind.ts';
import * as results from '#jobs/results-store.ts';
import { planListedChunks } from '#jobs/stages.ts';
import { s3Keys } from '#platform/keys.ts';
import { DEFAULT_LANGUAGE } from '#platform/language.ts';
import type { AssessmentQuestion } from './assessment.ts';
import { generateAssessmentChunk } from './assessment-chunk.ts';
import { assessmentChunks, describeChunk } from './chunks.ts';
import { assessmentBasics } from './kind-basics.ts';
import { numbered, type OpenQuestion } from './open-questions.ts';

/**
 * An assessment's MCQs in Bloom's order, from this job's chunk files. Each chunk holds exactly
 * its share, and question claims kept duplicates out across levels, so the counts per level
 * are the ones asked for; a failed chunk leaves its level short, and the job says so.
 */
async function assembleAssessment(job: JobRecord, completed: Set<string>): Promise<string> {
  const chunks = assessmentChunks(job.parameters).filter((c) => completed.has(c.key));
  const files = await Promise.all(
    chunks.map(async (c) => ({
      type: c.type,
      file: await results.getJson<ChunkFile<AssessmentQuestion | Omit<OpenQuestion, 'question_no'>>>(
        s3Keys.assessmentChunk(job.owner, job.job_id, c.key),
      ),
    })),
  );
  const questionsOf = (type: 'mcq' | 'open') =>
    files.filter((f) => f.type === type).flatMap((f) => f.file?.questions ?? []);
  const mcqs = questionsOf('mcq') as AssessmentQuestion[];
  const key = s3Keys.assessmentResult(job.owner, job.job_id);
  await results.putJson(key, {
    job_id: job.job_id,
    query: job.parameters.query,
    document_id: job.parameters.document_id ?? null,
    bloom_mix: job.parameters.bloom_mix,
    language: job.parameters.language ?? DEFAULT_LANGUAGE,
    generated_at: new Date().toISOString(),
    mcqs,
    // Only when asked for: the seed's result holds `mcqs` alone.
    ...(job.parameters.subjective_mix
      ? {
          subjective_mix: job.parameters.subjective_mix,
          subjective_questions: numbered(questionsOf('open') as Omit<OpenQuestion, 'question_no'>[]),
        }
      : {}),
  });
  return key;
}

export const assessments: JobKind = {
  ...assessmentBasics,
  plan: (job, { owner }) =>
    planListedChunks(
      job,
      owner,
      assessmentChunks(job.parameters).map((c) => c.key),
    ),
  chunkLabel: async (job, chunkKey) => {
    const chunk = assessmentChunks(job.parameters).find((c) => c.key === chunkKey);
    return chunk && describeChunk(chunk);
  },
  generate: generateAssessmentChunk,
  assemble: async (job, input) => {
    const completed = flatChunkResults(input.chunk_results).filter((r) => r.status === 'completed');
    return { files: [await assembleAssessment(job, new Set(completed.map((r) => r.chunk_key)))] };
  },
};
