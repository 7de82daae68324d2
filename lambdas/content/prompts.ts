/**
 * Prompts and response schemas for each section kind, and the checks a section's answer passes
 * before it is kept.
 *
 * Every prompt names the topic, audience, tone, style and language, the section's title and
 * place in the whole, its exact word target split over its fields, and the text of the sections
 * it depends on (digested and truncated, see `dependencyContext`). The response schema's fields
 * are the seed's fields for that part of the content ("Content Structure Types"), with two
 * deliberate differences: a section whose part is a plain string (`introduction`, `summary`,
 * `conclusion`, quiz `instructions`) is wrapped as `{ <field>: string }`, and quiz question ids
 * are not asked for: `assembleContent` numbers them, so they are unique across categories and
 * stable across regenerations, which the model cannot promise.
 *
 * Templates are data (`DEFAULT_TEMPLATES`): text with `{variables}`, one per section kind, so a
 * stored or user template can replace one. Whatever the template says, the prompt always carries
 * the word target and the dependency text (they are appended when a template leaves them out).
 */
import { Type } from '@google/genai';
import { z } from 'zod';
import shippedJson from '#data/templates.json' with { type: 'json' };
import { optionProblems } from '#jobs/questions.ts';
import { NearDuplicateIndex } from '#jobs/similarity.ts';
import { generationSettings as runtimeSettings } from '#platform/config.ts';
import { contentParameters, type ExecuteRequest, STRUCTURE_TYPES, type StructureType } from './request.ts';
import { SECTION_KINDS, type SectionKind, type SectionSpec } from './sections.ts';
import { PART_WORDS } from './word-targets.ts';

/** `data/templates.json`: the shipped templates, one per section kind (zod checks every kind has one). */
const shippedTemplates = z
  .object({
    systemPrompt: z.string().min(1),
    templates: z.record(
      z.enum(SECTION_KINDS),
      z.object({
        name: z.string().regex(/^[a-z][a-z0-9_]+$/),
        contentType: z.string().min(1),
        structureType: z.enum(STRUCTURE_TYPES),
        template: z.string().min(1),
      }),
    ),
  })
  .parse(shippedJson);

export const PROMPT_VERSION = 'content-section/1';

export const DEFAULT_SYSTEM_PROMPT: string = shippedTemplates.systemPrompt;

const JSON_RULE = 'Answer only with JSON that matches the response schema.';

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

interface KindInfo {
  label: string;
  temperature: number;
  /** Share of the section's words for each prose field (sums to 1). */
  fields: Record<string, number>;
  /** Fields that best summarise an answer for the sections depending on it, most useful first. */
  digest: string[];
}

const KINDS: Record<SectionKind, KindInfo> = {
  overview: {
    label: 'course overview',
    temperature: 0.7,
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
    temperature: 0.7,
    fields: { introduction: 1 },
    digest: ['introduction'],
  },
  lesson: {
    label: 'lesson',
    temperature: 0.7,
    // Replaced per section by its `wordsByPart` (lessonContent / examples / exercises).
    fields: { content: 1150 / 3250, keyPoints: 450 / 3250, examples: 600 / 3250, exercises: 1050 / 3250 },
    digest: ['keyPoints', 'content', 'examples'],
  },
  module_summary: {
    label: 'module summary',
    temperature: 0.6,
    fields: { summary: 1 },
    digest: ['summary'],
  },
  module_assessment: {
    label: 'module assessment',
    temperature: 0.4,
    fields: { instructions: 150 / 950, questions: 800 / 950 },
    digest: ['questions'],
  },
  conclusion: {
    label: 'course conclusion',
    temperature: 0.7,
    fields: { conclusion: 1 },
    digest: ['conclusion'],
  },
  quiz_instructions: {
    label: 'quiz instructions',
    temperature: 0.5,
    fields: { instructions: 1 },
    digest: ['instructions'],
  },
  quiz_category: {
    label: 'quiz category',
    temperature: 0.4,
    fields: { description: 150 / 2850, questions: 2700 / 2850 },
    digest: ['description'],
  },
  workflow_overview: {
    label: 'workflow overview',
    temperature: 0.6,
    fields: { description: 400 / 650, purpose: 250 / 650 },
    digest: ['name', 'description', 'purpose'],
  },
  workflow_step: {
    label: 'workflow step',
    temperature: 0.5,
    fields: { description: 250 / 750, instructions: 500 / 750 },
    digest: ['description', 'outputs', 'instructions'],
  },
  novel_synopsis: {
    label: 'novel synopsis',
    temperature: 0.9,
    fields: { synopsis: 0.6, setting: 0.15, characters: 0.25 },
    digest: ['title', 'synopsis', 'setting', 'characters'],
  },
  chapter: {
    label: 'chapter',
    temperature: 0.9,
    fields: { summary: 0.1, content: 0.9 },
    digest: ['summary', 'content'],
  },
  map_overview: {
    label: 'knowledge map overview',
    temperature: 0.6,
    fields: { description: 1 },
    digest: ['title', 'description'],
  },
  map_node: {
    label: 'knowledge map node',
    temperature: 0.6,
    fields: { description: 0.6, keyConcepts: 0.15, examples: 0.15, relationships: 0.1 },
    digest: ['description', 'keyConcepts'],
  },
  path_overview: {
    label: 'learning path overview',
    temperature: 0.7,
    fields: { description: 0.75, outcomes: 0.25 },
    digest: ['title', 'description', 'outcomes'],
  },
  path_stage: {
    label: 'learning path stage',
    temperature: 0.7,
    fields: { description: 0.4, objectives: 0.15, activities: 0.3, resources: 0.05, milestone: 0.1 },
    digest: ['description', 'objectives', 'milestone'],
  },
  path_conclusion: {
    label: 'learning path conclusion',
    temperature: 0.7,
    fields: { conclusion: 1 },
    digest: ['conclusion'],
  },
};

