/**
 * Word targets. Each section kind writes parts named like the seed's `bySection` keys, and each
 * part has a default size from the seed's "Content Structure Types" ranges (their midpoints,
 * with the item counts assumed below, see `PART_WORDS`). The total is split in three steps:
 * 1. Parts named in `bySection` take the amount given. Parts not named take their default size
 *    times the ratio (given amounts / default sizes of the named parts), so they stay in
 *    proportion with what the client asked for. Without `bySection` (or when none of its keys
 *    names a part of this structure; unknown keys are ignored), the same is done with
 *    `byPriority` (high, medium, low; see `PRIORITY`), and without either, with the defaults.
 * 2. Everything is scaled so the amounts sum to `wordCountEstimates.total`; each amount is
 *    shared among the sections that write that part, in proportion to their default size.
 * 3. No section gets less than `MIN_SECTION_WORDS` (the others give up the difference, in
 *    proportion), and targets are rounded by largest remainder: they sum exactly to the total.
 */
import type { ExecuteRequest } from './request.ts';
import type { SectionKind } from './sections.ts';
import { invalidStructure } from './structure.ts';

export const MIN_SECTION_WORDS = 50;

/**
 * Default words per part of one section: midpoints of the seed's ranges. Lesson content is
 * content 800–1500 (1150) plus 3 key points of 100–200 (450); examples 2 × 200–400; exercises
 * 2 × (instructions 150–300 + solution 200–400); overview: description 200–300, introduction
 * 500–800, 2 prerequisites and 3 learning outcomes of 50–100; an assessment: instructions
 * 100–200 and 4 questions with 100–200-word explanations (≈ 200 each with options); a quiz
 * question: question 50–150, 4 options of 20–50, explanation 100–200, 2 hints of 50–100 (≈ 540);
 * workflow overview: description 300–500 and purpose 200–300; a step: description 200–300 and
 * instructions 400–600. The seed gives no ranges for novels, knowledge maps and learning paths;
 * theirs are ours.
 */
export const PART_WORDS = {
  overview: { course: 1275, workflow: 650, novel: 800, knowledge_map: 500, learning_path: 600 },
  moduleIntroductions: 400,
  lessonContent: 1600,
  examples: 600,
  exercises: 1050,
  moduleSummaries: 250,
  assessments: 950,
  conclusion: { course: 650, learning_path: 400 },
  instructions: 250,
  categoryDescription: 150,
  perQuizQuestion: 540,
  steps: 750,
  chapters: 3000,
  nodes: 600,
  stages: 900,
} as const;

/** `bySection` spellings accepted for each part (compared case-insensitively). */
const PART_ALIASES: Record<string, string> = {
  overview: 'overview',
  overviews: 'overview',
  synopsis: 'overview',
  moduleintroductions: 'moduleIntroductions',
  moduleintroduction: 'moduleIntroductions',
  introductions: 'moduleIntroductions',
  lessoncontent: 'lessonContent',
  lessons: 'lessonContent',
  content: 'lessonContent',
  examples: 'examples',
  exercises: 'exercises',
  modulesummaries: 'moduleSummaries',
  summaries: 'moduleSummaries',
  assessments: 'assessments',
  moduleassessments: 'assessments',
  conclusion: 'conclusion',
  conclusions: 'conclusion',
  instructions: 'instructions',
  questions: 'questions',
  categories: 'questions',
  steps: 'steps',
  chapters: 'chapters',
  nodes: 'nodes',
  stages: 'stages',
};

type Priority = 'high' | 'medium' | 'low';

/** Core teaching text is high priority, framing medium, recaps low. */
const PRIORITY: Record<SectionKind, Priority> = {
  overview: 'medium',
  module_introduction: 'medium',
  lesson: 'high',
  module_summary: 'low',
  module_assessment: 'medium',
  conclusion: 'low',
  quiz_instructions: 'medium',
  quiz_category: 'high',
  workflow_overview: 'medium',
  workflow_step: 'high',
  novel_synopsis: 'medium',
  chapter: 'high',
  map_overview: 'medium',
  map_node: 'high',
  path_overview: 'medium',
  path_stage: 'high',
  path_conclusion: 'low',
};

/** What the split needs of a planned section: its kind (for its priority) and its default part sizes. */
export interface PartSizes {
  kind: SectionKind;
  /** Default words per part (keys as in `bySection`). */
  parts: Record<string, number>;
}

