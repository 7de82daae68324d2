/**
 * Prompts for one chunk. The template version travels with every chunk file so a change
 * here is visible in the output it produced.
 */

import { KEY_CUE_INSTRUCTION } from '#jobs/key-cues.ts';
import type { BloomLevel, Rejection } from '#jobs/questions.ts';
import { languageInstruction } from '#platform/language.ts';
import {
  type Catalog,
  careersOf,
  catalog as defaultCatalog,
  levelDescription,
  softSkillTopics,
} from './catalog.ts';
import type { QuizChunk } from './chunks.ts';

/**
 * 2: the language line (every prompt names the language questions are written in). 3: the
 * correct option no longer than the others, and explanations that name no option's letter.
 */
export const PROMPT_VERSION = 'quiz-chunk/3';

export const SYSTEM_INSTRUCTION = [
  'You write multiple-choice assessment questions for professional skills assessments.',
  'Every question has exactly four options with ids a, b, c and d, exactly one of which is correct.',
  'Options are plausible, distinct, and similar in length; never use "all of the above" or "none of the above".',
  'The correct option must not be longer or more detailed than the others.',
  'Questions are self-contained, unambiguous, factually correct and free of bias; no trick questions.',
  KEY_CUE_INSTRUCTION,
  'Answer only with JSON that matches the response schema.',
].join(' ');

const BLOOM_BY_LEVEL: Record<number, BloomLevel[]> = {
  1: ['remember', 'understand'],
  2: ['understand', 'apply'],
  3: ['apply', 'analyze'],
  4: ['analyze', 'evaluate'],
  5: ['evaluate', 'create'],
};

/** Soft skills are about judgement: understanding, applying, analysing and evaluating. */
export const SOFT_SKILLS_BLOOM_LEVELS: readonly BloomLevel[] = ['understand', 'apply', 'analyze', 'evaluate'];

export function bloomLevelsFor(level: number): BloomLevel[] {
  return BLOOM_BY_LEVEL[level] ?? ['understand', 'apply'];
}

export interface PromptInput {
  chunk: QuizChunk;
  count: number;
  /** Questions already kept for this career or topic, so the model does not repeat them. */
  avoid: string[];
  /** Why earlier answers were rejected, when this call replaces them. */
  rejections?: Rejection[];
}

export function chunkPrompt(input: PromptInput, cat: Catalog = defaultCatalog): string {
  const lines: string[] = [];
  const { chunk, count } = input;
  if (chunk.kind === 'career_level') {
    const career = careersOf(chunk.sector, cat).find((c) => c.id === chunk.career);
    const level = levelDescription(chunk.level, cat);
    lines.push(
      `Write exactly ${count} multiple-choice questions for the career "${career?.title ?? chunk.career}" (${chunk.career}) in the ${chunk.sector} sector.`,
      `Difficulty level ${chunk.level} of 5, "${level.name}": ${level.description}`,
      `Cover these areas, spread evenly: ${(career?.focus ?? []).join('; ')}.`,
      `Use Bloom's taxonomy levels ${bloomLevelsFor(chunk.level).join(' and ')}, and set bloom_level on each question.`,
      'Set category to a short lower-case topic and tags to two to four lower-case keywords.',
    );
  } else {
    const topic = softSkillTopics(cat).find((t) => t.id === chunk.topic);
    lines.push(
      `Write exactly ${count} multiple-choice questions assessing the soft skill "${topic?.title ?? chunk.topic}" in a workplace setting.`,
      `Cover: ${(topic?.focus ?? []).join('; ')}. Prefer realistic workplace scenarios over definitions.`,
      `Mix Bloom levels ${SOFT_SKILLS_BLOOM_LEVELS.join(', ')}, and set bloom_level on each question.`,
      `Set category to "${chunk.topic.toLowerCase()}" and tags to two to four lower-case keywords.`,
    );
  }
  // The JSON keys, option ids, bloom_level and category stay as the schema has them: only what a
  // reader sees changes language.
  lines.push(languageInstruction(chunk.language, 'the questions, the options and the explanations'));
  if (input.rejections && input.rejections.length > 0) {
    lines.push(
      '',
      'These earlier questions were rejected; write different ones that avoid the same problems:',
    );
    for (const r of input.rejections.slice(0, 20)) {
      lines.push(`- "${truncate(r.question, 160)}": ${r.reasons.join('; ')}`);
    }
  }
  if (input.avoid.length > 0) {
    lines.push('', 'Do not repeat or paraphrase any of these existing questions:');
    for (const q of input.avoid.slice(-60)) lines.push(`- ${truncate(q, 160)}`);
  }
  return lines.join('\n');
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
