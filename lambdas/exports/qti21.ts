/**
 * IMS QTI 2.1 package: `imsmanifest.xml` (IMS CP 1.1), one `assessmentItem` per question in
 * `items/`, and an `assessmentTest` in `assessment.xml` that lists them in bank order. Open
 * questions are `extendedTextInteraction` items with the model answer in a `rubricBlock` for the
 * scorer (QTI 2.1 Information Model, rubricBlock `view="scorer"`): a string response has no
 * single correct value to match, so they carry no response processing and a person scores them.
 */
import { type ExportBank, type ExportOpenQuestion, type ExportQuestion, shortName } from './bank.ts';
import { escapeLines, langAttribute, qtiPackage, escapeXml as x } from './xml.ts';

const QTI = 'http://www.imsglobal.org/xsd/imsqti_v2p1';
const QTI_XSD = 'http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1p2.xsd';
const CP = 'http://www.imsglobal.org/xsd/imscp_v1p1';
const CP_XSD = 'http://www.imsglobal.org/xsd/qti/qtiv2p1/qtiv2p1_imscpv1p2_v1p0.xsd';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const MATCH_CORRECT = 'http://www.imsglobal.org/question/qti_v2p1/rptemplates/match_correct';
const TEST_ID = 'assessment-test';
const TEST_FILE = 'assessment.xml';

export function toQti21(bank: ExportBank): Uint8Array {
  return qtiPackage(bank, { item, openItem, test, manifest }, TEST_FILE);
}

/**
 * The explanation is a `modalFeedback` whose FEEDBACK outcome defaults to its identifier: the
 * match_correct template only sets SCORE, so FEEDBACK keeps its default and a conforming player shows
 * the explanation after each submission, right or wrong, as Moodle's general feedback does.
 */
function item(q: ExportQuestion, identifier: string): string {
  const choice = (id: string) => id.toUpperCase();
  return `${opening(q, identifier)}
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value>${choice(q.correct_answer)}</value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">
    <defaultValue><value>0</value></defaultValue>
  </outcomeDeclaration>
${FEEDBACK_OUTCOME}
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1">
      <prompt>${escapeLines(q.question)}</prompt>
${q.options.map((o) => `      <simpleChoice identifier="${choice(o.id)}">${escapeLines(o.text)}</simpleChoice>`).join('\n')}
    </choiceInteraction>
  </itemBody>
  <responseProcessing template="${MATCH_CORRECT}"/>${feedbackOf(q.explanation)}
</assessmentItem>
`;
}

function openItem(q: ExportOpenQuestion, identifier: string): string {
  return `${opening(q, identifier)}
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float">
    <defaultValue><value>0</value></defaultValue>
  </outcomeDeclaration>
${FEEDBACK_OUTCOME}
  <itemBody>
    <rubricBlock view="scorer">
      <p>${escapeLines(q.model_answer)}</p>
    </rubricBlock>
    <extendedTextInteraction responseIdentifier="RESPONSE" expectedLines="10">
      <prompt>${escapeLines(q.question)}</prompt>
    </extendedTextInteraction>
  </itemBody>${feedbackOf(q.explanation)}
</assessmentItem>
`;
}

/** The XML declaration and the item's root element, in the question's language. */
function opening(q: { question: string; language?: string }, identifier: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="${QTI}" xmlns:xsi="${XSI}" xsi:schemaLocation="${QTI} ${QTI_XSD}"
  identifier="${identifier}" title="${x(shortName(q.question))}" adaptive="false" timeDependent="false"${langAttribute(q.language)}>`;
}

/** The FEEDBACK outcome, whose default shows the explanation (see `item`). */
const FEEDBACK_OUTCOME = `  <outcomeDeclaration identifier="FEEDBACK" cardinality="single" baseType="identifier">
    <defaultValue><value>EXPLANATION</value></defaultValue>
  </outcomeDeclaration>`;

/** The explanation as modal feedback, or nothing when there is none. */
function feedbackOf(explanation: string): string {
  return explanation
    ? `
  <modalFeedback outcomeIdentifier="FEEDBACK" identifier="EXPLANATION" showHide="show">${escapeLines(explanation)}</modalFeedback>`
    : '';
}

function test(title: string, ids: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<assessmentTest xmlns="${QTI}" xmlns:xsi="${XSI}" xsi:schemaLocation="${QTI} ${QTI_XSD}"
  identifier="${TEST_ID}" title="${x(title)}">
  <testPart identifier="part-1" navigationMode="nonlinear" submissionMode="individual">
    <assessmentSection identifier="section-1" title="${x(title)}" visible="true">
${ids.map((id) => `      <assessmentItemRef identifier="${id}" href="items/${id}.xml"/>`).join('\n')}
    </assessmentSection>
  </testPart>
</assessmentTest>
`;
}

function manifest(ids: string[]): string {
  const items = ids.map(
    (id) => `    <resource identifier="${id}" type="imsqti_item_xmlv2p1" href="items/${id}.xml">
      <file href="items/${id}.xml"/>
    </resource>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="${CP}" xmlns:xsi="${XSI}" xsi:schemaLocation="${CP} ${CP_XSD}" identifier="manifest-qti21">
  <metadata>
    <schema>QTIv2.1 Package</schema>
    <schemaversion>1.0.0</schemaversion>
  </metadata>
  <organizations/>
  <resources>
    <resource identifier="${TEST_ID}" type="imsqti_test_xmlv2p1" href="${TEST_FILE}">
      <file href="${TEST_FILE}"/>
${ids.map((id) => `      <dependency identifierref="${id}"/>`).join('\n')}
    </resource>
${items.join('\n')}
  </resources>
</manifest>
`;
}