export function kindLabel(kind: SectionKind): string {
  return KINDS[kind].label;
}

// ---------------------------------------------------------------------------------------------
// Templates

const LENGTH = 'Length: {wordTarget} words in total across the text fields, about:\n{fieldBudgets}';

/** The template text of each kind, from `data/templates.json` (checked at load: every kind has one). */
const TEMPLATE_TEXT = Object.fromEntries(
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
  const info = KINDS[kind];
  const shipped = shippedTemplates.templates[kind];
  const template = TEMPLATE_TEXT[kind];
  return {
    name: shipped.name,
    contentType: shipped.contentType,
    structureType: shipped.structureType,
    template,
    variables: templateVariables(template),
    systemPrompt: DEFAULT_SYSTEM_PROMPT,
    temperature: info.temperature,
    maxTokens: maxTokensFor(DEFAULT_WORDS[kind]),
  };
});

export function defaultTemplateFor(kind: SectionKind): PromptTemplate {
  const name = shippedTemplates.templates[kind].name;
  const found = DEFAULT_TEMPLATES.find((t) => t.name === name);
  if (!found) throw new Error(`No default template for section kind ${kind}`);
  return found;
}

// ---------------------------------------------------------------------------------------------
// Prompts

/** Characters of dependency text a prompt carries, shared among the dependencies. */
export const DEPENDENCY_CHARS = 8000;
/** No dependency is cut below this, however many there are. */
const MIN_DEPENDENCY_CHARS = 600;

/** Words per prose field of a section, summing to its target. */
export function fieldBudgets(section: SectionSpec): Record<string, number> {
  let shares: Record<string, number> = KINDS[section.kind].fields;
  if (section.kind === 'lesson') {
    // The lesson's parts come from the plan (bySection may have moved words between them).
    const p = section.wordsByPart;
    const content = p.lessonContent ?? 0;
    shares = {
      content: (content * 1150) / 1600,
      keyPoints: (content * 450) / 1600,
      examples: p.examples ?? 0,
      exercises: p.exercises ?? 0,
    };
  }
  if (section.kind === 'quiz_category') {
    const questions = section.questionCount ?? 5;
    shares = {
      description: PART_WORDS.categoryDescription,
      questions: questions * PART_WORDS.perQuizQuestion,
    };
  }
  const sum = Object.values(shares).reduce((a, b) => a + b, 0) || 1;
  const entries = Object.entries(shares).map(([k, v]) => [k, (v / sum) * section.targetWords] as const);
  let assigned = 0;
  const result: Record<string, number> = {};
  entries.forEach(([k, v], i) => {
    const words = i === entries.length - 1 ? section.targetWords - assigned : Math.round(v);
    result[k] = words;
    assigned += words;
  });
  return result;
}

