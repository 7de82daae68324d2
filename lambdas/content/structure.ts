/**
 * Reading a structure: the Content Granulator's output as the seed implies it, for any structure
 * type reduced to a title and a list of items (items may also be plain strings):
 * - course: `{ title?, overview?, modules: [{ id?, title, lessons: [{ id?, title, … }] }] }`, or a
 *   flat `{ lessons: [...] }` read as one module;
 *   A module's `assessment: { questions: [{ id?, type?, topic? }] }` (or `{ questionCount }`) sets
 *   its assessment's questions;
 * - quiz: `{ categories: [{ name, questionCount?, … }] }`, or categories whose `questions` list
 *   the questions as the Content Granulator writes them, `[{ id, type, topic }]` (types
 *   `multiple_choice`, `true_false`, `short_answer`; see jhaladik/ai-cto-modular-app,
 *   workers/bitware_content_generator/test-working.sh): each is written as listed;
 * - workflow: `{ steps: [{ id?, name, … }] }`;
 * - novel, knowledge_map, learning_path: `{ chapters | nodes | stages | sections: [{ title | name }] }`.
 * An item's `description`, `summary`, `objective(s)`, `purpose` or `focus` travels to its prompt.
 */

import { isObject } from './output-fields.ts';
import { ContentRequestError, type StructureType } from './request.ts';
import { QUESTION_TYPES, type QuestionSpec, type QuestionType } from './sections.ts';

export const MAX_QUIZ_QUESTIONS = 30;
/**
 * Listed questions per category or assessment. Each is asked under its own key in a schema of
 * its type (response-schemas.ts), so the schema grows with every one: 20 multiple-choice
 * questions stay within the bound on schema complexity the simulator enforces for Gemini's
 * "too many states for serving" (local/gemini-simulator/schema-complexity.ts), 30 do not.
 */
export const MAX_LISTED_QUESTIONS = 20;

export interface OutlineItem {
  id?: string;
  title: string;
  brief?: string;
  questionCount?: number;
  /** Questions the structure lists (quiz category; a course module's assessment). */
  questions?: QuestionSpec[];
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
      // The module's own assessment, when the structure describes one: its questions or count.
      const assessment = isObject(entry) ? entry.assessment : undefined;
      if (isObject(assessment)) Object.assign(item, questionsOf(assessment, `${where}[${i}].assessment`));
    }
    return item;
  });
  checkUniqueQuestionIds(items, structureType);
  return { ...(title ? { title } : {}), items };
}

/** The questions or the question count an item (a category, an assessment) gives. */
function questionsOf(
  entry: Record<string, unknown>,
  where: string,
): Pick<OutlineItem, 'questions' | 'questionCount'> {
  if (Array.isArray(entry.questions)) {
    const listed = entry.questions;
    if (listed.length < 1 || listed.length > MAX_LISTED_QUESTIONS) {
      throw invalidStructure(
        `${where}.questions`,
        `must list from 1 to ${MAX_LISTED_QUESTIONS} questions`,
        'Split a larger category (or assessment) into several, or give only questionCount (up to 30)',
      );
    }
    const questions = listed.map((q, k) => readQuestion(q, `${where}.questions[${k}]`));
    return { questions, questionCount: questions.length };
  }
  const count = entry.questionCount ?? entry.count ?? entry.questions;
  // As before lists were read: a value that is no count (an object, null) is not one.
  if (count === undefined || count === null || typeof count === 'object') return {};
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_QUIZ_QUESTIONS) {
    throw invalidStructure(
      `${where}.questionCount`,
      `must be a whole number from 1 to ${MAX_QUIZ_QUESTIONS}`,
      'Split a larger category into several categories',
    );
  }
  return { questionCount: count };
}

const QUESTION_EXAMPLE =
  'List questions as [{"id": "q1", "type": "multiple_choice", "topic": "…"}] (type multiple_choice, true_false or short_answer)';

