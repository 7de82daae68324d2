/**
 * Aiken: the stem on one line, `A. option` lines, `ANSWER: X`, a blank line between questions.
 *
 * The format has no escapes, no line breaks inside a text and no feedback, so this is lossy by
 * design: every run of line breaks (with the spaces around it) becomes one space, and the
 * explanation, difficulty, Bloom level, category and tags are not written.
 *
 * Aiken has multiple-choice questions only, and no comments to leave a note in: a bank with open
 * questions is refused (400) rather than exported without them, so nothing is lost unnoticed.
 * For the same reason a bank is refused, naming the questions and why, when a stem cannot be
 * read back as a stem (see `stemProblem`): no rewrite of such a stem arrives unchanged, because
 * Moodle keeps the stem line exactly as it reads it, and the other formats carry it as written.
 */
import { InvalidRequest } from '#platform/errors.ts';
import type { ExportBank, ExportQuestion } from './bank.ts';

export function aikenLine(text: string): string {
  return text.replace(/[ \t]*\n\s*/g, ' ');
}

const PHP_TRIMMED = new Set([' ', '\t', '\n', '\r', '\0', '\v']);

/** PHP's trim(): these six characters only, not every Unicode space as String.prototype.trim. Moodle trims every line it reads. */
function phpTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PHP_TRIMMED.has(text[start] ?? '')) start++;
  while (end > start && PHP_TRIMMED.has(text[end - 1] ?? '')) end--;
  return text.slice(start, end);
}

/**
 * Why Moodle's Aiken importer would not read this stem line as the start of a question, or
 * undefined. qformat_aiken::readquestions (moodle/moodle question/format/aiken/format.php at
 * cf29c007) trims each line, skips it when `strlen` (bytes) is under 2, takes it as an option
 * when it matches `/^[A-Z][).][ \t]?/` (a capital letter and `.` or `)`, the space optional, so
 * `U.S. history`, `E.g. …` and `I) …` are options) and as the answer when it starts with
 * `ANSWER:`. Either way the question is lost: its option and answer lines then come with no
 * question open, which the importer reports as errors (and by default stops the whole import).
 */
function stemProblem(stem: string): string | undefined {
  const line = phpTrim(stem);
  if (new TextEncoder().encode(line).length < 2) {
    return `its text "${line}" is shorter than two characters, and Moodle's Aiken importer skips such lines`;
  }
  const option = /^[A-Z][).]/.exec(line);
  if (option) return `it starts with "${option[0]}", which Moodle's Aiken importer reads as an option line`;
  if (line.startsWith('ANSWER:'))
    return `it starts with "ANSWER:", which Moodle's Aiken importer reads as the answer line`;
  return undefined;
}

/** At most this many questions are named in the refusal; the count says how many there are. */
const NAMED = 10;

function refuseUnreadableStems(questions: ExportQuestion[]): void {
  const problems = questions.flatMap((q, i) => {
    const problem = stemProblem(aikenLine(q.question));
    return problem ? [`question ${i + 1} (${q.id}): ${problem}`] : [];
  });
  if (problems.length === 0) return;
  const more = problems.length > NAMED ? `; and ${problems.length - NAMED} more` : '';
  throw new InvalidRequest(
    `Aiken cannot carry ${problems.length} question${problems.length === 1 ? '' : 's'} of this bank as written: ${problems.slice(0, NAMED).join('; ')}${more}. Export the bank as gift, moodle, qti21, qti30 or csv, which carry these stems, or edit those questions so their text does not start that way`,
  );
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
  refuseUnreadableStems(bank.questions);
  return `${bank.questions.map(question).join('\n\n')}\n`;
}
