/**
 * Passages: the units of retrieval and of citation. Each belongs to exactly one page (for text
 * files, one section; see `extract.ts`), so a question grounded in a passage can say where in
 * the document its answer is.
 */
import { chunkText } from './text-units.ts';

export interface Passage {
  /** `p<page>-<n>`: the n-th passage (1-based) of that page, e.g. `p12-3`. */
  id: string;
  page: number;
  text: string;
}

export interface PageText {
  page: number;
  text: string;
}

export interface SplitOptions {
  targetChars?: number;
  maxChars?: number;
}

export const DEFAULT_TARGET_CHARS = 1200;
export const DEFAULT_MAX_CHARS = 2000;

export const passageId = (page: number, n: number) => `p${page}-${n}`;

/** Splits each page on paragraph, then sentence boundaries; pages without text give no passage. */
export function splitPassages(pages: readonly PageText[], options: SplitOptions = {}): Passage[] {
  const targetChars = options.targetChars ?? DEFAULT_TARGET_CHARS;
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  if (!(targetChars >= 1 && maxChars >= targetChars)) {
    throw new RangeError(`Need 1 <= targetChars <= maxChars, got ${targetChars} and ${maxChars}`);
  }
  const passages: Passage[] = [];
  for (const { page, text } of pages) {
    chunkText(text, targetChars, maxChars).forEach((chunk, i) => {
      passages.push({ id: passageId(page, i + 1), page, text: chunk });
    });
  }
  return passages;
}
