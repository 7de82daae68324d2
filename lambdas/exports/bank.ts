/**
 * The bank every export format reads, and converters from the service's result files.
 * Texts are plain text, never HTML: each format does its own escaping.
 */
import * as z from 'zod';
import { normalizeText, OPTION_IDS, type OptionId } from '#jobs/questions.ts';
import { InvalidRequest } from '#platform/errors.ts';

export interface ExportQuestion {
  id: string;
  question: string;
  options: { id: OptionId; text: string }[];
  correct_answer: OptionId;
  explanation: string;
  difficulty?: number;
  bloom_level?: string;
  category?: string;
  tags?: string[];
  /** ISO 639-1 code of the language the question is written in, where known. */
  language?: string;
}

/**
 * An open question: the learner writes the answer, a grader marks it against `model_answer`.
 * Each format writes it in its own open type after the multiple-choice questions (see the writers);
 * Aiken has none and refuses a bank that holds one.
 */
export interface ExportOpenQuestion {
  id: string;
  question: string;
  model_answer: string;
  explanation: string;
  bloom_level?: string;
  /** ISO 639-1 code of the language the question is written in, where known. */
  language?: string;
}

export interface ExportBank {
  title: string;
  questions: ExportQuestion[];
  /** Open questions, written after `questions`. */
  openQuestions?: ExportOpenQuestion[];
}

const optionId = z.enum(OPTION_IDS);

const quizQuestionSchema = z.object({
  id: z.string(),
  question: z.string(),
  options: z.array(z.object({ id: optionId, text: z.string() })),
  correct_answer: optionId,
  explanation: z.string().default(''),
  difficulty: z.number().optional(),
  bloom_level: z.string().optional(),
  category: z.string().optional(),
  tags: z.array(z.string()).optional(),
  language: z.string().optional(),
});

/** An assessment question in the EduMate seed's shape (`mcqs`), as exports read it. */
const assessmentQuestionSchema = z.object({
  question: z.string(),
  options: z.array(z.string()),
  correct_answer: z.string(),
  explanation: z.string().default(''),
  bloom_level: z.string().optional(),
  language: z.string().optional(),
});
export type McqQuestion = z.infer<typeof assessmentQuestionSchema>;

/** An open question in EduMate's shape (`subjective_questions`), as exports read it. */
const openQuestionSchema = z.object({
  question_no: z.union([z.string(), z.number()]).optional(),
  question: z.string(),
  model_answer: z.string(),
  explanation: z.string().nullish(),
  bloom_level: z.string().optional(),
  language: z.string().optional(),
});
export type SubjectiveQuestion = z.infer<typeof openQuestionSchema>;

/**
 * Every question in a result file, in file order: a career level
 * (`{ sector, career, level, quiz_pool }`), a sector file (`{ CAREER: { level_N: { quiz_pool } } }`),
 * the soft-skills file (`{ TOPIC: { quiz_pool } }`), the combined bank (`{ group: file, ... }`),
 * or an assessment result (`{ mcqs }`). Other fields are ignored.
 */
export function bankFromResult(title: string, result: unknown): ExportBank {
  const questions: ExportQuestion[] = [];
  const open: ExportOpenQuestion[] = [];
  collect(result, '', questions, open);
  return { title, questions, ...(open.length > 0 ? { openQuestions: open } : {}) };
}

function collect(value: unknown, path: string, into: ExportQuestion[], open: ExportOpenQuestion[]): void {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
  const record = value as Record<string, unknown>;
  if (Array.isArray(record.quiz_pool)) {
    record.quiz_pool.forEach((item, i) => {
      into.push(parseOrThrow(quizQuestionSchema, item, `${path}quiz_pool[${i}]`));
    });
    return;
  }
  if (Array.isArray(record.mcqs)) {
    record.mcqs.forEach((item, i) => {
      const parsed = parseOrThrow(assessmentQuestionSchema, item, `${path}mcqs[${i}]`);
      into.push(fromAssessmentQuestion(parsed, `mcq-${i + 1}`));
    });
    const subjective = Array.isArray(record.subjective_questions) ? record.subjective_questions : [];
    subjective.forEach((item, i) => {
      const parsed = parseOrThrow(openQuestionSchema, item, `${path}subjective_questions[${i}]`);
      open.push(fromOpenQuestion(parsed, `open-${i + 1}`));
    });
    return;
  }
  for (const [key, child] of Object.entries(record)) collect(child, `${path}${key}.`, into, open);
}

function parseOrThrow<T>(schema: z.ZodType<T>, item: unknown, path: string): T {
  const parsed = schema.safeParse(item);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.length ? `.${issue.path.join('.')}` : '';
  throw new InvalidRequest(`${path}${field}: ${issue?.message ?? 'is not a question'}`);
}

/**
 * Assessments in the seed's shape, ids `mcq-1`, `mcq-2`, ... by position, and their open
 * questions, ids `open-1`, `open-2`, ...
 */
