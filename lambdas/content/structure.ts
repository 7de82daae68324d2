/**
 * The section plan: which sections a request generates, where each goes in the output, how many
 * words each gets, and which sections must be written before it.
 *
 * Input shapes (the granulator's output as the seed implies it; items may also be plain strings):
 * - course: `{ title?, overview?, modules: [{ id?, title, lessons: [{ id?, title, … }] }] }`, or a
 *   flat `{ lessons: [...] }` read as one module;
 * - quiz: `{ categories: [{ name, questionCount?, … }] }`;
 * - workflow: `{ steps: [{ id?, name, … }] }`;
 * - novel, knowledge_map, learning_path: `{ chapters | nodes | stages | sections: [{ title | name }] }`.
 * An item's `description`, `summary`, `objective(s)`, `purpose` or `focus` travels to its prompt.
 *
 * Dependencies (`generationStrategy.approach`):
 * - hierarchical (default): the overview first; module introductions and lessons (and workflow
 *   steps, chapters, nodes, path stages) depend on it; a module's summary and assessment depend
 *   on its lessons; the conclusion depends on the module summaries and the overview (learning
 *   path: on its stages and overview);
 * - parallel: only true dependencies are kept, those on text a section summarises or tests
 *   (summaries and assessments on their lessons, the conclusion on the overview), so everything
 *   runs in stage 0 or 1;
 * - sequential: the hierarchical dependencies plus the previous section in document order, so
 *   each stage holds exactly one section and each prompt sees the text just before it.
 * Edges from `generationStrategy.dependencies` are added in every approach. A section's stage is
 * 1 + the highest stage of its dependencies (0 without any): sections of one stage can run in
 * parallel.
 *
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
import { Type } from '@google/genai';
import {
  ContentRequestError,
  contentParameters,
  type ExecuteRequest,
  type SectionDependency,
  type StructureType,
} from './request.ts';

export const SECTION_KINDS = [
  'overview',
  'module_introduction',
  'lesson',
  'module_summary',
  'module_assessment',
  'conclusion',
  'quiz_instructions',
  'quiz_category',
  'workflow_overview',
  'workflow_step',
  'novel_synopsis',
  'chapter',
  'map_overview',
  'map_node',
  'path_overview',
  'path_stage',
  'path_conclusion',
] as const;
export type SectionKind = (typeof SECTION_KINDS)[number];

export interface SectionSpec {
  /** Readable and stable: `overview`, `module_1_lesson_2`, `category_3`, `step_4`, … */
  id: string;
  kind: SectionKind;
  title: string;
  /** Where the section's output goes in the content, e.g. `courseContent.modules[0].lessons[1]`. */
  path: string;
  targetWords: number;
  /** `targetWords` split over the parts the section writes (keys as in `bySection`). */
  wordsByPart: Record<string, number>;
  dependsOn: string[];
  stage: number;
  /** 0-based module index (course sections inside a module). */
  group?: number;
  /** 0-based index of the lesson, category, step, chapter, node or path stage. */
  item?: number;
  /** The id written into the content: the structure's own id when it has one, else `id`. */
  contentId: string;
  /** What the structure says the section should cover. */
  brief?: string;
  /** Questions to write (quiz categories, module assessments). */
  questionCount?: number;
}

export const MAX_SECTIONS = 200;
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

const DEFAULT_QUIZ_QUESTIONS = 5;
const MAX_QUIZ_QUESTIONS = 30;

// ---------------------------------------------------------------------------------------------
// Reading the structure

export interface OutlineItem {
  id?: string;
  title: string;
  brief?: string;
  questionCount?: number;
  children: OutlineItem[];
}

/** Any structure type reduced to a title and a list of items (modules carry their lessons). */
export interface Outline {
  title?: string;
  items: OutlineItem[];
}

const ITEM_KEYS: Record<StructureType, string[]> = {
  course: ['modules'],
  quiz: ['categories'],
  workflow: ['steps'],
  novel: ['chapters', 'sections', 'nodes', 'stages'],
  knowledge_map: ['nodes', 'sections', 'chapters', 'stages'],
  learning_path: ['stages', 'sections', 'chapters', 'nodes'],
};

