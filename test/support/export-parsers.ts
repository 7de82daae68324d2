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

// ── Moodle XML: a port of how Moodle reads it ─────────────────────────────────────────────

const PHP_TRIMMED = new Set([' ', '\t', '\n', '\r', '\0', '\v']);

/** PHP's trim(): these six characters only, not every Unicode space as String.prototype.trim. */
export function phpTrim(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && PHP_TRIMMED.has(text[start] ?? '')) start++;
  while (end > start && PHP_TRIMMED.has(text[end - 1] ?? '')) end--;
  return text.slice(start, end);
}

const REFERENCE = /^&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/;

function decodeReference(ref: string): string {
  const name = ref.slice(1, -1);
  if (name.startsWith('#x')) return String.fromCodePoint(Number.parseInt(name.slice(2), 16));
  if (name.startsWith('#')) return String.fromCodePoint(Number(name.slice(1)));
  return ENTITY[name] ?? ref;
}

/**
 * An element's text as Moodle's XML reader keeps it. PHP's XML parser (libxml2 behind ext/xml)
 * hands character data over in pieces: each run of literal text, each entity or character
 * reference on its own, each CDATA section whole. Moodle's `core_xml_parser::characterdata`
 * (lib/xmlize.php; read in andrewnicols/moodle at 533ad4e0, a fork of moodle/moodle) keeps a
 * piece only when `($data == "0") || (!empty($data) && trim($data) != "")`, i.e. when it is
 * not white space alone, and concatenates the rest. (Pieces also break where libxml2's buffers
 * do, every 300 bytes of non-ASCII text or of a CDATA section, and at Moodle's 4096-byte
 * chunks; that matters only for a run of white space that long, which this port leaves out.)
 */
export function xmlizeText(raw: string): string {
  let kept = '';
  let rest = raw;
  while (rest !== '') {
    let piece: string;
    if (rest.startsWith('<![CDATA[')) {
      const end = rest.indexOf(']]>');
      if (end < 0) throw new Error('unterminated CDATA section');
      piece = rest.slice(9, end);
      rest = rest.slice(end + 3);
    } else if (rest.startsWith('&')) {
      const ref = REFERENCE.exec(rest)?.[0];
      if (!ref) throw new Error(`not a reference: ${rest.slice(0, 20)}`);
      piece = decodeReference(ref);
      rest = rest.slice(ref.length);
    } else if (rest.startsWith('<')) {
      throw new Error(`markup inside a text element: ${rest.slice(0, 20)}`);
    } else {
      const end = rest.search(/[<&]/);
      piece = end < 0 ? rest : rest.slice(0, end);
      rest = end < 0 ? '' : rest.slice(end);
    }
    if (phpTrim(piece) !== '') kept += piece;
  }
  return kept;
}

/**
 * qformat_default::split_category_path and create_category_path (moodle/moodle
 * question/format.php): split on single slashes, `//` back to `/`, each name trimmed; a leading
 * `$course$`-style context dropped; `top` put in front unless the path already starts with
 * `top` and has three or more names; then the first name is the context's top category and any
 * later `top` that does not exist yet is skipped. Returns the names created under the top
 * category, in an empty course. (Moodle also cleans each name with PARAM_TEXT, which strips
 * HTML tags; not ported: the tests keep tags out of titles.)
 */
export function moodleCategoryNames(path: string): string[] {
  const names = path.split(/(?<!\/)\/(?!\/)/).map((raw) => phpTrim(raw.replaceAll('//', '/')));
  if (/^\$[a-z]+\$$/.test(names[0] ?? '')) names.shift();
  if (names.length > 0 && (names[0] !== 'top' || names.length < 3)) names.unshift('top');
  return names.slice(1).filter((name) => name !== 'top');
}

export interface MoodleXmlQuestion extends ParsedQuestion {
  name: string;
  tags: string[];
}

/**
 * A Moodle XML file as qformat_xml reads it (moodle/moodle question/format/xml/format.php at
 * 9094211d): `readquestions` → `xmlize`, then `import_headers` (name, texts and tags trimmed by
 * `getpath(..., true)`; the idnumber read as is) and `import_category` (`import_text`, trimmed).
 * Question texts, answers and feedback are HTML, read here as a browser shows them.
 */
export function readMoodleXml(xml: string): {
  category: string;
  categoryNames: string[];
  questions: MoodleXmlQuestion[];
} {
  const doc = xmlParser(['*.text', '*.idnumber']).parse(xml);
  const all: any[] = doc.quiz.question;
  const text = (node: any) => phpTrim(xmlizeText(rawOf(node?.text)));
  const html = (node: any) => fromMarkup(text(node));
  const category = text(all.find((q) => q['@_type'] === 'category')?.category);
  const questions = all
    .filter((q) => q['@_type'] === 'multichoice')
    .map((q): MoodleXmlQuestion => {
      if (q.single !== 'true') throw new Error('not a single-answer question');
      const answers: any[] = q.answer;
      const tags: any[] = q.tags?.tag ?? [];
      return {
        id: xmlizeText(rawOf(q.idnumber)),
        name: text(q.name),
        question: html(q.questiontext),
        options: answers.map((a) => html(a)),
        correct: letterAt(answers.findIndex((a) => a['@_fraction'] === '100')),
        explanation: html(q.generalfeedback),
        tags: tags.map((t) => text(t)),
      };
    });
  return { category, categoryNames: moodleCategoryNames(category), questions };
}

