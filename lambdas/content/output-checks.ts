/**
 * The checks a section's answer passes before it is kept: the schema's fields, the number of
 * questions asked for, and questions that pass the quality gate's option rules (one question's
 * checks are jobs/text-questions.ts, which the review API's edit gate applies too).
 */
import * as z from 'zod';
import type { QualityCheck } from '#jobs/questions.ts';
import {
  ASSESSMENT_RULES,
  checkTextQuestion,
  nearDuplicatesWithin,
  QUIZ_CATEGORY_RULES,
  type TextQuestion,
  type TextQuestionRules,
  TRUE_FALSE,
} from '#jobs/text-questions.ts';
import { generationSettings as runtimeSettings } from '#platform/config.ts';
import type { ModelAnswer } from '#platform/gemini/gemini-client.ts';
import { isObject } from './output-fields.ts';
import { listedQuestionKey } from './response-schemas.ts';
import { QUESTION_TYPES, type SectionKind, type SectionSpec } from './sections.ts';

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
          type: z.enum(QUESTION_TYPES),
          // A true/false question's options are ["True", "False"]; a short answer has none.
          options: z.array(z.string().trim()).default([]),
          // The model answers with correctOption; `answer` (the seed's field) is filled from it.
          // A string enum in the response schema ("0"–"3"), a number from here on.
          correctOption: z.coerce.number().int().min(0).max(5).optional(),
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
          // Listed questions carry their structure's type; the others are multiple choice.
          type: z.enum(QUESTION_TYPES).default('multiple_choice'),
          context: z.string().trim().optional(),
          options: texts.default([]),
          correctOption: z.coerce.number().int().min(0).max(3).optional(),
          correctAnswer: z.string().trim().default(''),
          // What a listed true/false or short-answer question answers with; moved to correctAnswer.
          answer: z.string().trim().optional(),
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

/** A question section's questions alone (a regenerated question, asked without the section's prose). */
const QUESTIONS_ONLY = {
  module_assessment: OUTPUT_SCHEMAS.module_assessment.pick({ questions: true }),
  quiz_category: OUTPUT_SCHEMAS.quiz_category.pick({ questions: true }),
};

export type OutputCheck =
  | { ok: true; output: SectionOutput }
  /** `checks`: the quality gate's check behind each question's problem, for the job's report. */
  | { ok: false; problems: string[]; checks?: QualityCheck[] };

/**
 * Checks a model answer (parsed JSON or its text) for a section: the schema's fields, the number
 * of questions asked for, and answers that are one of their options (rewritten in the option's
 * own spelling when they differ only in case or spacing). Problems are phrased so they can be
 * sent back to the model. `questionsOnly`: the answer holds a question section's `questions`
 * alone (response-schemas.ts `sectionQuestionsSchema`), checked as the section's would be.
 */
