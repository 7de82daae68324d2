/**
 * Reads each export format back into plain question records, the way an LMS would: QTI and
 * Moodle XML with a real XML parser, GIFT and Aiken with ports of Moodle's own importers
 * (question/format/gift and question/format/aiken), CSV with an RFC 4180 reader.
 */

import { XMLParser } from 'fast-xml-parser';
import { strFromU8, unzipSync } from 'fflate';

export interface ParsedQuestion {
  id?: string;
  name?: string;
  question: string;
  /** Option texts in file order. */
  options: string[];
  /** The correct option's position as an id: a, b, c, d. */
  correct: string;
  explanation?: string;
  /** GIFT: an essay (braces with no answer in them, as Moodle's importer reads it). */
  essay?: true;
}

const LETTERS = ['a', 'b', 'c', 'd'];

function letterAt(index: number): string {
  const letter = LETTERS[index];
  if (!letter) throw new Error(`no correct option (index ${index})`);
  return letter;
}

const ENTITY: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Escaped text with `<br/>` line breaks, back to plain text (one pass, so `&amp;lt;` stays `&lt;`). */
export function fromMarkup(markup: string): string {
  return markup
    .replace(/<br\s*\/?>\n?/g, '\n')
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, name: string) => {
      if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
      if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
      return ENTITY[name] ?? whole;
    });
}

/** A stop node's raw content, whether or not the parser wrapped it with its attributes. */
function rawOf(node: any): string {
  if (node === undefined) return '';
  return typeof node === 'string' ? node : (node['#text'] ?? '');
}

// ── QTI ────────────────────────────────────────────────────────────────────────────────────

const QTI_NAMES = {
  '2.1': {
    item: 'assessmentItem',
    response: 'responseDeclaration',
    correct: 'correctResponse',
    value: 'value',
    body: 'itemBody',
    interaction: 'choiceInteraction',
    prompt: 'prompt',
    choice: 'simpleChoice',
    feedback: 'modalFeedback',
    test: 'assessmentTest',
    part: 'testPart',
    section: 'assessmentSection',
    ref: 'assessmentItemRef',
  },
  '3.0': {
    item: 'qti-assessment-item',
    response: 'qti-response-declaration',
    correct: 'qti-correct-response',
    value: 'qti-value',
    body: 'qti-item-body',
    interaction: 'qti-choice-interaction',
    prompt: 'qti-prompt',
    choice: 'qti-simple-choice',
    feedback: 'qti-modal-feedback',
    test: 'qti-assessment-test',
    part: 'qti-test-part',
    section: 'qti-assessment-section',
    ref: 'qti-assessment-item-ref',
  },
} as const;

export type QtiVersion = keyof typeof QTI_NAMES;

export interface QtiPackage {
  /** Every file in the zip, as text. */
  files: Map<string, string>;
  manifest: any;
  /** Item resources in manifest order, each with its parsed item document. */
  items: { resource: any; doc: any }[];
  testResource: any;
  test: any;
  questions: ParsedQuestion[];
}

function xmlParser(stopNodes: string[]): XMLParser {
  const arrays = new Set([
    'resource',
    'file',
    'dependency',
    'simpleChoice',
    'qti-simple-choice',
    'assessmentItemRef',
    'qti-assessment-item-ref',
    'outcomeDeclaration',
    'qti-outcome-declaration',
    'question',
    'answer',
    'tag',
  ]);
  return new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@_',
    parseTagValue: false,
    parseAttributeValue: false,
    stopNodes,
    isArray: (name) => arrays.has(name),
  });
}

