/**
 * Open (subjective) questions, as EduMate generates them next to its MCQs
 * (suyash-sketch/edu-mate backend/app/schemas/question_generation/subjective.py:
 * `SingleSubjectiveQuestion` = question_no, bloom_level, question, model_answer, explanation
 * optional; `SubjectiveOutput` = `{subjective_questions: [...]}`), plus the `source` citation the
 * MCQs carry here. The learner writes the answer; `model_answer` is what a grader compares it to,
 * so the gate checks that the passage the question cites supports it.
 */

import * as z from 'zod';
import {
  type BloomLevel,
  exactlyQuestions,
  LIMITS,
  normalizeText,
  type Problem,
  type QualityCheck,
  type Rejection,
  rejectionOf,
} from '#jobs/questions.ts';
import { type NearDuplicateIndex, shingles } from '#jobs/similarity.ts';
import { Type } from '#platform/gemini/schema-type.ts';
import { DEFAULT_LANGUAGE, languageInstruction } from '#platform/language.ts';
import { type AssessmentItem, editedItemShape, type PassageRef, repairLines } from './assessment.ts';
import { BLOOM_GUIDANCE } from './bloom.ts';

export interface OpenQuestion extends AssessmentItem {
  /** Its place in the assessment's list of open questions, "1", "2", ... (a string, as EduMate's). */
  question_no: string;
  model_answer: string;
}

/** 2: the language line. */
export const OPEN_PROMPT_VERSION = 'assessment-open-chunk/2';

export const OPEN_SYSTEM_INSTRUCTION = [
  'You write open questions for assessments that teachers give their students: the student writes the answer in their own words.',
  'Each question comes with a model answer, the answer a teacher would give full marks, and an explanation of what a good answer must contain.',
  'When passages from the course material are given, every question must be answerable from the passage it cites,',
  'and its model answer must be supported by that passage: use its facts and its terms, and add nothing the material does not contain.',
  'Answer only with JSON that matches the response schema.',
].join(' ');

/**
 * Words the support check reads past: they carry no content of the passage. English only; a
 * text in another language simply counts them as content, which makes the check stricter.
 */
const FUNCTION_WORDS = new Set(
  (
    'about above after again also although because been before being below between both could does doing down during each ' +
    'either every from further have having here into itself just more most much must neither only other over same should ' +
    'some such than that their theirs them then there these they this those through under until upon very were what when ' +
    'where which while whom whose will with within without would your yours'
  ).split(' '),
);

/** Content words: four letters or more, not a function word; compared by their first six letters. */
function contentWords(text: string): string[] {
  return normalizeText(text)
    .split(' ')
    .filter((w) => Array.from(w).length >= 4 && !FUNCTION_WORDS.has(w))
    .map((w) => Array.from(w).slice(0, 6).join(''));
}

/**
 * How much of `answer` the passage supports, from 0 to 1: the share of the answer's content
 * words (stems of six letters, so "photosynthetic" matches "photosynthesis") that occur in the
 * passage, or, for scripts written without spaces, the share of its five-character shingles
 * that do; the higher of the two. A model answer that invents its content scores low.
 */
export function answerSupport(answer: string, passage: string): number {
  const words = contentWords(answer);
  const passageWords = new Set(contentWords(passage));
  const wordShare = words.length === 0 ? 0 : words.filter((w) => passageWords.has(w)).length / words.length;
  const grams = shingles(answer);
  const passageGrams = shingles(passage);
  let shared = 0;
  for (const gram of grams) if (passageGrams.has(gram)) shared += 1;
  const gramShare = grams.size === 0 ? 0 : shared / grams.size;
  return Math.max(wordShare, gramShare);
}

/** Below this share of support (see answerSupport), a model answer says more than its passage. */
export const ANSWER_SUPPORT_THRESHOLD = 0.5;

/**
 * The response schema: like the MCQs', `source_passage_id` is limited to the passages the
 * prompt gave. The model answer's description says where its content comes from.
 */
