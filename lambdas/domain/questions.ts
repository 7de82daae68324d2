/**
 * Questions: the shape the model is asked for, the production shape of the seed's sector
 * files, and the checks every question passes before it is kept.
 */
import { createHash, randomUUID } from 'node:crypto';
import { Type } from '@google/genai';
import { z } from 'zod';

export const OPTION_IDS = ['a', 'b', 'c', 'd'] as const;
export type OptionId = (typeof OPTION_IDS)[number];

export const BLOOM_LEVELS = ['remember', 'understand', 'apply', 'analyze', 'evaluate', 'create'] as const;
export type BloomLevel = (typeof BLOOM_LEVELS)[number];

export const LIMITS = { questionChars: 600, optionChars: 240, explanationChars: 1200, tags: 8 } as const;

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
}

/** The response schema sent to Gemini (OpenAPI subset), asking for exactly `count` questions. */
export function questionsResponseSchema(count: number) {
  return {
    type: Type.OBJECT,
    properties: {
      questions: {
        type: Type.ARRAY,
        minItems: String(count),
        maxItems: String(count),
        items: {
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
            bloom_level: { type: Type.STRING, enum: [...BLOOM_LEVELS] },
          },
          required: [
            'question',
            'options',
            'correct_answer',
            'explanation',
            'category',
            'tags',
            'bloom_level',
          ],
          propertyOrdering: [
            'question',
            'options',
            'correct_answer',
            'explanation',
            'category',
            'tags',
            'bloom_level',
          ],
        },
      },
    },
    required: ['questions'],
  };
}

/** Lower case, punctuation and repeated spaces removed: what "the same text" means here. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
}

export function fingerprint(text: string): string {
  return createHash('sha256').update(normalizeText(text)).digest('hex').slice(0, 32);
}

export interface Rejection {
  index: number;
  question: string;
  reasons: string[];
}

export interface CheckResult {
  accepted: Question[];
  /** For each accepted question, the index of the item it came from. */
  acceptedIndexes: number[];
  rejected: Rejection[];
}

export interface CheckContext {
  difficulty: number;
  defaultCategory: string;
  /** Fingerprints of questions already kept in the same career or topic. */
  seen: ReadonlySet<string>;
  /** More checks on the raw item (e.g. a cited passage); each string is a reason to reject. */
  extraCheck?: (item: ModelQuestion & Record<string, unknown>) => string[];
}

/**
 * Checks each raw item: shape, four distinct options a–d, an answer that is one of them,
 * an explanation, sane lengths, and no duplicate of a question already seen.
 */
export function checkQuestions(items: unknown[], ctx: CheckContext): CheckResult {
  const accepted: Question[] = [];
  const acceptedIndexes: number[] = [];
  const rejected: Rejection[] = [];
  const seen = new Set(ctx.seen);
  items.forEach((item, index) => {
    const parsed = modelQuestionSchema.safeParse(item);
    if (!parsed.success) {
      rejected.push({ index, question: questionText(item), reasons: ['does not match the question schema'] });
      return;
    }
    const q = parsed.data;
    const reasons = [
      ...problemsOf(q),
      ...(ctx.extraCheck?.(item as ModelQuestion & Record<string, unknown>) ?? []),
    ];
    const print = fingerprint(q.question);
    if (reasons.length === 0 && seen.has(print))
      reasons.push('duplicates another question of the same career');
    if (reasons.length > 0) {
      rejected.push({ index, question: q.question, reasons });
      return;
    }
    seen.add(print);
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

function problemsOf(q: ModelQuestion): string[] {
  const reasons: string[] = [];
  const stem = q.question.trim();
  if (stem.length < 10) reasons.push('question text is empty or too short');
  if (stem.length > LIMITS.questionChars)
    reasons.push(`question text longer than ${LIMITS.questionChars} characters`);
  const ids = q.options.map((o) => o.id);
  if (q.options.length !== 4 || OPTION_IDS.some((id) => !ids.includes(id))) {
    reasons.push('options must be exactly four, with ids a, b, c and d');
  }
  const texts = q.options.map((o) => normalizeText(o.text));
  if (texts.some((t) => t.length === 0)) reasons.push('an option is empty');
  if (new Set(texts).size !== texts.length) reasons.push('two options have the same text');
  if (q.options.some((o) => o.text.length > LIMITS.optionChars)) {
    reasons.push(`an option is longer than ${LIMITS.optionChars} characters`);
  }
  if (!(OPTION_IDS as readonly string[]).includes(q.correct_answer) || !ids.includes(q.correct_answer)) {
    reasons.push(`correct_answer "${q.correct_answer}" is not one of the option ids`);
  }
  if (q.explanation.trim().length === 0) reasons.push('explanation is empty');
  if (q.explanation.length > LIMITS.explanationChars) {
    reasons.push(`explanation longer than ${LIMITS.explanationChars} characters`);
  }
  if (q.bloom_level !== undefined && !(BLOOM_LEVELS as readonly string[]).includes(q.bloom_level)) {
    reasons.push(`bloom_level "${q.bloom_level}" is not one of ${BLOOM_LEVELS.join(', ')}`);
  }
  return reasons;
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
