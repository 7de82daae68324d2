/**
 * Near-duplicate text: the Jaccard similarity of character shingles of the normalised text
 * (lower case, punctuation and repeated spaces removed, see `normalizeText`; Latin accents
 * folded, see `duplicateKey`). Shingles of five characters catch reworded copies ("What is the
 * main purpose of CSS flexbox?" against "What is the purpose of CSS flexbox?", 0.71) while two
 * questions on one topic that ask different things stay far apart (below 0.4). Deterministic and
 * cheap: a career's bank of a few hundred questions is compared in memory in milliseconds.
 *
 * Scripts differ in how much a character carries, so the shingle size is chosen per run of
 * script (see `shingles`): five characters of an alphabet (Latin, Cyrillic, Greek, Devanagari,
 * Arabic, Thai...) are about a word; a Han character or a kana or Hangul syllable is a morpheme
 * or syllable of its own, and two of them are about a word. Measured on the examples in
 * test/unit/jobs-similarity-scripts.test.ts: "光合作用的主要产物是什么？" against its copy without
 * "的" is 0.25 in 5-character shingles (a copy missed) and 0.75 in 2-character ones, where a
 * different question on the same topic scores 0.18; the Japanese pair measures 0.29 and 0.71
 * (0.16). A Hangul syllable carries as much as a Han character; Korean writes spaces between
 * words, so its runs are short and a word of up to five syllables is one shingle either way.
 */

/** Shingle sizes: for runs of alphabetic (spaced) scripts, and for runs of dense ones. */
export interface ShingleSizes {
  spaced: number;
  dense: number;
}

export const SHINGLE_SIZE: ShingleSizes = { spaced: 5, dense: 2 };

/**
 * Scripts where one character is a syllable or a morpheme (Han, kana, Hangul syllables), by
 * Script_Extensions so that the marks they share (the prolonged sound mark ー, the iteration
 * mark 々) belong to them. Thai, Lao, Khmer and Myanmar write no spaces either but are
 * alphabets, so they keep the alphabetic size: what matters is how much a character carries.
 */
const DENSE = '\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}\\p{scx=Hangul}';
const RUNS = new RegExp(`[${DENSE}]+|[^${DENSE}]+`, 'gu');
const DENSE_RUN = new RegExp(`^[${DENSE}]`, 'u');

/** After `normalizeText`, anything but these is a letter, mark or digit outside ASCII. */
const NON_ASCII = /[^ 0-9a-z]/;
const SURROGATE = /[\ud800-\udfff]/;

/**
 * Lower case, punctuation and repeated spaces removed: what "the same text" means for options
 * and answers. Combining marks (`\p{M}`) are part of words: Devanagari's vowel signs and virama
 * ("हिन्दी"), Thai's vowels and tones, and any accent typed as a separate mark. Accents are kept
 * here: "où" and "ou" are two options of a French grammar question (see `duplicateKey`).
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ')
    .trim();
}

/**
 * The normalised text with the diacritics of Latin letters folded ("Élève" and "eleve" are
 * one): what "the same question" means for duplicates and near-duplicates. Accents come and go
 * in copies of one sentence (capitals written without them in French, a model or a person
 * dropping Vietnamese tone marks or Spanish tildes), while two different questions that differ
 * only in accents over a whole sentence do not happen. Only marks on Latin letters are folded:
 * Devanagari's vowel signs are vowels, not accents (कम "less", काम "work"), and folding them
 * would make different words one; Cyrillic й and ё are letters of their own.
 */
export function duplicateKey(text: string): string {
  const normal = normalizeText(text);
  // ASCII has nothing to fold: the common case skips the two normalisations.
  if (!NON_ASCII.test(normal)) return normal;
  return normal
    .normalize('NFD')
    .replace(/(\p{Script=Latin})\p{M}+/gu, '$1')
    .normalize('NFC');
}

/**
 * Character shingles of the text, by code point (never half a surrogate pair), `size.dense`
 * long within runs of a dense script and `size.spaced` long elsewhere; a number is the spaced
 * size, the dense one staying at most 2. A run shorter than its size is one shingle. For text in
 * one alphabetic script this is exactly the 5-character shingles of the whole text. Linear in
 * the text's length. `fold` (the default) compares as `duplicateKey`, otherwise as
 * `normalizeText`.
 */
export function shingles(text: string, size: ShingleSizes | number = SHINGLE_SIZE, fold = true): Set<string> {
  const sizes = typeof size === 'number' ? { spaced: size, dense: Math.min(size, SHINGLE_SIZE.dense) } : size;
  const normal = fold ? duplicateKey(text) : normalizeText(text);
  const grams = new Set<string>();
  // ASCII (most banks) is one alphabetic run: no need to look for runs of script.
  const runs = NON_ASCII.test(normal) ? normal.matchAll(RUNS) : [[normal]];
  for (const match of runs) {
    const part = match[0].trim();
    if (part.length === 0) continue;
    const n = DENSE_RUN.test(part) ? sizes.dense : sizes.spaced;
    // By code point only where a character takes two code units; strings slice faster.
    const run: string | string[] = SURROGATE.test(part) ? [...part] : part;
    if (run.length <= n) {
      grams.add(part);
      continue;
    }
    for (let i = 0; i + n <= run.length; i++) {
      grams.add(typeof run === 'string' ? run.slice(i, i + n) : run.slice(i, i + n).join(''));
    }
  }
  return grams;
}

export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let shared = 0;
  for (const gram of small) if (large.has(gram)) shared += 1;
  return shared / (a.size + b.size - shared);
}

export function similarity(
  a: string,
  b: string,
  size: ShingleSizes | number = SHINGLE_SIZE,
  fold = true,
): number {
  return jaccard(shingles(a, size, fold), shingles(b, size, fold));
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
