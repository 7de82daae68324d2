/**
 * Measuring generated sections: words against their targets, and the quality metrics of the
 * seed's `qualityMetrics` (0–100 each, integers, deterministic: the same text always scores
 * the same).
 *
 * Words. A word is a run of letters or digits, with inner apostrophes or hyphens ("don't",
 * "well-known"). The prose of a section is every string in its answer except identifiers and
 * labels that are not prose: `code`, `id`, `type`, `answer`/`correctAnswer` (a copy of an
 * option), relationship `target`s, and `title`/`name` headings.
 *
 * Word targets. A section is accepted when its words are within `WORD_TOLERANCE` of its target
 * (0.8–1.25 × target): below, it is extended; above, shortened (`revisionPrompt`). The band is
 * wider above because a model overshooting by a quarter still reads well, while one that falls
 * short usually skipped part of what was asked.
 *
 * Metrics:
 * - readability: Flesch reading ease, 206.835 − 1.015 × (words / sentences) − 84.6 ×
 *   (syllables / words), over all prose, clamped to 0–100. Each prose string ends at least one
 *   sentence (key points and list items rarely end with a full stop); inside a string, sentences
 *   end at `.`, `!`, `?` or `…` followed by a space or the end. Syllables are counted by the
 *   usual heuristic: words of up to three letters have one; otherwise a final silent "e"
 *   ("make"), "es" after a consonant other than s, x, z, c, g ("makes", but not "boxes"), and
 *   "ed" not after t or d ("jumped", but not "wanted") are dropped, a leading "y" is dropped,
 *   and each run of one or two vowels (a, e, i, o, u, y) counts as one; at least one per word.
 *   The formula is for English; in other languages the score is only a rough proxy.
 * - coherence: how much each section builds on what it follows. For every section with prose
 *   after the first, its key terms (its 15 most frequent content terms: words of 4+ letters, not
 *   stop words, a plural "s" dropped) are looked up in its context: the sections it depends on,
 *   the one before it in document order, and the opening section (overview, synopsis or quiz
 *   instructions), which every part should refer back to. A section scores 1 when at least half of its key
 *   terms appear there, proportionally less otherwise; coherence is the mean × 100 (100 when
 *   there is only one section).
 * - completeness: each planned section scores min(1, words / (0.8 × target)), 0 when missing or
 *   empty; the scores are averaged weighted by target words (S). When
 *   `contentSpecs.requiredSections` names parts this structure has (overview, modules, lessons,
 *   examples, exercises, summaries, assessments, conclusion, instructions, categories, steps,
 *   chapters, nodes, stages), R is the share of them present and non-empty in every section
 *   concerned, and completeness = 100 × (0.8 S + 0.2 R); otherwise 100 × S.
 * - topicRelevance: the share of sections with prose whose text mentions at least one keyword of
 *   the topic (its content terms, without generic words such as "introduction" or "basics"),
 *   × 100; 100 when the topic has no keyword at all.
 * - overallScore: 0.35 completeness + 0.25 topicRelevance + 0.2 coherence + 0.2 readability,
 *   rounded. Completeness weighs most because a missing or thin section is the failure a reader
 *   meets first; readability the least with coherence, because technical prose is legitimately
 *   harder to read.
 */
import { fieldBudgets } from './prompt-context.ts';
import type { ExecuteRequest, QualityRequirements } from './request.ts';
import { kindLabel, type SectionKind, type SectionSpec } from './sections.ts';

/**
 * Han characters and kana, which are written without spaces: each counts as a word, as word
 * processors count East Asian text and as "字" counts are given in Chinese and Japanese.
 */
const DENSE = '\\p{scx=Han}\\p{scx=Hiragana}\\p{scx=Katakana}';
/**
 * A word: one dense character, or letters and digits (with the combining marks that belong to
 * them: Devanagari's vowel signs and virama, Thai's vowels) joined by apostrophes or hyphens.
 */
const WORD = new RegExp(
  // Letters only: the ideographic full stop and comma are Han by Script_Extensions too.
  `[[${DENSE}]&&\\p{L}]|(?:[[\\p{L}\\p{N}]--[${DENSE}]]\\p{M}*)+(?:['’\\-](?:[[\\p{L}\\p{N}]--[${DENSE}]]\\p{M}*)+)*`,
  'gv',
);
const DENSE_RUN = new RegExp(`^[${DENSE}]+$`, 'v');

export function countWords(text: string): number {
  return text.match(WORD)?.length ?? 0;
}

const NOT_PROSE = new Set(['code', 'id', 'type', 'answer', 'correctAnswer', 'target', 'title', 'name']);

