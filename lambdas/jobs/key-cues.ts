/**
 * Cues a test-wise learner uses to answer without knowing: where the key sits, whether it is the
 * longest option, and explanations or options that point at an option by its letter.
 *
 * Language models put the key in some positions far more often than others. Rather than ask the
 * model for a position (it does not keep to one), every kept multiple-choice question has its
 * options reordered so that its key lands where a round-robin over the whole bank puts it:
 * question `i` of a chunk whose round-robin starts at `offset` has its key at `(offset + i) % 4`.
 * The offset is the number of questions the bank's earlier chunks hold (in the bank's own order:
 * a sector's careers and levels as the catalog lists them, an assessment's Bloom levels), so it
 * comes from the chunk's key and the job's settings alone. That makes the rule deterministic and
 * resumable: chunks generated in parallel, in any order, by different jobs or after a restart
 * from the checkpoint, still continue one round-robin, and a bank's positions differ by at most
 * one question (a chunk made under other counts is still even within itself). It is applied
 * when a chunk is kept, so a question is stored once, in its final order, and the chunk file,
 * the sector file, exports and reviews all see the same letters. Balancing at assembly instead
 * would store one order and publish another.
 *
 * Because the options move, nothing may name an option by its letter: the gate rejects an
 * explanation that does ("option B", "(c)", "answer a is …") and an option that refers to others
 * by letter ("Both A and C"), and the prompts say so.
 */
/**
 * A gate problem of this module (questions.ts's `Problem`, which imports this module, so its
 * type is not imported back: Biome refuses type cycles too).
 */
export interface CueProblem {
  check: 'key_longest' | 'explanation_letter';
  reason: string;
}

export const KEY_POSITIONS = ['a', 'b', 'c', 'd'] as const;
export type KeyPosition = (typeof KEY_POSITIONS)[number];

/**
 * The options with the key moved to `target`; the distractors keep their order around it.
 * `target` is taken modulo the number of options.
 */
export function placeKey<T>(options: readonly T[], keyIndex: number, target: number): T[] {
  if (keyIndex < 0 || keyIndex >= options.length || options.length === 0) return [...options];
  const key = options[keyIndex] as T;
  const rest = options.filter((_, i) => i !== keyIndex);
  const at = ((target % options.length) + options.length) % options.length;
  return [...rest.slice(0, at), key, ...rest.slice(at)];
}

/** The position round-robin gives the `index`-th question of a chunk that starts at `offset`. */
export const balancedPosition = (offset: number, index: number, positions: number = KEY_POSITIONS.length) =>
  (((offset + index) % positions) + positions) % positions;

/** A question with lettered options (`{id, text}`, `correct_answer` an id): the key moved, ids relabelled a–d. */
export function balanceLettered<
  Q extends { options: { id: string; text: string }[]; correct_answer: string },
>(questions: Q[], offset: number): Q[] {
  return questions.map((q, i) => {
    const keyIndex = q.options.findIndex((o) => o.id === q.correct_answer);
    if (keyIndex < 0) return q;
    const target = balancedPosition(offset, i, q.options.length);
    const ids = q.options.map((o) => o.id);
    const options = placeKey(q.options, keyIndex, target).map((o, j) => ({ ...o, id: ids[j] ?? o.id }));
    return { ...q, options, correct_answer: ids[target] ?? q.correct_answer };
  });
}

/** A question whose options are strings and whose key is the correct option's text (assessments). */
export function balanceByText<Q extends { options: string[]; correct_answer: string }>(
  questions: Q[],
  offset: number,
): Q[] {
  return questions.map((q, i) => ({
    ...q,
    options: placeKey(
      q.options,
      q.options.indexOf(q.correct_answer),
      balancedPosition(offset, i, q.options.length),
    ),
  }));
}

// --- the longest option

