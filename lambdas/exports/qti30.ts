/**
 * IMS QTI 3.0 package: `imsmanifest.xml` (the QTI 3.0 profile of IMS CP), one
 * `qti-assessment-item` per question in `items/`, and a `qti-assessment-test` in
 * `assessment.xml` that lists them in bank order. Same layout as the QTI 2.1 package. Open
 * questions are `qti-extended-text-interaction` items whose SCORE is `external-scored="human"`,
 * with the model answer in a `qti-rubric-block view="scorer" use="scoring"` (QTI 3.0 ASI).
 */
import { type ExportBank, type ExportOpenQuestion, type ExportQuestion, shortName } from './bank.ts';
import { escapeLines, langAttribute, qtiPackage, escapeXml as x } from './xml.ts';

const QTI = 'http://www.imsglobal.org/xsd/imsqtiasi_v3p0';
const QTI_XSD = 'https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqti_asiv3p0_v1p0.xsd';
const CP = 'http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1';
const CP_XSD = 'https://purl.imsglobal.org/spec/qti/v3p0/schema/xsd/imsqtiv3p0_imscpv1p2_v1p0.xsd';
const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const MATCH_CORRECT = 'https://purl.imsglobal.org/spec/qti/v3p0/rptemplates/match_correct.xml';
const TEST_ID = 'assessment-test';
const TEST_FILE = 'assessment.xml';

export function toQti30(bank: ExportBank): Uint8Array {
  return qtiPackage(bank, { item, openItem, test, manifest }, TEST_FILE);
}

/** The explanation works as in the QTI 2.1 items: FEEDBACK defaults to the feedback's identifier. */
function item(q: ExportQuestion, identifier: string): string {
  const choice = (id: string) => id.toUpperCase();
  return `${opening(q, identifier)}
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="identifier">
    <qti-correct-response><qti-value>${choice(q.correct_answer)}</qti-value></qti-correct-response>
  </qti-response-declaration>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float">
    <qti-default-value><qti-value>0</qti-value></qti-default-value>
  </qti-outcome-declaration>
${FEEDBACK_OUTCOME}
  <qti-item-body>
    <qti-choice-interaction response-identifier="RESPONSE" shuffle="false" max-choices="1">
      <qti-prompt>${escapeLines(q.question)}</qti-prompt>
${q.options.map((o) => `      <qti-simple-choice identifier="${choice(o.id)}">${escapeLines(o.text)}</qti-simple-choice>`).join('\n')}
    </qti-choice-interaction>
  </qti-item-body>
  <qti-response-processing template="${MATCH_CORRECT}"/>${feedbackOf(q.explanation)}
</qti-assessment-item>
`;
}

function openItem(q: ExportOpenQuestion, identifier: string): string {
  return `${opening(q, identifier)}
  <qti-response-declaration identifier="RESPONSE" cardinality="single" base-type="string"/>
  <qti-outcome-declaration identifier="SCORE" cardinality="single" base-type="float" external-scored="human">
    <qti-default-value><qti-value>0</qti-value></qti-default-value>
  </qti-outcome-declaration>
${FEEDBACK_OUTCOME}
  <qti-item-body>
    <qti-rubric-block view="scorer" use="scoring">
      <qti-content-body><p>${escapeLines(q.model_answer)}</p></qti-content-body>
    </qti-rubric-block>
    <qti-extended-text-interaction response-identifier="RESPONSE" expected-lines="10">
      <qti-prompt>${escapeLines(q.question)}</qti-prompt>
    </qti-extended-text-interaction>
  </qti-item-body>${feedbackOf(q.explanation)}
</qti-assessment-item>
`;
}

/** The XML declaration and the item's root element, in the question's language. */
function opening(q: { question: string; language?: string }, identifier: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-item xmlns="${QTI}" xmlns:xsi="${XSI}" xsi:schemaLocation="${QTI} ${QTI_XSD}"
  identifier="${identifier}" title="${x(shortName(q.question))}" adaptive="false" time-dependent="false"${langAttribute(q.language)}>`;
}

/** The FEEDBACK outcome, whose default shows the explanation (see `item`). */
const FEEDBACK_OUTCOME = `  <qti-outcome-declaration identifier="FEEDBACK" cardinality="single" base-type="identifier">
    <qti-default-value><qti-value>EXPLANATION</qti-value></qti-default-value>
  </qti-outcome-declaration>`;

/** The explanation as modal feedback, or nothing when there is none. */
function feedbackOf(explanation: string): string {
  return explanation
    ? `
  <qti-modal-feedback outcome-identifier="FEEDBACK" identifier="EXPLANATION" show-hide="show">
    <qti-content-body>${escapeLines(explanation)}</qti-content-body>
  </qti-modal-feedback>`
    : '';
}

function test(title: string, ids: string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<qti-assessment-test xmlns="${QTI}" xmlns:xsi="${XSI}" xsi:schemaLocation="${QTI} ${QTI_XSD}"
  identifier="${TEST_ID}" title="${x(title)}">
  <qti-test-part identifier="part-1" navigation-mode="nonlinear" submission-mode="individual">
    <qti-assessment-section identifier="section-1" title="${x(title)}" visible="true">
${ids.map((id) => `      <qti-assessment-item-ref identifier="${id}" href="items/${id}.xml"/>`).join('\n')}
    </qti-assessment-section>
  </qti-test-part>
</qti-assessment-test>
`;
}

function manifest(ids: string[]): string {
  const items = ids.map(
    (id) => `    <resource identifier="${id}" type="imsqti_item_xmlv3p0" href="items/${id}.xml">
      <file href="items/${id}.xml"/>
    </resource>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="${CP}" xmlns:xsi="${XSI}" xsi:schemaLocation="${CP} ${CP_XSD}" identifier="manifest-qti30">
  <metadata>
    <schema>QTI Package</schema>
    <schemaversion>3.0.0</schemaversion>
  </metadata>
  <organizations/>
  <resources>
    <resource identifier="${TEST_ID}" type="imsqti_test_xmlv3p0" href="${TEST_FILE}">
      <file href="${TEST_FILE}"/>
${ids.map((id) => `      <dependency identifierref="${id}"/>`).join('\n')}
    </resource>
${items.join('\n')}
  </resources>
</manifest>
`;
}