export function openResponseSchema(count: number, bloomLevel: BloomLevel, passageIds: string[]) {
  const grounded = passageIds.length > 0;
  const properties: Record<string, unknown> = {
    question: { type: Type.STRING, description: 'The open question, self-contained.' },
    bloom_level: { type: Type.STRING, enum: [bloomLevel] },
  };
  const required = ['question', 'bloom_level'];
  if (grounded) {
    properties.source_passage_id = {
      type: Type.STRING,
      enum: passageIds,
      description: 'Id of the passage the question can be answered from.',
    };
    required.push('source_passage_id');
  }
  properties.model_answer = {
    type: Type.STRING,
    description: grounded
      ? 'A full-marks answer, supported by the facts and terms of the cited passage.'
      : 'A full-marks answer.',
  };
  properties.explanation = { type: Type.STRING, description: 'What a good answer must contain.' };
  required.push('model_answer', 'explanation');
  return exactlyQuestions(count, { type: Type.OBJECT, properties, required, propertyOrdering: required });
}

export interface OpenPromptInput {
  query: string;
  bloomLevel: BloomLevel;
  count: number;
  passages: PassageRef[];
  avoid: string[];
  rejections: Rejection[];
  /** ISO 639-1 code of the language to write in; English when absent. */
  language?: string;
}

export function openPrompt(input: OpenPromptInput): string {
  const lines = [
    `Write exactly ${input.count} open questions about: ${input.query}`,
    `Bloom's taxonomy level "${input.bloomLevel}": the learner must ${BLOOM_GUIDANCE[input.bloomLevel]}. Set bloom_level to "${input.bloomLevel}".`,
    'Each has a model answer of two to five sentences and an explanation of what a good answer must contain.',
    languageInstruction(
      input.language ?? DEFAULT_LANGUAGE,
      'the questions, the model answers and the explanations',
    ),
  ];
  if (input.passages.length > 0) {
    lines.push(
      'Base every question only on the course material below, and set source_passage_id to the passage it comes from.',
      "Write each model answer from that passage's facts and terms.",
      'Spread the questions over different passages where the material allows.',
      '',
      'Course material:',
      // One line per passage: its line breaks are layout, not content.
      ...input.passages.map((p) => `[${p.id}] (page ${p.page}) ${p.text.replace(/\s+/g, ' ').trim()}`),
    );
  }
  lines.push(
    ...repairLines(
      input.rejections,
      input.avoid,
      'Do not repeat or paraphrase these questions (multiple-choice or open):',
    ),
  );
  return lines.join('\n');
}

const modelOpenQuestion = z.object({
  question: z.string(),
  bloom_level: z.string(),
  model_answer: z.string(),
  explanation: z.string(),
  source_passage_id: z.string().optional(),
});

export interface OpenCheckContext {
  bloomLevel: BloomLevel;
  /** The passages the prompt gave, by id (empty: the assessment has no document). */
  passages: ReadonlyMap<string, PassageRef>;
  /** Questions of this assessment kept so far, MCQs and open ones, for (near-)duplicates. */
  bank: NearDuplicateIndex;
  nearDuplicateThreshold: number;
}

export interface CheckedOpen {
  question: string;
  bloom_level: BloomLevel;
  model_answer: string;
  explanation: string;
  passage?: PassageRef;
}

