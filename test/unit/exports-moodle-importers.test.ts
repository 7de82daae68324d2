/**
 * The cases Moodle's own importers used to read wrongly (issue 14), read back with the ports of
 * those importers in test/support/export-parsers.ts: Moodle XML through xmlize's dropping of
 * white-space-only text pieces, the GIFT `$CATEGORY:` line through `escapedchar_pre`, and Aiken
 * through its option regex and short-line rule. Each case also shows what the old writing did.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { shortName } from '#exports/bank.ts';
import { exportBank } from '#exports/export-file.ts';
import type { ExportBank, ExportQuestion } from '#exports/index.ts';
import { moodleCategory } from '#exports/moodle.ts';
import { escapeXml } from '#exports/xml.ts';
import { InvalidRequest } from '#platform/errors.ts';
import {
  aikenImport,
  moodleCategoryNames,
  readAiken,
  readGift,
  readMoodleXml,
  xmlizeText,
} from '../support/export-parsers.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const write = (bank: ExportBank, format: 'moodle' | 'gift' | 'aiken') =>
  utf8.decode(exportBank(bank, format).body);

function question(id: string, text: string, extra: Partial<ExportQuestion> = {}): ExportQuestion {
  return {
    id,
    question: text,
    options: [
      { id: 'a', text: 'U.S. history' },
      { id: 'b', text: '"first" & \'second\'' },
    ],
    correct_answer: 'b',
    explanation: 'Because "this" & \'that\' > the rest.',
    ...extra,
  };
}

/** Spaces between two characters XML escapes: each escape is a text piece of its own. */
const SPACED = '"bold" & \'which\' > "quoted"';

describe('Moodle XML as Moodle reads it', () => {
  const q = question(`id ${SPACED}`, `Is ${SPACED} kept?`, { tags: [SPACED, 'tag ]]> end'] });
  const bank: ExportBank = { title: `Bank ${SPACED}`, questions: [q] };
  const parsed = readMoodleXml(write(bank, 'moodle'));
  const [one] = parsed.questions;

  it('keeps the space between two escaped characters in name, idnumber, category and tags', () => {
    assert.equal(one?.name, shortName(q.question));
    assert.equal(one?.id, q.id);
    assert.deepEqual(parsed.categoryNames, [bank.title]);
    assert.deepEqual(one?.tags, q.tags);
  });

  it('lost that space with the old entity-escaped fields (the reader drops the " " piece)', () => {
    // The old writer wrote these fields as `escapeXml(text)`: `"`, `&`, `'` and `>` all escaped.
    assert.equal(xmlizeText(escapeXml(SPACED)), '"bold"&\'which\'>"quoted"');
    assert.equal(xmlizeText(escapeXml('a & b')), 'a & b', 'a space next to plain text is kept');
  });

  it('keeps question text, options and feedback as written: they were one CDATA section already', () => {
    assert.equal(one?.question, q.question);
    assert.deepEqual(one?.options, ['U.S. history', '"first" & \'second\'']);
    assert.equal(one?.explanation, q.explanation);
  });

  it('writes `]]>` inside a CDATA field as two sections, read back as one text', () => {
    const tricky = question('id ]]> & ]]]>', 'Name ]]> & more');
    const [read] = readMoodleXml(write({ title: 'T ]]> x', questions: [tricky] }, 'moodle')).questions;
    assert.equal(read?.id, tricky.id);
    assert.equal(read?.name, tricky.question);
  });
});

describe('Moodle category paths (Moodle XML and GIFT)', () => {
  const titles = ['/Leading slash', 'Trailing slash/', 'a / b // c', '/', 'top level'];

  for (const format of ['moodle', 'gift'] as const) {
    it(`creates one category named as the title, slashes included (${format})`, () => {
      for (const title of titles) {
        const bank = { title, questions: [question('q-1', 'Which one?')] };
        const names =
          format === 'moodle'
            ? readMoodleXml(write(bank, format)).categoryNames
            : readGift(write(bank, format)).categoryNames;
        assert.deepEqual(names, [title], title);
      }
    });
  }

  it('read a title starting with "/" as "top//…" before, with no space after top/', () => {
    assert.deepEqual(moodleCategoryNames('$course$/top///Leading slash'), ['top//Leading slash']);
    assert.equal(moodleCategory('/Leading slash'), '$course$/top/ //Leading slash');
  });
});

