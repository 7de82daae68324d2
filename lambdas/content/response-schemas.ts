/**
 * Response schemas (the OpenAPI subset Gemini takes) for each section kind. Their fields are the
 * seed's fields for that part of the content ("Content Structure Types"), with two deliberate
 * differences: a section whose part is a plain string (`introduction`, `summary`, `conclusion`,
 * quiz `instructions`) is wrapped as `{ <field>: string }`, and quiz question ids are not asked
 * for: `assembleContent` numbers them, so they are unique across categories and stable across
 * regenerations, which the model cannot promise.
 *
 * A section whose structure lists its questions (`SectionSpec.questions`) asks for them as an
 * object with one property per listed question, `question_1`, `question_2`, … in order, each of
 * its own type's schema (`listedQuestions`): the model cannot drop, reorder or retype one, and
 * `checkSectionOutput` turns them back into the list.
 */
import { Type } from '#platform/gemini/schema-type.ts';
import { itemCounts } from './prompt-context.ts';
import type { QuestionSpec, QuestionType, SectionSpec } from './sections.ts';

const str = (description?: string) => ({ type: Type.STRING, ...(description ? { description } : {}) });
const list = (items: unknown, min?: number, max?: number) => ({
  type: Type.ARRAY,
  items,
  ...(min !== undefined ? { minItems: String(min) } : {}),
  ...(max !== undefined ? { maxItems: String(max) } : {}),
});
/**
 * A list of questions the prompt and its description ask `count` of, without length limits: the
 * gate (`checkSectionOutput`) counts them, and Gemini refuses long exact-length lists of objects.
 */
const questionList = (item: unknown, count: number | undefined) => ({
  ...list(item),
  ...(count !== undefined ? { description: `Exactly ${count} questions.` } : {}),
});
const obj = (properties: Record<string, unknown>, optional: string[] = []) => ({
  type: Type.OBJECT,
  properties,
  required: Object.keys(properties).filter((k) => !optional.includes(k)),
  propertyOrdering: Object.keys(properties),
});
/**
 * A question's answer as the index of one of its four options, as a string enum ("0"–"3"):
 * Gemini expands a bounded integer into every value it allows, one of the documented causes of
 * "too many states for serving" (https://ai.google.dev/gemini-api/docs/structured-output,
 * Limitations). `checkSectionOutput` reads it back as a number.
 */
const correctOption = () => ({
  type: Type.STRING,
  enum: ['0', '1', '2', '3'],
  description: 'Index (0-3) of the correct option.',
});

/** The property a listed question is asked under (1-based, in the structure's order). */
export const listedQuestionKey = (i: number) => `question_${i + 1}`;

/** What the model writes for one question of a type, beyond the question and its explanation. */
function questionFields(type: QuestionType): Record<string, unknown> {
  switch (type) {
    case 'multiple_choice':
      return { options: list(str(), 4, 4), correctOption: correctOption() };
    case 'true_false':
      // The options are always ["True", "False"] (added by the checks): only the answer is asked.
      return {
        answer: { type: Type.STRING, enum: ['True', 'False'], description: 'Whether the statement is true.' },
      };
    case 'short_answer':
      return { answer: str('The expected answer, in a few words.') };
  }
}

/** The listed questions as one property each, of their own type, on the listed topic. */
function listedQuestions(questions: QuestionSpec[], quiz: boolean) {
  const properties = Object.fromEntries(
    questions.map((q, i) => {
      const own = quiz
        ? {
            question: str(q.topic ? `A ${label(q.type)} question on: ${q.topic}` : undefined),
            ...(q.type === 'multiple_choice'
              ? { context: str('A short scenario, only when the question needs one.') }
              : {}),
            ...questionFields(q.type),
            explanation: str(),
            hints: list(str(), 1, 3),
          }
        : {
            question: str(q.topic ? `A ${label(q.type)} question on: ${q.topic}` : undefined),
            ...questionFields(q.type),
            explanation: str(),
          };
      return [listedQuestionKey(i), obj(own, ['context'])];
    }),
  );
  return obj(properties);
}

function label(type: QuestionType): string {
  return type === 'multiple_choice'
    ? 'multiple-choice'
    : type === 'true_false'
      ? 'true/false'
      : 'short-answer';
}

/**
 * The `questions` of a quiz category or module assessment: the structure's listed questions, one
 * property each, or a list of `questionCount` multiple-choice questions.
 */
