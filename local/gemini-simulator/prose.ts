/**
 * Readable prose for the fields a prompt gives a length to. A prompt that asks for "about:
 * - content: 575 words" (one line per field, as a writer's brief does) gets, in those fields of
 * its answer, plain sentences on the topic and title the prompt names, of about that many words,
 * so word counts, readability, coherence and topic metrics behave as they would on real text.
 * Each text opens with one `[simulated]` marker; the sentences are otherwise ordinary English.
 *
 * Fields that hold questions (a `question` property or an answer key, an enum, somewhere inside)
 * are left as they are: questions stay placeholders, as everything else the simulator writes.
 */
import { isRecord } from './json.ts';

/** `- <field>: <n> words` lines of a prompt, by field. */
export function wordBudgets(prompt: string): Map<string, number> {
  const budgets = new Map<string, number>();
  for (const m of prompt.matchAll(/^\s*-\s*([A-Za-z][\w]*)\s*:\s*(\d+)\s+words\b/gm)) {
    const words = Number(m[2]);
    if (m[1] && words > 0 && words <= 20_000) budgets.set(m[1], words);
  }
  return budgets;
}

/** What the prose is about: the prompt's first line names its title (in quotes) and topic ("on …"). */
export function subjectOf(prompt: string): { topic: string; title: string } {
  const first = prompt.trim().split('\n')[0] ?? '';
  const title = /"([^"]{1,200})"/.exec(first)?.[1]?.trim() ?? '';
  const on = first.lastIndexOf(' on ');
  const topic =
    on >= 0
      ? first
          .slice(on + 4)
          .replace(/[.:]\s*$/, '')
          .trim()
      : '';
  const clean = (s: string) => s.replace(/[?!.:]+$/, '').trim();
  return { topic: clean(topic || title || 'the subject'), title: clean(title || topic || 'this part') };
}

// Short words and short sentences, as plain teaching prose has: Flesch reading ease ≈ 70–80.
const SENTENCES = [
  'This part looks at {S} as one step in {T}.',
  'A good way to start is to ask what {K} means in practice.',
  'Think of {K} as a tool you pick up when a task calls for it.',
  'Most people meet {K} early, so it helps to see it clearly.',
  'Put simply, {K} helps you work with less guesswork.',
  'When you learn {T}, small steps like this one add up fast.',
  'Try the idea on a small case first, then on a real one.',
  'Notice how {K} ties back to the rest of {T}.',
  'A common mistake is to skip {K} and hope for the best.',
  'If you get stuck, go back one step and read the example again.',
  'Each idea here builds on the one before it.',
  'Keep a short note of what {K} does and when to use it.',
  'The key point is simple: {K} makes {T} easier to follow.',
  'You will use {K} again in later parts of {T}.',
  'Ask yourself why {K} matters before you move on.',
  'In real work, {K} saves time and helps you avoid errors.',
  'Start with the idea, then look at how it is used.',
  'A quick check of your own can show if the idea is clear.',
  'Good habits with {K} pay off as your work on {T} grows.',
  'Take a moment to link {K} to what you already know.',
  'Read the steps out loud and see if each one makes sense.',
  'The same pattern shows up again and again in {T}.',
];

const STOP = new Set(
  'about after also into just more most much only other some such than that their them then there these they this those what when where which while will with your from have does introduction basics beginners guide course overview'.split(
    ' ',
  ),
);