/** The prose strings of a section's answer, in document order. */
export function proseOf(output: unknown): string[] {
  if (typeof output === 'string') return output.trim() ? [output] : [];
  if (Array.isArray(output)) return output.flatMap(proseOf);
  if (typeof output === 'object' && output !== null) {
    return Object.entries(output).flatMap(([key, value]) => (NOT_PROSE.has(key) ? [] : proseOf(value)));
  }
  return [];
}

export function wordsOf(output: unknown): number {
  return proseOf(output).reduce((sum, text) => sum + countWords(text), 0);
}

export const WORD_TOLERANCE = { min: 0.8, max: 1.25 } as const;

export interface WordTargetCheck {
  ok: boolean;
  ratio: number;
  action: 'accept' | 'extend' | 'shorten';
  words: number;
  target: number;
}

export function wordTargetCheck(target: number, words: number): WordTargetCheck {
  const ratio = target > 0 ? words / target : words > 0 ? Number.POSITIVE_INFINITY : 1;
  const action = ratio < WORD_TOLERANCE.min ? 'extend' : ratio > WORD_TOLERANCE.max ? 'shorten' : 'accept';
  return { ok: action === 'accept', ratio: Math.round(ratio * 1000) / 1000, action, words, target };
}

/** Asks for the same answer again, extended or tightened to the section's target. */
export function revisionPrompt(
  section: SectionSpec,
  previousOutput: unknown,
  check: WordTargetCheck,
): string {
  const low = Math.ceil(section.targetWords * WORD_TOLERANCE.min);
  const high = Math.floor(section.targetWords * WORD_TOLERANCE.max);
  const budgets = Object.entries(fieldBudgets(section))
    .map(([field, words]) => `- ${field}: ${words} words`)
    .join('\n');
  const how =
    check.action === 'extend'
      ? `It is too short. Extend it to about ${section.targetWords} words: deepen the explanations and add the detail, steps or examples a reader still needs. Do not pad, repeat or add filler.`
      : `It is too long. Tighten it to about ${section.targetWords} words: cut repetition and secondary detail, and keep every key idea.`;
  return [
    `Below is your answer for the ${kindLabel(section.kind)} "${section.title}". Its text fields have ${check.words} words; the target is ${section.targetWords} words (accepted from ${low} to ${high}).`,
    how,
    `Keep the same JSON fields and the same number of items in every list, the same language, tone and facts. Aim for, per field:\n${budgets}`,
    `Previous answer:\n${JSON.stringify(previousOutput)}`,
  ].join('\n\n');
}

// ---------------------------------------------------------------------------------------------
// Readability

/** Syllables of one word by the heuristic in the file header. */
export function syllables(word: string): number {
  let w = word.toLowerCase().replace(/[^a-zà-öø-ÿ]/g, '');
  if (w.length === 0) return 1;
  if (w.length <= 3) return 1;
  w = w.replace(/(?:[^laeiouysxzcg]es|[^td]ed|[^laeiouy]e)$/, (m) => m.charAt(0)).replace(/^y/, '');
  return Math.max(1, w.match(/[aeiouyà-öø-ÿ]{1,2}/g)?.length ?? 0);
}

/**
 * The end of a sentence: a Latin stop before a space or the end, a Chinese or Japanese full
 * stop (written with no space after it), or a Devanagari danda.
 */
