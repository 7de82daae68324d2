/**
 * The generated sections put together into the seed's `content` object, and the `summary`
 * counts of a job.
 *
 * Course, quiz and workflow follow the seed's "Content Structure Types" key for key and in the
 * seed's order. The seed shows no shape for the other three types; theirs follow the same
 * pattern (an `overview`, then the items in order, each with its `id` and `title`):
 * - `novelContent`: `{ overview: { title, synopsis, setting, characters: [{ name, description }] },
 *   chapters: [{ id, title, summary, content }] }`
 * - `knowledgeMapContent`: `{ overview: { title, description }, nodes: [{ id, title, description,
 *   keyConcepts, examples, relationships: [{ target (a node id), relation }] }] }`
 * - `learningPathContent`: `{ overview: { title, description, outcomes }, stages: [{ id, title,
 *   description, objectives, activities: [{ title, description }], resources, milestone }],
 *   conclusion }`
 * Every type also carries the seed's `metadata`. A section without output (failed, or not yet
 * generated) keeps its place with empty strings and lists, so clients always see the shape.
 */
import { keyTerms, proseOf, topicKeywords, wordsOf } from './measure.ts';
import { isObject, objs, type Rec, str, strs } from './output-fields.ts';
import { contentParameters, type ExecuteRequest } from './request.ts';
import type { SectionKind, SectionSpec } from './sections.ts';

export interface ContentMetadataSummary {
  totalWords: number;
  readingTime: string;
  difficulty: 'beginner' | 'intermediate' | 'advanced';
  keywords: string[];
  summary: string;
}

export interface GeneratedContent {
  courseContent?: unknown;
  quizContent?: unknown;
  workflowContent?: unknown;
  novelContent?: unknown;
  knowledgeMapContent?: unknown;
  learningPathContent?: unknown;
  metadata: ContentMetadataSummary;
}

/** Words a minute used for `readingTime` (the seed: 15 234 words read in "76 minutes"). */
export const READING_WORDS_PER_MINUTE = 200;

type Outputs = ReadonlyMap<string, unknown>;

