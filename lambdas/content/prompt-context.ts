/**
 * What a section's prompt is filled with: the topic, audience, tone, style and language, the
 * section's title and place in the whole, its exact word target split over its fields, and the
 * text of the sections it depends on (digested and truncated, see `dependencyContext`).
 */
import { KEY_CUE_INSTRUCTION } from '#jobs/key-cues.ts';
import { isObject } from './output-fields.ts';
import { contentParameters, type ExecuteRequest } from './request.ts';
import { KINDS, type SectionKind, type SectionSpec } from './sections.ts';
import { PART_WORDS } from './word-targets.ts';

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
    questionPlan: questionPlan(section),
    keyPoints: counted(counts.keyPoints ?? 0, 'key point'),
    examples: counted(counts.examples ?? 0, 'worked example'),
    exercises: counted(counts.exercises ?? 0, 'exercise'),
    dependencies: dependencyContext(plan, section, outputs),
  };
}

const TYPE_ASK = {
  multiple_choice:
    'multiple choice: four distinct options and the index (0-3) of the correct one as correctOption',
  true_false: 'true/false: a statement, and whether it is true as answer ("True" or "False")',
  short_answer: 'short answer: the expected answer in a few words as answer',
} as const;

/**
 * What questions a quiz category or module assessment asks for: the structure's own list, one
 * line each with its type and topic, or `questionCount` multiple-choice questions. The words of
 * the count form are those the shipped templates had before the list form existed.
 */
export function questionPlan(section: SectionSpec): string {
  const quiz = section.kind === 'quiz_category';
  const extras = quiz
    ? 'an explanation and two hints that help without giving the answer away'
    : 'an explanation of why the answer is right';
  // Options are reordered when the section is kept (section-keys.ts), and a key longer than the
  // others gives it away: the gate rejects both (jobs/text-questions.ts), so the prompt says so.
  const cues = `Write the options of a question at similar lengths. ${KEY_CUE_INSTRUCTION}`;
  if (section.questions) {
    const lines = section.questions.map(
      (q, i) => `${i + 1}. question_${i + 1}, ${TYPE_ASK[q.type]}${q.topic ? `; on: ${q.topic}` : ''}`,
    );
    return [
      `exactly these ${section.questions.length} questions, in this order, each under its key in "questions" and each with ${extras}:`,
      ...lines,
      ...(quiz ? ['Add context to a multiple-choice question only when it needs a scenario.'] : []),
      cues,
    ].join('\n');
  }
  const n = itemCounts(section).questions ?? section.questionCount ?? 0;
  return quiz
    ? `exactly ${n} multiple-choice questions, each with four distinct options, the index (0-3) of the correct one as correctOption, an explanation and two hints that help without giving the answer away. Add context only when a question needs a scenario. ${cues}`
    : `exactly ${n} multiple_choice questions with four distinct options that test what the lessons below teach.\n\nGive the index (0-3) of the correct option as correctOption; the explanation says why it is right. ${cues}`;
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

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

function counted(n: number, noun: string): string {
  return n === 0 ? `no ${noun}s` : `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