/**
 * "Clearly the longest": the key at least LONGEST_RATIO times as long as the longest distractor
 * AND at least LONGEST_MARGIN characters longer. Both, because each alone misfires:
 *   - ratio alone flags short answers that differ by a word: "HTTP/2" (6) against "FTP" (3) is
 *     2× but gives nothing away;
 *   - margin alone flags long options that differ naturally: a 160-character key against a
 *     140-character distractor (1.14×) reads as one of four similar sentences.
 * Flagged: "Encrypt the data at rest and in transit" (39) against "Use longer passwords" (20):
 * 1.95× and 19 more; "Cache static assets on a CDN close to the users" (48) against "Add RAM" (7).
 * Not flagged: "Use a CDN for static assets" (27) against "Buy a bigger server" (19): 1.4×.
 * A model that pads its key with the qualifications that make it right ("…, provided that …")
 * crosses both; four options written to be "similar in length", as the prompts ask, do not.
 */
export const LONGEST_RATIO = 1.5;
export const LONGEST_MARGIN = 15;

/** Character length as a reader sees it: trimmed, spaces collapsed, by code point. */
const lengthOf = (text: string) => [...text.trim().replace(/\s+/g, ' ')].length;

/** Whether the key is strictly longer than every other option (the cue, whatever the margin). */
export function keyIsLongest(options: readonly string[], keyIndex: number): boolean {
  const key = options[keyIndex];
  if (key === undefined || options.length < 2) return false;
  const others = options.filter((_, i) => i !== keyIndex).map(lengthOf);
  return lengthOf(key) > Math.max(...others);
}

/** The gate's problem when the key is clearly the longest option (see LONGEST_RATIO), if it is. */
export function longestKeyProblem(options: readonly string[], keyIndex: number): CueProblem | undefined {
  const key = options[keyIndex];
  if (key === undefined || options.length < 2) return undefined;
  const longest = Math.max(...options.filter((_, i) => i !== keyIndex).map(lengthOf));
  const length = lengthOf(key);
  if (length < LONGEST_RATIO * longest || length - longest < LONGEST_MARGIN) return undefined;
  return {
    check: 'key_longest',
    // The simulator recognises a repair call by "the correct option is clearly the longest"
    // (local/gemini-simulator/key-bias.ts): keep the phrase.
    reason: `the correct option is clearly the longest (${length} characters against at most ${longest} for the others); write options of similar length so the answer cannot be guessed from its length`,
  };
}

// --- options named by their letter

// Words that name an option, matched in any case (`(?i:…)`), in the languages questions are most
// often asked for: an explanation in French says "la réponse B", in German "Antwort B". The
// letter after it keeps its case: "option A" names one, "an option a user picks" is English.
const WORD =
  '(?i:options?|answers?|choices?|alternatives?|r[ée]ponses?|respuestas?|opci[oó]n(?:es)?|antwort(?:en)?|m[oö]glichkeit(?:en)?|rispost[ae]|opzion[ei]|respostas?|op[cç][aã]o)';
/** Not followed by more of a word: "option A" but not "option Alpha" or "A's". */
const END = "(?![\\p{L}\\p{N}'’-])";

// Regular expressions built from strings: `(?i:…)` modifiers (ES2025, Node 24) are beyond the
// ES2024 target TypeScript checks literals against.
const LETTER_PATTERNS: readonly RegExp[] = [
  // "option B", "Options B and C", "answer (c)" written as "(C)", "choice D".
  new RegExp(`\\b${WORD}\\s+\\(?[A-D]\\)?${END}`, 'u'),
  // "answer a is", "option c.": a lower-case letter, only where no English word can follow it.
  new RegExp(
    `\\b${WORD}\\s+\\(?[a-d]\\)?(?=\\s*(?:[.,;:!?)]|$)|\\s+(?i:is|was|would|and|or|are|states|says|describes|correctly|incorrectly|because)\\b)`,
    'u',
  ),
  // "(c)" standing alone; not "Article 6(1)(a)" or "section 2(b)", where it follows a character.
  /(?<![\p{L}\p{N})\]])\([a-dA-D]\)(?![\p{L}\p{N}])/u,
  // "B) is wrong", "c) is the only …" opening the text or a sentence.
  /(?:^|[.;!?]\s+)[A-Da-d]\)\s/u,
  // "the correct answer is B", "the answer is (b)." ("the answer is a function" is English).
  new RegExp(
    `\\b${WORD}\\s+(?i:is|was|would be)\\s+(?:\\(?[A-D]\\)?${END}|\\(?[a-d]\\)?(?=\\s*(?:[.,;:!?)]|$)))`,
    'u',
  ),
  // "the first option", "the last choice": a place that reordering changes.
  /\b(?:first|second|third|fourth|last)\s+(?:option|choice|alternative)\b/iu,
];

