/**
 * Chunks: the unit of work and of checkpointing, one model call's worth.
 *   career level: `technology__FRONTEND_DEVELOPER__1`
 *   soft skills:  `soft_skills__COMMUNICATION`
 * The key is stable across jobs, which is what lets a new job skip what an old one finished.
 */

import { InvalidRequest } from '#platform/errors.ts';
import {
  type Catalog,
  careersOf,
  catalog as defaultCatalog,
  LEVELS,
  type Level,
  requireCareer,
  requireLevel,
  requireSector,
  sectorIds,
  softSkillTopics,
} from '#quiz-bank/catalog.ts';
import type { JobParameters, JobType } from './job.ts';
import { BLOOM_LEVELS, type BloomLevel } from './questions.ts';

export const SOFT_SKILLS = 'soft_skills';
const SEPARATOR = '__';

export type ChunkSpec =
  | { kind: 'career_level'; key: string; sector: string; career: string; level: Level; questionCount: number }
  | { kind: 'soft_skills'; key: string; topic: string; questionCount: number }
  | { kind: 'assessment'; key: string; bloomLevel: BloomLevel; batch: number; questionCount: number };

/** Chunks of quiz banks (career levels and soft skills), whose keys stand on their own. */
export type QuizChunk = Exclude<ChunkSpec, { kind: 'assessment' }>;

export const ASSESSMENT = 'assessment';
/** Questions per model call in an assessment: small batches keep each call's passages focused. */
export const ASSESSMENT_BATCH_SIZE = 10;

export interface QuestionCounts {
  questionsPerCareerLevel: number;
  questionsPerSoftSkillsJob: number;
}

export function careerLevelKey(sector: string, career: string, level: number): string {
  return [sector, career, level].join(SEPARATOR);
}

export function softSkillsKey(topic: string): string {
  return [SOFT_SKILLS, topic].join(SEPARATOR);
}

/** Rebuilds a chunk's spec from its key, validating it against the catalog. */
export function chunkFromKey(key: string, counts: QuestionCounts, cat: Catalog = defaultCatalog): QuizChunk {
  const parts = key.split(SEPARATOR);
  if (parts[0] === SOFT_SKILLS && parts.length === 2 && parts[1]) {
    const topics = softSkillTopics(cat);
    const index = topics.findIndex((t) => t.id === parts[1]);
    if (index < 0) throw new InvalidRequest(`Unknown soft-skills topic in chunk key: ${key}`);
    return {
      kind: 'soft_skills',
      key,
      topic: parts[1],
      questionCount: softSkillsShare(index, topics.length, counts.questionsPerSoftSkillsJob),
    };
  }
  const [sector, career, levelText] = parts;
  if (parts.length !== 3 || !sector || !career || !levelText) {
    throw new InvalidRequest(`Malformed chunk key: ${key}`);
  }
  requireCareer(sector, career, cat);
  // One spelling per level ("1", never "01" or "1.0"), so a chunk has exactly one key.
  const level = requireLevel(/^[1-5]$/.test(levelText) ? Number(levelText) : levelText);
  return { kind: 'career_level', key, sector, career, level, questionCount: counts.questionsPerCareerLevel };
}

/** Splits the soft-skills total across topics, the first topics taking the remainder. */
export function softSkillsShare(index: number, topicCount: number, total: number): number {
  const base = Math.floor(total / topicCount);
  return base + (index < total % topicCount ? 1 : 0);
}

function careerLevelChunks(
  sector: string,
  careerIds: string[],
  levels: readonly Level[],
  counts: QuestionCounts,
) {
  return careerIds.flatMap((career) =>
    levels.map(
      (level): ChunkSpec => ({
        kind: 'career_level',
        key: careerLevelKey(sector, career, level),
        sector,
        career,
        level,
        questionCount: counts.questionsPerCareerLevel,
      }),
    ),
  );
}