/** How many items of each list the section asks for, from its field budgets. */
export function itemCounts(section: SectionSpec): Record<string, number> {
  const b = fieldBudgets(section);
  switch (section.kind) {
    case 'lesson':
      return {
        keyPoints: clamp(Math.round((b.keyPoints ?? 0) / 150), 3, 5),
        examples: (b.examples ?? 0) <= 0 ? 0 : clamp(Math.round((b.examples ?? 0) / 300), 1, 3),
        exercises: (b.exercises ?? 0) <= 0 ? 0 : clamp(Math.round((b.exercises ?? 0) / 525), 1, 3),
      };
    case 'module_assessment':
    case 'quiz_category':
      return { questions: section.questionCount ?? 4 };
    default:
      return {};
  }
}

/** The values a template's `{variables}` are filled with. */
export function promptVariables(
  request: ExecuteRequest,
  plan: SectionSpec[],
  section: SectionSpec,
  outputs: ReadonlyMap<string, unknown>,
): Record<string, string> {
  const p = contentParameters(request);
  const counts = itemCounts(section);
  const budgets = fieldBudgets(section);
  return {
    topic: p.topic,
    audience: p.audience,
    tone: p.tone,
    style: p.style,
    language: p.language === p.languageName ? p.language : `${p.languageName} (${p.language})`,
    granularity: `level ${p.granularityLevel} of 5 (1 = broad strokes, 5 = fine-grained detail)`,
    title: section.title,
    courseTitle: plan[0]?.title ?? p.topic,
    place: placeOf(plan, section),
    outline: outlineText(plan),
    brief: section.brief ?? 'not specified; follow the title and its place in the outline',
    wordTarget: String(section.targetWords),
    fieldBudgets: Object.entries(budgets)
      .map(([field, words]) => `- ${field}: ${words} words`)
      .join('\n'),
    questionCount: String(counts.questions ?? section.questionCount ?? ''),
    keyPoints: counted(counts.keyPoints ?? 0, 'key point'),
    examples: counted(counts.examples ?? 0, 'worked example'),
    exercises: counted(counts.exercises ?? 0, 'exercise'),
    dependencies: dependencyContext(plan, section, outputs),
  };
}

/**
 * The prompt for one section. `template` replaces the default template text (a stored or user
 * template); the word target and the dependency text are appended when it leaves them out.
 */
export function sectionPrompt(
  request: ExecuteRequest,
  plan: SectionSpec[],
  section: SectionSpec,
  outputs: ReadonlyMap<string, unknown>,
  template: string = TEMPLATE_TEXT[section.kind],
): string {
  const values = promptVariables(request, plan, section, outputs);
  const parts = [renderTemplate(template, values)];
  if (!template.includes('{wordTarget}')) parts.push(renderTemplate(LENGTH, values));
  if (!template.includes('{dependencies}') && values.dependencies) parts.push(values.dependencies);
  return parts
    .join('\n\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** The system instruction: the client's `systemPrompt` when given, and always the JSON rule. */
export function systemInstructionFor(request: ExecuteRequest, template?: PromptTemplate): string {
  const base = request.config.systemPrompt ?? template?.systemPrompt ?? DEFAULT_SYSTEM_PROMPT;
  return `${base} ${JSON_RULE}`;
}

/**
 * Model settings for one section. `config.maxTokens` can raise the output limit but not lower it
 * below what the section's word target needs: a cut-off answer is unusable JSON, which would
 * only fail the section after paying for it.
 */
export function generationSettings(
  request: ExecuteRequest,
  section: SectionSpec,
): { temperature: number; maxOutputTokens: number } {
  return {
    temperature: request.config.temperature ?? KINDS[section.kind].temperature,
    maxOutputTokens: Math.max(request.config.maxTokens ?? 0, maxTokensFor(section.targetWords)),
  };
}

/** Dependencies of a section that have no output yet (the pipeline's SECTION_DEPENDENCY_ERROR). */
export function missingDependencies(section: SectionSpec, outputs: ReadonlyMap<string, unknown>): string[] {
  return section.dependsOn.filter((id) => outputs.get(id) === undefined);
}

/**
 * The text of the sections this one depends on: each digested (its most telling fields first,
 * see `KindInfo.digest`) and cut at a sentence end to an equal share of `DEPENDENCY_CHARS`
 * (at least `MIN_DEPENDENCY_CHARS` each), so a conclusion over twelve module summaries still
 * fits and a lesson sees the whole course description.
 */
export function dependencyContext(
  plan: SectionSpec[],
  section: SectionSpec,
  outputs: ReadonlyMap<string, unknown>,
): string {
  if (section.dependsOn.length === 0) return '';
  const share = Math.max(MIN_DEPENDENCY_CHARS, Math.floor(DEPENDENCY_CHARS / section.dependsOn.length));
  const blocks = section.dependsOn.map((id) => {
    const dep = plan.find((s) => s.id === id);
    const label = dep ? `${KINDS[dep.kind].label} "${dep.title}"` : id;
    const output = outputs.get(id);
    const text = dep && output !== undefined ? digestOf(dep.kind, output) : '';
    return `### ${label} [${id}]\n${text ? truncateText(text, share) : '(not available)'}`;
  });
  return ['Already written, for consistency (refer back to it; do not repeat it):', ...blocks].join('\n\n');
}

function digestOf(kind: SectionKind, output: unknown): string {
  if (!isObject(output)) return typeof output === 'string' ? output : '';
  const lines: string[] = [];
  for (const field of KINDS[kind].digest) {
    const text = flatten(output[field]);
    if (text) lines.push(`${field}: ${text}`);
  }
  return lines.join('\n');
}

/** Strings of a value, objects' string fields joined, code left out (it is not prose). */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value)) return value.map(flatten).filter(Boolean).join('; ');
  if (isObject(value)) {
    return Object.entries(value)
      .filter(([k]) => k !== 'code')
      .map(([, v]) => flatten(v))
      .filter(Boolean)
      .join(' — ');
  }
  return '';
}

