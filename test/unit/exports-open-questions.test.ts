import assert from 'node:assert/strict';
import { XMLParser } from 'fast-xml-parser';
import { strFromU8, unzipSync } from 'fflate';
import { describe, it } from 'vitest';
import { bankFromAssessment, bankFromResult, exportBank } from '#exports/export-file.ts';
import type { ExportFormat } from '#exports/index.ts';
import { InvalidRequest } from '#platform/errors.ts';
import { fromMarkup, readCsv, readGift, readMoodleXml } from '../support/export-parsers.ts';

const MCQ = {
  question: 'Which gas do plants take in for photosynthesis?',
  options: ['Oxygen', 'Carbon dioxide', 'Nitrogen', 'Helium'],
  correct_answer: 'Carbon dioxide',
  bloom_level: 'remember',
  explanation: 'Plants fix carbon dioxide.',
};
const OPEN = {
  question_no: '1',
  question: 'Explain how light energy becomes chemical energy in a leaf & why it matters.',
  model_answer:
    'Chlorophyll absorbs light; the energy splits water\nand drives the fixing of <CO2> into glucose.',
  explanation: 'A good answer names chlorophyll, water splitting and glucose.',
  bloom_level: 'understand',
};
const BANK = bankFromAssessment('Photosynthesis', [MCQ], [OPEN]);

