/**
 * Key positions of a content job's multiple-choice questions (quiz categories, module
 * assessments), balanced over the whole job as jobs/key-cues.ts balances a quiz bank's.
 *
 * Sections are generated in parallel, so no section sees the others' questions. The plan, though,
 * fixes how many multiple-choice questions each question section holds (its listed questions'
 * types, or its `questionCount`, all multiple choice: the response schema allows no other type and
 * `checkSectionOutput` keeps exactly that many). A section's round-robin therefore starts at the
 * number of multiple-choice questions the plan's earlier sections hold, and the job's positions
 * differ by at most one question, whatever order the sections finish in, on a retry or a
 * quality round. The key is the correct option's text, so only the options move; true/false
 * (fixed True, False) and short-answer questions are left as they are and not counted.
 */
import { balancedPosition, type KeyCues, keyCuesOfTexts, placeKey } from '#jobs/key-cues.ts';
import type { SectionSpec } from './sections.ts';

/** The sections that hold questions. */
export const isQuestionSection = (section: SectionSpec) =>
  section.kind === 'quiz_category' || section.kind === 'module_assessment';

/** How many multiple-choice questions a section holds, from the plan alone. */
export function plannedMcqs(section: SectionSpec): number {
  if (!isQuestionSection(section)) return 0;
  if (section.questions) return section.questions.filter((q) => q.type === 'multiple_choice').length;
  return section.questionCount ?? 0;
}

/** Where a section's round-robin starts: the multiple-choice questions of the sections before it. */
export function keyOffsetOf(section: SectionSpec, plan: readonly SectionSpec[]): number {
  let offset = 0;
  for (const s of plan) {
    if (s.id === section.id) return offset;
    offset += plannedMcqs(s);
  }
  return offset;
}

/** A question as a section writes it: the answer is `correctAnswer` (quiz) or `answer` (assessment). */
interface SectionQuestion {
  type?: string;
  options: string[];
  correctAnswer?: string;
  answer?: string;
}

const answerOf = (q: SectionQuestion) => q.correctAnswer ?? q.answer ?? '';

/** The section's multiple-choice questions, in order (their options strings, the answer one of them). */
function mcqsOf(output: unknown): SectionQuestion[] {
  const questions = (output as { questions?: unknown } | undefined)?.questions;
  if (!Array.isArray(questions)) return [];
  return (questions as SectionQuestion[]).filter(
    (q) => (q.type ?? 'multiple_choice') === 'multiple_choice' && Array.isArray(q.options),
  );
}

/**
 * The section's output with each multiple-choice question's key moved to where the job's
 * round-robin puts it (the distractors keep their order), and the key cues that result.
 */
export function balanceSectionKeys<O>(
  section: SectionSpec,
  plan: readonly SectionSpec[],
  output: O,
): { output: O; keyCues: KeyCues } {
  return keysFrom(keyOffsetOf(section, plan), output);
}

/**
 * The output's multiple-choice questions with their keys on a round-robin that starts at
 * `offset`. A regenerated question (content/regenerate.ts) passes its old question's key
 * position: its one question's key goes there, and the job's balance holds.
 */
export function keysFrom<O>(offset: number, output: O): { output: O; keyCues: KeyCues } {
  const copy = structuredClone(output);
  const mcqs = mcqsOf(copy);
  mcqs.forEach((q, i) => {
    q.options = placeKey(
      q.options,
      q.options.indexOf(answerOf(q)),
      balancedPosition(offset, i, q.options.length),
    );
  });
  return { output: copy, keyCues: sectionKeyCues(copy) };
}

/** Where a section's keys sit and how often the key is the longest option. */
export function sectionKeyCues(output: unknown): KeyCues {
  return keyCuesOfTexts(mcqsOf(output).map((q) => ({ options: q.options, correct_answer: answerOf(q) })));
}
