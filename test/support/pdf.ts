/**
 * PDFs made on the spot for tests and the benchmark, with pdf-lib: real text PDFs, a
 * password-protected one and an image-only ("scanned") one.
 */
import { deflateSync } from 'node:zlib';
import { PDFDocument, type PDFFont, PDFHexString, PDFName, PDFNumber, StandardFonts } from 'pdf-lib';

const PAGE = { width: 612, height: 792, margin: 56 } as const;
const FONT_SIZE = 10;
const LEADING = 13;

function wrap(text: string, font: PDFFont, size: number, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter(Boolean)) {
    const candidate = line === '' ? word : `${line} ${word}`;
    if (line !== '' && font.widthOfTextAtSize(candidate, size) > width) {
      lines.push(line);
      line = word;
    } else {
      line = candidate;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

export interface MakePdfOptions {
  /** Never encrypted: see `makePasswordProtectedPdf` for that. */
  encrypt?: false;
  /**
   * Adds a distinct incompressible image of about this many bytes behind each page's text, as
   * in a scanned-and-OCRed or illustrated book, to make files of realistic size.
   */
  imageBytesPerPage?: number;
}

/**
 * One PDF page per entry of `pages`, each entry a list of paragraphs (Helvetica 10 pt, lines
 * wrapped to the margins, a blank line between paragraphs). Text must be WinAnsi (Latin-1 and
 * typographic punctuation), as with any standard font. Throws when a page's text does not fit.
 */
export async function makePdf(pages: readonly string[][], options: MakePdfOptions = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const width = PAGE.width - 2 * PAGE.margin;
  const side = options.imageBytesPerPage ? Math.ceil(Math.sqrt(options.imageBytesPerPage)) : 0;
  for (const [index, paragraphs] of pages.entries()) {
    const page = doc.addPage([PAGE.width, PAGE.height]);
    if (side > 0) {
      const image = await doc.embedPng(noisePng(side, side, index + 1));
      page.drawImage(image, { x: 0, y: 0, width: PAGE.width, height: PAGE.height, opacity: 0.15 });
    }
    let y = PAGE.height - PAGE.margin;
    paragraphs.forEach((paragraph, p) => {
      if (p > 0) y -= LEADING;
      for (const line of wrap(paragraph, font, FONT_SIZE, width)) {
        if (y < PAGE.margin) throw new Error(`The text of page ${index + 1} does not fit on one page`);
        page.drawText(line, { x: PAGE.margin, y, size: FONT_SIZE, font });
        y -= LEADING;
      }
    });
  }
  return doc.save();
}

/**
 * A PDF that needs a password to open. pdf-lib cannot encrypt, so this adds a standard security
 * handler (RC4, revision 2) to the trailer whose user-password check fails for the empty
 * password: a reader (pdf.js included) then asks for a password, as for any protected file.
 * The content streams are left in clear; no reader gets as far as decrypting them.
 */
export async function makePasswordProtectedPdf(pages: string[][] = [['Confidential material.']]) {
  const doc = await PDFDocument.load(await makePdf(pages));
  const context = doc.context;
  const filler = (byte: number) => PDFHexString.of(byte.toString(16).padStart(2, '0').repeat(32));
  const encrypt = context.obj({
    Filter: PDFName.of('Standard'),
    V: PDFNumber.of(1),
    R: PDFNumber.of(2),
    Length: PDFNumber.of(40),
    O: filler(0x4f),
    U: filler(0x55),
    P: PDFNumber.of(-4),
  });
  context.trailerInfo.Encrypt = context.register(encrypt);
  const id = PDFHexString.of('0123456789abcdef0123456789abcdef');
  context.trailerInfo.ID = context.obj([id, id]);
  return doc.save({ useObjectStreams: false });
}

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** A grey-noise PNG (incompressible, so its size is about width × height bytes). */
function noisePng(width: number, height: number, seed = 7): Uint8Array {
  const raw = new Uint8Array((width + 1) * height);
  let state = seed;
  for (let y = 0; y < height; y++) {
    raw[y * (width + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      state = (Math.imul(state, 1103515245) + 12345) >>> 0;
      raw[y * (width + 1) + 1 + x] = state >>> 24;
    }
  }
  const chunk = (type: string, data: Uint8Array) => {
    const body = new Uint8Array(4 + data.length);
    body.set(new TextEncoder().encode(type));
    body.set(data, 4);
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(body, 4);
    view.setUint32(8 + data.length, crc32(body));
    return out;
  };
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit greyscale
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array()),
  ];
  const png = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    png.set(part, offset);
    offset += part.length;
  }
  return png;
}