/** Cuts at the last sentence end within `max` characters (or the last space when none is close). */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = text.slice(0, max - 2);
  const sentenceEnd = Math.max(
    head.lastIndexOf('. '),
    head.lastIndexOf('.\n'),
    head.lastIndexOf('? '),
    head.lastIndexOf('! '),
  );
  const cut =
    sentenceEnd >= max * 0.6 ? sentenceEnd + 1 : Math.max(head.lastIndexOf(' '), Math.floor(max * 0.6));
  return `${text.slice(0, cut).trimEnd()} …`;
}

function placeOf(plan: SectionSpec[], section: SectionSpec): string {
  const ofKind = (kind: SectionKind) => plan.filter((s) => s.kind === kind);
  const quote = (s: SectionSpec | undefined) => (s ? `"${s.title}"` : '');
  const whole = plan[0]?.title ?? '';
  switch (section.kind) {
    case 'overview': {
      const modules = ofKind('module_introduction').length;
      return `It opens the course "${whole}", which has ${modules} modules and ${ofKind('lesson').length} lessons.`;
    }
    case 'module_introduction':
    case 'module_summary':
    case 'module_assessment': {
      const modules = ofKind('module_introduction').length;
      const lessons = plan.filter((s) => s.kind === 'lesson' && s.group === section.group);
      const what =
        section.kind === 'module_introduction'
          ? 'It introduces'
          : section.kind === 'module_summary'
            ? 'It closes'
            : 'It assesses';
      return `${what} module ${(section.group ?? 0) + 1} of ${modules} of the course "${whole}"; the module's lessons are ${lessons.map(quote).join(', ')}.`;
    }
    case 'lesson': {
      const siblings = plan.filter((s) => s.kind === 'lesson' && s.group === section.group);
      const module = plan.find((s) => s.kind === 'module_introduction' && s.group === section.group);
      const i = siblings.indexOf(section);
      const around = [
        siblings[i - 1]
          ? `the lesson before is ${quote(siblings[i - 1])}`
          : 'it is the first lesson of the module',
        siblings[i + 1] ? `the next is ${quote(siblings[i + 1])}` : 'it is the last lesson of the module',
      ];
      return `Lesson ${i + 1} of ${siblings.length} in module ${(section.group ?? 0) + 1}, ${quote(module)}, of the course "${whole}"; ${around.join('; ')}.`;
    }
    case 'conclusion':
    case 'path_conclusion':
      return `It ends "${whole}", after ${ofKind(section.kind === 'conclusion' ? 'module_introduction' : 'path_stage').length} ${section.kind === 'conclusion' ? 'modules' : 'stages'}.`;
    case 'quiz_instructions':
      return `It opens the quiz "${whole}", whose categories are ${ofKind('quiz_category')
        .map((c) => `${quote(c)} (${c.questionCount ?? '?'} questions)`)
        .join(', ')}.`;
    case 'workflow_overview':
    case 'novel_synopsis':
    case 'map_overview':
    case 'path_overview': {
      const itemKind = {
        workflow_overview: 'workflow_step',
        novel_synopsis: 'chapter',
        map_overview: 'map_node',
        path_overview: 'path_stage',
      } as const;
      return `It opens "${whole}", which has ${ofKind(itemKind[section.kind]).length} ${KINDS[itemKind[section.kind]].label}s.`;
    }
    default: {
      const siblings = ofKind(section.kind);
      const i = siblings.indexOf(section);
      const label = KINDS[section.kind].label;
      const around = [
        siblings[i - 1] ? `before it: ${quote(siblings[i - 1])}` : `it is the first ${label}`,
        siblings[i + 1] ? `after it: ${quote(siblings[i + 1])}` : `it is the last ${label}`,
      ];
      return `${capitalize(label)} ${i + 1} of ${siblings.length} in "${whole}"; ${around.join('; ')}.`;
    }
  }
}