// ── GIFT: a port of Moodle's qformat_gift::readquestion for multiple-choice and essay questions

/**
 * `escapedchar_pre` / `escapedchar_post` with Moodle's own placeholders (moodle/moodle
 * question/format/gift/format.php at 00e93a99), so a text that holds a placeholder, or a
 * category line that keeps one, reads as it does in Moodle. `&&010` has no `;` there either.
 */
const GIFT_ESCAPES: Record<string, string> = {
  ':': '&&058;',
  '#': '&&035;',
  '=': '&&061;',
  '{': '&&123;',
  '}': '&&125;',
  '~': '&&126;',
  n: '&&010',
};
const BACKSLASH = '&&092;';

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

/** readquestion: comment lines blanked, lines joined, escapes replaced, then the category check. */
function giftQuestion(lines: string[]): ParsedQuestion | { category: string } | undefined {
  let text = giftPre(phpTrim(lines.map((line) => (line.startsWith('//') ? ' ' : line)).join('\n')));
  if (text === '') return undefined;
  // The category is returned here, placeholders and all: escapedchar_post never runs on it.
  if (text.startsWith('$CATEGORY:')) return { category: phpTrim(text.slice(10)) };
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

/**
 * qformat_default::readquestions (moodle/moodle question/format.php): each line trimmed, and a
 * line PHP's `empty()` calls empty (`""`, and `"0"` too) ends a question.
 */
export function readGift(text: string): {
  category?: string;
  categoryNames?: string[];
  questions: ParsedQuestion[];
} {
  const result: { category?: string; categoryNames?: string[]; questions: ParsedQuestion[] } = {
    questions: [],
  };
  const blocks: string[][] = [[]];
  for (const line of text.split('\n').map(phpTrim)) {
    if (line === '' || line === '0') blocks.push([]);
    else blocks[blocks.length - 1]?.push(line);
  }
  for (const block of blocks.filter((b) => b.length > 0)) {
    const parsed = giftQuestion(block);
    if (!parsed) continue;
    if ('category' in parsed) {
      result.category = parsed.category;
      result.categoryNames = moodleCategoryNames(parsed.category);
    } else result.questions.push(parsed);
  }
  return result;
}

// ── Aiken: a port of Moodle's qformat_aiken::readquestions ────────────────────────────────

/**
 * As Moodle reads an Aiken file (moodle/moodle question/format/aiken/format.php at cf29c007):
 * each line split again on `\r`, trimmed, skipped when under two bytes long; a line matching
 * `/^[A-Z][).][ \t]?/` is an option, one starting with `ANSWER:` closes the question, any other
 * starts a new one. An option or answer with no question open, a question closed with fewer
 * than two options, or a new question before the last one's answer is an import error, and the
 * question is lost. Texts are returned as the importer takes them from the line, before it
 * HTML-escapes them (at cf29c007 it escapes option texts twice, `text_field(htmlspecialchars(…))`;
 * Moodle's own aikenformat_test at 58299c8 expects them escaped once).
 */
export function aikenImport(text: string): { questions: ParsedQuestion[]; errors: string[] } {
  const questions: ParsedQuestion[] = [];
  const errors: string[] = [];
  let current: { question: string; options: string[] } | undefined;
  let lineNumber = 0;
  for (const line of text.split('\n').flatMap((l) => l.split('\r'))) {
    lineNumber++;
    const now = phpTrim(line);
    if (new TextEncoder().encode(now).length < 2) continue;
    if (/^[A-Z][).][ \t]?/.test(now)) {
      if (!current) errors.push(`line ${lineNumber}: option with no question started: ${now}`);
      else current.options.push(phpTrim(now.slice(2)));
    } else if (now.startsWith('ANSWER:')) {
      if (!current) {
        errors.push(`line ${lineNumber}: answer with no question started: ${now}`);
        continue;
      }
      if (current.options.length < 2) {
        errors.push(`line ${lineNumber}: fewer than two options: ${current.question}`);
      } else {
        const letter = phpTrim(now.slice(now.indexOf(':') + 1))[0] ?? '';
        questions.push({ ...current, correct: letterAt(letter.charCodeAt(0) - 'A'.charCodeAt(0)) });
      }
      current = undefined;
    } else {
      if (current) errors.push(`line ${lineNumber}: question not completed: ${current.question}`);
      current = { question: now, options: [] };
    }
  }
  return { questions, errors };
}

/**
 * The questions, or an error listing the import errors: Moodle's importer stops at any error
 * unless told not to (`qformat_default::$stoponerror`, true by default), and without stopping
 * it still loses the question each error names.
 */
export function readAiken(text: string): ParsedQuestion[] {
  const { questions, errors } = aikenImport(text);
  if (errors.length > 0) throw new Error(`Moodle's Aiken import fails:\n${errors.join('\n')}`);
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