const text = (format: ExportFormat) =>
  new TextDecoder('utf-8', { ignoreBOM: true }).decode(exportBank(BANK, format).body);
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '@_', parseTagValue: false });
const br = (s: string) => s.replace(/\n/g, '<br/>\n');
const escaped = (s: string) => br(s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'));

function packageItems(format: 'qti21' | 'qti30', bank = BANK) {
  const files = unzipSync(exportBank(bank, format).body);
  const manifest = parser.parse(strFromU8(files['imsmanifest.xml'] as Uint8Array));
  const resources: { '@_href': string; '@_type': string }[] = manifest.manifest.resources.resource;
  return resources
    .filter((r) => r['@_type'].startsWith('imsqti_item'))
    .map((r) => ({ href: r['@_href'], xml: strFromU8(files[r['@_href']] as Uint8Array) }));
}

describe('open questions in exports', () => {
  it('QTI 2.1: an extendedTextInteraction item after the MCQ, with the model answer in a scorer rubricBlock', () => {
    const items = packageItems('qti21');
    assert.equal(items.length, 2);
    assert.ok(items[0]?.xml.includes('<choiceInteraction'));
    const open = items[1];
    assert.ok(open);
    const item = parser.parse(open.xml).assessmentItem;
    assert.equal(item.responseDeclaration['@_baseType'], 'string');
    assert.equal(item.responseDeclaration['@_cardinality'], 'single');
    assert.equal(item.responseDeclaration.correctResponse, undefined);
    assert.equal(item.responseProcessing, undefined, 'a person scores an open answer');
    const body = item.itemBody;
    assert.equal(body.rubricBlock['@_view'], 'scorer');
    assert.ok(open.xml.includes(`<p>${escaped(OPEN.model_answer)}</p>`));
    assert.equal(body.extendedTextInteraction['@_responseIdentifier'], 'RESPONSE');
    assert.equal(fromMarkup(body.extendedTextInteraction.prompt), OPEN.question);
    assert.equal(fromMarkup(item.modalFeedback['#text']), OPEN.explanation);
  });

  it('QTI 3.0: a qti-extended-text-interaction item, human-scored, with a qti-rubric-block for the scorer', () => {
    const items = packageItems('qti30');
    assert.equal(items.length, 2);
    const open = items[1];
    assert.ok(open);
    const item = parser.parse(open.xml)['qti-assessment-item'];
    assert.equal(item['qti-response-declaration']['@_base-type'], 'string');
    const score = [item['qti-outcome-declaration']].flat().find((o) => o['@_identifier'] === 'SCORE');
    assert.equal(score['@_external-scored'], 'human');
    const body = item['qti-item-body'];
    const rubric = body['qti-rubric-block'];
    assert.equal(rubric['@_view'], 'scorer');
    assert.equal(rubric['@_use'], 'scoring');
    assert.ok(rubric['qti-content-body']);
    assert.ok(open.xml.includes(`<qti-content-body><p>${escaped(OPEN.model_answer)}</p></qti-content-body>`));
    const interaction = body['qti-extended-text-interaction'];
    assert.equal(interaction['@_response-identifier'], 'RESPONSE');
    assert.equal(fromMarkup(interaction['qti-prompt']), OPEN.question);
  });

  it('Moodle XML: an essay question with the fields the importer reads, the model answer as graderinfo', () => {
    const xml = text('moodle');
    const questions = parser.parse(xml).quiz.question as Record<string, any>[];
    assert.deepEqual(
      questions.map((q) => q['@_type']),
      ['category', 'multichoice', 'essay'],
    );
    const essay = questions[2] ?? {};
    assert.equal(essay.responseformat, 'editor');
    assert.equal(essay.responserequired, '1');
    assert.equal(essay.attachments, '0');
    assert.equal(essay.idnumber, 'open-1');
    assert.equal(essay.graderinfo['@_format'], 'html');
    assert.equal(fromMarkup(essay.graderinfo.text), OPEN.model_answer);
    assert.equal(fromMarkup(essay.questiontext.text), OPEN.question);
    assert.equal(fromMarkup(essay.generalfeedback.text), OPEN.explanation);
    // The MCQ reads back as before.
    assert.equal(readMoodleXml(xml).questions.length, 1);
  });

  it('GIFT: an essay Moodle reads as one (empty answer), the model answer and explanation as general feedback', () => {
    const gift = readGift(text('gift'));
    assert.equal(gift.questions.length, 2);
    const essay = gift.questions[1];
    assert.equal(essay?.essay, true);
    assert.equal(essay?.question, OPEN.question);
    assert.equal(essay?.explanation, `Model answer: ${OPEN.model_answer}\n\n${OPEN.explanation}`);
    assert.equal(gift.questions[0]?.essay, undefined);
  });

  it('CSV: a type column and the model answer, the option cells of an open question empty', () => {
    const { header, records } = readCsv(text('csv'));
    assert.deepEqual(header.slice(-3), ['type', 'model_answer', 'language']);
    assert.equal(records[0]?.type, 'multiple_choice');
    assert.equal(records[0]?.model_answer, '');
    assert.equal(records[1]?.type, 'open');
    assert.equal(records[1]?.id, 'open-1');
    assert.equal(records[1]?.question, OPEN.question);
    assert.equal(records[1]?.model_answer, OPEN.model_answer);
    assert.equal(records[1]?.bloom_level, 'understand');
    assert.equal(records[1]?.option_a, '');
    assert.equal(records[1]?.correct_answer, '');
  });

  it('Aiken: refuses a bank with open questions, saying which formats carry them', () => {
    assert.throws(
      () => exportBank(BANK, 'aiken'),
      (error: unknown) =>
        error instanceof InvalidRequest &&
        /open question/.test(error.message) &&
        /moodle/.test(error.message),
    );
    assert.doesNotThrow(() => exportBank(bankFromAssessment('Only MCQs', [MCQ]), 'aiken'));
  });

  it('exports a bank of open questions only', () => {
    const bank = bankFromAssessment('Open only', [], [OPEN]);
    assert.equal(readGift(new TextDecoder().decode(exportBank(bank, 'gift').body)).questions.length, 1);
    const items = packageItems('qti30', bank);
    assert.equal(items.length, 1);
    assert.ok(items[0]?.xml.includes('<qti-extended-text-interaction'));
  });

  it('reads subjective_questions from an assessment result, and names one that is not a question', () => {
    const bank = bankFromResult('Result', { mcqs: [MCQ], subjective_questions: [OPEN] });
    assert.equal(bank.openQuestions?.[0]?.model_answer, OPEN.model_answer);
    assert.throws(
      () => bankFromResult('Result', { mcqs: [MCQ], subjective_questions: [{ question: 'x' }] }),
      (error: unknown) => error instanceof InvalidRequest && /subjective_questions\[0\]/.test(error.message),
    );
  });

  it('refuses an open question without a model answer', () => {
    assert.throws(
      () => exportBank(bankFromAssessment('Bad', [], [{ ...OPEN, model_answer: '  ' }]), 'moodle'),
      (error: unknown) => error instanceof InvalidRequest && /no model answer/.test(error.message),
    );
  });
});
