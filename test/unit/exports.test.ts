import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { AssessmentQuestion } from '#assessments/assessment.ts';
import { bankFromAssessment, bankFromResult, exportBank } from '#exports/export-file.ts';
import {
  EXPORT_FORMATS,
  type ExportBank,
  type ExportFormat,
  type ExportQuestion,
  isExportFormat,
} from '#exports/index.ts';
import type { Question } from '#jobs/questions.ts';
import { InvalidRequest } from '#platform/errors.ts';
import {
  csvQuestions,
  type ParsedQuestion,
  QTI_NAMES,
  type QtiVersion,
  readAiken,
  readCsv,
  readGift,
  readMoodleXml,
  readQti,
} from '../support/export-parsers.ts';

/**
 * Texts that break naive writers: XML and HTML specials, quotes, unicode beyond the BMP, every
 * GIFT special, backslashes (also before `n`), CSV separators, line breaks (CRLF too), and
 * things importers read as syntax at the start of a text (`[html]`, `%50%`, `::`, `//`, `=`).
 * Leading and trailing white space is trimmed by every format (see `cleanText`), so
 * `  padded  ` is expected back as `padded`.
 */
const NASTY = [
  'Tom & Jerry',
  '<b>bold</b> & <script>alert(1)</script>',
  '"double quotes"',
  "it's O'Reilly's",
  'café é 中文 😀 👩‍💻',
  'GIFT ~ = # { } : specials',
  'back\\slash \\n not a newline \\\\ \\:',
  'commas, everywhere, ,',
  'line one\nline two\n\nline four',
  'windows\r\nline end',
  'cdata ]]> end',
  '&amp; already escaped &#65;',
  '::not a name::',
  '// not a comment',
  '[html] not a format',
  '%50% not a weight',
  '=starts with equals',
  '####not feedback',
  'tab\there',
  '  padded  ',
  '$CATEGORY: not a category',
];

const pick = (i: number, offset: number) => NASTY[(i + offset) % NASTY.length] ?? '';
const IDS = ['a', 'b', 'c', 'd'] as const;

function nastyQuestion(i: number): ExportQuestion {
  const count = i % 25 === 24 ? 3 : 4;
  const ids = IDS.slice(0, count);
  return {
    id: i === 0 ? 'weird id/with spaces & <stuff>' : i === 1 || i === 2 ? 'duplicate' : `q-${i}`,
    question: `${pick(i, 0)} question ${i + 1}: ${pick(i, 3)}?`,
    options: ids.map((id, k) => ({ id, text: `${pick(i, 5 + k * 2)} (${id}${i}) ${pick(i, 6 + k)}` })),
    correct_answer: ids[(i * 7) % count] ?? 'a',
    explanation: i % 20 === 19 ? '' : `Because ${pick(i, 9)}.\nSee also: ${pick(i, 11)}`,
    difficulty: (i % 5) + 1,
    bloom_level: 'apply',
    category: 'css, html',
    tags: ['layout', 'ünïcode'],
  };
}

const BANK: ExportBank = {
  title: 'Front-end / CSS: "tricky" bank é',
  questions: Array.from({ length: 100 }, (_, i) => nastyQuestion(i)),
};

/** What survives every format: CRLF read as LF, no white space at either end. */
const clean = (text: string) => text.replace(/\r\n?/g, '\n').trim();
/** Aiken's documented flattening: each run of line breaks, with the spaces around it, is one space. */
const aikenLine = (text: string) => clean(text).replace(/[ \t]*\n\s*/g, ' ');

function expected(q: ExportQuestion, text = clean, explanation = true): ParsedQuestion {
  return {
    question: text(q.question),
    options: q.options.map((o) => text(o.text)),
    correct: q.correct_answer,
    ...(explanation ? { explanation: text(q.explanation) } : {}),
  };
}

const comparable = (q: ParsedQuestion, explanation = true): ParsedQuestion => ({
  question: q.question,
  options: q.options,
  correct: q.correct,
  ...(explanation ? { explanation: q.explanation ?? '' } : {}),
});

function exported(format: ExportFormat, bank: ExportBank = BANK) {
  return exportBank(bank, format);
}

/** `ignoreBOM` keeps the CSV's byte order mark, which a default TextDecoder would swallow. */
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true, fatal: true });
const text = (format: ExportFormat, bank?: ExportBank) => utf8.decode(exported(format, bank).body);