export function checkSectionOutput(
  section: SectionSpec,
  answer: unknown,
  { questionsOnly = false }: { questionsOnly?: boolean } = {},
): OutputCheck {
  let value = answer;
  if (typeof answer === 'string') {
    try {
      value = JSON.parse(answer);
    } catch {
      return { ok: false, problems: ['the answer was not valid JSON'] };
    }
  }
  if (section.questions) {
    const listed = listedAsList(section, value);
    if ('problems' in listed) return { ok: false, problems: listed.problems };
    value = listed.value;
  }
  const schema =
    questionsOnly && (section.kind === 'module_assessment' || section.kind === 'quiz_category')
      ? QUESTIONS_ONLY[section.kind]
      : OUTPUT_SCHEMAS[section.kind];
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || 'answer'}: ${i.message}`),
    };
  }
  const output = parsed.data as SectionOutput;
  const problems: string[] = [];
  const checks: QualityCheck[] = [];
  const gate = runtimeSettings().gate;
  /** The checked question's options and answer written back, its problems counted. */
  const check = (q: TextQuestion, rules: TextQuestionRules, i: number, answerField: string) => {
    const checked = checkTextQuestion(q, rules, gate, `questions[${i}]`, answerField);
    problems.push(...checked.problems.map((p) => p.reason));
    checks.push(...checked.problems.map((p) => p.check));
    return checked;
  };
  if (section.kind === 'module_assessment') {
    const a = output as SectionOutput<'module_assessment'>;
    a.questions.forEach((q, i) => {
      if (q.type !== 'short_answer' && q.correctOption !== undefined) {
        const options = q.type === 'true_false' ? [...TRUE_FALSE] : q.options;
        if (options[q.correctOption] !== undefined) q.answer = options[q.correctOption] ?? '';
      }
      delete q.correctOption;
      const checked = check(q, ASSESSMENT_RULES, i, 'answer');
      q.options = checked.options;
      q.answer = checked.answer;
    });
  }
  if (section.kind === 'quiz_category') {
    const c = output as SectionOutput<'quiz_category'>;
    c.questions.forEach((q, i) => {
      if (q.answer !== undefined) q.correctAnswer = q.answer;
      delete q.answer;
      if (q.type !== 'short_answer' && q.correctOption !== undefined) {
        const options = q.type === 'true_false' ? [...TRUE_FALSE] : q.options;
        if (options[q.correctOption] !== undefined) q.correctAnswer = options[q.correctOption] ?? '';
      }
      delete q.correctOption;
      const checked = check({ ...q, answer: q.correctAnswer }, QUIZ_CATEGORY_RULES, i, 'correctAnswer');
      q.options = checked.options;
      q.correctAnswer = checked.answer;
    });
  }
  if (section.kind === 'module_assessment' || section.kind === 'quiz_category') {
    const questions = (output as { questions: unknown[] }).questions;
    const repeats = nearDuplicatesWithin(
      (questions as { question: string }[]).map((q) => q.question),
      gate.nearDuplicateThreshold,
    );
    problems.push(...repeats.map((p) => p.reason));
    checks.push(...repeats.map((p) => p.check));
    const want = section.questionCount;
    if (want !== undefined && questions.length < want) {
      problems.push(`only ${questions.length} of ${want} questions were written`);
    }
    if (want !== undefined && questions.length > want) questions.length = want;
  }
  if (problems.length === 0) return { ok: true, output };
  return { ok: false, problems, ...(checks.length > 0 ? { checks } : {}) };
}

/**
 * A listed-questions answer (`questions: { question_1: …, question_2: … }`, see
 * response-schemas.ts) as the usual list, each question with the type its structure gave.
 */
function listedAsList(section: SectionSpec, value: unknown): { value: unknown } | { problems: string[] } {
  const specs = section.questions ?? [];
  if (!isObject(value) || !isObject(value.questions)) {
    return { problems: ['questions: must be an object with one property per listed question'] };
  }
  const byKey = value.questions;
  const missing = specs.map((_, i) => listedQuestionKey(i)).filter((key) => !isObject(byKey[key]));
  if (missing.length > 0) return { problems: missing.map((key) => `questions.${key}: is missing`) };
  return {
    value: {
      ...value,
      questions: specs.map((spec, i) => ({ ...(byKey[listedQuestionKey(i)] as object), type: spec.type })),
    },
  };
}

/** One answer of a section call, checked: its output, or what to tell the model and the checks that failed. */
export type AnswerCheck =
  | { ok: true; output: SectionOutput }
  | { ok: false; problems: string[]; checks: QualityCheck[] };

/**
 * A model answer for a section (or one of its questions, `questionsOnly`), checked the same way
 * for a generated section and a regenerated question, so the job's quality report counts their
 * rejections alike: an answer that stopped early or is not JSON is `unusable_answer`; problems
 * the question checks did not name are the schema's (missing fields, too few questions).
 */
export function checkSectionAnswer(
  section: SectionSpec,
  answer: Pick<ModelAnswer, 'text' | 'finishReason'>,
  options: { questionsOnly?: boolean } = {},
): AnswerCheck {
  if (answer.finishReason && answer.finishReason !== 'STOP') {
    return {
      ok: false,
      problems: [`the answer stopped early (finishReason ${answer.finishReason})`],
      checks: ['unusable_answer'],
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(answer.text);
  } catch {
    return { ok: false, problems: ['the answer was not valid JSON'], checks: ['unusable_answer'] };
  }
  const checked = checkSectionOutput(section, value, options);
  return checked.ok
    ? checked
    : { ok: false, problems: checked.problems, checks: checked.checks ?? ['schema'] };
}
