/**
 * Text out of an uploaded document, page by page, or a `DocumentRejected` that tells the user
 * what to fix.
 *
 * "Page" means:
 * - for a PDF, the PDF page (1-based, as a viewer numbers it);
 * - for Markdown and plain text, a section of about 3 000 characters cut on paragraph
 *   boundaries (section 1 is the start of the file). Text files have no pages, but citations
 *   still need a locator that a reader can find, and sections keep passages short and ordered.
 */
import { isUtf8 } from 'node:buffer';
import { getDocumentProxy } from 'unpdf';
import { SUPPORTED_TYPES, type SupportedType } from './document-store.ts';
import type { PageText } from './passages.ts';
import { chunkText } from './text-units.ts';

export type RejectionReason =
  | 'empty'
  | 'unsupported_type'
  | 'type_mismatch'
  | 'not_pdf'
  | 'encrypted'
  | 'no_text'
  | 'not_text'
  | 'too_large'
  | 'missing';

/** The document cannot be ingested as uploaded; the message says what to change. */
export class DocumentRejected extends Error {
  readonly reason: RejectionReason;
  constructor(reason: RejectionReason, message: string) {
    super(message);
    this.name = 'DocumentRejected';
    this.reason = reason;
  }
}

/** Sections of text files: about this long, never longer than the max. */
export const TEXT_SECTION_CHARS = 3000;
export const TEXT_SECTION_MAX_CHARS = 4000;
/** Spec readers accept the header anywhere in the first kilobyte; so does pdf.js. */
const PDF_HEADER_WINDOW = 1024;

const SUPPORTED_LIST =
  'PDF (.pdf, application/pdf), Markdown (.md, .markdown, text/markdown), plain text (.txt, text/plain)';

const MIME_ALIASES: Record<string, SupportedType> = {
  'application/pdf': 'application/pdf',
  'application/x-pdf': 'application/pdf',
  'text/markdown': 'text/markdown',
  'text/x-markdown': 'text/markdown',
  'text/plain': 'text/plain',
};

const EXTENSIONS: Record<string, SupportedType> = {
  '.pdf': 'application/pdf',
  '.md': 'text/markdown',
  '.markdown': 'text/markdown',
  '.txt': 'text/plain',
};

/** Declared types that say nothing about the content, so the file name decides. */
const UNINFORMATIVE_TYPES = new Set([
  '',
  'application/octet-stream',
  'binary/octet-stream',
  // What `curl --data-binary @file` sends unless told otherwise.
  'application/x-www-form-urlencoded',
]);

// ---------------------------------------------------------------------------------------------
// Content type

function extensionOf(filename: string): string {
  const dot = filename.lastIndexOf('.');
  return dot > 0 ? filename.slice(dot).toLowerCase() : '';
}

/**
 * The supported type of an upload, from its declared MIME type (parameters such as `charset`
 * ignored) or, when that is missing or generic, its file name; with `bytes`, the content must
 * agree. Anything else is rejected with the list of supported types.
 */
