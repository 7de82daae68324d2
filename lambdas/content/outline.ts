/**
 * Outlining an empty structure: when a request sends `{}` (or empty lists), the model writes the
 * outline first, sized to the word total, and the plan is made from that outline.
 */

import type { GenerationSettings } from '#platform/config.ts';
import { outputLimit, type ThinkingLevel } from '#platform/gemini/model-capabilities.ts';
import { Type } from '#platform/gemini/schema-type.ts';
import { isObject } from './output-fields.ts';
import { contentParameters, type ExecuteRequest, type StructureType } from './request.ts';
import { ITEM_NOUN, MAX_QUIZ_QUESTIONS, readStructure, titleOf } from './structure.ts';
import { PART_WORDS } from './word-targets.ts';

/** True when the structure has nothing to generate from, so the model writes the outline first. */
export function needsOutline(request: ExecuteRequest, structure?: unknown): boolean {
  const s = structure ?? request.input.structure;
  if (s === undefined) return false; // a structureReference is loaded first
  return readStructure(request.input.structureType, s).items.length === 0;
}

/**
 * Room for an outline's JSON: titles and briefs of a few dozen items, well under this; thoughts
 * get their own room on top (`outputLimit`).
 */
const OUTLINE_OUTPUT_TOKENS = 8192;

/**
 * The thinking level and output limit of outline call `call`: the outline's level first, the
 * repair level for a call that fixes a rejected outline, the limit raised after MAX_TOKENS stops.
 */
export function outlineCallTuning(
  thinking: Pick<GenerationSettings['thinking'], 'outline' | 'repair'>,
  model: string,
  call: number,
  maxTokensStops: number,
): { thinkingLevel: ThinkingLevel; maxOutputTokens: number } {
  const thinkingLevel = call === 1 ? thinking.outline : thinking.repair;
  return {
    thinkingLevel,
    maxOutputTokens: outputLimit({
      model,
      visibleTokens: OUTLINE_OUTPUT_TOKENS,
      level: thinkingLevel,
      maxTokensStops,
    }),
  };
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

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}
