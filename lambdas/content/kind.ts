/**
 * Course content as a job kind: one chunk per section of the content's structure, planned in
 * dependency stages (outlined by the model first when the request brings no structure), each
 * section written from the sections it builds on. Assembling measures the content's quality
 * and, when the request asked for a threshold it misses, plans the weakest sections again.
 * Content jobs have their own job list, progress and completion webhooks, and usage counters.
 */

import type { JobRecord } from '#jobs/job.ts';
import * as jobs from '#jobs/job-store.ts';
import type { JobKind, Plan, PlanContext } from '#jobs/kind.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import {
  assembleContentJob,
  generateContentSection,
  loadRequest,
  MAX_QUALITY_ROUNDS,
  planContent,
  requeueSections,
  sectionChunkKey,
  sectionIdOf,
  sectionTitle,
} from './content-job.ts';
import { contentProgress } from './job-events.ts';
import { contentBasics } from './kind-basics.ts';
import { recordTemplateQuality } from './templates.ts';

/** Sections in dependency stages, outlined by the model first when the structure is empty. */
async function planContentJob(job: JobRecord, { settings, deadline }: PlanContext): Promise<Plan> {
  const planned = await planContent(job, await geminiApiKey(), settings, deadline);
  if (planned.usage.input_tokens + planned.usage.output_tokens > 0) {
    await jobs.addJobUsage(job.job_id, planned.usage, planned.costUsd);
  }
  return { total: planned.total, stages: planned.stages };
}

/**
 * A content job's content, summary and quality metrics. When the request asked for validation
 * and the content misses its quality threshold, the weakest sections are planned again (the
 * state machine loops back to "Plan chunks"), at most MAX_QUALITY_ROUNDS times; after that
 * the failure goes to "Finalize job".
 */
async function assembleContentResults(job: JobRecord) {
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

export const content: JobKind = {
  ...contentBasics,
  plan: planContentJob,
  chunkLabel: async (job, chunkKey) => {
    const title = await sectionTitle(job.owner, job.job_id, chunkKey);
    return title === undefined ? undefined : `section "${title}"`;
  },
  generate: generateContentSection,
  chunkStarted: (job, chunkKey) => jobs.setCurrentSection(job.job_id, sectionIdOf(chunkKey)),
  chunkCompleted: (job, chunkKey) => contentProgress(job, sectionIdOf(chunkKey)),
  assemble: (job) => assembleContentResults(job),
};