/** The titles of the whole, so each section knows what the others cover (at most ≈ 3000 characters). */
export function outlineText(plan: SectionSpec[]): string {
  const lines: string[] = [];
  for (const s of plan) {
    if (s.kind === 'module_introduction') lines.push(`Module ${(s.group ?? 0) + 1}: ${s.title}`);
    else if (s.kind === 'lesson')
      lines.push(`  - Lesson ${(s.group ?? 0) + 1}.${(s.item ?? 0) + 1}: ${s.title}`);
    else if (s.item !== undefined) lines.push(`${(s.item ?? 0) + 1}. ${s.title}`);
  }
  return truncateText(lines.join('\n'), 3000);
}

// ---------------------------------------------------------------------------------------------
// Response schemas (the OpenAPI subset Gemini takes)

const str = (description?: string) => ({ type: Type.STRING, ...(description ? { description } : {}) });
const list = (items: unknown, min?: number, max?: number) => ({
  type: Type.ARRAY,
  items,
  ...(min !== undefined ? { minItems: String(min) } : {}),
  ...(max !== undefined ? { maxItems: String(max) } : {}),
});
const obj = (properties: Record<string, unknown>, optional: string[] = []) => ({
  type: Type.OBJECT,
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  propertyOrdering: Object.keys(properties),
});

export const ASSESSMENT_TYPES = ['multiple_choice', 'true_false', 'short_answer'] as const;

/** The response schema for a section; list sizes come from its word budgets and question count. */
export function sectionSchema(section: SectionSpec, plan: SectionSpec[] = []): unknown {
  const counts = itemCounts(section);
  switch (section.kind) {
    case 'overview':
      return obj({
        title: str(),
        description: str(),
        introduction: str(),
        prerequisites: list(str(), 1, 5),
        learningOutcomes: list(str(), 3, 8),
      });
    case 'module_introduction':
      return obj({ introduction: str() });
    case 'lesson':
      return obj({
        content: str('The lesson text; paragraphs separated by blank lines, Markdown allowed.'),
        keyPoints: list(str(), counts.keyPoints, counts.keyPoints),
        examples: list(
          obj({ title: str(), description: str(), code: str('Only when the example is code.') }, ['code']),
          counts.examples,
          counts.examples,
        ),
        exercises: list(
          obj({ title: str(), instructions: str(), solution: str() }),
          counts.exercises,
          counts.exercises,
        ),
      });
    case 'module_summary':
      return obj({ summary: str() });
    case 'module_assessment':
      return obj({
        instructions: str(),
        questions: list(
          obj({
            question: str(),
            // Generated assessments are multiple choice: an answer given as the index of an
            // option is always one of the options, which free text copied "word for word" is not.
            type: { type: Type.STRING, enum: ['multiple_choice'] },
            options: list(str(), 4, 4),
            correctOption: {
              type: Type.INTEGER,
              minimum: 0,
              maximum: 3,
              description: 'Index (0-3) of the correct option.',
            },
            explanation: str(),
          }),
          counts.questions,
          counts.questions,
        ),
      });
    case 'conclusion':
    case 'path_conclusion':
      return obj({ conclusion: str() });
    case 'quiz_instructions':
      return obj({ instructions: str() });
    case 'quiz_category':
      return obj({
        description: str(),
        questions: list(
          obj(
            {
              question: str(),
              context: str('A short scenario, only when the question needs one.'),
              options: list(str(), 4, 4),
              correctOption: {
                type: Type.INTEGER,
                minimum: 0,
                maximum: 3,
                description: 'Index (0-3) of the correct option.',
              },
              explanation: str(),
              hints: list(str(), 1, 3),
            },
            ['context'],
          ),
          counts.questions,
          counts.questions,
        ),
      });
    case 'workflow_overview':
      return obj({ name: str(), description: str(), purpose: str() });
    case 'workflow_step':
      return obj({
        description: str(),
        instructions: str(),
        inputs: list(str('A short label.'), 1, 10),
        outputs: list(str('A short label.'), 1, 10),
      });
    case 'novel_synopsis':
      return obj({
        title: str(),
        synopsis: str(),
        setting: str(),
        characters: list(obj({ name: str(), description: str() }), 1, 12),
      });
    case 'chapter':
      return obj({ summary: str(), content: str() });
    case 'map_overview':
      return obj({ title: str(), description: str() });
    case 'map_node': {
      const others = plan.filter((s) => s.kind === 'map_node' && s.id !== section.id).map((s) => s.title);
      const target = others.length > 0 ? { type: Type.STRING, enum: others } : str();
      return obj({
        description: str(),
        keyConcepts: list(str(), 2, 8),
        examples: list(str(), 1, 5),
        relationships: list(obj({ target, relation: str() }), 0, Math.max(0, Math.min(6, others.length))),
      });
    }
    case 'path_overview':
      return obj({ title: str(), description: str(), outcomes: list(str(), 2, 8) });
    case 'path_stage':
      return obj({
        description: str(),
        objectives: list(str(), 2, 6),
        activities: list(obj({ title: str(), description: str() }), 1, 6),
        resources: list(str(), 1, 6),
        milestone: str(),
      });
  }
}