export function bankFromAssessment(
  title: string,
  questions: McqQuestion[],
  open: SubjectiveQuestion[] = [],
): ExportBank {
  return {
    title,
    questions: questions.map((q, i) => fromAssessmentQuestion(q, `mcq-${i + 1}`)),
    ...(open.length > 0 ? { openQuestions: open.map((q, i) => fromOpenQuestion(q, `open-${i + 1}`)) } : {}),
  };
}

export function fromOpenQuestion(q: SubjectiveQuestion, id: string): ExportOpenQuestion {
  return {
    id,
    question: q.question,
    model_answer: q.model_answer,
    explanation: q.explanation ?? '',
    ...(q.bloom_level ? { bloom_level: q.bloom_level } : {}),
    ...(q.language ? { language: q.language } : {}),
  };
}

/**
 * Options get ids a–d by position. The answer is the option with the same text; failing that,
 * the one that is the same text as `normalizeText` sees it (what the assessment editor accepts).
 */
export function fromAssessmentQuestion(q: McqQuestion, id: string): ExportQuestion {
  if (q.options.length > OPTION_IDS.length) {
    throw new InvalidRequest(`${id}: has ${q.options.length} options; exports carry at most four`);
  }
  const options = q.options.map((text, i) => ({ id: OPTION_IDS[i] as OptionId, text }));
  const exact = options.filter((o) => o.text.trim() === q.correct_answer.trim());
  const loose = options.filter((o) => normalizeText(o.text) === normalizeText(q.correct_answer));
  const answer = exact.length === 1 ? exact[0] : loose.length === 1 ? loose[0] : undefined;
  if (!answer) throw new InvalidRequest(`${id}: correct_answer is not exactly one of the options`);
  return {
    id,
    question: q.question,
    options,
    correct_answer: answer.id,
    explanation: q.explanation,
    ...(q.bloom_level ? { bloom_level: q.bloom_level } : {}),
    ...(q.language ? { language: q.language } : {}),
  };
}

/**
 * Line breaks as `\n` and no white space at either end: the GIFT, Aiken and Moodle importers
 * trim texts anyway, so every format gets the same trimmed text rather than some keeping it.
 */
export function cleanText(text: string): string {
  return text.replace(/\r\n?/g, '\n').trim();
}

/**
 * The bank as every writer expects it: texts cleaned, options sorted a, b, c, d with no gap
 * (Aiken letters and CSV columns are positions), two to four of them, none empty, and an
 * answer that is one of them. Throws `InvalidRequest` naming the first question that is not.
 */
export function prepareBank(bank: ExportBank): ExportBank {
  const open = bank.openQuestions ?? [];
  if (bank.questions.length === 0 && open.length === 0) {
    throw new InvalidRequest('The bank has no questions to export');
  }
  return {
    title: cleanText(bank.title).replace(/\s+/g, ' ') || 'Question bank',
    questions: bank.questions.map(prepareQuestion),
    ...(open.length > 0
      ? { openQuestions: open.map((q, i) => prepareOpenQuestion(q, bank.questions.length + i)) }
      : {}),
  };
}

function prepareOpenQuestion(q: ExportOpenQuestion, index: number): ExportOpenQuestion {
  const fail = (problem: string) => new InvalidRequest(`Question ${index + 1} (${q.id}): ${problem}`);
  const question = cleanText(q.question);
  if (question === '') throw fail('has no question text');
  const answer = cleanText(q.model_answer);
  if (answer === '') throw fail('has no model answer');
  return { ...q, question, model_answer: answer, explanation: cleanText(q.explanation ?? '') };
}

function prepareQuestion(q: ExportQuestion, index: number): ExportQuestion {
  const fail = (problem: string) => new InvalidRequest(`Question ${index + 1} (${q.id}): ${problem}`);
  const options = [...q.options]
    .sort((x, y) => x.id.localeCompare(y.id))
    .map((o) => ({ id: o.id, text: cleanText(o.text) }));
  if (options.length < 2 || options.some((o, i) => o.id !== OPTION_IDS[i])) {
    throw fail('needs two to four options with ids a, b, c, d and no gaps');
  }
  if (options.some((o) => o.text === '')) throw fail('has an empty option');
  if (!options.some((o) => o.id === q.correct_answer)) throw fail('correct_answer is not one of the options');
  const question = cleanText(q.question);
  if (question === '') throw fail('has no question text');
  return {
    ...q,
    question,
    options,
    explanation: cleanText(q.explanation ?? ''),
    ...(q.tags ? { tags: q.tags.map(cleanText).filter(Boolean) } : {}),
  };
}

/** A one-line name for LMS question lists (Moodle shows it; it is not the question). */
export function shortName(text: string, max = 60): string {
  const line = text.replace(/\s+/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length <= max
    ? line
    : `${chars
        .slice(0, max - 1)
        .join('')
        .trimEnd()}…`;
}
