/**
 * Moodle XML: a category question naming the bank, then one `multichoice` question each, then
 * one `essay` question per open question, with the fields Moodle's importer reads for an essay
 * (moodle/moodle question/format/xml/format.php, `import_essay`): the model answer as
 * `graderinfo` (shown to graders only), the explanation as general feedback, an HTML editor.
 * Texts are HTML in Moodle, so plain text is escaped (and line breaks become `<br/>`) before
 * it goes into CDATA; the question id is kept as Moodle's `idnumber`.
 */
import { type ExportBank, type ExportOpenQuestion, type ExportQuestion, shortName } from './bank.ts';
import { cdata, escapeLines, escapeXml as x } from './xml.ts';

/** Moodle splits category paths on `/`; a doubled `//` is a slash inside a name. */
export function moodleCategory(title: string): string {
  return `$course$/top/${title.replace(/\//g, '//')}`;
}

export function toMoodleXml(bank: ExportBank): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="category">
    <category><text>${x(moodleCategory(bank.title))}</text></category>
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
  const tags = (q.tags ?? []).map((t) => `<tag><text>${x(t)}</text></tag>`).join('');
  return `  <question type="multichoice">
    <name><text>${x(shortName(q.question))}</text></name>
    <questiontext format="html">${html(q.question)}</questiontext>
    <generalfeedback format="html">${html(q.explanation)}</generalfeedback>
    <defaultgrade>1</defaultgrade>
    <penalty>0.3333333</penalty>
    <hidden>0</hidden>
    <idnumber>${x(q.id)}</idnumber>
    <single>true</single>
    <shuffleanswers>false</shuffleanswers>
    <answernumbering>abc</answernumbering>
${answers.join('\n')}${tags ? `\n    <tags>${tags}</tags>` : ''}
  </question>`;
}

function essay(q: ExportOpenQuestion): string {
  return `  <question type="essay">
    <name><text>${x(shortName(q.question))}</text></name>
    <questiontext format="html">${html(q.question)}</questiontext>
    <generalfeedback format="html">${html(q.explanation)}</generalfeedback>
    <defaultgrade>1</defaultgrade>
    <penalty>0</penalty>
    <hidden>0</hidden>
    <idnumber>${x(q.id)}</idnumber>
    <responseformat>editor</responseformat>
    <responserequired>1</responserequired>
    <responsefieldlines>15</responsefieldlines>
    <attachments>0</attachments>
    <attachmentsrequired>0</attachmentsrequired>
    <graderinfo format="html">${html(q.model_answer)}</graderinfo>
    <responsetemplate format="html"><text></text></responsetemplate>
  </question>`;
}