// ---------------------------------------------------------------------------------------------
// Checking an answer

const text = z.string().trim().min(1, 'must not be empty');
const texts = z.array(text);

const OUTPUT_SCHEMAS = {
  overview: z.object({
    title: text,
    description: text,
    introduction: text,
    prerequisites: texts,
    learningOutcomes: texts.min(1, 'must list at least one outcome'),
  }),
  module_introduction: z.object({ introduction: text }),
  lesson: z.object({
    content: text,
    keyPoints: texts.min(1, 'must list at least one key point'),
    examples: z.array(z.object({ title: text, description: text, code: z.string().optional() })),
    exercises: z.array(z.object({ title: text, instructions: text, solution: text })),
  }),
  module_summary: z.object({ summary: text }),
  module_assessment: z.object({
    instructions: text,
    questions: z
      .array(
        z.object({
          question: text,
          type: z.enum(ASSESSMENT_TYPES),
          options: z.array(z.string().trim()),
          // The model answers with correctOption; `answer` (the seed's field) is filled from it.
          correctOption: z.number().int().min(0).max(5).optional(),
          answer: z.string().trim().default(''),
          explanation: text,
        }),
      )
      .min(1, 'must have at least one question'),
  }),
  conclusion: z.object({ conclusion: text }),
  quiz_instructions: z.object({ instructions: text }),
  quiz_category: z.object({
    description: text,
    questions: z
      .array(
        z.object({
          question: text,
          context: z.string().trim().optional(),
          options: texts.length(4, 'must be exactly four options'),
          correctOption: z.number().int().min(0).max(3).optional(),
          correctAnswer: z.string().trim().default(''),
          explanation: text,
          hints: texts,
        }),
      )
      .min(1, 'must have at least one question'),
  }),
  workflow_overview: z.object({ name: text, description: text, purpose: text }),
  workflow_step: z.object({ description: text, instructions: text, inputs: texts, outputs: texts }),
  novel_synopsis: z.object({
    title: text,
    synopsis: text,
    setting: text,
    characters: z.array(z.object({ name: text, description: text })),
  }),
  chapter: z.object({ summary: text, content: text }),
  map_overview: z.object({ title: text, description: text }),
  map_node: z.object({
    description: text,
    keyConcepts: texts,
    examples: texts,
    relationships: z.array(z.object({ target: text, relation: text })),
  }),
  path_overview: z.object({ title: text, description: text, outcomes: texts }),
  path_stage: z.object({
    description: text,
    objectives: texts,
    activities: z.array(z.object({ title: text, description: text })),
    resources: texts,
    milestone: text,
  }),
  path_conclusion: z.object({ conclusion: text }),
} satisfies Record<SectionKind, z.ZodType>;