/** Split of the total (see the file header): a target and its parts per draft, in order. */
export function allocateWords(
  drafts: readonly PartSizes[],
  request: ExecuteRequest,
): { target: number; parts: Record<string, number> }[] {
  const { total, bySection, byPriority } = request.input.wordCountEstimates;
  const units = drafts.flatMap((d, section) =>
    Object.entries(d.parts).map(([part, words]) => ({ section, part, priority: PRIORITY[d.kind], words })),
  );
  const parts = new Set(units.map((u) => u.part));
  const givenParts: Record<string, number> = {};
  for (const [key, words] of Object.entries(bySection)) {
    const part = PART_ALIASES[key.toLowerCase()];
    if (part && parts.has(part)) givenParts[part] = (givenParts[part] ?? 0) + words;
  }
  const givenPriority: Record<string, number> = {};
  for (const [key, words] of Object.entries(byPriority)) {
    const p = key.toLowerCase();
    if (p === 'high' || p === 'medium' || p === 'low') givenPriority[p] = (givenPriority[p] ?? 0) + words;
  }
  const byPart = Object.keys(givenParts).length > 0;
  const given = byPart ? givenParts : givenPriority;
  const keyOf = (u: (typeof units)[number]) => (byPart ? u.part : u.priority);

  const defaults = new Map<string, number>();
  for (const u of units) defaults.set(keyOf(u), (defaults.get(keyOf(u)) ?? 0) + u.words);
  const named = [...defaults.keys()].filter((k) => given[k] !== undefined);
  const namedGiven = named.reduce((s, k) => s + (given[k] ?? 0), 0);
  const namedDefault = named.reduce((s, k) => s + (defaults.get(k) ?? 0), 0);
  const scale = namedGiven > 0 && namedDefault > 0 ? namedGiven / namedDefault : 1;
  const amount = new Map<string, number>();
  for (const [k, d] of defaults) amount.set(k, given[k] ?? d * scale);
  let sum = [...amount.values()].reduce((s, a) => s + a, 0);
  if (sum <= 0) {
    for (const [k, d] of defaults) amount.set(k, d);
    sum = [...defaults.values()].reduce((s, a) => s + a, 0);
  }
  const factor = total / sum;

  const shares = drafts.map(() => ({ target: 0, parts: {} as Record<string, number> }));
  for (const u of units) {
    const share = ((amount.get(keyOf(u)) ?? 0) * factor * u.words) / (defaults.get(keyOf(u)) ?? 1);
    const s = shares[u.section];
    if (!s) continue;
    s.target += share;
    s.parts[u.part] = (s.parts[u.part] ?? 0) + share;
  }

  if (total < drafts.length * MIN_SECTION_WORDS) {
    throw invalidStructure(
      'wordCountEstimates.total',
      `is ${total}, too small for ${drafts.length} sections of at least ${MIN_SECTION_WORDS} words`,
      `Raise wordCountEstimates.total to at least ${drafts.length * MIN_SECTION_WORDS}, or send a smaller structure`,
    );
  }
  const targets = withFloor(
    shares.map((s) => s.target),
    total,
  );
  const rounded = roundToTotal(targets, total);
  return shares.map((s, i) => {
    const target = rounded[i] ?? MIN_SECTION_WORDS;
    const raw = Object.values(s.parts).reduce((a, b) => a + b, 0);
    const keys = Object.keys(s.parts);
    const partTargets = keys.map((k) =>
      raw > 0 ? ((s.parts[k] ?? 0) * target) / raw : target / keys.length,
    );
    const partRounded = roundToTotal(partTargets, target);
    return { target, parts: Object.fromEntries(keys.map((k, j) => [k, partRounded[j] ?? 0])) };
  });
}

/** Raises targets below the floor to it; the others give up the difference in proportion. */
function withFloor(targets: number[], total: number): number[] {
  const floored = new Set<number>();
  let result = targets;
  for (let round = 0; round < targets.length; round += 1) {
    const free = targets.map((t, i) => (floored.has(i) ? 0 : t)).reduce((a, b) => a + b, 0);
    const room = total - floored.size * MIN_SECTION_WORDS;
    result = targets.map((t, i) => (floored.has(i) ? MIN_SECTION_WORDS : free > 0 ? (t * room) / free : 0));
    const low = result.flatMap((t, i) => (t < MIN_SECTION_WORDS && !floored.has(i) ? [i] : []));
    if (low.length === 0) break;
    for (const i of low) floored.add(i);
  }
  return result;
}

/** Largest-remainder rounding: integers that sum exactly to `total`. */
function roundToTotal(values: number[], total: number): number[] {
  const floors = values.map(Math.floor);
  let rest = total - floors.reduce((a, b) => a + b, 0);
  const order = values.map((v, i) => ({ i, r: v - Math.floor(v) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of order) {
    if (rest <= 0) break;
    floors[i] = (floors[i] ?? 0) + 1;
    rest -= 1;
  }
  return floors;
}
