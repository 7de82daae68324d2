/**
 * A quiz bank's chunks, one per career level and one per soft-skills topic:
 *   career level: `technology__FRONTEND_DEVELOPER__1`
 *   soft skills:  `soft_skills__COMMUNICATION`
 * A key stands on its own (the chunk is rebuilt from it and the catalog) and is the same in
 * every job, so a new job skips what the owner's checkpoint already has. A bank in another
 * language than English has its own chunks, the language's code last
 * (`technology__FRONTEND_DEVELOPER__1__fr`), so a French job never takes English questions
 * from the checkpoint; English keys are the seed's, unchanged.
 */

import { chunkKey, chunkKeyParts } from '#jobs/chunks.ts';
import type { JobParameters } from '#jobs/job.ts';
import { InvalidRequest } from '#platform/errors.ts';
import { DEFAULT_LANGUAGE, isLanguageCode } from '#platform/language.ts';
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
} from './catalog.ts';

/** The quiz-bank job types: one career level, a sector, the soft skills, or everything. */
export const QUIZ_JOB_TYPES = ['career_level', 'soft_skills', 'sector', 'full'] as const;
export type QuizJobType = (typeof QUIZ_JOB_TYPES)[number];

export function quizJobType(type: string): QuizJobType {
  const found = QUIZ_JOB_TYPES.find((t) => t === type);
  if (!found) throw new Error(`${type} is not a quiz-bank job type`);
  return found;
}

export const SOFT_SKILLS = 'soft_skills';

export type QuizChunk =
  | {
      kind: 'career_level';
      key: string;
      sector: string;
      career: string;
      level: Level;
      questionCount: number;
      language: string;
    }
  | { kind: 'soft_skills'; key: string; topic: string; questionCount: number; language: string };

export interface QuestionCounts {
  questionsPerCareerLevel: number;
  questionsPerSoftSkillsJob: number;
}

/** The key's last part for a language other than English (none for English). */
const languagePart = (language: string) => (language === DEFAULT_LANGUAGE ? [] : [language]);

export function careerLevelKey(
  sector: string,
  career: string,
  level: number,
  language = DEFAULT_LANGUAGE,
): string {
  return chunkKey(sector, career, level, ...languagePart(language));
}

export function softSkillsKey(topic: string, language = DEFAULT_LANGUAGE): string {
  return chunkKey(SOFT_SKILLS, topic, ...languagePart(language));
}

/** A key's parts less its language (a lower-case ISO 639-1 code last; none is English). */
function splitLanguage(parts: string[]): { parts: string[]; language: string } {
  const last = parts.at(-1) ?? '';
  // Topics and careers are upper case and levels digits, so a lower-case code is a language;
  // "en" is never written, so that a chunk has exactly one key.
  if (parts.length > 2 && last !== DEFAULT_LANGUAGE && isLanguageCode(last)) {
    return { parts: parts.slice(0, -1), language: last };
  }
  return { parts, language: DEFAULT_LANGUAGE };
}

/** The language of a chunk's key (English when it names none). */
export function languageOfChunkKey(key: string): string {
  return splitLanguage(chunkKeyParts(key)).language;
}

/** Rebuilds a chunk's spec from its key, validating it against the catalog. */
export function chunkFromKey(key: string, counts: QuestionCounts, cat: Catalog = defaultCatalog): QuizChunk {
  const { parts, language } = splitLanguage(chunkKeyParts(key));
  if (parts[0] === SOFT_SKILLS && parts.length === 2 && parts[1]) {
    const topics = softSkillTopics(cat);
    const index = topics.findIndex((t) => t.id === parts[1]);
    if (index < 0) throw new InvalidRequest(`Unknown soft-skills topic in chunk key: ${key}`);
    return {
      kind: 'soft_skills',
      key,
      topic: parts[1],
      questionCount: softSkillsShare(index, topics.length, counts.questionsPerSoftSkillsJob),
      language,
    };
  }
  const [sector, career, levelText] = parts;
  if (parts.length !== 3 || !sector || !career || !levelText) {
    throw new InvalidRequest(`Malformed chunk key: ${key}`);
  }
  requireCareer(sector, career, cat);
  // One spelling per level ("1", never "01" or "1.0"), so a chunk has exactly one key.
  const level = requireLevel(/^[1-5]$/.test(levelText) ? Number(levelText) : levelText);
  return {
    kind: 'career_level',
    key,
    sector,
    career,
    level,
    questionCount: counts.questionsPerCareerLevel,
    language,
  };
}