/** Reads the structure; an absent or empty item list is an outline still to be written. */
export function readStructure(structureType: StructureType, structure: unknown): Outline {
  if (structure === undefined) return { items: [] };
  if (!isObject(structure))
    throw invalidStructure('structure', 'must be an object', exampleOf(structureType));
  const title = titleOf(structure) ?? titleOf(structure.overview);
  let key = ITEM_KEYS[structureType].find((k) => structure[k] !== undefined);
  let raw = key ? structure[key] : undefined;
  if (structureType === 'course' && key === undefined && structure.lessons !== undefined) {
    // A flat list of lessons is a course of one module.
    key = 'lessons';
    raw = [{ title: title ?? 'Lessons', lessons: structure.lessons }];
  }
  if (raw === undefined) return { ...(title ? { title } : {}), items: [] };
  const where = `structure.${key === 'lessons' ? 'lessons' : key}`;
  if (!Array.isArray(raw)) throw invalidStructure(where, 'must be a list', exampleOf(structureType));
  const items = raw.map((entry, i) => {
    const item = readItem(entry, `${where}[${i}]`, structureType);
    if (structureType === 'course') {
      const lessons = isObject(entry) ? entry.lessons : undefined;
      const at = key === 'lessons' ? 'structure.lessons' : `${where}[${i}].lessons`;
      if (!Array.isArray(lessons) || lessons.length === 0) {
        throw invalidStructure(at, 'must list at least one lesson', exampleOf('course'));
      }
      item.children = lessons.map((l, j) => readItem(l, `${at}[${j}]`, structureType));
    }
    return item;
  });
  return { ...(title ? { title } : {}), items };
}

function readItem(entry: unknown, where: string, structureType: StructureType): OutlineItem {
  if (typeof entry === 'string' && entry.trim()) return { title: clip(entry.trim(), 200), children: [] };
  const title = titleOf(entry);
  if (!isObject(entry) || !title) {
    throw invalidStructure(where, 'needs a "title" or "name"', exampleOf(structureType));
  }
  const brief = briefOf(entry);
  const count = entry.questionCount ?? entry.count ?? entry.questions;
  let questionCount: number | undefined;
  if (count !== undefined && typeof count !== 'object') {
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_QUIZ_QUESTIONS) {
      throw invalidStructure(
        `${where}.questionCount`,
        `must be a whole number from 1 to ${MAX_QUIZ_QUESTIONS}`,
        'Split a larger category into several categories',
      );
    }
    questionCount = count;
  }
  const id = typeof entry.id === 'string' || typeof entry.id === 'number' ? String(entry.id) : undefined;
  return {
    ...(id ? { id } : {}),
    title,
    ...(brief ? { brief } : {}),
    ...(questionCount ? { questionCount } : {}),
    children: [],
  };
}

function titleOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() ? clip(value.trim(), 200) : undefined;
  if (!isObject(value)) return undefined;
  for (const key of ['title', 'name']) {
    const v = value[key];
    if (typeof v === 'string' && v.trim()) return clip(v.trim(), 200);
  }
  return undefined;
}

function briefOf(entry: Record<string, unknown>): string | undefined {
  const parts: string[] = [];
  for (const key of [
    'description',
    'summary',
    'objective',
    'objectives',
    'learningObjectives',
    'purpose',
    'focus',
  ]) {
    const v = entry[key];
    if (typeof v === 'string' && v.trim()) parts.push(v.trim());
    if (Array.isArray(v)) parts.push(v.filter((x) => typeof x === 'string').join('; '));
  }
  const brief = parts.filter(Boolean).join(' ');
  return brief ? clip(brief, 600) : undefined;
}

function exampleOf(structureType: StructureType): string {
  switch (structureType) {
    case 'course':
      return 'Send a course as {"modules": [{"title": "…", "lessons": [{"title": "…"}]}]}, or {} to have it outlined';
    case 'quiz':
      return 'Send a quiz as {"categories": [{"name": "…", "questionCount": 5}]}, or {} to have it outlined';
    case 'workflow':
      return 'Send a workflow as {"steps": [{"name": "…"}]}, or {} to have it outlined';
    default:
      return `Send a ${structureType} as {"${ITEM_KEYS[structureType][0]}": [{"title": "…"}]}, or {} to have it outlined`;
  }
}