/** The subject's own words (4+ letters, not stop words), the topic's first: what sentences talk of. */
function termsOf(topic: string, title: string): string[] {
  const words = `${topic} ${title}`.toLowerCase().match(/\p{L}[\p{L}'-]*/gu) ?? [];
  const terms = [...new Set(words.filter((w) => w.length >= 4 && !STOP.has(w)))];
  return terms.length > 0 ? terms : [topic.toLowerCase()];
}

const WORD = /[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu;
const countWords = (text: string) => text.match(WORD)?.length ?? 0;

export interface ProseWriter {
  /** A text of about `words` words, in paragraphs when long. */
  text(words: number): string;
  /** A short heading (a title or a name). */
  heading(n: number): string;
}

export function proseWriter(topic: string, title: string, rand: () => number): ProseWriter {
  const terms = termsOf(topic, title);
  let next = Math.floor(rand() * SENTENCES.length);
  let term = 0;
  const sentence = () => {
    // Mostly in order, now and then a skip: no two neighbouring texts read alike.
    next = (next + 1 + (rand() < 0.3 ? 1 : 0)) % SENTENCES.length;
    const template = SENTENCES[next] ?? '';
    return template
      .replace('{S}', title)
      .replace(/\{T\}/g, topic)
      .replace('{K}', () => terms[term++ % terms.length] ?? topic);
  };
  return {
    text(words: number) {
      const paragraphs: string[] = [];
      let current: string[] = ['[simulated]'];
      let count = 1;
      // Stop at the target or just past it: whole sentences, within a few words of it.
      do {
        const s = sentence();
        current.push(s);
        count += countWords(s);
        if (current.length >= 6) {
          paragraphs.push(current.join(' '));
          current = [];
        }
      } while (count < words - 4);
      if (current.length > 0) paragraphs.push(current.join(' '));
      return paragraphs.join('\n\n');
    },
    heading(n: number) {
      const t = terms[(n - 1) % terms.length] ?? topic;
      return `${t.charAt(0).toUpperCase()}${t.slice(1)} in practice ${n}`;
    },
  };
}

/** True when the schema holds questions: an answer key (an enum) or a `question` somewhere in it. */
function holdsQuestions(schema: unknown): boolean {
  if (!isRecord(schema)) return false;
  if (Array.isArray(schema.enum)) return true;
  if (holdsQuestions(schema.items)) return true;
  const props = isRecord(schema.properties) ? schema.properties : {};
  return 'question' in props || Object.values(props).some(holdsQuestions);
}

const HEADING_KEYS = new Set(['title', 'name']);
const NOT_PROSE_KEYS = new Set(['code', 'id', 'url', 'type']);

/** Where a string sits: its holder (an object or a list) and its key or index there. */
interface Leaf {
  holder: Record<string, unknown> | unknown[];
  key: string | number;
}

/** The string leaves of a value, in document order. */
function leaves(value: unknown, out: Leaf[] = []): Leaf[] {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (typeof v === 'string') out.push({ holder: value, key: i });
      else leaves(v, out);
    });
  } else if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (typeof v === 'string') out.push({ holder: value, key: k });
      else leaves(v, out);
    }
  }
  return out;
}

/**
 * Rewrites the budgeted top-level fields of `answer` as prose: a string field gets its whole
 * budget; the texts of a list share it equally (headings and code excepted).
 */
export function writeProse(
  answer: unknown,
  schema: unknown,
  budgets: Map<string, number>,
  writer: ProseWriter,
): void {
  if (!isRecord(answer) || budgets.size === 0) return;
  const props = isRecord(schema) && isRecord(schema.properties) ? schema.properties : {};
  let headings = 0;
  for (const [field, words] of budgets) {
    const value = answer[field];
    if (value === undefined || holdsQuestions(props[field])) continue;
    if (typeof value === 'string') {
      answer[field] = writer.text(words);
      continue;
    }
    const found = leaves(value);
    const prose = found.filter(({ key }) => typeof key === 'number' || !NOT_PROSE_KEYS.has(key));
    const texts = prose.filter(({ key }) => typeof key === 'number' || !HEADING_KEYS.has(key));
    const each = Math.max(5, Math.round(words / Math.max(1, texts.length)));
    for (const { holder, key } of prose) {
      const text =
        typeof key === 'string' && HEADING_KEYS.has(key) ? writer.heading(++headings) : writer.text(each);
      if (Array.isArray(holder)) holder[key as number] = text;
      else holder[key as string] = text;
    }
  }
}