/** Why one raw item cannot be kept, before comparing it with the other questions. */
export function openProblems(item: z.infer<typeof modelOpenQuestion>, ctx: OpenCheckContext): Problem[] {
  const problems: Problem[] = [];
  const add = (check: QualityCheck, reason: string) => problems.push({ check, reason });
  const stem = item.question.trim();
  if (stem.length < 10) add('stem', 'question text is empty or too short');
  if (stem.length > LIMITS.questionChars)
    add('length', `question text longer than ${LIMITS.questionChars} characters`);
  const answer = item.model_answer.trim();
  if (answer.length < LIMITS.modelAnswerMinChars)
    add('model_answer', `model_answer is empty or shorter than ${LIMITS.modelAnswerMinChars} characters`);
  if (answer.length > LIMITS.modelAnswerChars)
    add('length', `model_answer longer than ${LIMITS.modelAnswerChars} characters`);
  if (item.explanation.trim().length === 0) add('explanation', 'explanation is empty');
  if (item.explanation.length > LIMITS.explanationChars)
    add('length', `explanation longer than ${LIMITS.explanationChars} characters`);
  if (item.bloom_level !== ctx.bloomLevel)
    add('bloom_level', `bloom_level must be "${ctx.bloomLevel}", the level asked for`);
  if (ctx.passages.size > 0) {
    const passage = item.source_passage_id ? ctx.passages.get(item.source_passage_id) : undefined;
    if (!passage) add('grounding', 'source_passage_id must be the id of one of the passages given');
    else if (answer.length >= LIMITS.modelAnswerMinChars) {
      const support = answerSupport(answer, passage.text);
      if (support < ANSWER_SUPPORT_THRESHOLD) {
        add(
          'unsupported_answer',
          `model_answer is not supported by passage ${passage.id} (support ${support.toFixed(2)}, at least ${ANSWER_SUPPORT_THRESHOLD} needed); answer from its facts and terms`,
        );
      }
    }
  }
  return problems;
}

/**
 * The quality gate for open questions: shape, lengths, the Bloom level asked for, a cited
 * passage that was given and supports the model answer, and no duplicate or near-duplicate of
 * another question of the assessment (its MCQs included) or of this batch.
 */
export function checkOpenQuestions(
  items: unknown[],
  ctx: OpenCheckContext,
): { accepted: CheckedOpen[]; rejected: Rejection[] } {
  const accepted: CheckedOpen[] = [];
  const rejected: Rejection[] = [];
  const seen = new Set<string>();
  items.forEach((item, index) => {
    const parsed = modelOpenQuestion.safeParse(item);
    if (!parsed.success) {
      const text = (item as { question?: unknown } | null)?.question;
      rejected.push(
        rejectionOf(index, typeof text === 'string' ? text : '', [
          { check: 'schema', reason: 'does not match the open question schema' },
        ]),
      );
      return;
    }
    const q = parsed.data;
    const problems = openProblems(q, ctx);
    if (problems.length === 0 && seen.has(normalizeText(q.question))) {
      problems.push({ check: 'duplicate', reason: 'duplicates another question of this assessment' });
    }
    if (problems.length === 0) {
      const near = ctx.bank.nearest(q.question, ctx.nearDuplicateThreshold);
      if (near) {
        problems.push({
          check: near.similarity >= 1 ? 'duplicate' : 'near_duplicate',
          reason: `nearly duplicates "${near.text.slice(0, 120)}" (similarity ${near.similarity.toFixed(2)}); ask something else`,
        });
      }
    }
    if (problems.length > 0) {
      rejected.push(rejectionOf(index, q.question, problems));
      return;
    }
    seen.add(normalizeText(q.question));
    ctx.bank.add(q.question);
    const passage = q.source_passage_id ? ctx.passages.get(q.source_passage_id) : undefined;
    accepted.push({
      question: q.question.trim(),
      bloom_level: ctx.bloomLevel,
      model_answer: q.model_answer.trim(),
      explanation: q.explanation.trim(),
      ...(passage ? { passage } : {}),
    });
  });
  return { accepted, rejected };
}

/** Checks an open question a user edited before saving: the generator's limits. */
export const editedOpenQuestionSchema = z.object({
  question_no: z.union([z.string().trim().min(1).max(20), z.number().int().min(1)]).optional(),
  question: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(LIMITS.questionChars * 2),
  model_answer: z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(LIMITS.modelAnswerChars * 2),
  ...editedItemShape,
});

/** Edited open questions, numbered by their place in the list when they carry no number. */
export const editedOpenQuestionsSchema = z
  .array(editedOpenQuestionSchema)
  .max(500)
  .transform((list): OpenQuestion[] =>
    list.map(({ question_no, ...q }, i) => ({ ...q, question_no: String(question_no ?? i + 1) })),
  );

/** Open questions numbered "1", "2", ... in the order given. */
export function numbered(questions: Omit<OpenQuestion, 'question_no'>[]): OpenQuestion[] {
  return questions.map((q, i) => ({ question_no: String(i + 1), ...q }));
}