export function assembleContent(
  request: ExecuteRequest,
  plan: SectionSpec[],
  outputs: Outputs,
): GeneratedContent {
  const out = (s: SectionSpec | undefined): Rec => {
    const value = s ? outputs.get(s.id) : undefined;
    return isObject(value) ? value : {};
  };
  const first = (kind: SectionKind) => plan.find((s) => s.kind === kind);
  const all = (kind: SectionKind) => plan.filter((s) => s.kind === kind);
  let body: Omit<GeneratedContent, 'metadata'>;
  let summarySource = '';

  switch (request.input.structureType) {
    case 'course': {
      const overview = out(first('overview'));
      summarySource = str(overview, 'description');
      body = {
        courseContent: {
          overview: {
            title: str(overview, 'title') || (first('overview')?.title ?? request.input.topic),
            description: str(overview, 'description'),
            introduction: str(overview, 'introduction'),
            prerequisites: strs(overview, 'prerequisites'),
            learningOutcomes: strs(overview, 'learningOutcomes'),
          },
          modules: all('module_introduction').map((intro) => {
            const inModule = (kind: SectionKind) =>
              plan.filter((s) => s.kind === kind && s.group === intro.group);
            const assessment = out(inModule('module_assessment')[0]);
            return {
              id: intro.contentId,
              title: intro.title,
              introduction: str(out(intro), 'introduction'),
              lessons: inModule('lesson').map((lesson) => {
                const o = out(lesson);
                return {
                  id: lesson.contentId,
                  title: lesson.title,
                  content: str(o, 'content'),
                  keyPoints: strs(o, 'keyPoints'),
                  examples: objs(o, 'examples').map((e) => {
                    const code = str(e, 'code');
                    return {
                      title: str(e, 'title'),
                      description: str(e, 'description'),
                      ...(code ? { code } : {}),
                    };
                  }),
                  exercises: objs(o, 'exercises').map((e) => ({
                    title: str(e, 'title'),
                    instructions: str(e, 'instructions'),
                    solution: str(e, 'solution'),
                  })),
                };
              }),
              summary: str(out(inModule('module_summary')[0]), 'summary'),
              assessment: {
                instructions: str(assessment, 'instructions'),
                questions: objs(assessment, 'questions').map((q, i) => {
                  const listed = inModule('module_assessment')[0]?.questions?.[i];
                  return {
                    question: str(q, 'question'),
                    type: str(q, 'type'),
                    options: strs(q, 'options'),
                    answer: str(q, 'answer'),
                    explanation: str(q, 'explanation'),
                    // After the seed's keys: a listed question's id and topic, exactly as given.
                    ...(listed?.id !== undefined ? { id: listed.id } : {}),
                    ...(listed?.topic !== undefined ? { topic: listed.topic } : {}),
                  };
                }),
              },
            };
          }),
          conclusion: str(out(first('conclusion')), 'conclusion'),
        },
      };
      break;
    }
    case 'quiz': {
      const instructions = str(out(first('quiz_instructions')), 'instructions');
      summarySource = instructions;
      body = {
        quizContent: {
          instructions,
          categories: all('quiz_category').map((category) => {
            const o = out(category);
            return {
              name: category.title,
              description: str(o, 'description'),
              // Numbered here, not by the model: unique across categories and stable on
              // regeneration; a question the structure lists keeps its own id and topic.
              questions: objs(o, 'questions').map((q, i) => {
                const context = str(q, 'context');
                const listed = category.questions?.[i];
                return {
                  id: listed?.id ?? `${category.contentId}_q${i + 1}`,
                  question: str(q, 'question'),
                  ...(context ? { context } : {}),
                  options: strs(q, 'options'),
                  correctAnswer: str(q, 'correctAnswer'),
                  explanation: str(q, 'explanation'),
                  hints: strs(q, 'hints'),
                  // After the seed's keys, for a question the structure lists: its type (true/false
                  // and short-answer questions are only asked for this way) and its topic as given.
                  ...(listed ? { type: listed.type } : {}),
                  ...(listed?.topic !== undefined ? { topic: listed.topic } : {}),
                };
              }),
            };
          }),
        },
      };
      break;
    }
    case 'workflow': {
      const overview = out(first('workflow_overview'));
      summarySource = str(overview, 'description');
      body = {
        workflowContent: {
          overview: {
            name: str(overview, 'name') || (first('workflow_overview')?.title ?? request.input.topic),
            description: str(overview, 'description'),
            purpose: str(overview, 'purpose'),
          },
          steps: all('workflow_step').map((step) => {
            const o = out(step);
            return {
              id: step.contentId,
              name: step.title,
              description: str(o, 'description'),
              instructions: str(o, 'instructions'),
              inputs: strs(o, 'inputs'),
              outputs: strs(o, 'outputs'),
            };
          }),
        },
      };
      break;
    }
    case 'novel': {
      const overview = out(first('novel_synopsis'));
      summarySource = str(overview, 'synopsis');
      body = {
        novelContent: {
          overview: {
            title: str(overview, 'title') || (first('novel_synopsis')?.title ?? request.input.topic),
            synopsis: str(overview, 'synopsis'),
            setting: str(overview, 'setting'),
            characters: objs(overview, 'characters').map((c) => ({
              name: str(c, 'name'),
              description: str(c, 'description'),
            })),
          },
          chapters: all('chapter').map((chapter) => {
            const o = out(chapter);
            return {
              id: chapter.contentId,
              title: chapter.title,
              summary: str(o, 'summary'),
              content: str(o, 'content'),
            };
          }),
        },
      };
      break;
    }
    case 'knowledge_map': {
      const overview = out(first('map_overview'));
      summarySource = str(overview, 'description');
      const nodes = all('map_node');
      const idByTitle = new Map(nodes.map((n) => [n.title.toLowerCase(), n.contentId]));
      body = {
        knowledgeMapContent: {
          overview: {
            title: str(overview, 'title') || (first('map_overview')?.title ?? request.input.topic),
            description: str(overview, 'description'),
          },
          nodes: nodes.map((node) => {
            const o = out(node);
            return {
              id: node.contentId,
              title: node.title,
              description: str(o, 'description'),
              keyConcepts: strs(o, 'keyConcepts'),
              examples: strs(o, 'examples'),
              // The model names nodes by title; clients link by id, and a title it made up has no node.
              relationships: objs(o, 'relationships').flatMap((r) => {
                const target = idByTitle.get(str(r, 'target').toLowerCase());
                return target && target !== node.contentId ? [{ target, relation: str(r, 'relation') }] : [];
              }),
            };
          }),
        },
      };
      break;
    }
    case 'learning_path': {
      const overview = out(first('path_overview'));
      summarySource = str(overview, 'description');
      body = {
        learningPathContent: {
          overview: {
            title: str(overview, 'title') || (first('path_overview')?.title ?? request.input.topic),
            description: str(overview, 'description'),
            outcomes: strs(overview, 'outcomes'),
          },
          stages: all('path_stage').map((stage) => {
            const o = out(stage);
            return {
              id: stage.contentId,
              title: stage.title,
              description: str(o, 'description'),
              objectives: strs(o, 'objectives'),
              activities: objs(o, 'activities').map((a) => ({
                title: str(a, 'title'),
                description: str(a, 'description'),
              })),
              resources: strs(o, 'resources'),
              milestone: str(o, 'milestone'),
            };
          }),
          conclusion: str(out(first('path_conclusion')), 'conclusion'),
        },
      };
      break;
    }
  }

  const totalWords = plan.reduce((sum, s) => sum + wordsOf(outputs.get(s.id)), 0);
  return {
    ...body,
    metadata: {
      totalWords,
      readingTime: readingTime(totalWords),
      difficulty: difficultyOf(request),
      keywords: keywordsOf(request.input.topic, plan, outputs),
      summary: firstSentences(summarySource, 2, 60),
    },
  };
}

