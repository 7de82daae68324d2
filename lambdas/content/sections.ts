/**
 * What a section is: the kinds a plan is made of, the plan's record of one section, and what the
 * model writes for each kind (its prose fields and their shares of the words, the fields that
 * digest an answer for the sections after it). Kinds set no temperature of their own: the Gemini 3
 * developer guide asks to keep the default 1.0 (lower values can make the model loop or reason
 * worse, https://ai.google.dev/gemini-api/docs/gemini-3), and from Gemini 3.6 on sampling
 * parameters are deprecated and ignored
 * (https://ai.google.dev/gemini-api/docs/generate-content/whats-new-gemini-3.6).
 */

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

/** Question types a structure may ask for (the seed's assessment `type` field). */
export const QUESTION_TYPES = ['multiple_choice', 'true_false', 'short_answer'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

/**
 * One question a structure lists, as the Content Granulator writes them
 * (`categories[].questions[]: { id, type, topic }`): kept as given, in order.
 */
export interface QuestionSpec {
  id?: string;
  type: QuestionType;
  topic?: string;
}

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
  /** The questions the structure lists, one each, in order (`questionCount` is their number). */
  questions?: QuestionSpec[];
}

export interface KindInfo {
  label: string;
  /** Share of the section's words for each prose field (sums to 1). */
  fields: Record<string, number>;
  /** Fields that best summarise an answer for the sections depending on it, most useful first. */
  digest: string[];
}

export const KINDS: Record<SectionKind, KindInfo> = {
  overview: {
    label: 'course overview',
    fields: {
      description: 250 / 1275,
      introduction: 650 / 1275,
      prerequisites: 150 / 1275,
      learningOutcomes: 225 / 1275,
    },
    digest: ['title', 'description', 'learningOutcomes', 'prerequisites', 'introduction'],
  },
  module_introduction: {
    label: 'module introduction',
    fields: { introduction: 1 },
    digest: ['introduction'],
  },
  lesson: {
    label: 'lesson',
    // Replaced per section by its `wordsByPart` (lessonContent / examples / exercises).
    fields: { content: 1150 / 3250, keyPoints: 450 / 3250, examples: 600 / 3250, exercises: 1050 / 3250 },
    digest: ['keyPoints', 'content', 'examples'],
  },
  module_summary: {
    label: 'module summary',
    fields: { summary: 1 },
    digest: ['summary'],
  },
  module_assessment: {
    label: 'module assessment',
    fields: { instructions: 150 / 950, questions: 800 / 950 },
    digest: ['questions'],
  },
  conclusion: {
    label: 'course conclusion',
    fields: { conclusion: 1 },
    digest: ['conclusion'],
  },
  quiz_instructions: {
    label: 'quiz instructions',
    fields: { instructions: 1 },
    digest: ['instructions'],
  },
  quiz_category: {
    label: 'quiz category',
    fields: { description: 150 / 2850, questions: 2700 / 2850 },
    digest: ['description'],
  },
  workflow_overview: {
    label: 'workflow overview',
    fields: { description: 400 / 650, purpose: 250 / 650 },
    digest: ['name', 'description', 'purpose'],
  },
  workflow_step: {
    label: 'workflow step',
    fields: { description: 250 / 750, instructions: 500 / 750 },
    digest: ['description', 'outputs', 'instructions'],
  },
  novel_synopsis: {
    label: 'novel synopsis',
    fields: { synopsis: 0.6, setting: 0.15, characters: 0.25 },
    digest: ['title', 'synopsis', 'setting', 'characters'],
  },
  chapter: {
    label: 'chapter',
    fields: { summary: 0.1, content: 0.9 },
    digest: ['summary', 'content'],
  },
  map_overview: {
    label: 'knowledge map overview',
    fields: { description: 1 },
    digest: ['title', 'description'],
  },
  map_node: {
    label: 'knowledge map node',
    fields: { description: 0.6, keyConcepts: 0.15, examples: 0.15, relationships: 0.1 },
    digest: ['description', 'keyConcepts'],
  },
  path_overview: {
    label: 'learning path overview',
    fields: { description: 0.75, outcomes: 0.25 },
    digest: ['title', 'description', 'outcomes'],
  },
  path_stage: {
    label: 'learning path stage',
    fields: { description: 0.4, objectives: 0.15, activities: 0.3, resources: 0.05, milestone: 0.1 },
    digest: ['description', 'objectives', 'milestone'],
  },
  path_conclusion: {
    label: 'learning path conclusion',
    fields: { conclusion: 1 },
    digest: ['conclusion'],
  },
};

export function kindLabel(kind: SectionKind): string {
  return KINDS[kind].label;
}