const SENTENCE_END = /[.!?…]+(?=["'”’)\]]*(?:\s|$))|[。！？]+|[।॥]+/g;

/** Flesch reading ease over prose strings, unclamped and unrounded. */
export function fleschReadingEase(texts: string[]): number {
  let words = 0;
  let sentences = 0;
  let syllableCount = 0;
  for (const text of texts) {
    const list = text.match(WORD) ?? [];
    if (list.length === 0) continue;
    words += list.length;
    for (const w of list) syllableCount += syllables(w);
    const ends = text.match(SENTENCE_END)?.length ?? 0;
    const endsWithStop = /[.!?…。！？।॥]["'”’)\]」』]*\s*$/.test(text);
    sentences += ends + (endsWithStop ? 0 : 1);
  }
  if (words === 0) return 0;
  return 206.835 - 1.015 * (words / sentences) - 84.6 * (syllableCount / words);
}

export function readability(texts: string[]): number {
  return clampScore(fleschReadingEase(texts));
}

// ---------------------------------------------------------------------------------------------
// Terms

const STOP_WORDS = new Set(
  (
    'about above after again against also among another because been before being below between both ' +
    'cannot could does doing down during each even every from further have having here hers herself ' +
    'himself into itself just least less made make many more most much must myself need never only other ' +
    'ours ourselves over same shall should some such than that their theirs them themselves then there ' +
    'these they this those through under until upon very were what when where which while will with ' +
    'within without would your yours yourself yourselves like used using well first second also often ' +
    'into onto just will can may might one two three four five'
  ).split(/\s+/),
);

/** Words that say what kind of content it is, not what it is about. */
const GENERIC_TOPIC_WORDS = new Set(
  'introduction intro basic basics beginner beginners guide course overview fundamental fundamentals advanced complete essential essentials learning learn mastering master primer tutorial'.split(
    ' ',
  ),
);

/**
 * Content terms of a text: lower-cased words of 4+ letters, not stop words, a plural "s" dropped;
 * in Han and kana, which have no spaces to find words by, every two characters in a row (how
 * Chinese and Japanese text is commonly indexed: "光合作用" gives 光合, 合作, 作用).
 */
export function termsOf(text: string): string[] {
  const result: string[] = [];
  for (const raw of text.toLowerCase().match(/[\p{L}\p{M}]+/gu) ?? []) {
    if (DENSE_RUN.test(raw)) {
      const chars = [...raw];
      for (let i = 0; i + 2 <= chars.length; i++) result.push(`${chars[i]}${chars[i + 1]}`);
      continue;
    }
    if (raw.length < 4 || STOP_WORDS.has(raw)) continue;
    result.push(raw.length > 4 && raw.endsWith('s') && !raw.endsWith('ss') ? raw.slice(0, -1) : raw);
  }
  return result;
}

/** The `n` most frequent terms, ties broken alphabetically. */
export function keyTerms(text: string, n = 15): string[] {
  const counts = new Map<string, number>();
  for (const t of termsOf(text)) counts.set(t, (counts.get(t) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, n)
    .map(([t]) => t);
}

export function topicKeywords(topic: string): string[] {
  const all = [...new Set(termsOf(topic))];
  const specific = all.filter((t) => !GENERIC_TOPIC_WORDS.has(t));
  // Short topics ("Go", "C++") have no 4-letter term: fall back to any word of the topic.
  if (specific.length > 0) return specific;
  const short = (topic.toLowerCase().match(/[\p{L}\p{M}]+/gu) ?? []).filter(
    (w) => !GENERIC_TOPIC_WORDS.has(w),
  );
  return [...new Set(short)];
}

// ---------------------------------------------------------------------------------------------
// Quality metrics

export interface QualityMetrics {
  overallScore: number;
  readability: number;
  coherence: number;
  completeness: number;
  topicRelevance: number;
}

export const OVERALL_WEIGHTS = {
  completeness: 0.35,
  topicRelevance: 0.25,
  coherence: 0.2,
  readability: 0.2,
} as const;

export function qualityMetrics(
  outputs: ReadonlyMap<string, unknown>,
  plan: SectionSpec[],
  request: ExecuteRequest,
): QualityMetrics {
  const prose = new Map(plan.map((s) => [s.id, proseOf(outputs.get(s.id))]));
  const readable = readability(plan.flatMap((s) => prose.get(s.id) ?? []));
  const coherent = coherence(plan, prose);
  const complete = completeness(plan, outputs, request.input.contentMetadata.contentSpecs.requiredSections);
  const relevant = topicRelevance(plan, prose, request.input.topic);
  const overall =
    OVERALL_WEIGHTS.completeness * complete +
    OVERALL_WEIGHTS.topicRelevance * relevant +
    OVERALL_WEIGHTS.coherence * coherent +
    OVERALL_WEIGHTS.readability * readable;
  return {
    overallScore: clampScore(overall),
    readability: readable,
    coherence: coherent,
    completeness: complete,
    topicRelevance: relevant,
  };
}

function coherence(plan: SectionSpec[], prose: Map<string, string[]>): number {
  const written = plan.filter((s) => (prose.get(s.id) ?? []).length > 0);
  if (written.length === 0) return 0;
  if (written.length === 1) return 100;
  const scores = written.slice(1).map((section) => {
    const previous = written[written.indexOf(section) - 1];
    const opening = written[0]?.id;
    const contextIds = new Set([
      ...section.dependsOn,
      ...(previous ? [previous.id] : []),
      ...(opening ? [opening] : []),
    ]);
    const context = new Set(termsOf([...contextIds].flatMap((id) => prose.get(id) ?? []).join(' ')));
    const own = keyTerms((prose.get(section.id) ?? []).join(' '));
    if (own.length === 0) return 0;
    const shared = own.filter((t) => context.has(t)).length;
    return Math.min(1, shared / (0.5 * own.length));
  });
  return clampScore((100 * scores.reduce((a, b) => a + b, 0)) / scores.length);
}

/** Checks behind each `requiredSections` name: the section kinds concerned, and what each needs. */
const REQUIREMENTS: Record<
  string,
  { kinds: SectionKind[]; ok?: (output: Record<string, unknown>) => boolean }
> = {
  overview: { kinds: ['overview', 'workflow_overview', 'novel_synopsis', 'map_overview', 'path_overview'] },
  module: { kinds: ['module_introduction'] },
  introduction: { kinds: ['module_introduction'] },
  lesson: { kinds: ['lesson'] },
  example: { kinds: ['lesson'], ok: (o) => nonEmptyList(o.examples) },
  exercise: { kinds: ['lesson'], ok: (o) => nonEmptyList(o.exercises) },
  summary: { kinds: ['module_summary'] },
  assessment: { kinds: ['module_assessment'], ok: (o) => nonEmptyList(o.questions) },
  conclusion: { kinds: ['conclusion', 'path_conclusion'] },
  instruction: { kinds: ['quiz_instructions'] },
  category: { kinds: ['quiz_category'], ok: (o) => nonEmptyList(o.questions) },
  question: { kinds: ['quiz_category', 'module_assessment'], ok: (o) => nonEmptyList(o.questions) },
  step: { kinds: ['workflow_step'] },
  chapter: { kinds: ['chapter'] },
  node: { kinds: ['map_node'] },
  stage: { kinds: ['path_stage'] },
};

function completeness(
  plan: SectionSpec[],
  outputs: ReadonlyMap<string, unknown>,
  required: string[],
): number {
  let weighted = 0;
  let weights = 0;
  for (const s of plan) {
    const words = wordsOf(outputs.get(s.id));
    weighted += s.targetWords * Math.min(1, words / (WORD_TOLERANCE.min * s.targetWords));
    weights += s.targetWords;
  }
  const sectionScore = weights > 0 ? weighted / weights : 0;
  const checks = required
    .map((name) => REQUIREMENTS[singular(name)])
    .filter((r): r is NonNullable<typeof r> => r !== undefined)
    .map((r) => plan.filter((s) => r.kinds.includes(s.kind)).map((s) => ({ s, r })))
    .filter((sections) => sections.length > 0);
  if (checks.length === 0) return clampScore(100 * sectionScore);
  const met = checks.filter((sections) =>
    sections.every(({ s, r }) => {
      const output = outputs.get(s.id);
      if (wordsOf(output) === 0) return false;
      return (
        !r.ok || (typeof output === 'object' && output !== null && r.ok(output as Record<string, unknown>))
      );
    }),
  ).length;
  return clampScore(100 * (0.8 * sectionScore + (0.2 * met) / checks.length));
}

function topicRelevance(plan: SectionSpec[], prose: Map<string, string[]>, topic: string): number {
  const keywords = topicKeywords(topic);
  if (keywords.length === 0) return 100;
  const written = plan.filter((s) => (prose.get(s.id) ?? []).length > 0);
  if (written.length === 0) return 0;
  const mentions = written.filter((s) => {
    const text = (prose.get(s.id) ?? []).join(' ');
    const terms = new Set([...termsOf(text), ...(text.toLowerCase().match(/[\p{L}\p{M}]+/gu) ?? [])]);
    return keywords.some((k) => terms.has(k));
  }).length;
  return clampScore((100 * mentions) / written.length);
}

export interface UnmetRequirement {
  metric: keyof QualityMetrics;
  requirement: keyof QualityRequirements;
  target: number;
  actual: number;
}

/** The quality requirements the metrics fall short of (empty when all are met or none is set). */
export function meetsRequirements(
  metrics: QualityMetrics,
  requirements: QualityRequirements,
): UnmetRequirement[] {
  const pairs: [keyof QualityRequirements, keyof QualityMetrics][] = [
    ['minQualityScore', 'overallScore'],
    ['readabilityTarget', 'readability'],
    ['coherenceTarget', 'coherence'],
    ['completenessTarget', 'completeness'],
  ];
  return pairs.flatMap(([requirement, metric]) => {
    const target = requirements[requirement];
    if (typeof target !== 'number' || metrics[metric] >= target) return [];
    return [{ metric, requirement, target, actual: metrics[metric] }];
  });
}

function nonEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length > 0;
}

function singular(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('ies') ? `${n.slice(0, -3)}y` : n.endsWith('s') ? n.slice(0, -1) : n;
}

function clampScore(n: number): number {
  return Math.min(100, Math.max(0, Math.round(n)));
}
