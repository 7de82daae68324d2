import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import {
  DocumentRejected,
  detectContentType,
  extractPages,
  type RejectionReason,
  TEXT_SECTION_MAX_CHARS,
} from '#assessments/documents/extract.ts';
import { makeImageOnlyPdf, makePasswordProtectedPdf, makePdf } from '../support/pdf.ts';

const utf8 = (text: string) => new TextEncoder().encode(text);

async function rejection(promise: Promise<unknown>): Promise<DocumentRejected> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DocumentRejected, `expected DocumentRejected, got ${error}`);
    return error;
  }
  assert.fail('expected a DocumentRejected');
}

async function assertRejected(
  promise: Promise<unknown>,
  reason: RejectionReason,
  message: RegExp,
): Promise<void> {
  const error = await rejection(promise);
  assert.equal(error.reason, reason, error.message);
  assert.match(error.message, message);
}

describe('extractPages: PDF', () => {
  it('keeps page numbers, text and paragraph breaks, including a page without text', async () => {
    const pdf = await makePdf([
      ['Mitochondria produce ATP.', 'The second paragraph talks about ribosomes.'],
      [],
      ['Page three covers the Krebs cycle – with “typographic” quotes.'],
    ]);

    const pages = await extractPages(pdf, 'application/pdf');

    assert.deepEqual(
      pages.map((p) => p.page),
      [1, 2, 3],
    );
    assert.equal(pages[0]?.text, 'Mitochondria produce ATP.\n\nThe second paragraph talks about ribosomes.');
    assert.equal(pages[1]?.text, '');
    assert.equal(pages[2]?.text, 'Page three covers the Krebs cycle – with “typographic” quotes.');
  });

  it('joins wrapped lines of one paragraph with single spaces', async () => {
    const long = Array.from({ length: 40 }, (_, i) => `word${i}`).join(' ');
    const pdf = await makePdf([[`${long} ${long} ${long}`]]);

    const [page] = await extractPages(pdf, 'application/pdf');

    assert.equal(page?.text, `${long} ${long} ${long}`);
  });

  it('leaves the caller’s bytes intact unless asked to consume them', async () => {
    const pdf = await makePdf([['Some text on a page.']]);
    const size = pdf.byteLength;

    await extractPages(pdf, 'application/pdf');
    assert.equal(pdf.byteLength, size);

    await extractPages(pdf, 'application/pdf', { consume: true });
    assert.equal(pdf.byteLength, 0);
  });
});

