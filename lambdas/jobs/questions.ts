/**
 * Questions: the shape the model is asked for, the production shape of the seed's sector
 * files, and the checks every question passes before it is kept.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as z from 'zod';
import { Type } from '#platform/gemini/schema-type.ts';
import { letterProblems, longestKeyProblem } from './key-cues.ts';
import { duplicateKey, NearDuplicateIndex, normalizeText, similarity } from './similarity.ts';

export const OPTION_IDS = ['a', 'b', 'c', 'd'] as const;
export type OptionId = (typeof OPTION_IDS)[number];

export const BLOOM_LEVELS = ['remember', 'understand', 'apply', 'analyze', 'evaluate', 'create'] as const;
export type BloomLevel = (typeof BLOOM_LEVELS)[number];

export const LIMITS = {
  questionChars: 600,
  optionChars: 240,
  explanationChars: 1200,
  tags: 8,
  /** Open questions' model answers: a paragraph or two, as a grader reads them. */
  modelAnswerChars: 2000,
  modelAnswerMinChars: 20,
} as const;

/** One question as the model returns it (loosely typed: the checks below decide what is kept). */
const modelQuestionSchema = z.object({
  question: z.string(),
  options: z.array(z.object({ id: z.string(), text: z.string() })),
  correct_answer: z.string(),
  explanation: z.string(),
  category: z.string().optional(),
  tags: z.array(z.string()).optional(),
  bloom_level: z.string().optional(),
});
export type ModelQuestion = z.infer<typeof modelQuestionSchema>;

export const modelAnswerSchema = z.object({ questions: z.array(z.unknown()) });

/** Where a kept question came from and what it passed. */
export interface Provenance {
  model: string;
  prompt_template: string;
  prompt_version: string;
  gate_version: string;
  /** The chunk's delivery attempt and the model call within it (1 = the first answer). */
  attempt: number;
  call: number;
  validation: 'passed_first_time' | 'repaired';
}

/** A question in the seed's production shape, plus its Bloom level. */
export interface Question {
  id: string;
  question: string;
  options: { id: OptionId; text: string }[];
  correct_answer: OptionId;
  explanation: string;
  difficulty: number;
  category: string;
  tags: string[];
  bloom_level: BloomLevel;
  /** ISO 639-1 code of the language the question is written in (set by the product). */
  language?: string;
  /** How the question was made and checked (absent on questions edited by hand). */
  provenance?: Provenance;
}

/**
 * The response schema sent to Gemini (OpenAPI subset), asking for exactly `count` questions,
 * each at one of the Bloom levels asked for (all six when none are given).
 */
export function questionsResponseSchema(count: number, bloomLevels: readonly BloomLevel[] = BLOOM_LEVELS) {
  return exactlyQuestions(count, {
    type: Type.OBJECT,
    properties: {
      question: { type: Type.STRING, description: 'The question stem, self-contained.' },
      options: {
        type: Type.ARRAY,
        minItems: '4',
        maxItems: '4',
        items: {
          type: Type.OBJECT,
          properties: {
            id: { type: Type.STRING, enum: [...OPTION_IDS] },
            text: { type: Type.STRING },
          },
          required: ['id', 'text'],
          propertyOrdering: ['id', 'text'],
        },
      },
      correct_answer: {
        type: Type.STRING,
        enum: [...OPTION_IDS],
        description: 'Id of the correct option.',
      },
      explanation: {
        type: Type.STRING,
        description: 'Why the answer is right and the others are wrong.',
      },
      category: { type: Type.STRING, description: 'Short lower-case topic, e.g. "css".' },
      tags: { type: Type.ARRAY, items: { type: Type.STRING } },
      bloom_level: { type: Type.STRING, enum: [...bloomLevels] },
    },
    required: ['question', 'options', 'correct_answer', 'explanation', 'category', 'tags', 'bloom_level'],
    propertyOrdering: [
      'question',
      'options',
      'correct_answer',
      'explanation',
      'category',
      'tags',
      'bloom_level',
    ],
  });
}

