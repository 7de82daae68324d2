/** What a section is: the kinds a plan is made of and the plan's record of one section. */

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
