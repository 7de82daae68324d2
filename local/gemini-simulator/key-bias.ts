/**
 * A model's habits with answer keys, on demand: `keyPosition` puts every correct answer at the
 * same option ('a'–'d'), as language models favour some positions; `longestKey` makes the
 * correct option clearly the longest (its distractors cut to a third of its length), as models
 * pad the key with the qualifications that make it right.
 *
 * A repair call is answered with a fixed question, as a model told what was wrong does: when
 * the prompt passes on the gate's rejection "the correct option is clearly the longest"
 * (lambdas/jobs/key-cues.ts `longestKeyProblem`), the key is not made the longest, and is cut
 * to no longer than the longest distractor. The position habit stays: the service balances
 * positions itself, whatever the model does.
 *
 * Applied to every question-shaped object of an answer: `options` of `{id, text}` with a
 * `correct_answer` id (quiz banks, assessments), or `options` of strings with a `correctOption`
 * index "0"–"3" (the content API's quizzes).
 */
import { isRecord } from './json.ts';

export type KeyPosition = 'a' | 'b' | 'c' | 'd';
export const KEY_POSITIONS: readonly KeyPosition[] = ['a', 'b', 'c', 'd'];

export interface KeyBias {
  keyPosition?: KeyPosition;
  longestKey: boolean;
}

const REPAIR_OF_LONGEST = /correct option is clearly the longest/i;

/** Applies the configured habits to an answer in place; `prompt` is the request's last user text. */
export function biasKeys(answer: unknown, bias: KeyBias, prompt: string): void {
  if (bias.keyPosition === undefined && !bias.longestKey) return;
  const repaired = REPAIR_OF_LONGEST.test(prompt);
  visit(answer, (question) => biasQuestion(question, bias, repaired));
}

function visit(node: unknown, onQuestion: (q: Record<string, unknown>) => void, depth = 0): void {
  if (depth > 12) return;
  if (Array.isArray(node)) {
    for (const item of node) visit(item, onQuestion, depth + 1);
    return;
  }
  if (!isRecord(node)) return;
  if (Array.isArray(node.options) && node.options.length >= 2) onQuestion(node);
  for (const value of Object.values(node)) visit(value, onQuestion, depth + 1);
}

/** The option texts of a question, with how to read the key and write texts back. */
interface OptionView {
  texts: string[];
  keyIndex: number;
  setKey(index: number): void;
  setText(index: number, text: string): void;
}

function viewOf(q: Record<string, unknown>): OptionView | undefined {
  const options = q.options as unknown[];
  if (
    typeof q.correct_answer === 'string' &&
    options.every((o) => isRecord(o) && typeof o.text === 'string')
  ) {
    const items = options as { id?: unknown; text: string }[];
    return {
      texts: items.map((o) => o.text),
      keyIndex: items.findIndex((o) => o.id === q.correct_answer),
      setKey: (index) => {
        const id = items[index]?.id;
        if (typeof id === 'string') q.correct_answer = id;
      },
      setText: (index, text) => {
        const item = items[index];
        if (item) item.text = text;
      },
    };
  }
  if (typeof q.correctOption === 'string' && options.every((o) => typeof o === 'string')) {
    const texts = options as string[];
    return {
      texts,
      keyIndex: Number(q.correctOption),
      setKey: (index) => {
        q.correctOption = String(index);
      },
      setText: (index, text) => {
        texts[index] = text;
      },
    };
  }
  return undefined;
}

function biasQuestion(q: Record<string, unknown>, bias: KeyBias, repaired: boolean): void {
  const view = viewOf(q);
  if (!view) return;
  let keyIndex = view.keyIndex;
  if (bias.keyPosition !== undefined) {
    const index = KEY_POSITIONS.indexOf(bias.keyPosition);
    if (index < view.texts.length) {
      view.setKey(index);
      keyIndex = index;
    }
  }
  const key = view.texts[keyIndex];
  if (!bias.longestKey || key === undefined) return;
  const others = view.texts.map((t, i) => ({ t, i })).filter(({ i }) => i !== keyIndex);
  if (repaired) {
    const longest = Math.max(...others.map(({ t }) => t.length));
    if (key.length > longest) view.setText(keyIndex, key.slice(0, Math.max(1, longest)).trimEnd());
    return;
  }
  // Each distractor keeps its opening, which holds its number and first words: still distinct.
  const cut = Math.max(12, Math.floor(key.length / 3));
  for (const { t, i } of others) view.setText(i, t.slice(0, cut).trimEnd());
}