// ---------------------------------------------------------------------------------------------
// Outlining an empty structure

/** True when the structure has nothing to generate from, so the model writes the outline first. */
export function needsOutline(request: ExecuteRequest, structure?: unknown): boolean {
  const s = structure ?? request.input.structure;
  if (s === undefined) return false; // a structureReference is loaded first
  return readStructure(request.input.structureType, s).items.length === 0;
}

export interface OutlineSize {
  /** Modules, categories, steps, chapters, nodes or path stages. */
  items: number;
  /** Lessons per module (course). */
  lessonsPerItem?: number;
  /** Questions per category (quiz). */
  questionsPerItem?: number;
}

/**
 * How big an outline the word total supports. Courses follow the seed's own example (15 lessons
 * for 15 000 words, ≈ 1000 words a lesson, 5 lessons a module); the other types divide what is
 * left after their fixed sections by the default size of one item (`PART_WORDS`).
 */
export function outlineSize(structureType: StructureType, total: number): OutlineSize {
  const fit = (fixed: number, perItem: number, min: number, max: number) =>
    clamp(Math.round((total - fixed) / perItem), min, max);
  switch (structureType) {
    case 'course': {
      const lessons = clamp(Math.round(total / 1000), 2, 60);
      const modules = clamp(Math.round(lessons / 5), 1, 12);
      return { items: modules, lessonsPerItem: Math.max(1, Math.round(lessons / modules)) };
    }
    case 'quiz': {
      const categories = fit(0, 2500, 1, 20);
      const perCategory = (total - PART_WORDS.instructions) / categories - PART_WORDS.categoryDescription;
      return {
        items: categories,
        questionsPerItem: clamp(Math.round(perCategory / PART_WORDS.perQuizQuestion), 1, MAX_QUIZ_QUESTIONS),
      };
    }
    case 'workflow':
      return { items: fit(PART_WORDS.overview.workflow, PART_WORDS.steps, 2, 40) };
    case 'novel':
      return { items: fit(PART_WORDS.overview.novel, PART_WORDS.chapters, 1, 60) };
    case 'knowledge_map':
      return { items: fit(PART_WORDS.overview.knowledge_map, PART_WORDS.nodes, 3, 60) };
    case 'learning_path':
      return {
        items: fit(
          PART_WORDS.overview.learning_path + PART_WORDS.conclusion.learning_path,
          PART_WORDS.stages,
          2,
          30,
        ),
      };
  }
}

const ITEM_NOUN: Record<StructureType, string> = {
  course: 'modules',
  quiz: 'question categories',
  workflow: 'steps',
  novel: 'chapters',
  knowledge_map: 'nodes (concepts)',
  learning_path: 'stages',
};

/** The outline's list key in the model's answer, as in the granulator's structure. */
const OUTLINE_KEY: Record<StructureType, string> = {
  course: 'modules',
  quiz: 'categories',
  workflow: 'steps',
  novel: 'chapters',
  knowledge_map: 'nodes',
  learning_path: 'stages',
};

export function outlinePrompt(request: ExecuteRequest): string {
  const p = contentParameters(request);
  const type = request.input.structureType;
  const size = outlineSize(type, request.input.wordCountEstimates.total);
  const name = type.replace('_', ' ');
  const lines = [
    `Outline a ${name} on "${p.topic}" for ${p.audience}, written in ${p.languageName}.`,
    `The finished ${name} will have about ${request.input.wordCountEstimates.total} words; the outline must fit that size.`,
    `Granularity level ${p.granularityLevel} of 5 (1 = broad strokes, 5 = fine-grained detail).`,
    type === 'course'
      ? `Give exactly ${size.items} modules with exactly ${size.lessonsPerItem} lessons each, progressing from foundations to more advanced material.`
      : `Give exactly ${size.items} ${ITEM_NOUN[type]}, in a sensible order.`,
    'Titles are specific and do not overlap; each description is one sentence saying what the item covers.',
  ];
  if (type === 'quiz') lines.push('Categories cover distinct areas of the topic.');
  if (type === 'workflow') lines.push('Each step has one clear goal and follows from the one before.');
  if (type === 'knowledge_map')
    lines.push('Nodes are the key concepts of the topic, related to one another.');
  lines.push('Answer only with JSON that matches the response schema.');
  return lines.join('\n');
}