describe('exportBank', () => {
  it('names each format with its content type and a file name ending in its extension', () => {
    for (const format of EXPORT_FORMATS) {
      const file = exported(format.id);

      assert.equal(file.contentType, format.contentType);
      assert.match(file.filename, /^front-end-css-tricky-bank-e-/);
      assert.ok(file.filename.endsWith(`-${format.id}${format.extension}`), file.filename);
      assert.ok(file.body.length > 0);
    }
    assert.deepEqual(
      EXPORT_FORMATS.map((f) => [f.id, f.contentType, f.extension]),
      [
        ['qti21', 'application/zip', '.zip'],
        ['qti30', 'application/zip', '.zip'],
        ['moodle', 'application/xml', '.xml'],
        ['gift', 'text/plain; charset=utf-8', '.txt'],
        ['aiken', 'text/plain; charset=utf-8', '.txt'],
        ['csv', 'text/csv; charset=utf-8', '.csv'],
      ],
    );
  });

  it('tells formats it knows from ones it does not', () => {
    assert.ok(isExportFormat('gift'));
    assert.ok(!isExportFormat('docx'));
    assert.throws(() => exportBank(BANK, 'docx' as ExportFormat), InvalidRequest);
  });

  it('falls back to a generic file name when the title has no ASCII letters', () => {
    const file = exportBank({ ...BANK, title: '中文题库' }, 'csv');

    assert.equal(file.filename, 'question-bank-csv.csv');
  });

  it('refuses banks the formats cannot carry, naming the question', () => {
    const q = nastyQuestion(3);
    const cases: [string, ExportBank][] = [
      ['no questions', { title: 't', questions: [] }],
      [
        'gap in option ids',
        { title: 't', questions: [{ ...q, options: q.options.filter((o) => o.id !== 'b') }] },
      ],
      [
        'one option',
        { title: 't', questions: [{ ...q, options: q.options.slice(0, 1), correct_answer: 'a' }] },
      ],
      [
        'answer not an option',
        { title: 't', questions: [{ ...q, options: q.options.slice(0, 2), correct_answer: 'd' }] },
      ],
      [
        'empty option',
        { title: 't', questions: [{ ...q, options: q.options.map((o) => ({ ...o, text: ' ' })) }] },
      ],
      ['empty stem', { title: 't', questions: [{ ...q, question: ' \n ' }] }],
    ];
    for (const [name, bank] of cases) {
      assert.throws(() => exportBank(bank, 'gift'), InvalidRequest, name);
    }
    assert.throws(
      () => exportBank({ title: 't', questions: [q, { ...q, id: 'bad', question: '' }] }, 'csv'),
      /Question 2 \(bad\)/,
    );
  });

  it('reads options by id, whatever order they are listed in', () => {
    const q = nastyQuestion(4);
    const shuffled = { ...q, options: [...q.options].reverse() };

    const parsed = readAiken(text('aiken', { title: 't', questions: [shuffled] }));

    assert.deepEqual(parsed, [expected(q, aikenLine, false)]);
  });
});