/**
 * A response schema asking for `{ questions: [...] }` of `item`'s shape; the prompt asks for
 * exactly `count`, and the quality gate counts what comes back. The list carries no length
 * limits: Gemini unrolls an exact-length list of objects with enums item by item, and refuses it
 * as "too many states for serving" (https://ai.google.dev/gemini-api/docs/structured-output,
 * Limitations; see local/gemini-simulator/schema-complexity.ts).
 */
export function exactlyQuestions<Item>(count: number, item: Item) {
  return {
    type: Type.OBJECT,
    properties: {
      questions: { type: Type.ARRAY, description: `Exactly ${count} questions.`, items: item },
    },
    required: ['questions'],
  };
}

export { normalizeText } from './similarity.ts';

/** Exact duplicates as the near-duplicate check sees text: Latin accents folded (`duplicateKey`). */
export function fingerprint(text: string): string {
  return createHash('sha256').update(duplicateKey(text)).digest('hex').slice(0, 32);
}

/** The checks of the quality gate, as they are counted in a job's quality report. */
export const QUALITY_CHECKS = [
  'schema',
  'stem',
  'options',
  'duplicate_options',
  'answer',
  'answer_near_copy',
  'all_none_of_above',
  /** The key is clearly the longest option, a cue a test-wise learner uses (key-cues.ts). */
  'key_longest',
  'explanation',
  /** The explanation (or an option) names an option by its letter; options are reordered (key-cues.ts). */
  'explanation_letter',
  'length',
  'bloom_level',
  'grounding',
  /** Open questions: a model answer that is missing, too short or too long. */
  'model_answer',
  /** Open questions: a model answer the cited passage does not support. */
  'unsupported_answer',
  'duplicate',
  'near_duplicate',
  'unusable_answer',
  'too_few_returned',
] as const;
export type QualityCheck = (typeof QUALITY_CHECKS)[number];

export interface Problem {
  check: QualityCheck;
  reason: string;
}

export interface Rejection {
  index: number;
  question: string;
  reasons: string[];
  /** The check behind each reason, in the same order. */
  checks: QualityCheck[];
}

export function rejectionOf(index: number, question: string, problems: Problem[]): Rejection {
  return { index, question, reasons: problems.map((p) => p.reason), checks: problems.map((p) => p.check) };
}

export interface CheckResult {
  accepted: Question[];
  /** For each accepted question, the index of the item it came from. */
  acceptedIndexes: number[];
  rejected: Rejection[];
}

/** How close a question may come to another of its bank, and an option to the answer. */
export interface GateSettings {
  /** Jaccard similarity of 5-character shingles at or above which two questions are one. */
  nearDuplicateThreshold: number;
  /** "All of the above" / "None of the above" (and both/neither) as an option. */
  allowAllNoneOfAbove: boolean;
}

export const DEFAULT_GATE: GateSettings = { nearDuplicateThreshold: 0.7, allowAllNoneOfAbove: false };

/** A wrong option this similar to the correct one (3-character shingles) is a near-copy of it. */
export const ANSWER_NEAR_COPY_THRESHOLD = 0.8;

export interface CheckContext {
  difficulty: number;
  defaultCategory: string;
  /** Fingerprints of questions already kept in the same career or topic. */
  seen: ReadonlySet<string>;
  /** Questions already kept in the bank (career, topic or assessment), for near-duplicates. */
  bank?: NearDuplicateIndex;
  gate?: GateSettings;
  /** The Bloom levels asked for; another one is rejected. */
  bloomLevels?: readonly BloomLevel[];
  /** More checks on the raw item (e.g. a cited passage); each string is a reason to reject. */
  extraCheck?: (item: ModelQuestion & Record<string, unknown>) => string[];
}

/**
 * Checks each raw item: shape, four distinct options a–d with none a near-copy of the answer,
 * no "all/none of the above" (unless allowed), an answer that resolves to exactly one option
 * and is not clearly the longest, an explanation that names no option by its letter, sane lengths, the Bloom level asked for, and no duplicate or near-duplicate
 * of a question of the bank or of this batch.
 */