export function outlineSchema(request: ExecuteRequest): unknown {
  const type = request.input.structureType;
  const size = outlineSize(type, request.input.wordCountEstimates.total);
  const entry = (nameKey: string, extra: Record<string, unknown> = {}) => ({
    type: Type.OBJECT,
    properties: { [nameKey]: { type: Type.STRING }, description: { type: Type.STRING }, ...extra },
    required: [nameKey, 'description', ...Object.keys(extra)],
    propertyOrdering: [nameKey, 'description', ...Object.keys(extra)],
  });
  const list = (items: unknown, n: number) => ({
    type: Type.ARRAY,
    minItems: String(n),
    maxItems: String(n),
    items,
  });
  const key = OUTLINE_KEY[type];
  const nameKey = type === 'quiz' || type === 'workflow' ? 'name' : 'title';
  const item =
    type === 'course'
      ? entry('title', { lessons: list(entry('title'), size.lessonsPerItem ?? 1) })
      : entry(nameKey);
  return {
    type: Type.OBJECT,
    properties: { title: { type: Type.STRING }, [key]: list(item, size.items) },
    required: ['title', key],
    propertyOrdering: ['title', key],
  };
}

export type OutlineResult =
  | { ok: true; structure: Record<string, unknown> }
  | { ok: false; problems: string[] };

/**
 * The model's outline as a granulator structure. Counts may differ from those asked for (the
 * plan sizes words to whatever is there); empty or repeated titles are problems to ask again for.
 */
export function structureFromOutline(request: ExecuteRequest, answer: unknown): OutlineResult {
  const type = request.input.structureType;
  const key = OUTLINE_KEY[type];
  const problems: string[] = [];
  if (!isObject(answer) || !Array.isArray(answer[key]) || answer[key].length === 0) {
    return { ok: false, problems: [`the answer has no "${key}" list`] };
  }
  const size = outlineSize(type, request.input.wordCountEstimates.total);
  const seen = new Set<string>();
  const entryOf = (raw: unknown, where: string) => {
    const title = titleOf(raw);
    if (!title) {
      problems.push(`${where} has no title`);
      return { title: '' };
    }
    if (seen.has(title.toLowerCase())) problems.push(`${where} repeats the title "${title}"`);
    seen.add(title.toLowerCase());
    const description = isObject(raw) && typeof raw.description === 'string' ? raw.description.trim() : '';
    return { title, ...(description ? { description } : {}) };
  };
  const items = (answer[key] as unknown[]).map((raw, i) => {
    const e = entryOf(raw, `${key}[${i}]`);
    if (type === 'course') {
      const lessons = isObject(raw) && Array.isArray(raw.lessons) ? raw.lessons : [];
      if (lessons.length === 0) problems.push(`${key}[${i}] has no lessons`);
      return { ...e, lessons: lessons.map((l, j) => entryOf(l, `${key}[${i}].lessons[${j}]`)) };
    }
    if (type === 'quiz')
      return { name: e.title, description: e.description, questionCount: size.questionsPerItem };
    if (type === 'workflow') return { name: e.title, description: e.description };
    return e;
  });
  if (problems.length > 0) return { ok: false, problems };
  const title = titleOf(answer) ?? request.input.topic;
  return { ok: true, structure: { title, [key]: items } };
}

// ---------------------------------------------------------------------------------------------
// Planning

interface Draft {
  id: string;
  kind: SectionKind;
  title: string;
  path: string;
  /** Dependencies in the hierarchical approach. */
  deps: string[];
  /** True dependencies only: the text the section summarises or tests. */
  parallelDeps: string[];
  group?: number;
  item?: number;
  contentId: string;
  brief?: string;
  questionCount?: number;
  /** Default words per part (keys as in `bySection`). */
  parts: Record<string, number>;
}

