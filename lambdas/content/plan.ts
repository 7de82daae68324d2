/**
 * The section plan: which sections a request generates, where each goes in the output, how many
 * words each gets (see `word-targets.ts`), and which sections must be written before it.
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
 */
import {
  contentParameters,
  type ExecuteRequest,
  type SectionDependency,
  type StructureType,
} from './request.ts';
import type { QuestionSpec, SectionKind, SectionSpec } from './sections.ts';
import {
  exampleOf,
  ITEM_NOUN,
  invalidStructure,
  MAX_QUIZ_QUESTIONS,
  type Outline,
  type OutlineItem,
  readStructure,
} from './structure.ts';
import { allocateWords, MIN_SECTION_WORDS, PART_WORDS } from './word-targets.ts';

export const MAX_SECTIONS = 200;

const DEFAULT_QUIZ_QUESTIONS = 5;
/** An assessment's instructions take ≈ 150 words, each question ≈ 200 with its explanation. */
const ASSESSMENT_INSTRUCTION_WORDS = 150;
const ASSESSMENT_QUESTION_WORDS = 200;

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
  questions?: QuestionSpec[];
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
    if (d.questions) spec.questions = d.questions;
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
          // The structure's own assessment questions, or their number, when it gives them.
          ...(module.questionCount ? { questionCount: module.questionCount } : {}),
          ...(module.questions ? { questions: module.questions } : {}),
          parts: {
            assessments: module.questionCount
              ? ASSESSMENT_INSTRUCTION_WORDS + module.questionCount * ASSESSMENT_QUESTION_WORDS
              : PART_WORDS.assessments,
          },
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
          ...(category.questions ? { questions: category.questions } : {}),
          parts: { questions: PART_WORDS.categoryDescription + questions * PART_WORDS.perQuizQuestion },
        });
      });
      break;
    }
    default:
      return itemLayoutDrafts(type, outline, title);
  }
  return drafts;
}

type ItemLayoutType = Exclude<StructureType, 'course' | 'quiz'>;

/**
 * An opening section at `<root>.overview` (its part: `overview`); then one section per item at
 * `<root>.<list>[i]`, id `<prefix>_<i + 1>`, that depends on the opening (its part is named like
 * the list, as in `bySection` and `PART_WORDS`); and optionally a closing section at
 * `<root>.conclusion`, written from the opening and every item.
 */
type ItemLayout = readonly [
  root: string,
  openingId: string,
  openingKind: SectionKind,
  list: 'steps' | 'chapters' | 'nodes' | 'stages',
  prefix: string,
  itemKind: SectionKind,
  closing?: readonly [id: string, kind: SectionKind, words: number],
];

/** The structure types laid out as an opening section and one section per item. */
const ITEM_LAYOUTS: Record<ItemLayoutType, ItemLayout> = {
  // root, opening id and kind, list, item id prefix and kind, closing
  workflow: ['workflowContent', 'workflow_overview', 'workflow_overview', 'steps', 'step', 'workflow_step'],
  novel: ['novelContent', 'synopsis', 'novel_synopsis', 'chapters', 'chapter', 'chapter'],
  knowledge_map: ['knowledgeMapContent', 'map_overview', 'map_overview', 'nodes', 'node', 'map_node'],
  learning_path: [
    'learningPathContent',
    'path_overview',
    'path_overview',
    'stages',
    'stage',
    'path_stage',
    ['conclusion', 'path_conclusion', PART_WORDS.conclusion.learning_path],
  ],
};

function itemLayoutDrafts(type: ItemLayoutType, outline: Outline, title: string): Draft[] {
  const [root, openingId, openingKind, list, prefix, itemKind, closing] = ITEM_LAYOUTS[type];
  const drafts: Draft[] = [
    {
      id: openingId,
      kind: openingKind,
      title,
      path: `${root}.overview`,
      deps: [],
      parallelDeps: [],
      contentId: openingId,
      parts: { overview: PART_WORDS.overview[type] },
    },
  ];
  const itemIds = outline.items.map((entry, i) => {
    const id = `${prefix}_${i + 1}`;
    drafts.push({
      id,
      kind: itemKind,
      title: entry.title,
      path: `${root}.${list}[${i}]`,
      deps: [openingId],
      parallelDeps: [],
      item: i,
      contentId: entry.id ?? id,
      ...(entry.brief ? { brief: entry.brief } : {}),
      parts: { [list]: PART_WORDS[list] },
    });
    return id;
  });
  if (closing) {
    const [id, kind, words] = closing;
    drafts.push({
      id,
      kind,
      title,
      path: `${root}.conclusion`,
      deps: [openingId, ...itemIds],
      parallelDeps: [openingId],
      contentId: id,
      parts: { conclusion: words },
    });
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
  if (d.kind === 'module_assessment') {
    return (
      d.questionCount ??
      clamp(Math.round((target - ASSESSMENT_INSTRUCTION_WORDS) / ASSESSMENT_QUESTION_WORDS), 2, 10)
    );
  }
  return undefined;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