export function checkQuestions(items: unknown[], ctx: CheckContext): CheckResult {
  const gate = ctx.gate ?? DEFAULT_GATE;
  const accepted: Question[] = [];
  const acceptedIndexes: number[] = [];
  const rejected: Rejection[] = [];
  const seen = new Set(ctx.seen);
  const bank = ctx.bank ?? new NearDuplicateIndex();
  items.forEach((item, index) => {
    const parsed = modelQuestionSchema.safeParse(item);
    if (!parsed.success) {
      rejected.push(
        rejectionOf(index, questionText(item), [
          { check: 'schema', reason: 'does not match the question schema' },
        ]),
      );
      return;
    }
    const q = { ...parsed.data, correct_answer: resolveAnswer(parsed.data) ?? parsed.data.correct_answer };
    const problems = [
      ...problemsOf(q, gate, ctx.bloomLevels),
      ...(ctx.extraCheck?.(item as ModelQuestion & Record<string, unknown>) ?? []).map(
        (reason): Problem => ({ check: 'grounding', reason }),
      ),
    ];
    const print = fingerprint(q.question);
    if (problems.length === 0 && seen.has(print)) {
      problems.push({ check: 'duplicate', reason: 'duplicates another question of the same bank' });
    }
    if (problems.length === 0) {
      const near = bank.nearest(q.question, gate.nearDuplicateThreshold);
      if (near) {
        problems.push({
          check: 'near_duplicate',
          reason: `nearly duplicates "${near.text.slice(0, 120)}" (similarity ${near.similarity.toFixed(2)}); ask something else`,
        });
      }
    }
    if (problems.length > 0) {
      rejected.push(rejectionOf(index, q.question, problems));
      return;
    }
    seen.add(print);
    bank.add(q.question);
    accepted.push(toQuestion(q, ctx));
    acceptedIndexes.push(index);
  });
  return { accepted, acceptedIndexes, rejected };
}

function questionText(item: unknown): string {
  if (item && typeof item === 'object' && 'question' in item && typeof item.question === 'string') {
    return item.question;
  }
  return '';
}

/**
 * The option the answer names, after normalising case, spacing and punctuation: an option id
 * ("b", "B", "(b)", "b.", "Option B") or an option's text. Undefined when it names none, or
 * more than one.
 */
export function resolveAnswer(q: Pick<ModelQuestion, 'options' | 'correct_answer'>): OptionId | undefined {
  const raw = normalizeText(q.correct_answer).replace(/^(option|answer) /, '');
  const ids = q.options.map((o) => normalizeText(o.id));
  if (ids.includes(raw) && (OPTION_IDS as readonly string[]).includes(raw)) return raw as OptionId;
  const byText = q.options.filter((o) => normalizeText(o.text) === raw && raw !== '');
  if (byText.length === 1) {
    const id = normalizeText(byText[0]?.id ?? '');
    if ((OPTION_IDS as readonly string[]).includes(id)) return id as OptionId;
  }
  return undefined;
}

const ALL_NONE_OF_ABOVE = /^(all|none|both|neither) (of )?(the )?(above|options|answers|previous)\b/;

/**
 * The gate's option rules, for any multiple-choice question (quiz banks, assessments, the
 * content API's quizzes): no "all/none of the above" unless allowed, no wrong option that
 * nearly copies the correct one, and a correct one that is not clearly the longest
 * (`answerIndex` < 0: the answer is checked elsewhere).
 */
