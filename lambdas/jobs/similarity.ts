/**
 * Near-duplicate text: the Jaccard similarity of character shingles of the normalised text
 * (lower case, punctuation and repeated spaces removed, see `normalizeText`). Shingles of five
 * characters catch reworded copies ("What is the main purpose of CSS flexbox?" against "What
 * is the purpose of CSS flexbox?", 0.8) while two questions on one topic that ask different
 * things stay far apart (below 0.4). Deterministic and cheap: a career's bank of a few hundred
 * questions is compared in memory in milliseconds.
 */

export const SHINGLE_SIZE = 5;

/** Lower case, punctuation and repeated spaces removed: what "the same text" means here. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function shingles(text: string, size = SHINGLE_SIZE): Set<string> {
  const normal = normalizeText(text);
  const grams = new Set<string>();
  if (normal.length <= size) {
    if (normal.length > 0) grams.add(normal);
    return grams;
  }
  for (let i = 0; i + size <= normal.length; i++) grams.add(normal.slice(i, i + size));
  return grams;
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const gram of small) if (large.has(gram)) shared += 1;
  return shared / (a.size + b.size - shared);
}

export function similarity(a: string, b: string, size = SHINGLE_SIZE): number {
  return jaccard(shingles(a, size), shingles(b, size));
}

export interface NearMatch {
  text: string;
  similarity: number;
}

/**
 * The texts seen so far, indexed by shingle: a lookup counts the shingles it shares with each
 * text through the postings of its own shingles, so it touches only texts that share one, and
 * never intersects two sets. The result is the same as `jaccard` against every text.
 */
export class NearDuplicateIndex {
  private readonly texts: string[] = [];
  private readonly sizes: number[] = [];
  private readonly postings = new Map<string, number[]>();

  constructor(texts: Iterable<string> = []) {
    for (const text of texts) this.add(text);
  }

  add(text: string): void {
    const id = this.texts.length;
    const grams = shingles(text);
    this.texts.push(text);
    this.sizes.push(grams.size);
    for (const gram of grams) {
      const list = this.postings.get(gram);
      if (list) list.push(id);
      else this.postings.set(gram, [id]);
    }
  }

  /** The most similar text at or above the threshold, if any (the first of equals). */
  nearest(text: string, threshold: number): NearMatch | undefined {
    const grams = shingles(text);
    const shared = new Int32Array(this.texts.length);
    for (const gram of grams) {
      for (const id of this.postings.get(gram) ?? []) shared[id] = (shared[id] ?? 0) + 1;
    }
    let best: NearMatch | undefined;
    for (let id = 0; id < this.texts.length; id++) {
      const common = shared[id] ?? 0;
      const size = this.sizes[id] ?? 0;
      // Two empty texts are the same text (jaccard 1); otherwise no shared shingle is 0.
      const score =
        common === 0 ? (size === 0 && grams.size === 0 ? 1 : 0) : common / (grams.size + size - common);
      if (score >= threshold && (!best || score > best.similarity)) {
        best = { text: this.texts[id] as string, similarity: score };
      }
    }
    return best;
  }
}
