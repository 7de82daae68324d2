/**
 * Aiken: the stem on one line, `A. option` lines, `ANSWER: X`, a blank line between questions.
 *
 * The format has no escapes, no line breaks inside a text and no feedback, so this is lossy by
 * design: every run of line breaks (with the spaces around it) becomes one space, and the
 * explanation, difficulty, Bloom level, category and tags are not written. A stem that itself
 * starts like an option (`A. `, `B) `) or with `ANSWER:` would be misread by importers; Aiken
 * offers no way to quote it.
 */
import type { ExportBank, ExportQuestion } from './bank.ts';

export function aikenLine(text: string): string {
  return text.replace(/[ \t]*\n\s*/g, ' ');
}

function question(q: ExportQuestion): string {
  const options = q.options.map((o) => `${o.id.toUpperCase()}. ${aikenLine(o.text)}`);
  return [aikenLine(q.question), ...options, `ANSWER: ${q.correct_answer.toUpperCase()}`].join('\n');
}

export function toAiken(bank: ExportBank): string {
  return `${bank.questions.map(question).join('\n\n')}\n`;
}