describe('the GIFT $CATEGORY line as Moodle reads it', () => {
  const title = 'C:\\new\\:path \\\\ share: #1 = {x} ~ y';
  const gift = write({ title, questions: [question('q-1', 'Which one?')] }, 'gift');

  it('arrives as written: backslashes doubled, `: # = { } ~` left as they are', () => {
    assert.ok(
      gift.startsWith('$CATEGORY: $course$/top/C:\\\\new\\\\:path \\\\\\\\ share: #1 = {x} ~ y\n'),
      gift,
    );
    assert.deepEqual(readGift(gift).categoryNames, [title]);
  });

  it('turned backslash escapes into placeholders Moodle never turns back, before', () => {
    const old = readGift(`$CATEGORY: ${moodleCategory(title)}\n`);
    assert.deepEqual(old.categoryNames, ['C:&&010ew&&058;path \\ share: #1 = {x} ~ y']);
  });

  it('refuses a title holding "&&092;", which Moodle turns into a backslash', () => {
    const bank = { title: 'odd &&092; title', questions: [question('q-1', 'Which one?')] };
    assert.throws(
      () => write(bank, 'gift'),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequest);
        assert.match(error.message, /&&092;.*export it as moodle/);
        return true;
      },
    );
  });

  it('still reads the questions after it', () => {
    assert.equal(readGift(gift).questions[0]?.question, 'Which one?');
  });
});

describe('Aiken stems as Moodle reads them', () => {
  const unreadable = [
    ['U.S. history: who wrote the Federalist papers?', '"U."', 'an option line'],
    ['E.g. which of these is a mammal?', '"E."', 'an option line'],
    ['I) Which statement is true?', '"I)"', 'an option line'],
    ['A. statement that looks like an option', '"A."', 'an option line'],
    ['ANSWER: what is the answer?', '"ANSWER:"', 'the answer line'],
    ['?', 'shorter than two characters', 'skips'],
  ] as const;
  const readable = [
    'US history: who wrote it?',
    'e.g. lower case is a stem',
    'AB. two capitals',
    '1. numbered',
    'Ü. not an ASCII capital',
    'é',
    'Which of these is true?\nA. on a second line',
  ];

  /** What the old writer wrote: no check, the same lines. */
  const oldAiken = (questions: ExportQuestion[]) =>
    questions
      .map((q) =>
        [
          q.question.replace(/[ \t]*\n\s*/g, ' '),
          ...q.options.map((o) => `${o.id.toUpperCase()}. ${o.text}`),
          `ANSWER: ${q.correct_answer.toUpperCase()}`,
        ].join('\n'),
      )
      .join('\n\n');

  it('exports stems Moodle reads as stems, option texts like "U.S. history" included', () => {
    const questions = readable.map((text, i) => question(`q-${i + 1}`, text));
    const read = readAiken(write({ title: 't', questions }, 'aiken'));
    assert.deepEqual(
      read.map((q) => q.question),
      readable.map((text) => text.replace(/\n/g, ' ')),
    );
    assert.ok(read.every((q) => q.options[0] === 'U.S. history' && q.correct === 'b'));
  });

  it('refuses a bank with a stem Moodle reads as an option, the answer or nothing, naming each', () => {
    const questions = [
      question('fine', 'Which one?'),
      ...unreadable.map(([text], i) => question(`bad-${i}`, text)),
    ];
    assert.throws(
      () => write({ title: 't', questions }, 'aiken'),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequest);
        assert.match(error.message, /^Aiken cannot carry 6 questions/);
        unreadable.forEach(([, start, reason], i) => {
          assert.ok(error.message.includes(`question ${i + 2} (bad-${i}): `), error.message);
          assert.ok(error.message.includes(start) && error.message.includes(reason), `${start} ${reason}`);
        });
        assert.ok(!error.message.includes('(fine)'));
        assert.match(error.message, /Export the bank as gift, moodle/);
        return true;
      },
    );
  });

  it('lost each of those questions with the old writer, and failed the import', () => {
    for (const [text] of unreadable) {
      const { questions, errors } = aikenImport(
        oldAiken([question('q-0', 'Which one?'), question('q-1', text)]),
      );
      assert.deepEqual(
        questions.map((q) => q.question),
        ['Which one?'],
        text,
      );
      assert.ok(errors.length > 0, text);
    }
  });
});

describe("the Aiken port against Moodle's own fixture", () => {
  // moodle/moodle question/format/aiken/tests/fixtures/aiken_errors.txt (2d5d5d79) and what
  // aikenformat_test expects of it: two questions, errors on lines 3, 5, 7 and 18.
  const fixture = [
    'A question with too few answers',
    'A) Only answer',
    'ANSWER: A',
    '',
    'A) Question not started',
    '',
    'ANSWER: Question not started',
    '',
    'A good question',
    'A) Correct',
    'B) Incorrect',
    'ANSWER: A',
    '',
    'A question started but not finished',
    'A) Correct-ish',
    'B) Incorrect-ish',
    '',
    'A second good question',
    'A)Incorrect (No space)',
    'B)Correct (No space)',
    'ANSWER: B',
  ].join('\n');

  it('reads the same questions and reports the same lines', () => {
    const { questions, errors } = aikenImport(fixture);
    assert.deepEqual(questions, [
      { question: 'A good question', options: ['Correct', 'Incorrect'], correct: 'a' },
      {
        question: 'A second good question',
        options: ['Incorrect (No space)', 'Correct (No space)'],
        correct: 'b',
      },
    ]);
    assert.deepEqual(
      errors.map((e) => e.split(':')[0]),
      ['line 3', 'line 5', 'line 7', 'line 18'],
    );
  });
});