export function readQti(zip: Uint8Array, version: QtiVersion): QtiPackage {
  const n = QTI_NAMES[version];
  const files = new Map(Object.entries(unzipSync(zip)).map(([path, bytes]) => [path, strFromU8(bytes)]));
  const textParts =
    version === '2.1'
      ? [`*.${n.prompt}`, `*.${n.choice}`, `*.${n.feedback}`]
      : [`*.${n.prompt}`, `*.${n.choice}`, '*.qti-content-body'];
  const parser = xmlParser(textParts);
  const parse = (path: string) => {
    const text = files.get(path);
    if (text === undefined) throw new Error(`${path} is not in the package`);
    return parser.parse(text);
  };
  const manifest = parse('imsmanifest.xml');
  const resources: any[] = manifest.manifest.resources.resource;
  const itemType = version === '2.1' ? 'imsqti_item_xmlv2p1' : 'imsqti_item_xmlv3p0';
  const testType = version === '2.1' ? 'imsqti_test_xmlv2p1' : 'imsqti_test_xmlv3p0';
  const items = resources
    .filter((r) => r['@_type'] === itemType)
    .map((resource) => ({ resource, doc: parse(resource['@_href']) }));
  const testResource = resources.find((r) => r['@_type'] === testType);
  const test = parse(testResource['@_href']);
  const questions = items.map(({ doc }): ParsedQuestion => {
    const item = doc[n.item];
    const interaction = item[n.body][n.interaction];
    const choices: any[] = interaction[n.choice];
    const correctId = item[n.response][n.correct][n.value];
    const feedback = item[n.feedback];
    const explanation = version === '2.1' ? rawOf(feedback) : rawOf(feedback?.['qti-content-body']);
    return {
      id: item['@_identifier'],
      name: item['@_title'],
      question: fromMarkup(rawOf(interaction[n.prompt])),
      options: choices.map((c) => fromMarkup(rawOf(c))),
      correct: letterAt(choices.findIndex((c) => c['@_identifier'] === correctId)),
      explanation: fromMarkup(explanation),
    };
  });
  return { files, manifest, items, testResource, test, questions };
}

export { QTI_NAMES };

// ── Moodle XML ─────────────────────────────────────────────────────────────────────────────

export function readMoodleXml(xml: string): { category: string; questions: ParsedQuestion[] } {
  const doc = xmlParser([]).parse(xml);
  const all: any[] = doc.quiz.question;
  const category = all.find((q) => q['@_type'] === 'category')?.category?.text ?? '';
  const questions = all
    .filter((q) => q['@_type'] === 'multichoice')
    .map((q): ParsedQuestion => {
      if (q.single !== 'true') throw new Error('not a single-answer question');
      const answers: any[] = q.answer;
      return {
        id: q.idnumber,
        name: q.name.text,
        question: fromMarkup(q.questiontext.text),
        options: answers.map((a) => fromMarkup(a.text)),
        correct: letterAt(answers.findIndex((a) => a['@_fraction'] === '100')),
        explanation: fromMarkup(q.generalfeedback.text),
      };
    });
  return { category, questions };
}

// ── GIFT: a port of Moodle's qformat_gift::readquestion for multiple-choice and essay questions

const GIFT_ESCAPES: Record<string, string> = {
  ':': '\uE001',
  '#': '\uE002',
  '=': '\uE003',
  '{': '\uE004',
  '}': '\uE005',
  '~': '\uE006',
  n: '\uE007',
};
const BACKSLASH = '\uE000';

function giftPre(text: string): string {
  let out = text.replaceAll('\\\\', BACKSLASH);
  for (const [c, ph] of Object.entries(GIFT_ESCAPES)) out = out.replaceAll(`\\${c}`, ph);
  return out.replaceAll(BACKSLASH, '\\');
}

function giftPost(text: string): string {
  let out = text;
  for (const [c, ph] of Object.entries(GIFT_ESCAPES)) out = out.replaceAll(ph, c === 'n' ? '\n' : c);
  return out;
}

/** Moodle's parse_text_with_format: a leading `[html]`, `[plain]`, ... names the format. */
function giftText(text: string): { text: string; format?: string } {
  const match = /^\[(html|moodle|plain|markdown)\]/.exec(text);
  const body = match ? text.slice(match[0].length) : text;
  return { text: giftPost(body).trim(), ...(match ? { format: match[1] } : {}) };
}

const GIFT_WEIGHT = /^%-*([0-9]{1,2})\.?([0-9]*)%/;

