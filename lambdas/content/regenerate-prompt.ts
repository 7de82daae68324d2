/**
 * The prompt of a content question's regeneration (content/regenerate.ts): what its section's
 * prompt says of the content (the topic, audience, tone, style and language of the content job's
 * request, the section's title, place and brief, the text it builds on) and of the question (its
 * type, and topic when the structure listed it), asked for that one question; then the question
 * being replaced and the reviewer's instructions, the section's other questions not to repeat,
 * and why the last answer was refused.
 */
import { promptVariables, questionPlan } from './prompt-context.ts';
import type { ExecuteRequest } from './request.ts';
import { kindLabel, type SectionSpec } from './sections.ts';

/** 1: the section's context and one question's plan, the replaced question, the instructions. */
export const CONTENT_REGENERATION_PROMPT_VERSION = 'content-question-regeneration/1';

export interface ReplacedContentQuestion {
  question: string;
  /** multiple_choice, true_false or short_answer */
  question_type: string;
  options: string[];
  /** The correct option's text, or a short answer's expected answer. */
  correct_answer: string;
}

export interface ContentRegenerationPromptInput {
  request: ExecuteRequest;
  plan: SectionSpec[];
  /** The question's section, asking for one question: `questionCount` 1, its own listed entry only. */
  section: SectionSpec;
  /** The outputs of the sections it depends on (a module's lessons for its assessment). */
  outputs: ReadonlyMap<string, unknown>;
  old: ReplacedContentQuestion;
  instructions?: string;
  /** The section's other questions (the replaced one among them), so the model repeats none of them. */
  avoid: string[];
  /** Why the last answer was refused, for the next try. */
  problems?: string[];
}

const clip = (text: string) => (text.length <= 160 ? text : `${text.slice(0, 159)}…`);

export function contentRegenerationPrompt(input: ContentRegenerationPromptInput): string {
  const { section, old } = input;
  // The section as the plan holds it: its place is found by identity in the plan.
  const planned = input.plan.find((s) => s.id === section.id) ?? section;
  const v = promptVariables(input.request, input.plan, planned, input.outputs);
  const whole = section.kind === 'quiz_category' ? 'quiz' : 'course';
  const type = old.question_type.replace('_', '-');
  const lines = [
    `Write one question for the ${kindLabel(section.kind)} "${v.title}" of the ${whole} on ${v.topic}, in place of a question a reviewer rejected.`,
    '',
    v.place,
    '',
    `Audience: ${v.audience}. Tone: ${v.tone}. Style: ${v.style}. Granularity: ${v.granularity}.`,
    `Write everything in ${v.language}.`,
    ...(section.brief ? ['', `What the ${kindLabel(section.kind)} covers: ${section.brief}`] : []),
    '',
    `Write ${questionPlan(section)}`,
    '',
    'A reviewer rejected this question and asked for a replacement:',
    `- Question: ${old.question}`,
    ...(old.question_type === 'short_answer'
      ? [`  Expected answer: ${old.correct_answer}`]
      : old.options.map((o) => `  ${o === old.correct_answer ? '(correct) ' : ''}${o}`)),
    `Write a different ${type} question on the same subject, for the same audience and at the same level of detail.`,
  ];
  if (input.instructions) lines.push(`The reviewer asked: ${input.instructions}`);
  if (input.avoid.length > 0) {
    lines.push('', 'Do not repeat or paraphrase any of these existing questions:');
    for (const q of input.avoid.slice(-60)) lines.push(`- ${clip(q)}`);
  }
  if (input.problems && input.problems.length > 0) {
    lines.push('', `Your previous answer was rejected: ${input.problems.join('; ')}`);
  }
  if (v.dependencies) lines.push('', v.dependencies);
  return lines.join('\n');
}
