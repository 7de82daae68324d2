/**
 * Builds the seed's output files from chunk files.
 *   sector file:  { CAREER: { level_1: { quiz_pool: [...] }, ... }, ... }
 *   soft skills:  { TOPIC: { quiz_pool: [...] }, ... }
 *   combined:     { sector: <sector file>, ..., soft_skills: <soft-skills file> }
 * Careers, levels and topics follow the catalog's order, whatever order chunks finished in.
 * Each language has its own files, built from its own chunks.
 */

import type { Question } from '#jobs/questions.ts';
import { DEFAULT_LANGUAGE } from '#platform/language.ts';
import { type Catalog, careersOf, catalog as defaultCatalog, LEVELS, softSkillTopics } from './catalog.ts';
import { careerLevelKey, softSkillsKey } from './chunks.ts';

export type QuizPool = { quiz_pool: Question[] };
export type SectorFile = Record<string, Record<string, QuizPool>>;
export type SoftSkillsFile = Record<string, QuizPool>;

/** `questionsOf(chunkKey)` gives a chunk's questions, or undefined when it was never generated. */
export function buildSectorFile(
  sector: string,
  questionsOf: (chunkKey: string) => Question[] | undefined,
  cat: Catalog = defaultCatalog,
  language = DEFAULT_LANGUAGE,
): SectorFile {
  const file: SectorFile = {};
  for (const career of careersOf(sector, cat)) {
    const levels: Record<string, QuizPool> = {};
    for (const level of LEVELS) {
      const questions = questionsOf(careerLevelKey(sector, career.id, level, language));
      if (questions) levels[`level_${level}`] = { quiz_pool: questions };
    }
    if (Object.keys(levels).length > 0) file[career.id] = levels;
  }
  return file;
}

export function buildSoftSkillsFile(
  questionsOf: (chunkKey: string) => Question[] | undefined,
  cat: Catalog = defaultCatalog,
  language = DEFAULT_LANGUAGE,
): SoftSkillsFile {
  const file: SoftSkillsFile = {};
  for (const topic of softSkillTopics(cat)) {
    const questions = questionsOf(softSkillsKey(topic.id, language));
    if (questions) file[topic.id] = { quiz_pool: questions };
  }
  return file;
}

export function countQuestions(file: SectorFile | SoftSkillsFile): number {
  let total = 0;
  for (const value of Object.values(file)) {
    if ('quiz_pool' in value) total += (value as QuizPool).quiz_pool.length;
    else for (const pool of Object.values(value as Record<string, QuizPool>)) total += pool.quiz_pool.length;
  }
  return total;
}
