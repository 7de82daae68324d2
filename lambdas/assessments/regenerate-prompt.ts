/**
 * What a regeneration adds to an assessment chunk's prompt for one question (its query, Bloom
 * level, language and passages, as generation asked): the question being replaced and the
 * reviewer's instructions, and the assessment's questions not to repeat.
 */
import type { BloomLevel } from '#jobs/questions.ts';

/** 1: the replaced question and the reviewer's instructions after the chunk's prompt for one question. */
export const ASSESSMENT_REGENERATION_PROMPT_VERSION = 'assessment-question-regeneration/1';

export interface ReplacedQuestion {
  question: string;
  bloom_level: BloomLevel;
  /** An MCQ's options (strings) and key (the correct option's text). */
  options?: string[];
  correct_answer?: string;
  /** An open question's model answer. */
  model_answer?: string;
}

export function replacementLines(input: {
  old: ReplacedQuestion;
  instructions?: string;
  /** The prompt above gives passages of the assessment's document: the new question cites one. */
  grounded: boolean;
  /** The assessment's questions (the replaced one among them) the chunk's prompt does not list yet. */
  avoid: string[];
}): string[] {
  const { old } = input;
  const open = old.model_answer !== undefined;
  const lines = [
    '',
    `A reviewer rejected this ${open ? 'open question' : 'question'} and asked for a replacement:`,
    `- Question: ${old.question}`,
    ...(old.options ?? []).map((o) => `  ${o === old.correct_answer ? '(correct) ' : ''}${o}`),
    ...(open ? [`  Model answer: ${old.model_answer}`] : []),
    `Write a different ${open ? 'open question' : 'question'} on the same subject, at the same Bloom level ("${old.bloom_level}"); set bloom_level to "${old.bloom_level}".`,
  ];
  if (input.grounded) {
    lines.push('Base it on the course material above, like the one it replaces, and cite its passage.');
  }
  if (input.instructions) lines.push(`The reviewer asked: ${input.instructions}`);
  if (input.avoid.length > 0) {
    lines.push('', 'Do not repeat or paraphrase any of these existing questions:');
    for (const q of input.avoid.slice(-60)) lines.push(`- ${q.length <= 160 ? q : `${q.slice(0, 159)}…`}`);
  }
  return lines;
}
