/**
 * Assessments as a job kind: MCQs on a query, optionally grounded in a document, in a mix of
 * Bloom levels, one chunk per level and batch. Chunks belong to their job (no checkpoint
 * across jobs); the result is the job's MCQs in Bloom's order.
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

/**
 * An assessment's MCQs in Bloom's order, from this job's chunk files. Each chunk holds exactly
 * its share, and question claims kept duplicates out across levels, so the counts per level
 * are the ones asked for; a failed chunk leaves its level short, and the job says so.
 */
async function assembleAssessment(job: JobRecord, completed: Set<string>): Promise<string> {
  const chunks = assessmentChunks(job.parameters).filter((c) => completed.has(c.key));
  const files = await Promise.all(
    chunks.map((c) =>
      results.getJson<ChunkFile<AssessmentQuestion>>(s3Keys.assessmentChunk(job.owner, job.job_id, c.key)),
    ),
  );
  const mcqs = files.flatMap((file) => file?.questions ?? []);
  const key = s3Keys.assessmentResult(job.owner, job.job_id);
  await results.putJson(key, {
    job_id: job.job_id,
    query: job.parameters.query,
    document_id: job.parameters.document_id ?? null,
    bloom_mix: job.parameters.bloom_mix,
    language: job.parameters.language ?? DEFAULT_LANGUAGE,
    generated_at: new Date().toISOString(),
    mcqs,
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