for (const version of ['2.1', '3.0'] as const satisfies QtiVersion[]) {
  const format = version === '2.1' ? 'qti21' : 'qti30';
  const n = QTI_NAMES[version];
  const ns =
    version === '2.1'
      ? {
          manifest: 'http://www.imsglobal.org/xsd/imscp_v1p1',
          item: 'http://www.imsglobal.org/xsd/imsqti_v2p1',
          itemType: 'imsqti_item_xmlv2p1',
          testType: 'imsqti_test_xmlv2p1',
          template: 'http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct',
        }
      : {
          manifest: 'http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1',
          item: 'http://www.imsglobal.org/xsd/imsqtiasi_v3p0',
          itemType: 'imsqti_item_xmlv3p0',
          testType: 'imsqti_test_xmlv3p0',
          template: 'https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml',
        };
  const attr = (camel: string, kebab: string) => (version === '2.1' ? `@_${camel}` : `@_${kebab}`);

  describe(`IMS QTI ${version} package`, () => {
    const pkg = readQti(exported(format).body, version);

    it('round-trips every question, option, answer and explanation', () => {
      assert.deepEqual(
        pkg.questions.map((q) => comparable(q)),
        BANK.questions.map((q) => expected(q)),
      );
    });

    it('has a CP manifest with one item resource per question, each pointing at a file in the zip', () => {
      assert.equal(pkg.manifest.manifest['@_xmlns'], ns.manifest);
      assert.equal(pkg.items.length, BANK.questions.length);
      for (const { resource } of pkg.items) {
        assert.equal(resource['@_type'], ns.itemType);
        assert.ok(pkg.files.has(resource['@_href']), resource['@_href']);
        assert.deepEqual(
          resource.file.map((f: any) => f['@_href']),
          [resource['@_href']],
        );
      }
    });

    it('gives every item a unique NCName identifier, matching its resource', () => {
      const ids = pkg.items.map(({ doc }) => doc[n.item]['@_identifier']);

      assert.equal(new Set(ids).size, BANK.questions.length);
      for (const id of ids) assert.match(id, /^[A-Za-z_][A-Za-z0-9._-]*$/);
      assert.deepEqual(
        pkg.items.map(({ resource }) => resource['@_identifier']),
        ids,
      );
    });

    it('declares single-choice items scored by match_correct, with the right choice as the correct value', () => {
      pkg.items.forEach(({ doc }, i) => {
        const item = doc[n.item];
        const question = BANK.questions[i];
        assert.ok(question);
        assert.equal(item['@_xmlns'], ns.item);
        assert.equal(item['@_adaptive'], 'false');
        assert.equal(item[attr('timeDependent', 'time-dependent')], 'false');
        const response = item[n.response];
        assert.equal(response['@_identifier'], 'RESPONSE');
        assert.equal(response['@_cardinality'], 'single');
        assert.equal(response[attr('baseType', 'base-type')], 'identifier');
        const interaction = item[n.body][n.interaction];
        assert.equal(interaction[attr('responseIdentifier', 'response-identifier')], 'RESPONSE');
        assert.equal(interaction[attr('maxChoices', 'max-choices')], '1');
        const correctIndex = question.options.findIndex((o) => o.id === question.correct_answer);
        assert.equal(response[n.correct][n.value], interaction[n.choice][correctIndex]['@_identifier']);
        const score = item[version === '2.1' ? 'outcomeDeclaration' : 'qti-outcome-declaration'].find(
          (o: any) => o['@_identifier'] === 'SCORE',
        );
        assert.equal(score['@_cardinality'], 'single');
        assert.equal(score[attr('baseType', 'base-type')], 'float');
        const processing = item[version === '2.1' ? 'responseProcessing' : 'qti-response-processing'];
        assert.equal(processing['@_template'], ns.template);
      });
    });

    it('has a test resource depending on every item, and a test referencing every item in bank order', () => {
      const itemIds = pkg.items.map(({ resource }) => resource['@_identifier']);
      assert.equal(pkg.testResource['@_type'], ns.testType);
      assert.ok(pkg.files.has(pkg.testResource['@_href']));
      assert.deepEqual(
        pkg.testResource.dependency.map((d: any) => d['@_identifierref']),
        itemIds,
      );

      const refs: any[] = pkg.test[n.test][n.part][n.section][n.ref];
      assert.deepEqual(
        refs.map((r) => r['@_identifier']),
        itemIds,
      );
      assert.deepEqual(
        refs.map((r) => r['@_href']),
        pkg.items.map(({ resource }) => resource['@_href']),
      );
    });

    it('drops characters XML 1.0 forbids instead of writing an unreadable file', () => {
      const q = nastyQuestion(5);
      const bank = { title: 'x', questions: [{ ...q, question: 'a\u0000b\u0008c\uFFFEd\uD800e 😀 ok' }] };

      const [parsed] = readQti(exportBank(bank, format).body, version).questions;

      assert.equal(parsed?.question, 'abcde 😀 ok');
    });
  });
}

describe('Moodle XML', () => {
  const xml = text('moodle');
  const parsed = readMoodleXml(xml);

  it('round-trips every question, option, answer, explanation and id', () => {
    assert.deepEqual(
      parsed.questions.map((q) => ({ ...comparable(q), id: q.id })),
      BANK.questions.map((q) => ({ ...expected(q), id: q.id })),
    );
  });

  it('starts with a category named after the bank, slashes doubled', () => {
    assert.equal(parsed.category, '$course$/top/Front-end // CSS: "tricky" bank é');
    assert.match(xml, /^<\?xml[^>]*\?>\s*<quiz>\s*<question type="category">/);
  });

  it('writes single-answer questions with 100 / 0 fractions', () => {
    assert.equal((xml.match(/<single>true<\/single>/g) ?? []).length, 100);
    assert.equal((xml.match(/<answer fraction="100"/g) ?? []).length, 100);
  });

  it('drops characters XML 1.0 forbids', () => {
    const q = nastyQuestion(5);
    const bank = { title: 'x', questions: [{ ...q, explanation: 'a\u0001b\uDFFFc' }] };

    const [one] = readMoodleXml(text('moodle', bank)).questions;

    assert.equal(one?.explanation, 'abc');
  });
});