/**
 * The sections of a request, in document order. `structure` defaults to the request's own; pass
 * the one loaded from `structureReference` or built by `structureFromOutline`.
 */
export function planSections(request: ExecuteRequest, structure?: unknown): SectionSpec[] {
  const type = request.input.structureType;
  const outline = readStructure(type, structure ?? request.input.structure);
  if (outline.items.length === 0) {
    throw invalidStructure('structure', `has no ${ITEM_NOUN[type]} to generate`, exampleOf(type));
  }
  const count = sectionCount(type, outline);
  if (count > MAX_SECTIONS) {
    throw invalidStructure(
      'structure',
      `has ${count} sections; at most ${MAX_SECTIONS} are generated in one job`,
      'Split the content into several jobs (for example one per module), or merge small items',
    );
  }
  const drafts = draftsOf(type, outline, request.input.topic);
  const approach = contentParameters(request).approach;
  const deps = dependenciesFor(
    drafts,
    approach,
    request.input.contentMetadata.generationStrategy.dependencies,
  );
  const stages = stagesFor(drafts, deps);
  const words = allocateWords(drafts, request);
  return drafts.map((d, i) => {
    const spec: SectionSpec = {
      id: d.id,
      kind: d.kind,
      title: d.title,
      path: d.path,
      targetWords: words[i]?.target ?? MIN_SECTION_WORDS,
      wordsByPart: words[i]?.parts ?? {},
      dependsOn: deps[i] ?? [],
      stage: stages[i] ?? 0,
      contentId: d.contentId,
    };
    if (d.group !== undefined) spec.group = d.group;
    if (d.item !== undefined) spec.item = d.item;
    if (d.brief) spec.brief = d.brief;
    const questions = questionCountFor(d, spec.targetWords);
    if (questions !== undefined) spec.questionCount = questions;
    return spec;
  });
}

/** The plan grouped by stage: each inner list can be generated in parallel. */
export function stagesOf(plan: SectionSpec[]): SectionSpec[][] {
  const stages: SectionSpec[][] = [];
  for (const section of plan) {
    const stage = stages[section.stage] ?? [];
    stage.push(section);
    stages[section.stage] = stage;
  }
  return stages.filter(Boolean);
}

function sectionCount(type: StructureType, outline: Outline): number {
  const n = outline.items.length;
  switch (type) {
    case 'course':
      return 2 + outline.items.reduce((sum, m) => sum + 3 + m.children.length, 0);
    case 'learning_path':
      return n + 2;
    default:
      return n + 1;
  }
}

