/**
 * "Assemble results": rebuilds the sector files the job touched from every chunk in the
 * owner's checkpoint (not only this job's, so a resumed job yields complete files), then the
 * combined bank from the sector files.
 */

import type { AssessmentQuestion } from '#assessments/assessment.ts';
import {
  assembleContentJob,
  loadRequest,
  MAX_QUALITY_ROUNDS,
  requeueSections,
  sectionChunkKey,
} from '#content/content-job.ts';
import { recordTemplateQuality } from '#content/templates.ts';
import {
  type AssembleInput,
  type AssembleOutput,
  type ChunkResult,
  flatChunkResults,
} from '#contract/pipeline.ts';
import { generationSettings } from '#platform/config.ts';
import { s3Keys } from '#platform/keys.ts';
import { withPowertools } from '#platform/middleware.ts';
import { buildSectorFile, buildSoftSkillsFile } from '#quiz-bank/assembly.ts';
import { sectorIds } from '#quiz-bank/catalog.ts';
import type { ChunkFile } from '../chunk-generator.ts';
import { chunksForJob, fileGroupOf, SOFT_SKILLS } from '../chunks.ts';
import type { JobRecord } from '../job.ts';
import * as jobs from '../job-store.ts';
import type { Question } from '../questions.ts';
import * as results from '../results-store.ts';

const settings = generationSettings();

async function loadGroup(owner: string, group: string): Promise<Map<string, Question[]>> {
  const entries = await jobs.listCheckpoint(owner, `${group}__`);
  const files = await Promise.all(entries.map((e) => results.getJson<ChunkFile>(e.s3_key)));
  const byKey = new Map<string, Question[]>();
  for (const file of files) if (file) byKey.set(file.chunk_key, file.questions);
  return byKey;
}

export async function assembleGroup(owner: string, group: string): Promise<string> {
  const chunks = await loadGroup(owner, group);
  const file =
    group === SOFT_SKILLS
      ? buildSoftSkillsFile((key) => chunks.get(key))
      : buildSectorFile(group, (key) => chunks.get(key));
  const key = s3Keys.groupFile(owner, group);
  await results.putJson(key, file);
  return key;
}

export async function assembleCombined(owner: string): Promise<string> {
  const combined: Record<string, unknown> = {};
  for (const group of [...sectorIds(), SOFT_SKILLS]) {
    const file = await results.getJson<unknown>(s3Keys.groupFile(owner, group));
    if (file) combined[group] = file;
  }
  const key = s3Keys.combined(owner);
  await results.putJson(key, combined);
  return key;
}

/**
 * An assessment's MCQs in Bloom's order, from this job's chunk files. Each chunk holds exactly
 * its share, and question claims kept duplicates out across levels, so the counts per level
 * are the ones asked for; a failed chunk leaves its level short, and the job says so.
 */
export async function assembleAssessment(job: JobRecord, chunkResults: ChunkResult[]): Promise<string> {
  const completed = new Set(chunkResults.filter((r) => r.status === 'completed').map((r) => r.chunk_key));
  const chunks = chunksForJob('assessment', job.parameters, settings).filter((c) => completed.has(c.key));
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
    generated_at: new Date().toISOString(),
    mcqs,
  });
  return key;
}

/**
 * A content job's content, summary and quality metrics. When the request asked for validation
 * and the content misses its quality threshold, the weakest sections are planned again (the
 * state machine loops back to "Plan chunks"), at most MAX_QUALITY_ROUNDS times; after that
 * the failure goes to "Finalize job".
 */
async function assembleContentResults(job: JobRecord): Promise<AssembleOutput> {
  const assembled = await assembleContentJob(job);
  const rounds = job.content_stats?.quality_rounds ?? 0;
  const request = await loadRequest(job.owner, job.job_id);
  const requirements = request.input.contentMetadata.qualityRequirements;
  const min = requirements?.minQualityScore;
  const q = assembled.quality;
  const belowThreshold =
    Boolean(requirements?.validationRequired) && min !== undefined && q.overallScore < min;
  const regenerate = belowThreshold && rounds < MAX_QUALITY_ROUNDS && assembled.weakSections.length > 0;
  const stats = {
    ...(job.content_stats ?? { retry_count: 0 }),
    total_words: assembled.totalWords,
    content_size: assembled.size,
    quality: q,
    current_section: null,
    quality_rounds: regenerate ? rounds + 1 : rounds,
  };
  if (regenerate) {
    await requeueSections(job, assembled.weakSections);
    await jobs.restartChunkCounts(
      job,
      stats,
      `Quality ${q.overallScore} is below ${min}: regenerating ${assembled.weakSections.length} sections (round ${rounds + 1} of ${MAX_QUALITY_ROUNDS})`,
      assembled.weakSections.map(sectionChunkKey),
    );
    return { files: [assembled.key], regenerate: true };
  }
  await jobs.updateJob(job, { content_stats: stats });
  await recordTemplateQuality(job.owner, assembled.templates, q.overallScore);
  const failure = belowThreshold
    ? `QUALITY_THRESHOLD_NOT_MET: overall quality ${q.overallScore} is below the required ${min} after ${rounds} regeneration rounds (readability ${q.readability}, coherence ${q.coherence}, completeness ${q.completeness}, topic relevance ${q.topicRelevance})`
    : undefined;
  return { files: [assembled.key], ...(failure ? { quality_failure: failure } : {}) };
}

export async function assembleResults(input: AssembleInput): Promise<AssembleOutput> {
  const job = await jobs.getJob(input.job_id);
  if (!job) throw new Error(`Job ${input.job_id} does not exist`);
  await jobs.setProgressMessage(input.job_id, 'Assembling result files...');
  if (job.job_type === 'content') return assembleContentResults(job);
  if (job.job_type === 'assessment') {
    return { files: [await assembleAssessment(job, flatChunkResults(input.chunk_results))] };
  }
  const groups = new Set(chunksForJob(job.job_type, job.parameters, settings).map(fileGroupOf));
  const files: string[] = [];
  for (const group of groups) files.push(await assembleGroup(input.owner, group));
  files.push(await assembleCombined(input.owner));
  return { files };
}

export const handler = withPowertools(assembleResults);