export type SectionOutput<K extends SectionKind = SectionKind> = z.infer<(typeof OUTPUT_SCHEMAS)[K]>;

export type OutputCheck = { ok: true; output: SectionOutput } | { ok: false; problems: string[] };

/**
 * Checks a model answer (parsed JSON or its text) for a section: the schema's fields, the number
 * of questions asked for, and answers that are one of their options (rewritten in the option's
 * own spelling when they differ only in case or spacing). Problems are phrased so they can be
 * sent back to the model.
 */
/** The quality gate's option rules for question `i` of a section (see questions.ts). */
function gateProblems(options: string[], answer: string | undefined, i: number): string[] {
  const gate = runtimeSettings().gate;
  return optionProblems(options, answer === undefined ? -1 : options.indexOf(answer), gate).map(
    (p) => `questions[${i}]: ${p.reason}`,
  );
}

/** Questions of one section that nearly repeat an earlier one of it, at the gate's threshold. */
function nearDuplicatesWithin(questions: string[]): string[] {
  const { nearDuplicateThreshold } = runtimeSettings().gate;
  const seen = new NearDuplicateIndex();
  const problems: string[] = [];
  questions.forEach((question, i) => {
    const near = seen.nearest(question, nearDuplicateThreshold);
    if (near) problems.push(`questions[${i}] nearly repeats "${near.text.slice(0, 80)}"; ask something else`);
    seen.add(question);
  });
  return problems;
}

export function checkSectionOutput(section: SectionSpec, answer: unknown): OutputCheck {
  let value = answer;
  if (typeof answer === 'string') {
    try {
      value = JSON.parse(answer);
    } catch {
      return { ok: false, problems: ['the answer was not valid JSON'] };
    }
  }
  const parsed = OUTPUT_SCHEMAS[section.kind].safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`),
    };
  }
  const output = parsed.data as SectionOutput;
  const problems: string[] = [];
  if (section.kind === 'module_assessment') {
    const a = output as SectionOutput<'module_assessment'>;
    a.questions.forEach((q, i) => {
      if (q.type === 'short_answer') return;
      if (q.type === 'true_false' && q.options.length === 0) q.options = ['True', 'False'];
      if (q.correctOption !== undefined && q.options[q.correctOption] !== undefined)
        q.answer = q.options[q.correctOption] ?? '';
      delete q.correctOption;
      const match = matchOption(q.options, q.answer);
      if (match === undefined)
        problems.push(`questions[${i}].answer "${q.answer}" is not one of its options`);
      else q.answer = match;
      if (q.type === 'multiple_choice') problems.push(...gateProblems(q.options, match, i));
      if (q.type === 'multiple_choice' && q.options.length < 3) {
        problems.push(`questions[${i}] is multiple_choice with fewer than three options`);
      }
    });
  }
  if (section.kind === 'quiz_category') {
    const c = output as SectionOutput<'quiz_category'>;
    c.questions.forEach((q, i) => {
      if (q.correctOption !== undefined && q.options[q.correctOption] !== undefined) {
        q.correctAnswer = q.options[q.correctOption] ?? '';
      }
      delete q.correctOption;
      const match = matchOption(q.options, q.correctAnswer);
      if (match === undefined)
        problems.push(`questions[${i}].correctAnswer "${q.correctAnswer}" is not one of its options`);
      else q.correctAnswer = match;
      if (new Set(q.options.map(normalize)).size !== q.options.length)
        problems.push(`questions[${i}] repeats an option`);
      else problems.push(...gateProblems(q.options, match, i));
    });
  }
  if (section.kind === 'module_assessment' || section.kind === 'quiz_category') {
    const questions = (output as { questions: unknown[] }).questions;
    problems.push(...nearDuplicatesWithin((questions as { question: string }[]).map((q) => q.question)));
    const want = section.questionCount;
    if (want !== undefined && questions.length < want) {
      problems.push(`only ${questions.length} of ${want} questions were written`);
    }
    if (want !== undefined && questions.length > want) questions.length = want;
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, output };
}

function matchOption(options: string[], answer: string): string | undefined {
  const matches = options.filter((o) => normalize(o) === normalize(answer));
  return matches.length === 1 ? matches[0] : undefined;
}

function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

function counted(n: number, noun: string): string {
  return n === 0 ? `no ${noun}s` : `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
