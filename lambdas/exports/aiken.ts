/**
 * Aiken: the stem on one line, `A. option` lines, `ANSWER: X`, a blank line between questions.
 *
 * The format has no escapes, no line breaks inside a text and no feedback, so this is lossy by
 * design: every run of line breaks (with the spaces around it) becomes one space, and the
 * explanation, difficulty, Bloom level, category and tags are not written. A stem that itself
 * starts like an option (`A. `, `B) `) or with `ANSWER:` would be misread by importers; Aiken
 * offers no way to quote it.
 *
 * Aiken has multiple-choice questions only, and no comments to leave a note in: a bank with open
 * questions is refused (400) rather than exported without them, so nothing is lost unnoticed.
 */
import { InvalidRequest } from '#platform/errors.ts';
import type { ExportBank, ExportQuestion } from './bank.ts';

export function aikenLine(text: string): string {
  return text.replace(/[ \t]*\n\s*/g, ' ');
}

function question(q: ExportQuestion): string {
  const options = q.options.map((o) => `${o.id.toUpperCase()}. ${aikenLine(o.text)}`);
  return [aikenLine(q.question), ...options, `ANSWER: ${q.correct_answer.toUpperCase()}`].join('\n');
}

export function toAiken(bank: ExportBank): string {
  const open = bank.openQuestions?.length ?? 0;
  if (open > 0) {
    throw new InvalidRequest(
      `Aiken has multiple-choice questions only, and this assessment has ${open} open question${open === 1 ? '' : 's'}; export it as qti21, qti30, moodle, gift or csv, or save a copy without them (PUT /assessments/{id} with "subjective_questions": []) and export that`,
    );
  }
  return `${bank.questions.map(question).join('\n\n')}\n`;
}