function giftQuestion(block: string): ParsedQuestion | { category: string } | undefined {
  const lines = block.split('\n').map((line) => (line.trim().startsWith('//') ? ' ' : line));
  let text = giftPre(lines.join('\n').trim());
  if (text === '') return undefined;
  if (text.startsWith('$CATEGORY:')) return { category: text.slice(10).trim() };
  let name: string | undefined;
  if (text.startsWith('::')) {
    const end = text.indexOf('::', 2);
    if (end >= 0) {
      name = giftPost(text.slice(2, end));
      text = text.slice(end + 2).trim();
    }
  }
  const start = text.indexOf('{');
  const finish = text.indexOf('}');
  if (start < 0 || finish < 0 || !text.endsWith('}')) throw new Error(`not a GIFT question: ${text}`);
  let answerText = text.slice(start + 1, finish).trim();
  const stem = giftText(text.slice(0, start));
  let explanation = '';
  const separator = answerText.lastIndexOf('####');
  if (separator >= 0) {
    explanation = giftText(answerText.slice(separator + 4)).text;
    answerText = answerText.slice(0, separator).trim();
  }
  // Moodle's qformat_gift: an empty answer text, general feedback cut off, is an essay.
  if (answerText === '') {
    return {
      ...(name !== undefined ? { name } : {}),
      question: stem.text,
      options: [],
      correct: '',
      explanation,
      essay: true,
    };
  }
  if (!answerText.includes('~')) throw new Error(`not a multiple-choice question: ${answerText}`);
  const answers = answerText
    .replaceAll('=', '~=')
    .split('~')
    .map((a) => a.trim())
    .filter((a, i) => i > 0 || a !== '');
  let correct = -1;
  const options = answers.map((answer, i) => {
    let rest = answer;
    if (rest.startsWith('=')) {
      if (correct >= 0) throw new Error('two correct answers');
      correct = i;
      rest = rest.slice(1);
    } else if (GIFT_WEIGHT.test(rest)) {
      const weight = rest.slice(1, rest.indexOf('%', 1));
      if (Number(weight) !== 0) throw new Error(`answer with weight ${weight}%`);
      rest = rest.slice(rest.indexOf('%', 1) + 1);
    }
    const [answerPart = ''] = rest.split('#');
    return giftText(answerPart.trim()).text;
  });
  return {
    ...(name !== undefined ? { name } : {}),
    question: stem.text,
    options,
    correct: letterAt(correct),
    explanation,
  };
}

export function readGift(text: string): { category?: string; questions: ParsedQuestion[] } {
  const result: { category?: string; questions: ParsedQuestion[] } = { questions: [] };
  for (const block of text.split(/\n[ \t]*\n/)) {
    const parsed = giftQuestion(block);
    if (!parsed) continue;
    if ('category' in parsed) result.category = parsed.category;
    else result.questions.push(parsed);
  }
  return result;
}

// ── Aiken: a port of Moodle's qformat_aiken::readquestions ────────────────────────────────

export function readAiken(text: string): ParsedQuestion[] {
  const questions: ParsedQuestion[] = [];
  let current: { question: string; options: string[] } = { question: '', options: [] };
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.length < 2) continue;
    if (/^[A-Z][).][ \t]/.test(line)) {
      current.options.push(line.slice(2).trim());
    } else if (line.startsWith('ANSWER:')) {
      const letter = line.slice(line.indexOf(':') + 1).trim()[0] ?? '';
      questions.push({ ...current, correct: letterAt(letter.charCodeAt(0) - 'A'.charCodeAt(0)) });
      current = { question: '', options: [] };
    } else {
      current = { question: line, options: [] };
    }
  }
  return questions;
}

// ── CSV (RFC 4180) ─────────────────────────────────────────────────────────────────────────

/** Rows of fields. Strict: records must end with CRLF; a bare CR or LF is only allowed quoted. */
export function readCsvRows(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' && field === '') {
      // A quoted field runs to the next quote that is not doubled.
      i++;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated quoted field');
        if (text[i] === '"') {
          if (text[i + 1] === '"') {
            field += '"';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        field += text[i];
        i++;
      }
      if (i < text.length && text[i] !== ',' && text[i] !== '\r')
        throw new Error(`text after a quote at ${i}`);
      continue;
    }
    if (c === ',') {
      row.push(field);
      field = '';
      i++;
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i += 2;
    } else if (c === '\r' || c === '\n' || c === '"') {
      throw new Error(`unquoted ${JSON.stringify(c)} at ${i}`);
    } else {
      field += c;
      i++;
    }
  }
  if (field !== '' || row.length > 0) throw new Error('the last record does not end with CRLF');
  return rows;
}

export function readCsv(text: string): { header: string[]; records: Record<string, string>[] } {
  if (!text.startsWith('\uFEFF')) throw new Error('no UTF-8 byte order mark');
  const [header = [], ...rows] = readCsvRows(text.slice(1));
  const records = rows.map((row) => {
    if (row.length !== header.length) throw new Error(`a row has ${row.length} fields, not ${header.length}`);
    return Object.fromEntries(header.map((h, i) => [h, row[i] ?? '']));
  });
  return { header, records };
}

export function csvQuestions(text: string): ParsedQuestion[] {
  return readCsv(text).records.map((r) => ({
    id: r.id ?? '',
    question: r.question ?? '',
    options: [r.option_a, r.option_b, r.option_c, r.option_d].filter((t): t is string => Boolean(t)),
    correct: r.correct_answer ?? '',
    explanation: r.explanation ?? '',
  }));
}