/** Whether a text names an option by its letter or its place (see LETTER_PATTERNS). */
export function namesOptionLetter(text: string): boolean {
  return LETTER_PATTERNS.some((pattern) => pattern.test(text));
}

/** An option that is only other options' letters: "Both A and C", "a or b", "A & D". */
const LETTERS_ONLY_OPTION =
  /^(?:both|either|only|neither)?\s*\(?[a-d]\)?\s*(?:,|and|or|&|nor)\s*\(?[a-d]\)?\.?$/iu;

/**
 * What the prompts tell the model about explanations, since the options are reordered after it
 * answers (and the gate rejects an explanation that names a letter).
 */
export const KEY_CUE_INSTRUCTION =
  'The explanation says why the correct option is right, referring to options by what they say, never by their letter or position ("option B", "(c)", "the first option"): options are shown in another order.';

/** The gate's problems for letters: an explanation that names one, options that are letters. */
export function letterProblems(explanation: string, options: readonly string[]): CueProblem[] {
  const problems: CueProblem[] = [];
  if (namesOptionLetter(explanation)) {
    problems.push({
      check: 'explanation_letter',
      reason:
        'the explanation names an option by its letter or place ("option B", "(c)", "the first option"); options are reordered after generation, so say what the option says instead',
    });
  }
  if (options.some((o) => LETTERS_ONLY_OPTION.test(o.trim().replace(/\s+/g, ' ')))) {
    problems.push({
      check: 'explanation_letter',
      reason: 'an option refers to other options by their letters; every option must stand on its own',
    });
  }
  return problems;
}

// --- what a bank's keys look like

/** The key cues of a set of kept questions, for the quality report. */
export interface KeyCues {
  /** Questions measured. */
  keys: number;
  key_positions: Record<KeyPosition, number>;
  /** Questions whose key is strictly longer than every other option. */
  key_longest: number;
}

/** Counts where each key sits and how often it is the longest option. */
export function keyCuesOf(questions: { options: readonly string[]; keyIndex: number }[]): KeyCues {
  const cues: KeyCues = { keys: 0, key_positions: { a: 0, b: 0, c: 0, d: 0 }, key_longest: 0 };
  for (const q of questions) {
    const position = KEY_POSITIONS[q.keyIndex];
    if (position === undefined) continue;
    cues.keys += 1;
    cues.key_positions[position] += 1;
    if (keyIsLongest(q.options, q.keyIndex)) cues.key_longest += 1;
  }
  return cues;
}

/** Key cues of lettered questions (`{id, text}` options, `correct_answer` an id). */
export const keyCuesOfLettered = (
  questions: { options: { id: string; text: string }[]; correct_answer: string }[],
) =>
  keyCuesOf(
    questions.map((q) => ({
      options: q.options.map((o) => o.text),
      keyIndex: q.options.findIndex((o) => o.id === q.correct_answer),
    })),
  );

/** Key cues of questions whose key is the correct option's text. */
export const keyCuesOfTexts = (questions: { options: string[]; correct_answer: string }[]) =>
  keyCuesOf(questions.map((q) => ({ options: q.options, keyIndex: q.options.indexOf(q.correct_answer) })));
