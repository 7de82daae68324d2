/**
 * Bloom's-taxonomy mixes: "5 remember, 3 understand, 4 apply" (the seed's form) or
 * `{ "remember": 5, "understand": 3, "apply": 4 }`, validated into counts per level.
 */

import { BLOOM_LEVELS, type BloomLevel } from '#jobs/questions.ts';
import { InvalidRequest } from '#platform/errors.ts';

export type BloomMix = Partial<Record<BloomLevel, number>>;

/** Most questions one assessment may ask for. */
export const MAX_ASSESSMENT_QUESTIONS = 100;

/** Common spellings mapped to the six level names. */
const ALIASES: Record<string, BloomLevel> = {
  remember: 'remember',
  remembering: 'remember',
  understand: 'understand',
  understanding: 'understand',
  apply: 'apply',
  applying: 'apply',
  analyze: 'analyze',
  analyse: 'analyze',
  analyzing: 'analyze',
  analysing: 'analyze',
  evaluate: 'evaluate',
  evaluating: 'evaluate',
  create: 'create',
  creating: 'create',
};

function levelOf(name: string): BloomLevel {
  const level = ALIASES[name.trim().toLowerCase()];
  if (!level)
    throw new InvalidRequest(
      `Unknown Bloom level "${name.trim()}". Valid levels: ${BLOOM_LEVELS.join(', ')}`,
    );
  return level;
}

function add(mix: BloomMix, level: BloomLevel, count: unknown, maxTotal: number): void {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new InvalidRequest(
      `The count for "${level}" must be a whole number of 0 or more, got ${JSON.stringify(count)}`,
    );
  }
  if (mix[level] !== undefined) throw new InvalidRequest(`Bloom level "${level}" is given twice`);
  if (count > maxTotal)
    throw new InvalidRequest(
      `The count for "${level}" is ${count}; at most ${maxTotal} questions per assessment`,
    );
  mix[level] = count;
}

/** Parses either form; the total must be between 1 and `maxTotal`. Levels keep Bloom's order. */
export function parseBloomMix(input: unknown, maxTotal: number): BloomMix {
  const mix: BloomMix = {};
  if (typeof input === 'string') {
    const parts = input
      .split(/[,;\n]/)
      .map((p) => p.trim())
      .filter(Boolean);
    if (parts.length === 0)
      throw new InvalidRequest(`The Bloom mix is empty; write it like "5 remember, 3 understand"`);
    for (const part of parts) {
      const match = /^(\d+)\s+([A-Za-z]+)$/.exec(part) ?? /^([A-Za-z]+)\s*[:=]?\s*(\d+)$/.exec(part);
      if (!match?.[1] || !match[2]) {
        throw new InvalidRequest(
          `Cannot read "${part}" in the Bloom mix; write each part as "<count> <level>", e.g. "5 remember"`,
        );
      }
      const [count, name] = /^\d+$/.test(match[1]) ? [match[1], match[2]] : [match[2], match[1]];
      add(mix, levelOf(name), Number(count), maxTotal);
    }
  } else if (input && typeof input === 'object' && !Array.isArray(input)) {
    for (const [name, count] of Object.entries(input)) add(mix, levelOf(name), count, maxTotal);
  } else {
    throw new InvalidRequest(
      `bloom_mix must be a string like "5 remember, 3 understand" or an object like {"remember": 5, "understand": 3}`,
    );
  }
  const total = totalOf(mix);
  if (total === 0)
    throw new InvalidRequest('The Bloom mix asks for no questions; give at least one level a count above 0');
  if (total > maxTotal)
    throw new InvalidRequest(`The Bloom mix asks for ${total} questions; at most ${maxTotal} per assessment`);
  return Object.fromEntries(
    BLOOM_LEVELS.filter((l) => (mix[l] ?? 0) > 0).map((l) => [l, mix[l]]),
  ) as BloomMix;
}

export function totalOf(mix: BloomMix): number {
  return Object.values(mix).reduce((sum, n) => sum + (n ?? 0), 0);
}

/** What each level asks of the learner, for prompts. */
export const BLOOM_GUIDANCE: Record<BloomLevel, string> = {
  remember: 'recall facts, terms and basic concepts stated in the material',
  understand: 'explain ideas or concepts, interpret or summarise them in other words',
  apply: 'use the information in a new but concrete situation',
  analyze: 'draw connections, compare, distinguish causes, parts and relationships',
  evaluate: 'justify a position or decision, judge evidence against criteria',
  create: 'design, propose or plan something new from the ideas in the material',
};

/**
 * Splits a Bloom mix of `mcqCount + subjectiveCount` questions into the MCQs' and the open
 * questions' mixes the way EduMate does (suyash-sketch/edu-mate
 * backend/app/services/question_generator.py, `allocate_bloom_counts`): each level's MCQ share
 * rounded down, the MCQs still missing given to the levels with the largest remainders (ties
 * in Bloom's order), and the rest of each level open.
 */
export function splitMix(mix: BloomMix, mcqCount: number, subjectiveCount: number) {
  const total = mcqCount + subjectiveCount;
  const mcq: BloomMix = {};
  const open: BloomMix = {};
  const raw = BLOOM_LEVELS.map((level) => ((mix[level] ?? 0) * mcqCount) / (total || 1));
  const counts = raw.map(Math.floor);
  const missing = mcqCount - counts.reduce((a, b) => a + b, 0);
  const byRemainder = BLOOM_LEVELS.map((_, i) => i).sort(
    (a, b) => (raw[b] ?? 0) - (counts[b] ?? 0) - ((raw[a] ?? 0) - (counts[a] ?? 0)),
  );
  for (const i of byRemainder.slice(0, missing)) counts[i] = (counts[i] ?? 0) + 1;
  BLOOM_LEVELS.forEach((level, i) => {
    const m = counts[i] ?? 0;
    const o = (mix[level] ?? 0) - m;
    if (m > 0) mcq[level] = m;
    if (o > 0) open[level] = o;
  });
  return { mcq, open };
}