/** Pages that carry only an image, as a scanner without OCR produces: no text to extract. */
export async function makeImageOnlyPdf(pageCount = 2): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const image = await doc.embedPng(noisePng(64, 80));
  for (let i = 0; i < pageCount; i++) {
    const page = doc.addPage([PAGE.width, PAGE.height]);
    page.drawImage(image, { x: 0, y: 0, width: PAGE.width, height: PAGE.height });
  }
  return doc.save();
}

const TOPICS = [
  'photosynthesis',
  'plate tectonics',
  'the water cycle',
  'cell division',
  'supply and demand',
  'the French Revolution',
  'electric circuits',
  'protein synthesis',
  'the nitrogen cycle',
  'Newtonian mechanics',
  'the immune system',
  'ocean currents',
] as const;

const SENTENCES = [
  'In {topic}, the central idea is that every change has a cause that can be measured and explained.',
  'Students often confuse the stages of {topic}, so this section walks through them in order.',
  'A classic experiment on {topic} showed that the outcome depends on the starting conditions.',
  'Textbooks describe {topic} with a simple model, but real systems add friction, noise and delay.',
  'The vocabulary of {topic} matters: each term names one mechanism and should not be used loosely.',
  'When the inputs to {topic} double, the response rarely doubles; it saturates or accelerates.',
  'Historians and scientists alike revisit {topic} whenever new evidence challenges the old account.',
  'To apply {topic} to a new case, identify the quantities involved, then the relation between them.',
  'A common misconception about {topic} is that it happens all at once rather than in stages.',
  'Diagrams of {topic} simplify the geometry, which helps memory but hides important exceptions.',
];

/**
 * Deterministic textbook-like pages of roughly `charsPerPage` characters in paragraphs, with a
 * "Chapter" heading every ten pages: realistic enough for splitting and a benchmark.
 */
export function textbookPages(pageCount: number, charsPerPage = 2500): string[][] {
  const pages: string[][] = [];
  let n = 0;
  for (let page = 1; page <= pageCount; page++) {
    const topic = TOPICS[Math.floor((page - 1) / 10) % TOPICS.length] as string;
    const paragraphs: string[] = [];
    if ((page - 1) % 10 === 0) paragraphs.push(`Chapter ${Math.ceil(page / 10)}: ${topic}`);
    let length = 0;
    while (length < charsPerPage) {
      const sentences: string[] = [];
      for (let s = 0; s < 4; s++) {
        sentences.push((SENTENCES[n++ % SENTENCES.length] as string).replace('{topic}', topic));
      }
      const paragraph = `${sentences.join(' ')} (Page ${page}, paragraph ${paragraphs.length + 1}.)`;
      paragraphs.push(paragraph);
      length += paragraph.length;
    }
    pages.push(paragraphs);
  }
  return pages;
}

/**
 * A four-page course text on photosynthesis, page by page, that the assessment tests upload: the
 * ground truth for the passages their questions cite.
 */
export const PHOTOSYNTHESIS_PAGES: readonly string[][] = [
  [
    'Photosynthesis is the process by which green plants convert light energy into chemical energy.',
    'Chlorophyll, the green pigment in chloroplasts, absorbs mostly red and blue light and reflects green light.',
  ],
  [
    'The light-dependent reactions take place in the thylakoid membranes and produce ATP and NADPH.',
    'Water molecules are split during these reactions, which releases oxygen as a by-product.',
  ],
  [
    'The Calvin cycle takes place in the stroma. It uses ATP and NADPH to fix carbon dioxide into sugars.',
    'Limiting carbon dioxide slows the Calvin cycle and therefore lowers the rate of photosynthesis.',
  ],
  [
    'Temperature affects the enzymes of photosynthesis: the rate rises with temperature up to an optimum and then falls.',
    'Light intensity, carbon dioxide concentration and temperature are the three classic limiting factors.',
  ],
];