export function detectContentType(filename: string, declared?: string, bytes?: Uint8Array): SupportedType {
  const mime = (declared ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let type: SupportedType | undefined;
  if (!UNINFORMATIVE_TYPES.has(mime)) {
    type = MIME_ALIASES[mime];
    if (!type) {
      throw new DocumentRejected(
        'unsupported_type',
        `Unsupported file type ${mime} ("${filename}"). Supported types: ${SUPPORTED_LIST}.`,
      );
    }
  } else {
    type = EXTENSIONS[extensionOf(filename)];
    if (!type && bytes && bytes.length > 0) type = findPdfHeader(bytes) >= 0 ? 'application/pdf' : undefined;
    if (!type) {
      const what = extensionOf(filename) || 'a file without an extension';
      throw new DocumentRejected(
        'unsupported_type',
        `Unsupported file type: "${filename}" (${what}). Supported types: ${SUPPORTED_LIST}.`,
      );
    }
  }
  if (bytes) checkContentMatches(bytes, type);
  return type;
}

function findPdfHeader(bytes: Uint8Array): number {
  const end = Math.min(bytes.length, PDF_HEADER_WINDOW) - 5;
  for (let i = 0; i <= end; i++) {
    if (
      bytes[i] === 0x25 &&
      bytes[i + 1] === 0x50 &&
      bytes[i + 2] === 0x44 &&
      bytes[i + 3] === 0x46 &&
      bytes[i + 4] === 0x2d
    ) {
      return i;
    }
  }
  return -1;
}

const startsWith = (bytes: Uint8Array, prefix: readonly number[]) => prefix.every((b, i) => bytes[i] === b);

/** A name for well-known binary formats, so a rejection can say what the file looks like. */
function knownBinaryFormat(bytes: Uint8Array): string | undefined {
  if (startsWith(bytes, [0x50, 0x4b, 0x03, 0x04])) return 'a ZIP archive, such as a .docx or .pptx file';
  if (startsWith(bytes, [0xd0, 0xcf, 0x11, 0xe0])) return 'a legacy Microsoft Office file (.doc, .ppt, .xls)';
  if (startsWith(bytes, [0x89, 0x50, 0x4e, 0x47])) return 'a PNG image';
  if (startsWith(bytes, [0xff, 0xd8, 0xff])) return 'a JPEG image';
  if (startsWith(bytes, [0x47, 0x49, 0x46, 0x38])) return 'a GIF image';
  if (startsWith(bytes, [0x1f, 0x8b])) return 'a gzip archive';
  if (startsWith(bytes, [0x7b, 0x5c, 0x72, 0x74, 0x66])) return 'an RTF document';
  return undefined;
}

function looksLikeText(bytes: Uint8Array): boolean {
  return !bytes.includes(0) && isUtf8(bytes);
}

/** Throws when the bytes contradict the declared type (checked before any parsing). */
export function checkContentMatches(bytes: Uint8Array, type: SupportedType): void {
  if (bytes.length === 0) {
    throw new DocumentRejected('empty', 'The file is empty (0 bytes); upload a file with content.');
  }
  const isPdf = findPdfHeader(bytes) >= 0;
  if (type === 'application/pdf') {
    if (isPdf) return;
    if (looksLikeText(bytes.subarray(0, 64 * 1024))) {
      throw new DocumentRejected(
        'type_mismatch',
        'The file was declared as application/pdf but contains plain text, not a PDF; upload it as ' +
          'text/plain or text/markdown (a .txt or .md file).',
      );
    }
    const format = knownBinaryFormat(bytes);
    throw new DocumentRejected(
      'not_pdf',
      `The file is not a readable PDF: ${format ? `it looks like ${format}` : 'it does not start with %PDF-'}. ` +
        'Export or save the document as PDF and upload that file.',
    );
  }
  if (isPdf) {
    throw new DocumentRejected(
      'type_mismatch',
      `The file was declared as ${type} but is a PDF; upload it as application/pdf (a .pdf file).`,
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Extraction

export interface ExtractOptions {
  /**
   * Hand the bytes over to pdf.js instead of copying them: pdf.js detaches the buffer it is
   * given, so the caller's array is empty afterwards. Saves one copy of the file in memory.
   */
  consume?: boolean;
}

/**
 * The text of each page. PDFs keep their page numbers (pages without text are kept, empty);
 * text files come back as numbered sections (see the module comment).
 */
export async function extractPages(
  bytes: Uint8Array,
  contentType: SupportedType,
  options: ExtractOptions = {},
): Promise<PageText[]> {
  if (!(contentType in SUPPORTED_TYPES)) {
    throw new DocumentRejected('unsupported_type', `Unsupported file type ${contentType}.`);
  }
  checkContentMatches(bytes, contentType);
  if (contentType !== 'application/pdf') return extractText(bytes);
  return extractPdf(options.consume ? bytes : bytes.slice());
}

// --- Text files

function decodeText(bytes: Uint8Array): string {
  if (startsWith(bytes, [0xff, 0xfe]) || startsWith(bytes, [0xfe, 0xff])) {
    throw new DocumentRejected(
      'not_text',
      'The file is UTF-16 encoded; save it with UTF-8 encoding and upload again.',
    );
  }
  const format = knownBinaryFormat(bytes);
  if (format || bytes.includes(0)) {
    throw new DocumentRejected(
      'not_text',
      `The file is not text: it contains binary data${format ? ` (it looks like ${format})` : ''}. ` +
        'Upload a PDF, or the text as a UTF-8 .txt or .md file.',
    );
  }
  if (!isUtf8(bytes)) {
    throw new DocumentRejected(
      'not_text',
      'The file is not valid UTF-8 text; save it with UTF-8 encoding and upload again.',
    );
  }
  // ignoreBOM: false (the default) drops a leading byte order mark.
  const text = new TextDecoder('utf-8').decode(bytes);
  // Valid UTF-8 can still be binary (control bytes are valid code points); real text has few.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: counting control characters is the point
  const controls = text.match(/[\u0001-\u0008\u000b\u000e-\u001f\u007f]/g)?.length ?? 0;
  if (controls > Math.max(8, text.length / 100)) {
    throw new DocumentRejected(
      'not_text',
      'The file is not text: it contains binary data. Upload a PDF, or the text as a UTF-8 .txt or .md file.',
    );
  }
  return text;
}

function normaliseText(text: string): string {
  return (
    text
      .replace(/\r\n?/g, '\n')
      // biome-ignore lint/suspicious/noControlCharactersInRegex: stray control characters are noise
      .replace(/[\u0001-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, ' ')
      .replace(/[ \t\u00a0]+$/gm, '')
      .replace(/\n{3,}/g, '\n\n')
      .trim()
  );
}

function extractText(bytes: Uint8Array): PageText[] {
  const text = normaliseText(decodeText(bytes));
  if (text === '') {
    throw new DocumentRejected('no_text', 'The file contains no text; upload a file with content.');
  }
  return chunkText(text, TEXT_SECTION_CHARS, TEXT_SECTION_MAX_CHARS).map((section, i) => ({
    page: i + 1,
    text: section,
  }));
}

// --- PDF

interface TextItemLike {
  str: string;
  transform: number[];
  width: number;
  height: number;
  hasEOL: boolean;
}

interface Line {
  text: string;
  y: number;
  size: number;
}

const isTextItem = (item: unknown): item is TextItemLike =>
  typeof (item as { str?: unknown }).str === 'string' && Array.isArray((item as TextItemLike).transform);

/**
 * Rebuilds lines from positioned text runs: a new line at an explicit end of line or when the
 * baseline moves; a space where runs on one line are visibly apart but carry none themselves.
 */
function linesOf(items: readonly unknown[]): Line[] {
  const lines: Line[] = [];
  let current: Line | undefined;
  let lastEndX = 0;
  let endedLine = false;
  for (const item of items) {
    if (!isTextItem(item)) continue;
    const [a = 0, b = 0, c = 0, d = 0, x = 0, y = 0] = item.transform;
    const size = Math.hypot(c, d) || Math.hypot(a, b) || item.height || 1;
    if (current && !endedLine && Math.abs(y - current.y) <= size * 0.5) {
      const gap = x - lastEndX;
      const needsSpace =
        gap > size * 0.15 && !/\s$/.test(current.text) && item.str !== '' && !/^\s/.test(item.str);
      current.text += (needsSpace ? ' ' : '') + item.str;
    } else if (item.str.trim() !== '' || !endedLine) {
      current = { text: item.str, y, size };
      lines.push(current);
    }
    if (item.str !== '') lastEndX = x + item.width;
    endedLine = item.hasEOL;
  }
  return lines.filter((line) => line.text.trim() !== '');
}

/**
 * Joins lines into paragraphs: a paragraph break where the baseline gap is clearly larger than
 * the page's usual line spacing (or the text jumps up, as at a new column), a space otherwise.
 */
function paragraphsOf(lines: readonly Line[]): string {
  const gaps: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const gap = (lines[i - 1]?.y ?? 0) - (lines[i]?.y ?? 0);
    if (gap > 0) gaps.push(gap);
  }
  gaps.sort((p, q) => p - q);
  const usual = gaps.length >= 2 ? (gaps[Math.floor(gaps.length / 2)] ?? 0) : 0;
  let text = '';
  lines.forEach((line, i) => {
    const clean = line.text.replace(/\s+/g, ' ').trim();
    if (i === 0) {
      text = clean;
      return;
    }
    const previous = lines[i - 1] as Line;
    const gap = previous.y - line.y;
    const paragraphGap = usual > 0 ? usual * 1.4 : Math.max(previous.size, line.size) * 1.7;
    text += gap <= 0 || gap > paragraphGap ? `\n\n${clean}` : ` ${clean}`;
  });
  return text;
}

/** pdf.js errors are not always `Error`s, and their messages end with a full stop. */
function describe(error: unknown): string {
  const message = (error as { message?: unknown } | null)?.message;
  return (typeof message === 'string' ? message : String(error)).trim().replace(/\.$/, '');
}

type PdfDocument = Awaited<ReturnType<typeof getDocumentProxy>>;

async function openPdf(bytes: Uint8Array): Promise<PdfDocument> {
  try {
    return await getDocumentProxy(bytes, {
      // Text needs no font faces; the defaults would look for system fonts to render with.
      disableFontFace: true,
      useSystemFonts: false,
      verbosity: 0,
    });
  } catch (error) {
    const name = (error as { name?: string } | null)?.name;
    if (name === 'PasswordException') {
      throw new DocumentRejected(
        'encrypted',
        'The PDF is password-protected; remove the password and upload again.',
      );
    }
    throw new DocumentRejected(
      'not_pdf',
      `The file is not a readable PDF: ${describe(error)}. Check that it opens in a PDF viewer, or export it as PDF again.`,
    );
  }
}

/** Caches pdf.js keeps across pages (fonts, images) are dropped this often. */
const CLEANUP_EVERY_PAGES = 50;

async function extractPdf(bytes: Uint8Array): Promise<PageText[]> {
  const pdf = await openPdf(bytes);
  try {
    const pages: PageText[] = [];
    let failures = 0;
    let firstFailure: unknown;
    // Letters and digits: a scan can still carry stray marks or whitespace as "text".
    let letters = 0;
    // One page at a time, released before the next: a 300-page PDF never has more than one
    // page's operator and text data alive.
    for (let number = 1; number <= pdf.numPages; number++) {
      let text = '';
      try {
        const page = await pdf.getPage(number);
        try {
          const content = await page.getTextContent();
          text = paragraphsOf(linesOf(content.items)).normalize('NFC');
        } finally {
          page.cleanup();
        }
      } catch (error) {
        // A damaged page should not cost the rest of the document.
        failures += 1;
        firstFailure ??= error;
      }
      letters += text.match(/[\p{L}\p{N}]/gu)?.length ?? 0;
      pages.push({ page: number, text });
      if (number % CLEANUP_EVERY_PAGES === 0) await pdf.cleanup();
    }
    if (pdf.numPages > 0 && failures === pdf.numPages) {
      throw new DocumentRejected(
        'not_pdf',
        `The file is not a readable PDF: none of its ${pdf.numPages} pages could be read ` +
          `(${describe(firstFailure)}). Check that it opens in a PDF viewer, or export it as PDF again.`,
      );
    }
    if (letters === 0) {
      throw new DocumentRejected(
        'no_text',
        `The PDF has ${pdf.numPages} page${pdf.numPages === 1 ? '' : 's'} but no text could be extracted; ` +
          'scanned pages need OCR, which is not supported. Upload a PDF with selectable text, or the text ' +
          'itself as a .txt or .md file.',
      );
    }
    return pages;
  } finally {
    await pdf.loadingTask.destroy();
  }
}
