/**
 * XML text shared by the QTI and Moodle writers, and the QTI package layout.
 */
import { strToU8, zipSync } from 'fflate';
import { isLanguageCode } from '#platform/language.ts';
import type { ExportBank, ExportOpenQuestion, ExportQuestion } from './bank.ts';

/**
 * XML 1.0 allows only tab, LF, CR, U+0020–U+D7FF, U+E000–U+FFFD and U+10000–U+10FFFF, even
 * as character references, so anything else (other C0 controls, lone surrogates, U+FFFE/FFFF)
 * is dropped rather than producing a file no parser will read.
 */
const NOT_XML_CHAR = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu;

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Safe in element content and in attributes of either quote style. */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/**
 * Escaped text with its line breaks as `<br/>`: QTI bodies and Moodle's HTML collapse white
 * space, so a bare newline would be kept in the file but lost on screen.
 */
export function escapeLines(text: string): string {
  return escapeXml(text).replace(/\n/g, '<br/>\n');
}

/**
 * ` xml:lang="fr"` for an item root, or nothing when the question's language is not known.
 * Both QTI item roots allow it: QTI 2.1's assessmentItem.AttrGroup has `<xsd:attribute
 * ref="xml:lang"/>` (imsqti_v2p1.xsd, quoted in the qtiv2 items module of swl10/pyslet), and
 * QTI 3.0's qti-assessment-item takes `xml:lang` (the ASI schema, imsqti_asiv3p0_v1p0.xsd;
 * items validated against it carry `xml:lang="en"` on the root). An ISO 639-1 code is a valid
 * BCP 47 tag, which is what xml:lang holds. Moodle XML has no such field: its importer reads a
 * question's name, texts, idnumber, grades and tags (moodle/moodle question/format/xml/format.php,
 * import_headers), and GIFT and Aiken are plain text.
 */
export function langAttribute(language: string | undefined): string {
  return language && isLanguageCode(language) ? ` xml:lang="${language}"` : '';
}

/**
 * `]]>` cannot appear inside a CDATA section, so it is split across two, as Moodle's own
 * exporter does (moodle/moodle question/format/xml/format.php, `xml_escape`, at 9094211d).
 * Characters XML 1.0 forbids are dropped here too: CDATA does not make them legal.
 */
export function cdata(text: string): string {
  return `<![CDATA[${text.replace(NOT_XML_CHAR, '').replace(/]]>/g, ']]]]><![CDATA[>')}]]>`;
}

/**
 * One NCName per id (`prefix` + the id's letters, digits, `.`, `-`, `_`), unique across the
 * list: QTI identifiers and IMS CP resource identifiers must be NCNames, and the item ids also
 * name the files in the package, so plain ASCII keeps every LMS's unzip happy.
 */
export function uniqueNcNames(ids: readonly string[], prefix: string): string[] {
  const taken = new Set<string>();
  return ids.map((id) => {
    const base = `${prefix}${id.replace(/[^A-Za-z0-9._-]/g, '_')}`.slice(0, 80);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    return name;
  });
}

/** A QTI content package's parts, as one QTI version writes them. */
export interface QtiRenderer {
  item(question: ExportQuestion, identifier: string): string;
  /** An open question: an extended-text interaction, scored by a person. */
  openItem(question: ExportOpenQuestion, identifier: string): string;
  test(title: string, itemIds: string[]): string;
  manifest(itemIds: string[]): string;
}

/**
 * The package layout both QTI versions share: items under `items/` (the multiple-choice
 * questions, then the open ones), the test, the manifest.
 */
export function qtiPackage(bank: ExportBank, render: QtiRenderer, testFile: string): Uint8Array {
  const open = bank.openQuestions ?? [];
  const ids = uniqueNcNames([...bank.questions.map((q) => q.id), ...open.map((q) => q.id)], 'item-');
  const files: Record<string, Uint8Array> = {};
  for (const [i, id] of ids.entries()) {
    const mcq = bank.questions[i];
    files[`items/${id}.xml`] = strToU8(
      mcq ? render.item(mcq, id) : render.openItem(open[i - bank.questions.length] as ExportOpenQuestion, id),
    );
  }
  files[testFile] = strToU8(render.test(bank.title, ids));
  files['imsmanifest.xml'] = strToU8(render.manifest(ids));
  return zipSync(files);
}
