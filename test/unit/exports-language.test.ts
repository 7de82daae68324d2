/** Each question's language in the exports that have a place for it: QTI item roots, CSV. */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { exportBank } from '#exports/export-file.ts';
import type { ExportQuestion } from '#exports/index.ts';
import { QTI_NAMES, readCsv, readQti } from '../support/export-parsers.ts';

const question = (id: string, language?: string): ExportQuestion => ({
  id,
  question: `Question ${id} ?`,
  options: [
    { id: 'a', text: 'où' },
    { id: 'b', text: 'ou' },
    { id: 'c', text: 'houx' },
  ],
  correct_answer: 'a',
  explanation: 'Parce que.',
  ...(language === undefined ? {} : { language }),
});

const QUESTIONS = [
  question('fr-1', 'fr'),
  question('hi-1', 'hi'),
  question('unknown-1'),
  question('bad-1', 'pt-BR'),
];

describe('QTI item roots', () => {
  for (const [format, version] of [
    ['qti21', '2.1'],
    ['qti30', '3.0'],
  ] as const) {
    it(`carry xml:lang in QTI ${version} where the language is a known code, nothing elsewhere`, () => {
      const pkg = readQti(exportBank({ title: 't', questions: QUESTIONS }, format).body, version);

      assert.deepEqual(
        pkg.items.map(({ doc }) => doc[QTI_NAMES[version].item]['@_xml:lang']),
        ['fr', 'hi', undefined, undefined],
      );
    });
  }
});

describe('CSV', () => {
  it("ends each row with the question's language, empty where it is not known", () => {
    const file = exportBank({ title: 't', questions: QUESTIONS.slice(0, 3) }, 'csv');

    const { records } = readCsv(new TextDecoder('utf-8', { ignoreBOM: true }).decode(file.body));

    assert.deepEqual(
      records.map((r) => [r.id, r.language]),
      [
        ['fr-1', 'fr'],
        ['hi-1', 'hi'],
        ['unknown-1', ''],
      ],
    );
  });
});
