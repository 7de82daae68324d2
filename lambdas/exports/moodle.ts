/**
 * Moodle XML: a category question naming the bank, then one `multichoice` question each, then
 * one `essay` question per open question, with the fields Moodle's importer reads for an essay
 * (moodle/moodle question/format/xml/format.php, `import_essay`): the model answer as
 * `graderinfo` (shown to graders only), the explanation as general feedback, an HTML editor.
 * Texts are HTML in Moodle, so plain text is escaped (and line breaks become `<br/>`) before
 * it goes into CDATA; the question id is kept as Moodle's `idnumber`.
 *
 * Every text Moodle reads is written as one CDATA section, the plain ones too (name, category,
 * tags, as Moodle's own exporter writes them: `writetext` → `xml_escape` in moodle/moodle
 * question/format/xml/format.php at 9094211d; and the idnumber, which that exporter
 * entity-escapes instead, so a space between two references in an id was lost too). Moodle's
 * XML reader keeps only the character-data pieces that are not white space
 * alone (`core_xml_parser::characterdata` in lib/xmlize.php: `trim($data) != ""`, seen in
 * andrewnicols/moodle at 533ad4e0; the older `xml_parse_into_struct` xmlize did the same on PHP
 * builds before php/php-src#7493, bug #70962), and the parser hands over every entity or
 * character reference as a piece of its own: `&quot;x&quot; &amp; y` arrives as `"x"& y`, the
 * space between two references being a piece of white space alone. A CDATA section is one piece,
 * which is why question texts, answers and feedback (CDATA from the start) kept their spaces.
 */
import { type ExportBank, type ExportOpenQuestion, type ExportQuestion, shortName } from './bank.ts';
import { cdata, escapeLines } from './xml.ts';

/**
 * A category path under the course's top category. Moodle splits it on single slashes, trims
 * each name and turns `//` back into `/` (qformat_default::split_category_path in
 * moodle/moodle question/format.php); a name that starts or ends with `/` gets a space on that
 * side, as Moodle's own `assemble_category_path` does, or `/Title` would be read as one
 * category `top//Title`. Moodle then cleans each name with PARAM_TEXT, which removes HTML tags:
 * a title's `<b>` does not survive in any format, as in Moodle's own category form.
 */
export function moodleCategory(title: string): string {
  let name = title.replace(/\//g, '//');
  if (name.startsWith('/')) name = ` ${name}`;
  if (name.endsWith('/')) name = `${name} `;
  return `$course$/top/${name}`;
}

/** Plain text as one CDATA section (see the note above). */
const plainText = (text: string) => `<text>${cdata(text)}</text>`;

export function toMoodleXml(bank: ExportBank): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category>${plainText(moodleCategory(bank.title))}</category>
    <info format="html"><text></text></info>
  </question>
${[...bank.questions.map(question), ...(bank.openQuestions ?? []).map(essay)].join('\n')}
</quiz>
`;
}

const html = (text: string) => `<text>${cdata(escapeLines(text))}</text>`;

function question(q: ExportQuestion): string {
  const answers = q.options.map(
    (o) => `    <answer fraction="${o.id === q.correct_answer ? 100 : 0}" format="html">
      ${html(o.text)}
      <feedback format="html"><text></text></feedback>
    </answer>`,
  );
  const tags = (q.tags ?? []).map((t) => `<tag>${plainText(t)}</tag>`).join('');
  return `  <question type="multichoice">
    <name>${plainText(shortName(q.question))}</name>
    <questiontext format="html">${html(q.question)}</questiontext>
    <generalfeedback format="html">${html(q.explanation)}</generalfeedback>
    <defaultgrade>1</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber>${cdata(q.id)}</idnumber>
    <single>true</single>
    <shuffleanswers>false</shuffleanswers>
    <answernumbering>abc</answernumbering>
${answers.join('\n')}${tags ? `\n    <tags>${tags}</tags>` : ''}
  </question>`;
}

function essay(q: ExportOpenQuestion): string {
  return `  <question type="essay">
    <name>${plainText(shortName(q.question))}</name>
    <questiontext format="html">${html(q.question)}</questiontext>
    <generalfeedback format="html">${html(q.explanation)}</generalfeedback>
    <defaultgrade>1</defaultgrade>
    <penalty>0</penalty>
    <hidden>0</hidden>
    <idnumber>${cdata(q.id)}</idnumber>
    <responseformat>editor</responseformat>
    <responserequired>1</responserequired>
    <responsefieldlines>15</responsefieldlines>
    <attachments>0</attachments>
    <attachmentsrequired>0</attachmentsrequired>
    <graderinfo format="html">${html(q.model_answer)}</graderinfo>
    <responsetemplate format="html"><text></text></responsetemplate>
  </question>`;
}