/**
 * Where the round-robin of key positions starts for a chunk (key-cues.ts): the number of
 * questions the chunks before it in its file hold, in the file's order (a sector's careers as
 * the catalog lists them, each with levels 1–5; the soft-skills topics in order). From the key
 * and the counts alone, so chunks made in parallel, in any order or by another job that resumed
 * them, continue one round-robin over the sector, and its keys come out even.
 */
export function keyOffsetOf(chunk: QuizChunk, counts: QuestionCounts, cat: Catalog = defaultCatalog): number {
  if (chunk.kind === 'career_level') {
    const career = Math.max(
      0,
      careersOf(chunk.sector, cat).findIndex((c) => c.id === chunk.career),
    );
    return (career * LEVELS.length + LEVELS.indexOf(chunk.level)) * chunk.questionCount;
  }
  const topics = softSkillTopics(cat);
  const index = Math.max(
    0,
    topics.findIndex((t) => t.id === chunk.topic),
  );
  let offset = 0;
  for (let i = 0; i < index; i++)
    offset += softSkillsShare(i, topics.length, counts.questionsPerSoftSkillsJob);
  return offset;
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
  language: string,
) {
  return careerIds.flatMap((career) =>
    levels.map(
      (level): QuizChunk => ({
        kind: 'career_level',
        key: careerLevelKey(sector, career, level, language),
        sector,
        career,
        level,
        questionCount: counts.questionsPerCareerLevel,
        language,
      }),
    ),
  );
}

function softSkillsChunks(counts: QuestionCounts, cat: Catalog, language: string): QuizChunk[] {
  const topics = softSkillTopics(cat);
  return topics
    .map(
      (topic, index): QuizChunk => ({
        kind: 'soft_skills',
        key: softSkillsKey(topic.id, language),
        topic: topic.id,
        questionCount: softSkillsShare(index, topics.length, counts.questionsPerSoftSkillsJob),
        language,
      }),
    )
    .filter((chunk) => chunk.questionCount > 0);
}

/** Expands a job's parameters into every chunk it covers, in a stable order. */
export function chunksForJob(
  jobType: QuizJobType,
  params: JobParameters,
  counts: QuestionCounts,
  cat: Catalog = defaultCatalog,
): QuizChunk[] {
  const language = params.language ?? DEFAULT_LANGUAGE;
  switch (jobType) {
    case 'career_level': {
      const sector = requireSector(params.sector ?? '', cat);
      const career = requireCareer(sector, params.career ?? '', cat);
      const level = requireLevel(params.level);
      return careerLevelChunks(sector, [career.id], [level], counts, language);
    }
    case 'sector': {
      const sector = requireSector(params.sector ?? '', cat);
      return careerLevelChunks(
        sector,
        careersOf(sector, cat).map((c) => c.id),
        LEVELS,
        counts,
        language,
      );
    }
    case 'soft_skills':
      return softSkillsChunks(counts, cat, language);
    case 'full': {
      const sectors = sectorIds(cat).flatMap((sector) =>
        careerLevelChunks(
          sector,
          careersOf(sector, cat).map((c) => c.id),
          LEVELS,
          counts,
          language,
        ),
      );
      return params.include_soft_skills === false
        ? sectors
        : [...sectors, ...softSkillsChunks(counts, cat, language)];
    }
  }
}

/** The output file a chunk's questions belong to: its sector's, or the soft skills'. */
export function fileGroupOf(chunk: QuizChunk): string {
  return chunk.kind === 'career_level' ? chunk.sector : SOFT_SKILLS;
}

/**
 * The scope within which questions must not repeat: a career (all levels) or a soft-skills
 * topic, across all of the owner's jobs (so the job does not matter), in one language.
 */
export function dedupeScopeOf(chunk: QuizChunk, _jobId?: string): string {
  return chunk.kind === 'career_level'
    ? chunkKey(chunk.sector, chunk.career, ...languagePart(chunk.language))
    : softSkillsKey(chunk.topic, chunk.language);
}

export function describeChunk(chunk: QuizChunk): string {
  return chunk.kind === 'career_level'
    ? `${chunk.sector}/${chunk.career} Level ${chunk.level}`
    : `soft skills: ${chunk.topic}`;
}

/** A chunk of a job by its key, or undefined when the job has no such chunk. */
export function findChunk(jobType: QuizJobType, params: JobParameters, key: string, counts: QuestionCounts) {
  return chunksForJob(jobType, params, counts).find((chunk) => chunk.key === key);
}