describe('GIFT', () => {
  const gift = text('gift');
  const parsed = readGift(gift);

  it("round-trips every question, option, answer and explanation as Moodle's importer reads them", () => {
    assert.deepEqual(
      parsed.questions.map((q) => comparable(q)),
      BANK.questions.map((q) => expected(q)),
    );
  });

  it('names the category and keeps blank lines only between questions', () => {
    assert.equal(parsed.category, '$course$/top/Front-end // CSS: "tricky" bank é');
    assert.equal(gift.split(/\n[ \t]*\n/).length, 101);
  });

  it('escapes every GIFT special with a backslash', () => {
    const q = { ...nastyQuestion(0), question: 'a~b=c#d{e}f:g\\h\ni' };

    const body = text('gift', { title: 't', questions: [q] });

    assert.ok(body.includes('[plain]a\\~b\\=c\\#d\\{e\\}f\\:g\\\\h\\ni {'), body);
  });
});

describe('Aiken', () => {
  const aiken = text('aiken');

  it('round-trips questions, options and answers, with line breaks flattened to spaces', () => {
    assert.deepEqual(
      readAiken(aiken).map((q) => comparable(q, false)),
      BANK.questions.map((q) => expected(q, aikenLine, false)),
    );
  });

  it('writes lettered options, an ANSWER line and a blank line between questions', () => {
    const [first] = aiken.split('\n\n');
    const q = BANK.questions[0];
    assert.ok(q && first);
    assert.deepEqual(first.split('\n').slice(1), [
      ...q.options.map((o) => `${o.id.toUpperCase()}. ${aikenLine(o.text)}`),
      `ANSWER: ${q.correct_answer.toUpperCase()}`,
    ]);
    assert.equal(aiken.trimEnd().split('\n\n').length, 100);
  });
});

describe('CSV', () => {
  const csv = text('csv');

  it('starts with a UTF-8 BOM and the header, and ends every record with CRLF', () => {
    const bytes = exported('csv').body;

    assert.deepEqual([...bytes.slice(0, 3)], [0xef, 0xbb, 0xbf]);
    assert.ok(
      csv.startsWith(
        '\uFEFFid,question,option_a,option_b,option_c,option_d,correct_answer,explanation,difficulty,bloom_level,category,tags,type,model_answer,language\r\n',
      ),
    );
    assert.ok(csv.endsWith('\r\n'));
  });

  it('round-trips every field, quoted fields with commas, quotes and line breaks included', () => {
    const { records } = readCsv(csv);

    assert.deepEqual(
      csvQuestions(csv).map((q) => ({ ...comparable(q), id: q.id })),
      BANK.questions.map((q) => ({ ...expected(q), id: q.id })),
    );
    assert.deepEqual(
      records[0] && [records[0].difficulty, records[0].bloom_level, records[0].category, records[0].tags],
      ['1', 'apply', 'css, html', 'layout|ünïcode'],
    );
    assert.equal(records[24]?.option_d, '');
  });

  it('quotes a field only when it must, doubling its quotes', () => {
    const q = { ...nastyQuestion(0), id: 'q1', question: 'He said "hi", then left' };

    const [, row] = text('csv', { title: 't', questions: [q] }).split('\r\n');

    assert.ok(row?.startsWith('q1,"He said ""hi"", then left",'), row);
  });
});