function questionsOf(section: SectionSpec): unknown {
  const quiz = section.kind === 'quiz_category';
  if (section.questions) return listedQuestions(section.questions, quiz);
  const count = itemCounts(section).questions;
  if (quiz) {
    return questionList(
      obj(
        {
          question: str(),
          context: str('A short scenario, only when the question needs one.'),
          options: list(str(), 4, 4),
          correctOption: correctOption(),
          explanation: str(),
          hints: list(str(), 1, 3),
        },
        ['context'],
      ),
      count,
    );
  }
  return questionList(
    obj({
      question: str(),
      // Generated assessments are multiple choice: an answer given as the index of an
      // option is always one of the options, which free text copied "word for word" is not.
      type: { type: Type.STRING, enum: ['multiple_choice'] },
      options: list(str(), 4, 4),
      correctOption: correctOption(),
      explanation: str(),
    }),
    count,
  );
}

/**
 * The response schema of a question section's questions alone, without its description or
 * instructions: what a regenerated question is asked with (content/regenerate.ts), each question
 * of the same shape as the section's own.
 */
export function sectionQuestionsSchema(section: SectionSpec): unknown {
  return obj({ questions: questionsOf(section) });
}

/**
 * A map node's relationship targets are the other nodes' titles: an enum while they are few and
 * short, plain text past that, since long enums are another documented cause of refused schemas.
 */
const MAX_TARGET_ENUM = { values: 20, chars: 600 };

/** The response schema for a section; list sizes come from its word budgets and question count. */
export function sectionSchema(section: SectionSpec, plan: SectionSpec[] = []): unknown {
  const counts = itemCounts(section);
  switch (section.kind) {
    case 'overview':
      return obj({
        title: str(),
        description: str(),
        introduction: str(),
        prerequisites: list(str(), 1, 5),
        learningOutcomes: list(str(), 3, 8),
      });
    case 'module_introduction':
      return obj({ introduction: str() });
    case 'lesson':
      return obj({
        content: str('The lesson text; paragraphs separated by blank lines, Markdown allowed.'),
        keyPoints: list(str(), counts.keyPoints, counts.keyPoints),
        examples: list(
          obj({ title: str(), description: str(), code: str('Only when the example is code.') }, ['code']),
          counts.examples,
          counts.examples,
        ),
        exercises: list(
          obj({ title: str(), instructions: str(), solution: str() }),
          counts.exercises,
          counts.exercises,
        ),
      });
    case 'module_summary':
      return obj({ summary: str() });
    case 'module_assessment':
      return obj({ instructions: str(), questions: questionsOf(section) });
    case 'conclusion':
    case 'path_conclusion':
      return obj({ conclusion: str() });
    case 'quiz_instructions':
      return obj({ instructions: str() });
    case 'quiz_category':
      return obj({ description: str(), questions: questionsOf(section) });
    case 'workflow_overview':
      return obj({ name: str(), description: str(), purpose: str() });
    case 'workflow_step':
      return obj({
        description: str(),
        instructions: str(),
        inputs: list(str('A short label.'), 1, 10),
        outputs: list(str('A short label.'), 1, 10),
      });
    case 'novel_synopsis':
      return obj({
        title: str(),
        synopsis: str(),
        setting: str(),
        characters: list(obj({ name: str(), description: str() }), 1, 12),
      });
    case 'chapter':
      return obj({ summary: str(), content: str() });
    case 'map_overview':
      return obj({ title: str(), description: str() });
    case 'map_node': {
      const others = plan.filter((s) => s.kind === 'map_node' && s.id !== section.id).map((s) => s.title);
      const enumerable =
        others.length > 0 &&
        others.length <= MAX_TARGET_ENUM.values &&
        others.join('').length <= MAX_TARGET_ENUM.chars;
      const target = enumerable
        ? { type: Type.STRING, enum: others }
        : str('The title of another node of this map, exactly as the prompt gives it.');
      return obj({
        description: str(),
        keyConcepts: list(str(), 2, 8),
        examples: list(str(), 1, 5),
        relationships: {
          ...list(obj({ target, relation: str() })),
          description: `At most ${Math.min(6, others.length)} relationships to other nodes.`,
        },
      });
    }
    case 'path_overview':
      return obj({ title: str(), description: str(), outcomes: list(str(), 2, 8) });
    case 'path_stage':
      return obj({
        description: str(),
        objectives: list(str(), 2, 6),
        activities: list(obj({ title: str(), description: str() }), 1, 6),
        resources: list(str(), 1, 6),
        milestone: str(),
      });
  }
}