describe('extractPages: Markdown and plain text', () => {
  it('splits long text into numbered sections on paragraph boundaries', async () => {
    const paragraphs = Array.from(
      { length: 40 },
      (_, i) => `## Heading ${i}\n\nParagraph ${i} ${'lorem ipsum dolor sit amet '.repeat(10).trim()}.`,
    );
    const text = paragraphs.join('\n\n');

    const pages = await extractPages(utf8(text), 'text/markdown');

    assert.ok(pages.length > 1, `${pages.length} sections`);
    assert.deepEqual(
      pages.map((p) => p.page),
      pages.map((_, i) => i + 1),
    );
    for (const page of pages) {
      assert.ok(page.text.length <= TEXT_SECTION_MAX_CHARS, `section ${page.page}: ${page.text.length}`);
      assert.match(page.text, /^(## Heading|Paragraph) \d+/, `section ${page.page} starts a paragraph`);
    }
    assert.equal(pages.map((p) => p.text).join('\n\n'), text);
  });

  it('normalises line endings, drops a byte order mark and keeps short text as one section', async () => {
    const bytes = utf8('\ufeffFirst line\r\nsecond line   \r\n\r\n\r\n\r\nNext paragraph, café.\r\n');

    const pages = await extractPages(bytes, 'text/plain');

    assert.deepEqual(pages, [{ page: 1, text: 'First line\nsecond line\n\nNext paragraph, café.' }]);
  });
});

describe('extractPages: rejections', () => {
  it('rejects bytes that are not a PDF', async () => {
    await assertRejected(
      extractPages(new Uint8Array([0x13, 0x37, 0xfe, 0x01, 0x02, 0x03, 0x00]), 'application/pdf'),
      'not_pdf',
      /^The file is not a readable PDF: it does not start with %PDF-/,
    );
  });

  it('names a recognisable format declared as PDF', async () => {
    await assertRejected(
      extractPages(new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x06, 0x00]), 'application/pdf'),
      'not_pdf',
      /^The file is not a readable PDF: it looks like a ZIP archive, such as a \.docx/,
    );
  });

  it('rejects a corrupt PDF body', async () => {
    await assertRejected(
      extractPages(utf8('%PDF-1.7\n1 0 obj << /Type /Catalog >> garbage garbage\n'), 'application/pdf'),
      'not_pdf',
      /^The file is not a readable PDF: .+Check that it opens in a PDF viewer/,
    );
  });

  it('rejects a truncated PDF', async () => {
    const pdf = await makePdf([['One page.'], ['Two pages.'], ['Three pages.']]);

    await assertRejected(
      extractPages(pdf.slice(0, Math.floor(pdf.length / 2)), 'application/pdf'),
      'not_pdf',
      /^The file is not a readable PDF/,
    );
  });

  it('rejects a password-protected PDF', async () => {
    await assertRejected(
      extractPages(await makePasswordProtectedPdf(), 'application/pdf'),
      'encrypted',
      /password-protected; remove the password and upload again/,
    );
  });

  it('rejects a PDF of images only (scanned pages)', async () => {
    await assertRejected(
      extractPages(await makeImageOnlyPdf(3), 'application/pdf'),
      'no_text',
      /has 3 pages but no text could be extracted; scanned pages need OCR, which is not supported/,
    );
  });

  it('rejects an empty file of any type', async () => {
    for (const type of ['application/pdf', 'text/markdown', 'text/plain'] as const) {
      await assertRejected(extractPages(new Uint8Array(), type), 'empty', /^The file is empty/);
    }
  });

  it('rejects text with no content', async () => {
    await assertRejected(extractPages(utf8(' \n\n\t \n'), 'text/plain'), 'no_text', /contains no text/);
  });

  it('rejects binary content declared as text', async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    await assertRejected(
      extractPages(png, 'text/plain'),
      'not_text',
      /^The file is not text: it contains binary data \(it looks like a PNG image\)/,
    );
    const controls = new Uint8Array(200).map((_, i) => (i % 3 === 0 ? 0x01 : 0x41));
    await assertRejected(extractPages(controls, 'text/markdown'), 'not_text', /contains binary data/);
  });

  it('rejects text that is not UTF-8', async () => {
    await assertRejected(
      extractPages(new Uint8Array([0x63, 0x61, 0x66, 0xe9, 0x20, 0x6f, 0x6b]), 'text/plain'),
      'not_text',
      /not valid UTF-8 text; save it with UTF-8 encoding/,
    );
    await assertRejected(
      extractPages(new Uint8Array([0xff, 0xfe, 0x68, 0x00, 0x69, 0x00]), 'text/plain'),
      'not_text',
      /UTF-16 encoded; save it with UTF-8 encoding/,
    );
  });

  it('rejects a PDF declared as text', async () => {
    await assertRejected(
      extractPages(await makePdf([['A real PDF.']]), 'text/markdown'),
      'type_mismatch',
      /declared as text\/markdown but is a PDF; upload it as application\/pdf/,
    );
  });

  it('rejects text declared as a PDF', async () => {
    await assertRejected(
      extractPages(utf8('# Notes\n\nJust markdown.'), 'application/pdf'),
      'type_mismatch',
      /declared as application\/pdf but contains plain text, not a PDF/,
    );
  });
});

describe('detectContentType', () => {
  it('maps file extensions when no informative type is declared', () => {
    assert.equal(detectContentType('Lecture 1.PDF'), 'application/pdf');
    assert.equal(detectContentType('notes.md'), 'text/markdown');
    assert.equal(detectContentType('notes.markdown', 'application/octet-stream'), 'text/markdown');
    assert.equal(detectContentType('notes.txt', ''), 'text/plain');
  });

  it('prefers the declared MIME type, ignoring its parameters', () => {
    assert.equal(detectContentType('upload', 'text/plain; charset=utf-8'), 'text/plain');
    assert.equal(detectContentType('notes.txt', 'text/markdown'), 'text/markdown');
    assert.equal(detectContentType('x', 'Application/PDF'), 'application/pdf');
  });

  it('recognises a PDF without extension or type from its bytes', () => {
    assert.equal(detectContentType('scan', undefined, utf8('%PDF-1.4\n...')), 'application/pdf');
  });

  it('rejects other types with the list of supported ones', () => {
    for (const [name, type] of [
      ['report.docx', undefined],
      ['report', undefined],
      ['slides.pdf', 'application/vnd.ms-powerpoint'],
    ] as const) {
      assert.throws(
        () => detectContentType(name, type),
        (error: unknown) =>
          error instanceof DocumentRejected &&
          error.reason === 'unsupported_type' &&
          /Supported types: PDF \(\.pdf, application\/pdf\), Markdown \(\.md, \.markdown, text\/markdown\), plain text \(\.txt, text\/plain\)/.test(
            error.message,
          ),
        name,
      );
    }
  });

  it('checks the bytes against the type when given', () => {
    assert.throws(
      () => detectContentType('notes.txt', undefined, utf8('%PDF-1.7 ...')),
      (error: unknown) => error instanceof DocumentRejected && error.reason === 'type_mismatch',
    );
    assert.throws(
      () => detectContentType('paper.pdf', 'application/pdf', utf8('plain words')),
      (error: unknown) => error instanceof DocumentRejected && error.reason === 'type_mismatch',
    );
  });
});
