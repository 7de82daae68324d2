/**
 * GIFT, as Moodle's importer reads it (question/format/gift):
 * `::name::[plain]stem {=right ~wrong ... #### explanation}`, one answer per line, questions
 * separated by a blank line. An open question is an essay: braces with no answer in them, which
 * Moodle reads as `essay` even with general feedback after `####` (format.php checks the answer
 * text after cutting the feedback off). GIFT has no field for graders, so the model answer goes
 * into that general feedback, which Moodle shows the learner after the attempt.
 */
import { InvalidRequest } from '#platform/errors.ts';
import { type ExportBank, type ExportOpenQuestion, type ExportQuestion, shortName } from './bank.ts';
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

function essay(q: ExportOpenQuestion): string {
  const feedback = `Model answer: ${q.model_answer}${q.explanation ? `\n\n${q.explanation}` : ''}`;
  return `::${escapeGift(shortName(q.question))}::[plain]${escapeGift(q.question)} {\n\t#### ${escapeGift(feedback)}\n}`;
}

/**
 * The `$CATEGORY:` line, written so Moodle reads the path as written. Moodle's readquestion
 * (moodle/moodle question/format/gift/format.php at 00e93a99) runs `escapedchar_pre` on the
 * whole block before it looks for `$CATEGORY:`, and returns the category right there, without
 * `escapedchar_post`: `\\` becomes `\`, and `\:` `\#` `\=` `\{` `\}` `\~` `\n` become
 * placeholders (`&&058;` ...) that are never turned back. So `: # = { } ~` need no escape on
 * this line (nothing after the category check reads them), and every backslash is doubled: each
 * pair comes back as one, and no single backslash is left to start an escape. The one text that
 * cannot be written is `&&092;`, the placeholder Moodle turns into a backslash last; a title
 * holding it is refused rather than imported under another name. The path itself follows
 * `moodleCategory` (slashes, a leading `/`).
 */
function categoryLine(title: string): string {
  if (title.includes('&&092;')) {
    throw new InvalidRequest(
      `The bank's title "${title}" contains "&&092;", which Moodle's GIFT importer turns into a backslash in the category name; rename the bank or export it as moodle (Moodle XML)`,
    );
  }
  return `$CATEGORY: ${moodleCategory(title).replace(/\\/g, '\\\\')}`;
}

export function toGift(bank: ExportBank): string {
  const category = categoryLine(bank.title);
  const open = (bank.openQuestions ?? []).map(essay);
  return `${[category, ...bank.questions.map(question), ...open].join('\n\n')}\n`;
}
