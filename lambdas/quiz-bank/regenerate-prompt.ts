/**
 * The prompt of a regeneration: the question's chunk prompt for one question (its career level
 * or soft-skills topic, language and Bloom levels, as generation asked), then the question being
 * replaced and the reviewer's instructions, then the bank's questions not to repeat.
 */
import type { Question, Rejection } from '#jobs/questions.ts';
import type { QuizChunk } from './chunks.ts';
import { chunkPrompt } from './prompts.ts';

/** 1: the replaced question and the reviewer's instructions after the chunk's prompt for one question. */
export const REGENERATION_PROMPT_VERSION = 'question-regeneration/1';

export interface RegenerationPromptInput {
  chunk: QuizChunk;
  old: Pick<Question, 'question' | 'options' | 'correct_answer' | 'bloom_level'>;
  instructions?: string;
  /** The bank's questions (the replaced one among them), so the model repeats none of them. */
  avoid: string[];
  rejections?: Rejection[];
}

export function regenerationPrompt(input: RegenerationPromptInput): string {
  const { old } = input;
  const lines = [
    chunkPrompt({ chunk: input.chunk, count: 1, avoid: [], rejections: input.rejections }),
    '',
    'A reviewer rejected this question and asked for a replacement:',
    `- Question: ${old.question}`,
    ...old.options.map((o) => `  ${o.id === old.correct_answer ? '(correct) ' : ''}${o.text}`),
    `Write a different question on the same topic, at the same difficulty level and the same Bloom level ("${old.bloom_level}"); set bloom_level to "${old.bloom_level}".`,
  ];
  if (input.instructions) lines.push(`The reviewer asked: ${input.instructions}`);
  if (input.avoid.length > 0) {
    lines.push('', 'Do not repeat or paraphrase any of these existing questions:');
    for (const q of input.avoid.slice(-60)) lines.push(`- ${q.length <= 160 ? q : `${q.slice(0, 159)}…`}`);
  }
  return lines.join('\n');
}
