/**
 * CSV (RFC 4180): one row per question, CRLF line ends, a field quoted when it holds a comma,
 * quote or line break (quotes doubled), and a UTF-8 byte order mark so Excel reads the file as
 * UTF-8 rather than the local code page. Line breaks inside a text stay `\n`, inside quotes.
 *
 * Texts are written as they are: a cell starting with `=`, `+`, `-` or `@` is a formula to a
 * spreadsheet, and prefixing it (the usual CSV-injection guard) would change the question for
 * every tool that imports the file. Tags are joined with `|`, so a tag containing `|` does
 * not split back into the same tags.
 *
 * `type` (`multiple_choice` or `open`) and `model_answer` come last, so the columns before them
 * keep their places for readers of earlier files; an open question's option and answer cells are
 * empty.
 */
import type { ExportBank, ExportOpenQuestion, ExportQuestion } from './bank.ts';

export const CSV_HEADER = [
  'id',
  'question',
  'option_a',
  'option_b',
  'option_c',
  'option_d',
  'correct_answer',
  'explanation',
  'difficulty',
  'bloom_level',
  'category',
  'tags',
  'type',
  'model_answer',
  // Last, so that readers of the columns before it by position read them as before.
  'language',
] as const;

function field(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function row(q: ExportQuestion): string[] {
  const option = (id: string) => q.options.find((o) => o.id === id)?.text ?? '';
  return [
    q.id,
    q.question,
    option('a'),
    option('b'),
    option('c'),
    option('d'),
    q.correct_answer,
    q.explanation,
    q.difficulty === undefined ? '' : String(q.difficulty),
    q.bloom_level ?? '',
    q.category ?? '',
    (q.tags ?? []).join('|'),
    'multiple_choice',
    '',
    q.language ?? '',
  ];
}

function openRow(q: ExportOpenQuestion): string[] {
  return [
    q.id,
    q.question,
    '',
    '',
    '',
    '',
    '',
    q.explanation,
    '',
    q.bloom_level ?? '',
    '',
    '',
    'open',
    q.model_answer,
    q.language ?? '',
  ];
}

export function toCsv(bank: ExportBank): string {
  const rows = [[...CSV_HEADER], ...bank.questions.map(row), ...(bank.openQuestions ?? []).map(openRow)];
  return `\uFEFF${rows.map((r) => r.map(field).join(',')).join('\r\n')}\r\n`;
}