function softSkillsChunks(counts: QuestionCounts, cat: Catalog): ChunkSpec[] {
  const topics = softSkillTopics(cat);
  return topics
    .map(
      (topic, index): ChunkSpec => ({
        kind: 'soft_skills',
        key: softSkillsKey(topic.id),
        topic: topic.id,
        questionCount: softSkillsShare(index, topics.length, counts.questionsPerSoftSkillsJob),
      }),
    )
    .filter((chunk) => chunk.questionCount > 0);
}

/** Expands a job's parameters into every chunk it covers, in a stable order. */
export function chunksForJob(
  jobType: JobType,
  params: JobParameters,
  counts: QuestionCounts,
  cat: Catalog = defaultCatalog,
): ChunkSpec[] {
  switch (jobType) {
    case 'career_level': {
      const sector = requireSector(params.sector ?? '', cat);
      const career = requireCareer(sector, params.career ?? '', cat);
      const level = requireLevel(params.level);
      return careerLevelChunks(sector, [career.id], [level], counts);
    }
    case 'sector': {
      const sector = requireSector(params.sector ?? '', cat);
      return careerLevelChunks(
        sector,
        careersOf(sector, cat).map((c) => c.id),
        LEVELS,
        counts,
      );
    }
    case 'soft_skills':
      return softSkillsChunks(counts, cat);
    case 'full': {
      const sectors = sectorIds(cat).flatMap((sector) =>
        careerLevelChunks(
          sector,
          careersOf(sector, cat).map((c) => c.id),
          LEVELS,
          counts,
        ),
      );
      return params.include_soft_skills === false ? sectors : [...sectors, ...softSkillsChunks(counts, cat)];
    }
    case 'assessment':
      return assessmentChunks(params);
    case 'content':
      // Sections come from the job's section plan in S3, not from the catalog.
      return [];
  }
}

/**
 * One chunk per Bloom level, split into batches of ASSESSMENT_BATCH_SIZE:
 * `assessment__apply__1`. The keys are per job (chunk files live under the job).
 */
function assessmentChunks(params: JobParameters): ChunkSpec[] {
  const mix = params.bloom_mix ?? {};
  return BLOOM_LEVELS.flatMap((bloomLevel) => {
    const count = mix[bloomLevel] ?? 0;
    const batches = Math.ceil(count / ASSESSMENT_BATCH_SIZE);
    return Array.from({ length: batches }, (_, i): ChunkSpec => {
      const questionCount = Math.min(ASSESSMENT_BATCH_SIZE, count - i * ASSESSMENT_BATCH_SIZE);
      return {
        kind: 'assessment',
        key: [ASSESSMENT, bloomLevel, i + 1].join(SEPARATOR),
        bloomLevel,
        batch: i + 1,
        questionCount,
      };
    });
  });
}

/** The output file a chunk's questions belong to: its sector, soft skills, or its assessment. */
export function fileGroupOf(chunk: ChunkSpec): string {
  switch (chunk.kind) {
    case 'career_level':
      return chunk.sector;
    case 'soft_skills':
      return SOFT_SKILLS;
    case 'assessment':
      return ASSESSMENT;
  }
}

/**
 * The scope within which questions must not repeat: a career (all levels), a soft-skills
 * topic, or one assessment job (all levels).
 */
export function dedupeScopeOf(chunk: ChunkSpec, jobId: string): string {
  switch (chunk.kind) {
    case 'career_level':
      return `${chunk.sector}${SEPARATOR}${chunk.career}`;
    case 'soft_skills':
      return softSkillsKey(chunk.topic);
    case 'assessment':
      return `${ASSESSMENT}${SEPARATOR}${jobId}`;
  }
}

export function describeChunk(chunk: ChunkSpec): string {
  switch (chunk.kind) {
    case 'career_level':
      return `${chunk.sector}/${chunk.career} Level ${chunk.level}`;
    case 'soft_skills':
      return `soft skills: ${chunk.topic}`;
    case 'assessment':
      return `${chunk.bloomLevel} questions (batch ${chunk.batch})`;
  }
}

/** A chunk of a job by its key, or undefined when the job has no such chunk. */
export function findChunk(jobType: JobType, params: JobParameters, key: string, counts: QuestionCounts) {
  return chunksForJob(jobType, params, counts).find((chunk) => chunk.key === key);
}