function draftsOf(type: StructureType, outline: Outline, topic: string): Draft[] {
  const title = outline.title ?? topic;
  const drafts: Draft[] = [];
  const add = (d: Omit<Draft, 'contentId'> & { contentId?: string }) =>
    drafts.push({ ...d, contentId: d.contentId ?? d.id });
  const brief = (item: OutlineItem) => (item.brief ? { brief: item.brief } : {});
  const ownId = (item: OutlineItem, fallback: string) => item.id ?? fallback;

  switch (type) {
    case 'course': {
      add({
        id: 'overview',
        kind: 'overview',
        title,
        path: 'courseContent.overview',
        deps: [],
        parallelDeps: [],
        parts: { overview: PART_WORDS.overview.course },
      });
      const summaries: string[] = [];
      outline.items.forEach((module, m) => {
        const moduleId = `module_${m + 1}`;
        const at = `courseContent.modules[${m}]`;
        add({
          id: moduleId,
          kind: 'module_introduction',
          title: module.title,
          path: `${at}.introduction`,
          deps: ['overview'],
          parallelDeps: [],
          group: m,
          contentId: ownId(module, moduleId),
          ...brief(module),
          parts: { moduleIntroductions: PART_WORDS.moduleIntroductions },
        });
        const lessons = module.children.map((lesson, l) => {
          const id = `${moduleId}_lesson_${l + 1}`;
          add({
            id,
            kind: 'lesson',
            title: lesson.title,
            path: `${at}.lessons[${l}]`,
            deps: ['overview'],
            parallelDeps: [],
            group: m,
            item: l,
            contentId: ownId(lesson, id),
            ...brief(lesson),
            parts: {
              lessonContent: PART_WORDS.lessonContent,
              examples: PART_WORDS.examples,
              exercises: PART_WORDS.exercises,
            },
          });
          return id;
        });
        add({
          id: `${moduleId}_summary`,
          kind: 'module_summary',
          title: module.title,
          path: `${at}.summary`,
          deps: lessons,
          parallelDeps: lessons,
          group: m,
          parts: { moduleSummaries: PART_WORDS.moduleSummaries },
        });
        add({
          id: `${moduleId}_assessment`,
          kind: 'module_assessment',
          title: module.title,
          path: `${at}.assessment`,
          deps: lessons,
          parallelDeps: lessons,
          group: m,
          parts: { assessments: PART_WORDS.assessments },
        });
        summaries.push(`${moduleId}_summary`);
      });
      add({
        id: 'conclusion',
        kind: 'conclusion',
        title,
        path: 'courseContent.conclusion',
        // The overview too: the conclusion answers the learning outcomes it promised.
        deps: ['overview', ...summaries],
        parallelDeps: ['overview'],
        parts: { conclusion: PART_WORDS.conclusion.course },
      });
      break;
    }
    case 'quiz': {
      // Instructions need only the category names, which the plan already has: no dependency.
      add({
        id: 'quiz_instructions',
        kind: 'quiz_instructions',
        title,
        path: 'quizContent.instructions',
        deps: [],
        parallelDeps: [],
        parts: { instructions: PART_WORDS.instructions },
      });
      outline.items.forEach((category, i) => {
        const id = `category_${i + 1}`;
        const questions = category.questionCount ?? DEFAULT_QUIZ_QUESTIONS;
        add({
          id,
          kind: 'quiz_category',
          title: category.title,
          path: `quizContent.categories[${i}]`,
          deps: [],
          parallelDeps: [],
          item: i,
          contentId: ownId(category, id),
          ...brief(category),
          ...(category.questionCount ? { questionCount: category.questionCount } : {}),
          parts: { questions: PART_WORDS.categoryDescription + questions * PART_WORDS.perQuizQuestion },
        });
      });
      break;
    }
    case 'workflow':
      add({
        id: 'workflow_overview',
        kind: 'workflow_overview',
        title,
        path: 'workflowContent.overview',
        deps: [],
        parallelDeps: [],
        parts: { overview: PART_WORDS.overview.workflow },
      });
      outline.items.forEach((step, i) => {
        const id = `step_${i + 1}`;
        add({
          id,
          kind: 'workflow_step',
          title: step.title,
          path: `workflowContent.steps[${i}]`,
          deps: ['workflow_overview'],
          parallelDeps: [],
          item: i,
          contentId: ownId(step, id),
          ...brief(step),
          parts: { steps: PART_WORDS.steps },
        });
      });
      break;
    case 'novel':
      add({
        id: 'synopsis',
        kind: 'novel_synopsis',
        title,
        path: 'novelContent.overview',
        deps: [],
        parallelDeps: [],
        parts: { overview: PART_WORDS.overview.novel },
      });
      outline.items.forEach((chapter, i) => {
        const id = `chapter_${i + 1}`;
        add({
          id,
          kind: 'chapter',
          title: chapter.title,
          path: `novelContent.chapters[${i}]`,
          deps: ['synopsis'],
          parallelDeps: [],
          item: i,
          contentId: ownId(chapter, id),
          ...brief(chapter),
          parts: { chapters: PART_WORDS.chapters },
        });
      });
      break;
    case 'knowledge_map':
      add({
        id: 'map_overview',
        kind: 'map_overview',
        title,
        path: 'knowledgeMapContent.overview',
        deps: [],
        parallelDeps: [],
        parts: { overview: PART_WORDS.overview.knowledge_map },
      });
      outline.items.forEach((node, i) => {
        const id = `node_${i + 1}`;
        add({
          id,
          kind: 'map_node',
          title: node.title,
          path: `knowledgeMapContent.nodes[${i}]`,
          deps: ['map_overview'],
          parallelDeps: [],
          item: i,
          contentId: ownId(node, id),
          ...brief(node),
          parts: { nodes: PART_WORDS.nodes },
        });
      });
      break;
    case 'learning_path': {
      add({
        id: 'path_overview',
        kind: 'path_overview',
        title,
        path: 'learningPathContent.overview',
        deps: [],
        parallelDeps: [],
        parts: { overview: PART_WORDS.overview.learning_path },
      });
      const stageIds = outline.items.map((stage, i) => {
        const id = `stage_${i + 1}`;
        add({
          id,
          kind: 'path_stage',
          title: stage.title,
          path: `learningPathContent.stages[${i}]`,
          deps: ['path_overview'],
          parallelDeps: [],
          item: i,
          contentId: ownId(stage, id),
          ...brief(stage),
          parts: { stages: PART_WORDS.stages },
        });
        return id;
      });
      add({
        id: 'conclusion',
        kind: 'path_conclusion',
        title,
        path: 'learningPathContent.conclusion',
        deps: ['path_overview', ...stageIds],
        parallelDeps: ['path_overview'],
        parts: { conclusion: PART_WORDS.conclusion.learning_path },
      });
      break;
    }
  }
  return drafts;
}