/** One listed question: `{ id?, type?, topic? }` (type defaults to multiple_choice), or its topic. */
function readQuestion(entry: unknown, where: string): QuestionSpec {
  if (typeof entry === 'string' && entry.trim()) return readQuestion({ topic: entry }, where);
  if (!isObject(entry)) throw invalidStructure(where, 'must be an object', QUESTION_EXAMPLE);
  const type = entry.type ?? 'multiple_choice';
  if (typeof type !== 'string' || !(QUESTION_TYPES as readonly string[]).includes(type)) {
    throw invalidStructure(`${where}.type`, `must be one of ${QUESTION_TYPES.join(', ')}`, QUESTION_EXAMPLE);
  }
  const question: QuestionSpec = { type: type as QuestionType };
  if (entry.id !== undefined) {
    const id = typeof entry.id === 'number' && Number.isFinite(entry.id) ? String(entry.id) : entry.id;
    if (typeof id !== 'string' || !id.trim() || id.length > 100) {
      throw invalidStructure(`${where}.id`, 'must be a string of 1 to 100 characters', QUESTION_EXAMPLE);
    }
    question.id = id;
  }
  const topic = entry.topic ?? entry.title;
  if (topic !== undefined) {
    if (typeof topic !== 'string')
      throw invalidStructure(`${where}.topic`, 'must be a string', QUESTION_EXAMPLE);
    // Kept exactly as given (it is written back into the content); only a very long one is refused.
    if (topic.length > 500)
      throw invalidStructure(`${where}.topic`, 'must be at most 500 characters', QUESTION_EXAMPLE);
    if (topic.trim()) question.topic = topic;
  }
  return question;
}

/** Question ids name questions in the content: one id, one question, across the structure. */
function checkUniqueQuestionIds(items: OutlineItem[], structureType: StructureType): void {
  const seen = new Set<string>();
  const key = structureType === 'quiz' ? 'categories' : 'modules';
  items.forEach((item, i) => {
    item.questions?.forEach((q, k) => {
      if (q.id === undefined) return;
      if (seen.has(q.id)) {
        const at = structureType === 'quiz' ? `questions[${k}]` : `assessment.questions[${k}]`;
        throw invalidStructure(
          `structure.${key}[${i}].${at}.id`,
          `repeats the question id "${q.id}"`,
          'Give every question of the structure its own id',
        );
      }
      seen.add(q.id);
    });
  });
}

function readItem(entry: unknown, where: string, structureType: StructureType): OutlineItem {
  if (typeof entry === 'string' && entry.trim()) return { title: clip(entry.trim(), 200), children: [] };
  const title = titleOf(entry);
  if (!isObject(entry) || !title) {
    throw invalidStructure(where, 'needs a "title" or "name"', exampleOf(structureType));
  }
  const brief = briefOf(entry);
  // Only a quiz category's questions are its own; a module's are its assessment's (above).
  const questions = structureType === 'quiz' ? questionsOf(entry, where) : {};
  const id = typeof entry.id === 'string' || typeof entry.id === 'number' ? String(entry.id) : undefined;
  return {
    ...(id ? { id } : {}),
    title,
    ...(brief ? { brief } : {}),
    ...questions,
    children: [],
  };
}

export function titleOf(value: unknown): string | undefined {
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

export function exampleOf(structureType: StructureType): string {
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

/** What a structure type calls its items, in messages and prompts. */
export const ITEM_NOUN: Record<StructureType, string> = {
  course: 'modules',
  quiz: 'question categories',
  workflow: 'steps',
  novel: 'chapters',
  knowledge_map: 'nodes (concepts)',
  learning_path: 'stages',
};

export function invalidStructure(field: string, problem: string, suggestion: string): ContentRequestError {
  return new ContentRequestError('INVALID_STRUCTURE', `${field} ${problem}`, suggestion, field);
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
