/**
 * GIFT, as Moodle's importer reads it (question/format/gift):
 * `::name::[plain]stem {=right ~wrong ... #### explanation}`, one answer per line, questions
 * separated by a blank line.
 */
import { type ExportBank, type ExportQuestion, shortName } from './bank.ts';
import { moodleCategory } from './moodle.ts';

/**
 * Backslash first, so the escapes added after it are not doubled. Newlines as `\n` keep blank
 * lines (question separators) and line-leading `//` (comments) out of the text.
 */
export function escapeGift(text: string): string {
  return text.replace(/[\\~=#{}:]/g, (c) => `\\${c}`).replace(/\n/g, '\\n');
}

/**
 * Moodle reads a leading `[html]`, `[plain]`, ... as a text format, so a text that starts with
 * `[` gets an explicit `[plain]` in front; the stem always has one, which makes Moodle show
 * `<b>` as typed instead of as HTML, and answers and feedback inherit it.
 */
function plain(text: string): string {
  return text.startsWith('[') ? `[plain]${escapeGift(text)}` : escapeGift(text);
}

/**
 * A wrong answer starting with `%50%` would be read as a 50% weight; an explicit `%0%` in
 * front is read as the weight instead, and the text after it is kept.
 */
function wrong(text: string): string {
  return text.startsWith('%') ? `~%0%${plain(text)}` : `~${plain(text)}`;
}

function question(q: ExportQuestion): string {
  const answers = q.options.map((o) => (o.id === q.correct_answer ? `=${plain(o.text)}` : wrong(o.text)));
  // A space after `####` keeps Moodle from reading a format there: the stem's `[plain]` applies.
  const feedback = q.explanation ? ` #### ${escapeGift(q.explanation)}` : '';
  return `::${escapeGift(shortName(q.question))}::[plain]${escapeGift(q.question)} {\n\t${answers.join('\n\t')}${feedback}\n}`;
}

/** Moodle does not unescape the category line, so it stays on one line with no escapes. */
export function toGift(bank: ExportBank): string {
  const category = `$CATEGORY: ${moodleCategory(bank.title)}`;
  return `${[category, ...bank.questions.map(question)].join('\n\n')}\n`;
}