function dependenciesFor(drafts: Draft[], approach: string, extra: SectionDependency[]): string[][] {
  const ids = new Set(drafts.map((d) => d.id));
  const deps = drafts.map((d, i) => {
    if (approach === 'parallel') return [...d.parallelDeps];
    const previous = drafts[i - 1]?.id;
    if (approach === 'sequential' && previous && !d.deps.includes(previous)) return [...d.deps, previous];
    return [...d.deps];
  });
  for (const edge of extra) {
    const index = drafts.findIndex((d) => d.id === edge.section);
    const unknown = [edge.section, ...edge.dependsOn].find((id) => !ids.has(id));
    if (index < 0 || unknown) {
      throw invalidStructure(
        'contentMetadata.generationStrategy.dependencies',
        `names the section "${unknown ?? edge.section}", which this structure does not have`,
        `Use section ids of the plan, such as ${drafts
          .slice(0, 4)
          .map((d) => d.id)
          .join(', ')}`,
      );
    }
    const list = deps[index] ?? [];
    for (const on of edge.dependsOn) if (on !== edge.section && !list.includes(on)) list.push(on);
  }
  return deps;
}

function stagesFor(drafts: Draft[], deps: string[][]): number[] {
  const index = new Map(drafts.map((d, i) => [d.id, i]));
  const stage: (number | undefined)[] = drafts.map(() => undefined);
  const visiting = new Set<number>();
  const visit = (i: number): number => {
    const known = stage[i];
    if (known !== undefined) return known;
    if (visiting.has(i)) {
      throw invalidStructure(
        'contentMetadata.generationStrategy.dependencies',
        `makes a cycle through the section "${drafts[i]?.id}"`,
        'Remove the dependency that makes a section wait for itself',
      );
    }
    visiting.add(i);
    const s = Math.max(-1, ...(deps[i] ?? []).map((id) => visit(index.get(id) ?? i))) + 1;
    visiting.delete(i);
    stage[i] = s;
    return s;
  };
  return drafts.map((_, i) => visit(i));
}

function questionCountFor(d: Draft, target: number): number | undefined {
  if (d.kind === 'quiz_category') {
    return (
      d.questionCount ??
      clamp(
        Math.round((target - PART_WORDS.categoryDescription) / PART_WORDS.perQuizQuestion),
        1,
        MAX_QUIZ_QUESTIONS,
      )
    );
  }
  // An assessment's instructions take ≈ 150 words, each question ≈ 200 with its explanation.
  if (d.kind === 'module_assessment') return clamp(Math.round((target - 150) / 200), 2, 10);
  return undefined;
}

/** Split of the total (see the file header): a target and its parts per draft, in order. */
function allocateWords(
  drafts: Draft[],
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

function invalidStructure(field: string, problem: string, suggestion: string): ContentRequestError {
  return new ContentRequestError('INVALID_STRUCTURE', `${field} ${problem}`, suggestion, field);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