describe('bankFromResult', () => {
  const question = (id: string): Question => ({
    id,
    question: `Question ${id}?`,
    options: IDS.map((o) => ({ id: o, text: `${o} of ${id}` })),
    correct_answer: 'b',
    explanation: `Because ${id}.`,
    difficulty: 2,
    category: 'css',
    tags: ['x'],
    bloom_level: 'apply',
  });

  it('flattens a sector file in career and level order', () => {
    const sector = {
      FRONTEND_DEVELOPER: {
        level_1: { quiz_pool: [question('fe1-1'), question('fe1-2')] },
        level_2: { quiz_pool: [question('fe2-1')] },
      },
      BACKEND_DEVELOPER: { level_1: { quiz_pool: [question('be1-1')] } },
    };

    const bank = bankFromResult('Technology', sector);

    assert.equal(bank.title, 'Technology');
    assert.deepEqual(
      bank.questions.map((q) => q.id),
      ['fe1-1', 'fe1-2', 'fe2-1', 'be1-1'],
    );
    assert.deepEqual(bank.questions[0], question('fe1-1'));
  });

  it('reads a career level result, ignoring its other fields', () => {
    const careerLevel = {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
      chunk_key: 'technology__FRONTEND_DEVELOPER__1',
      generated_at: '2025-01-01T00:00:00.000Z',
      job_id: 'job',
      model: 'gemini',
      quiz_pool: [question('a1'), question('a2')],
    };

    assert.deepEqual(
      bankFromResult('t', careerLevel).questions.map((q) => q.id),
      ['a1', 'a2'],
    );
  });

  it('flattens the combined bank: sectors, then soft skills', () => {
    const combined = {
      technology: { FRONTEND_DEVELOPER: { level_1: { quiz_pool: [question('t1')] } } },
      finance: { ANALYST: { level_3: { quiz_pool: [question('f3')] } } },
      soft_skills: {
        COMMUNICATION: { quiz_pool: [question('s1')] },
        TEAMWORK: { quiz_pool: [question('s2')] },
      },
    };

    assert.deepEqual(
      bankFromResult('all', combined).questions.map((q) => q.id),
      ['t1', 'f3', 's1', 's2'],
    );
  });

  it('reads an assessment result through the assessment converter', () => {
    const result = {
      job_id: 'j',
      query: 'css',
      mcqs: [
        {
          question: 'Q?',
          options: ['w', 'x', 'y', 'z'],
          correct_answer: 'y',
          bloom_level: 'apply',
          explanation: 'e',
        },
      ],
    };

    const [q] = bankFromResult('t', result).questions;

    assert.equal(q?.id, 'mcq-1');
    assert.equal(q?.correct_answer, 'c');
  });

  it('names the question that is not one', () => {
    const broken = {
      FRONTEND_DEVELOPER: { level_1: { quiz_pool: [question('ok'), { question: 'no options' }] } },
    };

    assert.throws(() => bankFromResult('t', broken), /FRONTEND_DEVELOPER\.level_1\.quiz_pool\[1\]/);
  });
});

describe('bankFromAssessment', () => {
  const mcq = (answer: string): AssessmentQuestion => ({
    question: 'Which property sets the text colour?',
    options: ['background', 'color', 'font-weight', 'border'],
    correct_answer: answer,
    bloom_level: 'remember',
    explanation: '`color` sets the foreground colour.',
  });

  it('gives options ids a–d by position and finds the answer by its text', () => {
    const bank = bankFromAssessment('CSS', [mcq('color'), mcq('border')]);

    assert.deepEqual(bank.questions[0], {
      id: 'mcq-1',
      question: 'Which property sets the text colour?',
      options: [
        { id: 'a', text: 'background' },
        { id: 'b', text: 'color' },
        { id: 'c', text: 'font-weight' },
        { id: 'd', text: 'border' },
      ],
      correct_answer: 'b',
      explanation: '`color` sets the foreground colour.',
      bloom_level: 'remember',
    });
    assert.equal(bank.questions[1]?.correct_answer, 'd');
  });

  it('matches the answer as the assessment editor does when the spelling differs', () => {
    assert.equal(bankFromAssessment('CSS', [mcq(' Font-Weight. ')]).questions[0]?.correct_answer, 'c');
  });

  it('refuses an answer that is none of the options', () => {
    assert.throws(() => bankFromAssessment('CSS', [mcq('margin')]), InvalidRequest);
  });

  it('exports to Moodle XML and back', () => {
    const bank = bankFromAssessment('CSS', [mcq('color')]);

    const [q] = readMoodleXml(text('moodle', bank)).questions;

    assert.deepEqual(q && comparable(q), {
      question: 'Which property sets the text colour?',
      options: ['background', 'color', 'font-weight', 'border'],
      correct: 'b',
      explanation: '`color` sets the foreground colour.',
    });
  });
});
