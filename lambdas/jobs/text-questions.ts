/**
 * Questions whose options are plain strings and whose answer is the text of one of them (or, for
 * a short answer, free text): the content API's quiz categories and module assessments. The
 * checks one such question passes live here, so that the generation gate
 * (content/output-checks.ts) and the review API's edit gate (review/content-edit-gate.ts) hold a
 * question to the same rules: an edit passes exactly when a generated question would.
 */
import { letterProblems } from './key-cues.ts';
import { type GateSettings, optionProblems, type Problem } from './questions.ts';
import { NearDuplicateIndex } from './similarity.ts';

export const TEXT_QUESTION_TYPES = ['multiple_choice', 'true_false', 'short_answer'] as const;
export type TextQuestionType = (typeof TEXT_QUESTION_TYPES)[number];

/** A true/false question's options, always these two in this order. */
export const TRUE_FALSE = ['True', 'False'] as const;

/** What a question's options must be beyond the common rules, by where it is asked. */
export interface TextQuestionRules {
  /** Exactly this many options for a multiple-choice question (a quiz category asks for four). */
  exactOptions?: number;
  /** At least this many (a module assessment's multiple-choice question). */
  minOptions?: number;
}

/** A quiz category's multiple-choice questions have four options (its response schema asks four). */
export const QUIZ_CATEGORY_RULES: TextQuestionRules = { exactOptions: 4 };
/** A module assessment's have at least three. */
export const ASSESSMENT_RULES: TextQuestionRules = { minOptions: 3 };

export interface TextQuestion {
  type: TextQuestionType;
  options: string[];
  /** The correct option's text (true/false, multiple choice) or the expected answer. */
  answer: string;
  explanation: string;
}

export interface TextQuestionCheck {
  /** The options as kept: none for a short answer, True/False for a true/false question. */
  options: string[];
  /** The answer in its option's own spelling when it differed only in case or spacing. */
  answer: string;
  problems: Problem[];
}

/**
 * The checks of one question. `where` prefixes every reason (`questions[2]`), `answerField`
 * names the answer as the section writes it (`answer`, `correctAnswer`), so that reasons read
 * as the model (or the reviewer) wrote the question.
 */
export function checkTextQuestion(
  q: TextQuestion,
  rules: TextQuestionRules,
  gate: GateSettings,
  where: string,
  answerField = 'answer',
): TextQuestionCheck {
  const problems: Problem[] = [];
  const add = (check: Problem['check'], reason: string) => problems.push({ check, reason });
  if (q.type === 'short_answer') {
    if (!q.answer.trim()) add('answer', `${where}.answer must not be empty (a short answer needs one)`);
    return { options: [], answer: q.answer.trim(), problems };
  }
  const options = q.type === 'true_false' ? [...TRUE_FALSE] : q.options.map((o) => o.trim());
  if (q.type === 'multiple_choice' && rules.exactOptions !== undefined) {
    if (options.length !== rules.exactOptions)
      add('options', `${where}.options: must be exactly ${words(rules.exactOptions)} options`);
  }
  const match = matchOption(options, q.answer);
  if (match === undefined) add('answer', `${where}.${answerField} "${q.answer}" is not one of its options`);
  if (q.type === 'true_false') return { options, answer: match ?? q.answer, problems };
  if (rules.exactOptions !== undefined && new Set(options.map(normalize)).size !== options.length) {
    add('duplicate_options', `${where} repeats an option`);
  } else {
    const keyIndex = match === undefined ? -1 : options.indexOf(match);
    for (const p of optionProblems(options, keyIndex, gate)) add(p.check, `${where}: ${p.reason}`);
  }
  // Options are reordered when the section is kept (content/section-keys.ts): no letters.
  for (const p of letterProblems(q.explanation, options)) add(p.check, `${where}: ${p.reason}`);
  if (rules.minOptions !== undefined && options.length < rules.minOptions) {
    add('options', `${where} is multiple_choice with fewer than ${words(rules.minOptions)} options`);
  }
  return { options, answer: match ?? q.answer, problems };
}

/** Questions of one set that nearly repeat an earlier one of it, at the gate's threshold. */
export function nearDuplicatesWithin(questions: string[], threshold: number, where = 'questions'): Problem[] {
  const seen = new NearDuplicateIndex();
  const problems: Problem[] = [];
  questions.forEach((question, i) => {
    const near = seen.nearest(question, threshold);
    if (near) {
      problems.push({
        check: 'near_duplicate',
        reason: `${where}[${i}] nearly repeats "${near.text.slice(0, 80)}"; ask something else`,
      });
    }
    seen.add(question);
  });
  return problems;
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six'];
const words = (n: number) => NUMBER_WORDS[n] ?? String(n);

export function matchOption(options: readonly string[], answer: string): string | undefined {
  const matches = options.filter((o) => normalize(o) === normalize(answer));
  return matches.length === 1 ? matches[0] : undefined;
}

export function normalize(text: string): string {
  return text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}
