/**
 * A question bank built from a result and written in one export format: the bank builders and
 * the writers of every format, loaded by the results routes on a request's first export
 * (`response.ts` imports this module dynamically).
 * Pure functions: the caller stores or serves the bytes.
 */
import { InvalidRequest } from '#platform/errors.ts';
import { toAiken } from './aiken.ts';
import { type ExportBank, prepareBank } from './bank.ts';
import { toCsv } from './csv.ts';
import { toGift } from './gift.ts';
import { EXPORT_FORMATS, type ExportFormat } from './index.ts';
import { toMoodleXml } from './moodle.ts';
import { toQti21 } from './qti21.ts';
import { toQti30 } from './qti30.ts';

export { bankFromAssessment, bankFromResult, fromAssessmentQuestion, fromOpenQuestion } from './bank.ts';

export interface ExportFile {
  body: Uint8Array;
  contentType: string;
  filename: string;
}

const utf8 = (text: string) => new TextEncoder().encode(text);

const WRITERS: Record<ExportFormat, (bank: ExportBank) => Uint8Array> = {
  qti21: toQti21,
  qti30: toQti30,
  moodle: (bank) => utf8(toMoodleXml(bank)),
  gift: (bank) => utf8(toGift(bank)),
  aiken: (bank) => utf8(toAiken(bank)),
  csv: (bank) => utf8(toCsv(bank)),
};

/** ASCII only, so the name needs no encoding in a Content-Disposition header. */
function fileStem(title: string): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '');
  return slug || 'question-bank';
}

/**
 * The bank in one format. Throws `InvalidRequest` for an unknown format, an empty bank or a
 * question the formats cannot carry (see `prepareBank`).
 */
export function exportBank(bank: ExportBank, format: ExportFormat): ExportFile {
  const spec = EXPORT_FORMATS.find((f) => f.id === format);
  if (!spec) {
    throw new InvalidRequest(
      `Unknown export format "${format}"; use one of ${EXPORT_FORMATS.map((f) => f.id).join(', ')}`,
    );
  }
  const body = WRITERS[format](prepareBank(bank));
  return {
    body,
    contentType: spec.contentType,
    filename: `${fileStem(bank.title)}-${format}${spec.extension}`,
  };
}
