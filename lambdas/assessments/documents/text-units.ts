/**
 * Cutting text into pieces of bounded size at the most natural boundary available:
 * paragraphs, then sentences, then words, and only as a last resort in the middle of a word.
 * Used for the "pages" of text files and for passages, so both break text the same way.
 */

export interface Unit {
  text: string;
  /** Separator to put before this unit when it joins the previous one. */
  joiner: '\n\n' | ' ' | '';
}

/** Sentence ends: ., ! or ? (with closing quotes/brackets) followed by whitespace. */
const SENTENCE_END = /(?<=[.!?]["'”’)\]]*)\s+/u;

function hardSplit(word: string, maxChars: number): string[] {
  const pieces: string[] = [];
  // Array.from keeps surrogate pairs together.
  const chars = Array.from(word);
  for (let i = 0; i < chars.length; i += maxChars) pieces.push(chars.slice(i, i + maxChars).join(''));
  return pieces;
}

function splitLong(text: string, maxChars: number, level: 'sentence' | 'word'): Unit[] {
  const parts = level === 'sentence' ? text.split(SENTENCE_END).filter((s) => s !== '') : text.split(/\s+/u);
  const units: Unit[] = [];
  for (const part of parts) {
    if (part.length <= maxChars) {
      units.push({ text: part, joiner: ' ' });
    } else if (level === 'sentence') {
      units.push(...splitLong(part, maxChars, 'word'));
    } else {
      hardSplit(part, maxChars).forEach((piece, i) => {
        units.push({ text: piece, joiner: i === 0 ? ' ' : '' });
      });
    }
  }
  return units;
}

/** Paragraphs (blank-line separated), each cut further only when longer than `maxChars`. */
export function toUnits(text: string, maxChars: number): Unit[] {
  const units: Unit[] = [];
  for (const paragraph of text.split(/\n[ \t]*\n+/u)) {
    const trimmed = paragraph.trim();
    if (trimmed === '') continue;
    if (trimmed.length <= maxChars) {
      units.push({ text: trimmed, joiner: '\n\n' });
      continue;
    }
    const pieces = splitLong(trimmed, maxChars, 'sentence');
    pieces.forEach((piece, i) => {
      units.push(i === 0 ? { ...piece, joiner: '\n\n' } : piece);
    });
  }
  return units;
}

/**
 * Packs units greedily into chunks of about `targetChars`, never over `maxChars`. A chunk takes
 * the next unit past the target when that ends nearer the target than stopping would (or when
 * the chunk is still under half the target), and a short tail is folded into its predecessor,
 * so chunks stay close to the target instead of ending in crumbs.
 */
export function packUnits(units: Unit[], targetChars: number, maxChars: number): string[] {
  const chunks: string[] = [];
  let current = '';
  let currentJoiner: Unit['joiner'] = '\n\n';
  for (const unit of units) {
    if (current === '') {
      current = unit.text;
      currentJoiner = unit.joiner;
      continue;
    }
    const joined = current + unit.joiner + unit.text;
    const overshoot = joined.length - targetChars;
    const undershoot = targetChars - current.length;
    const closer = overshoot < undershoot || current.length < targetChars / 2;
    if (overshoot <= 0 || (joined.length <= maxChars && closer)) {
      current = joined;
    } else {
      chunks.push(current);
      current = unit.text;
      currentJoiner = unit.joiner;
    }
  }
  if (current !== '') {
    const previous = chunks[chunks.length - 1];
    if (previous !== undefined && current.length < targetChars / 4) {
      const merged = previous + currentJoiner + current;
      if (merged.length <= maxChars) {
        chunks[chunks.length - 1] = merged;
        return chunks;
      }
    }
    chunks.push(current);
  }
  return chunks;
}

/** Text cut into chunks of about `targetChars` (at most `maxChars`), on the best boundaries. */
export function chunkText(text: string, targetChars: number, maxChars: number): string[] {
  return packUnits(toUnits(text, maxChars), targetChars, maxChars);
}