export function optionProblems(
  options: string[],
  answerIndex: number,
  gate: GateSettings,
  name: (index: number) => string = (i) => `option ${i + 1}`,
): Problem[] {
  const problems: Problem[] = [];
  const texts = options.map((o) => normalizeText(o));
  if (!gate.allowAllNoneOfAbove && texts.some((t) => ALL_NONE_OF_ABOVE.test(t))) {
    problems.push({
      check: 'all_none_of_above',
      reason: 'an option is "all/none of the above"; every option must stand on its own',
    });
  }
  const answer = options[answerIndex];
  if (answer === undefined || new Set(texts).size !== texts.length) return problems;
  const longest = longestKeyProblem(options, answerIndex);
  if (longest) problems.push(longest);
  options.forEach((other, i) => {
    if (i === answerIndex) return;
    // Accents kept: "ou" is a fair distractor for "où" (see `duplicateKey`).
    const score = similarity(other, answer, 3, false);
    if (score >= ANSWER_NEAR_COPY_THRESHOLD) {
      problems.push({
        check: 'answer_near_copy',
        reason: `${name(i)} nearly copies the correct answer (similarity ${score.toFixed(2)})`,
      });
    }
  });
  return problems;
}

function problemsOf(q: ModelQuestion, gate: GateSettings, bloomLevels?: readonly BloomLevel[]): Problem[] {
  const problems: Problem[] = [];
  const add = (check: QualityCheck, reason: string) => problems.push({ check, reason });
  const stem = q.question.trim();
  if (stem.length < 10) add('stem', 'question text is empty or too short');
  if (stem.length > LIMITS.questionChars)
    add('length', `question text longer than ${LIMITS.questionChars} characters`);
  const ids = q.options.map((o) => o.id);
  if (q.options.length !== 4 || OPTION_IDS.some((id) => !ids.includes(id))) {
    add('options', 'options must be exactly four, with ids a, b, c and d');
  }
  const texts = q.options.map((o) => normalizeText(o.text));
  if (texts.some((t) => t.length === 0)) add('options', 'an option is empty');
  if (new Set(texts).size !== texts.length) add('duplicate_options', 'two options have the same text');
  if (q.options.some((o) => o.text.length > LIMITS.optionChars)) {
    add('length', `an option is longer than ${LIMITS.optionChars} characters`);
  }
  const answerIndex = q.options.findIndex((o) => o.id === q.correct_answer);
  if (!(OPTION_IDS as readonly string[]).includes(q.correct_answer) || answerIndex < 0) {
    add('answer', `correct_answer "${q.correct_answer}" is not one of the option ids`);
  }
  problems.push(
    ...optionProblems(
      q.options.map((o) => o.text),
      answerIndex,
      gate,
      (i) => `option ${q.options[i]?.id}`,
    ),
  );
  if (q.explanation.trim().length === 0) add('explanation', 'explanation is empty');
  problems.push(
    ...letterProblems(
      q.explanation,
      q.options.map((o) => o.text),
    ),
  );
  if (q.explanation.length > LIMITS.explanationChars) {
    add('length', `explanation longer than ${LIMITS.explanationChars} characters`);
  }
  if (q.bloom_level !== undefined && !(BLOOM_LEVELS as readonly string[]).includes(q.bloom_level)) {
    add('bloom_level', `bloom_level "${q.bloom_level}" is not one of ${BLOOM_LEVELS.join(', ')}`);
  } else if (
    bloomLevels &&
    q.bloom_level !== undefined &&
    !bloomLevels.includes(q.bloom_level as BloomLevel)
  ) {
    add(
      'bloom_level',
      `bloom_level "${q.bloom_level}" is not the level asked for (${bloomLevels.join(' or ')})`,
    );
  }
  return problems;
}

function toQuestion(q: ModelQuestion, ctx: CheckContext): Question {
  const byId = new Map(q.options.map((o) => [o.id, o.text.trim()]));
  return {
    id: randomUUID(),
    question: q.question.trim(),
    options: OPTION_IDS.map((id) => ({ id, text: byId.get(id) ?? '' })),
    correct_answer: q.correct_answer as OptionId,
    explanation: q.explanation.trim(),
    difficulty: ctx.difficulty,
    category: q.category?.trim() || ctx.defaultCategory,
    tags: (q.tags ?? [])
      .map((t) => t.trim())
      .filter(Boolean)
      .slice(0, LIMITS.tags),
    bloom_level: (q.bloom_level as BloomLevel | undefined) ?? 'understand',
  };
}
