/**
 * The shipped prompt templates. Templates are data (`data/templates.json`, checked in
 * `templates-table.ts`): text with `{variables}`, one per section kind, so a stored or user
 * template can replace one (see `templates.ts`). Whatever the template says, the prompt always
 * carries the word target and the dependency text (`sectionPrompt` appends them when a template
 * leaves them out).
 */
import type { StructureType } from './request.ts';
import { KINDS, SECTION_KINDS, type SectionKind } from './sections.ts';
import { shippedTemplates } from './templates-table.ts';
import { PART_WORDS } from './word-targets.ts';

export const DEFAULT_SYSTEM_PROMPT: string = shippedTemplates.systemPrompt;

/**
 * The temperature a template reports: the model's own default, which sections keep (see
 * `sections.ts`); a client's `config.temperature` is sent only to a model that documents it.
 */
const MODEL_DEFAULT_TEMPERATURE = 1;

/** Words of JSON-free prose per token, as the seed's economy notes put it (750 words per 1000 tokens). */
const WORDS_PER_TOKEN = 0.75;

export interface PromptTemplate {
  name: string;
  /** The seed's `content_type` filter: overview, module, lesson, summary, assessment, … */
  contentType: string;
  structureType: StructureType;
  template: string;
  variables: string[];
  systemPrompt: string;
  recommendedModel?: string;
  temperature: number;
  maxTokens: number;
}

/** What a prompt says of its length when its template leaves out `{wordTarget}`. */
export const LENGTH = 'Length: {wordTarget} words in total across the text fields, about:\n{fieldBudgets}';

/** The template text of each kind, from `data/templates.json` (checked at load: every kind has one). */
export const TEMPLATE_TEXT = Object.fromEntries(
  SECTION_KINDS.map((kind) => [kind, shippedTemplates.templates[kind].template]),
) as Record<SectionKind, string>;

/** `{name}` placeholders of a template, in order of first use. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? ''))];
}

/** Replaces `{name}` by its value; placeholders without a value are left for the reader to see. */
export function renderTemplate(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => values[name] ?? whole);
}

/** Output tokens for a section of `words` words: the upper tolerance, JSON overhead, some slack. */
export function maxTokensFor(words: number): number {
  const needed = Math.ceil(((words * 1.25) / WORDS_PER_TOKEN) * 1.2 + 256);
  return Math.min(65_536, Math.max(1024, Math.ceil(needed / 1024) * 1024));
}

/** Default size of one section of each kind, from the plan's part sizes (5 quiz questions). */
const DEFAULT_WORDS: Record<SectionKind, number> = {
  overview: PART_WORDS.overview.course,
  module_introduction: PART_WORDS.moduleIntroductions,
  lesson: PART_WORDS.lessonContent + PART_WORDS.examples + PART_WORDS.exercises,
  module_summary: PART_WORDS.moduleSummaries,
  module_assessment: PART_WORDS.assessments,
  conclusion: PART_WORDS.conclusion.course,
  quiz_instructions: PART_WORDS.instructions,
  quiz_category: PART_WORDS.categoryDescription + 5 * PART_WORDS.perQuizQuestion,
  workflow_overview: PART_WORDS.overview.workflow,
  workflow_step: PART_WORDS.steps,
  novel_synopsis: PART_WORDS.overview.novel,
  chapter: PART_WORDS.chapters,
  map_overview: PART_WORDS.overview.knowledge_map,
  map_node: PART_WORDS.nodes,
  path_overview: PART_WORDS.overview.learning_path,
  path_stage: PART_WORDS.stages,
  path_conclusion: PART_WORDS.conclusion.learning_path,
};

/** The shipped templates: one per section kind, so at least one per structure and content type. */
export const DEFAULT_TEMPLATES: PromptTemplate[] = (Object.keys(KINDS) as SectionKind[]).map((kind) => {
  const shipped = shippedTemplates.templates[kind];
  const template = TEMPLATE_TEXT[kind];
  return {
    name: shipped.name,
    contentType: shipped.contentType,
    structureType: shipped.structureType,
    template,
    variables: templateVariables(template),
    systemPrompt: DEFAULT_SYSTEM_PROMPT,
    temperature: MODEL_DEFAULT_TEMPERATURE,
    maxTokens: maxTokensFor(DEFAULT_WORDS[kind]),
  };
});

export function defaultTemplateFor(kind: SectionKind): PromptTemplate {
  const name = shippedTemplates.templates[kind].name;
  const found = DEFAULT_TEMPLATES.find((t) => t.name === name);
  if (!found) throw new Error(`No default template for section kind ${kind}`);
  return found;
}