export function readingTime(words: number): string {
  const minutes = Math.max(1, Math.round(words / READING_WORDS_PER_MINUTE));
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}

/**
 * The audience says it when it names a level ("beginners", "senior engineers"); otherwise the
 * granularity level stands in: 1–2 beginner, 3 intermediate, 4–5 advanced.
 */
export function difficultyOf(request: ExecuteRequest): ContentMetadataSummary['difficulty'] {
  const p = contentParameters(request);
  const audience = p.audience.toLowerCase();
  if (
    /\b(beginner|novice|newcomer|new to|no prior|kids|children|introductory|first[- ]year)/.test(audience)
  ) {
    return 'beginner';
  }
  if (/\b(advanced|expert|senior|specialist|experienced|professional)/.test(audience)) return 'advanced';
  if (/\bintermediate/.test(audience)) return 'intermediate';
  return p.granularityLevel <= 2 ? 'beginner' : p.granularityLevel === 3 ? 'intermediate' : 'advanced';
}

/** The topic's own words as written, then the most frequent content terms of the prose; 8 at most. */
export function keywordsOf(topic: string, plan: SectionSpec[], outputs: Outputs, max = 8): string[] {
  const fromTopic = topicKeywords(topic).map(
    (k) => topic.match(new RegExp(`\\b${escapeRegExp(k)}s?\\b`, 'i'))?.[0] ?? k,
  );
  const seen = new Set(fromTopic.map((k) => k.toLowerCase()));
  const prose = plan.flatMap((s) => proseOf(outputs.get(s.id))).join(' ');
  const result = [...fromTopic];
  for (const term of keyTerms(prose, max * 3)) {
    if (result.length >= max) break;
    if (!seen.has(term)) {
      seen.add(term);
      result.push(term);
    }
  }
  return result.slice(0, max);
}

function firstSentences(text: string, sentences: number, maxWords: number): string {
  const parts = text.trim().match(/[^.!?]+[.!?]+(?:\s|$)|[^.!?]+$/g) ?? [];
  const head = parts.slice(0, sentences).join('').trim();
  const words = head.split(/\s+/).filter(Boolean);
  return words.length <= maxWords ? head : `${words.slice(0, maxWords).join(' ')}…`;
}

/** `wordsBySection` groups: what each kind counts towards, as the seed names them for courses. */
const WORD_GROUP: Record<SectionKind, string> = {
  overview: 'overview',
  module_introduction: 'modules',
  lesson: 'lessons',
  module_summary: 'modules',
  module_assessment: 'modules',
  conclusion: 'conclusion',
  quiz_instructions: 'instructions',
  quiz_category: 'categories',
  workflow_overview: 'overview',
  workflow_step: 'steps',
  novel_synopsis: 'overview',
  chapter: 'chapters',
  map_overview: 'overview',
  map_node: 'nodes',
  path_overview: 'overview',
  path_stage: 'stages',
  path_conclusion: 'conclusion',
};

export interface SectionsSummary {
  totalSections: number;
  sectionsGenerated: number;
  totalWords: number;
  /**
   * Words per group, summing to `totalWords`. For a course: `overview`, `modules` (module
   * introductions, summaries and assessments), `lessons`, `conclusion`; quiz: `instructions`,
   * `categories`; workflow: `overview`, `steps`; novel: `overview`, `chapters`; knowledge map:
   * `overview`, `nodes`; learning path: `overview`, `stages`, `conclusion`.
   */
  wordsBySection: Record<string, number>;
}

export function summarizeSections(plan: SectionSpec[], outputs: Outputs): SectionsSummary {
  const wordsBySection: Record<string, number> = {};
  let generated = 0;
  let total = 0;
  for (const s of plan) {
    const words = wordsOf(outputs.get(s.id));
    const group = WORD_GROUP[s.kind];
    wordsBySection[group] = (wordsBySection[group] ?? 0) + words;
    total += words;
    if (words > 0) generated += 1;
  }
  return { totalSections: plan.length, sectionsGenerated: generated, totalWords: total, wordsBySection };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
