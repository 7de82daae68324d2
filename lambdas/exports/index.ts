/**
 * Exports of a question bank for learning management systems: QTI 2.1 and 3.0 packages,
 * Moodle XML, GIFT, Aiken and CSV. This module names the formats; building a bank from a result
 * (`bank.ts`, with its zod checks) and the writers are in `export-file.ts`, which the results
 * routes load only when a request asks for an export (`response.ts`), so a cold start loads
 * neither them nor the zip library.
 */

export type { ExportBank, ExportOpenQuestion, ExportQuestion } from './bank.ts';

/**
 * GIFT and Aiken files end in `.txt` because Moodle's importers accept only files it types as
 * text/plain, which a `.gift` file is not.
 */
export const EXPORT_FORMATS = [
  { id: 'qti21', label: 'IMS QTI 2.1 package', contentType: 'application/zip', extension: '.zip' },
  { id: 'qti30', label: 'IMS QTI 3.0 package', contentType: 'application/zip', extension: '.zip' },
  { id: 'moodle', label: 'Moodle XML', contentType: 'application/xml', extension: '.xml' },
  { id: 'gift', label: 'GIFT (Moodle)', contentType: 'text/plain; charset=utf-8', extension: '.txt' },
  { id: 'aiken', label: 'Aiken', contentType: 'text/plain; charset=utf-8', extension: '.txt' },
  { id: 'csv', label: 'CSV (spreadsheet)', contentType: 'text/csv; charset=utf-8', extension: '.csv' },
] as const;

export type ExportFormat = (typeof EXPORT_FORMATS)[number]['id'];

export function isExportFormat(value: unknown): value is ExportFormat {
  return EXPORT_FORMATS.some((f) => f.id === value);
}
