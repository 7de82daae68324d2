/**
 * A content job's questions as reviewed questions and as a balanced set: review ids, the record
 * shape, the key positions over a whole job whose sections finish in any order, and the edit
 * gate that holds an edit to the checks a generated question passes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { checkSectionOutput } from '#content/output-checks.ts';
import { contentQuestionId, reviewedQuestionsOf } from '#content/question-review.ts';
import { balanceSectionKeys, keyOffsetOf, plannedMcqs } from '#content/section-keys.ts';
import type { SectionSpec } from '#content/sections.ts';
import { NearDuplicateIndex } from '#jobs/similarity.ts';
import { contentEditGate } from '#review/content-edit-gate.ts';
import { questionIdSchema } from '#review/review-schemas.ts';
import type { QuestionContent } from '#review/review-store.ts';

const spec = (id: string, kind: SectionSpec['kind'], extra: Partial<SectionSpec> = {}): SectionSpec => ({
  id,
  kind,
  title: id,
  path: id,
  targetWords: 500,
  wordsByPart: {},
  dependsOn: [],
  stage: 1,
  contentId: id,
  ...extra,
});

/** A quiz category's answer whose every key is option 2 ("b"), as a biased model writes it. */
function categoryOutput(n: number, tag: string) {
  return {
    description: `Questions on ${tag}.`,
    questions: Array.from({ length: n }, (_, i) => ({
      question: `Which statement about ${tag} item ${i + 1} holds in every case?`,
      type: 'multiple_choice',
      options: [
        `Wrong ${tag} ${i} one`,
        `Right ${tag} ${i} answer`,
        `Wrong ${tag} ${i} three`,
        `Wrong ${tag} ${i} four`,
      ],
      correctAnswer: `Right ${tag} ${i} answer`,
      explanation: `The right answer says what holds for ${tag}.`,
      hints: ['Think it through.'],
    })),
  };
}

describe('content question review ids', () => {
  it('are UUIDs the review API takes, the same for the same place and different for every other', () => {
    const id = contentQuestionId('content-17', 'category_1', 0);
    assert.equal(questionIdSchema.safeParse(id).success, true, id);
    assert.equal(contentQuestionId('content-17', 'category_1', 0), id);
    const others = [
      contentQuestionId('content-17', 'category_1', 1),
      contentQuestionId('content-17', 'category_2', 0),
      contentQuestionId('content-18', 'category_1', 0),
    ];
    assert.equal(new Set([id, ...others]).size, 4);
  });

  it("record a quiz question under the review API's field names, with its type and place in the content", () => {
    const section = spec('category_2', 'quiz_category', {
      contentId: 'category_2',
      questions: [{ id: 'q7', type: 'true_false', topic: 'loops' }, { type: 'multiple_choice' }],
    });
    const output = {
      description: 'd',
      questions: [
        {
          question: 'A for loop can iterate over a string.',
          type: 'true_false',
          options: ['True', 'False'],
          correctAnswer: 'True',
          explanation: 'Strings are iterable.',
          hints: ['h'],
        },
        { ...categoryOutput(1, 'x').questions[0] },
      ],
    };
    const [first, second] = reviewedQuestionsOf('content-3', section, output) as Record<string, unknown>[];
    assert.deepEqual(first, {
      id: contentQuestionId('content-3', 'category_2', 0),
      question: 'A for loop can iterate over a string.',
      question_type: 'true_false',
      options: ['True', 'False'],
      correct_answer: 'True',
      explanation: 'Strings are iterable.',
      hints: ['h'],
      category: 'category_2',
      question_topic: 'loops',
      section_id: 'category_2',
      section_kind: 'quiz_category',
      content_id: 'q7',
    });
    assert.equal(second?.content_id, 'category_2_q2', 'an unlisted id is the one the content numbers');
    assert.equal(second?.correct_answer, 'Right x 0 answer');
  });
});

describe('content question records', () => {
  it('hold the texts trimmed, as the assembled content has them, the answer still one of the options', () => {
    const section = spec('category_1', 'quiz_category');
    const output = {
      description: 'd',
      questions: [
        {
          question: '  Which loop runs at least once?\n',
          type: 'multiple_choice',
          options: [' for ', 'do-while ', ' while', 'foreach'],
          correctAnswer: 'do-while ',
          explanation: ' It tests after the body. ',
          hints: [' Look at where the test is. '],
          context: ' ',
        },
      ],
    };
    const [record] = reviewedQuestionsOf('content-4', section, output) as Record<string, unknown>[];
    assert.equal(record?.question, 'Which loop runs at least once?');
    assert.deepEqual(record?.options, ['for', 'do-while', 'while', 'foreach']);
    assert.equal(record?.correct_answer, 'do-while');
    assert.equal(record?.explanation, 'It tests after the body.');
    assert.deepEqual(record?.hints, ['Look at where the test is.']);
    assert.equal('context' in (record ?? {}), false, 'a blank context is left out');
  });
});

describe('content key positions', () => {
  const plan = [
    spec('quiz_instructions', 'quiz_instructions'),
    spec('category_1', 'quiz_category', { questionCount: 5 }),
    spec('category_2', 'quiz_category', {
      questions: [{ type: 'multiple_choice' }, { type: 'true_false' }, { type: 'multiple_choice' }],
    }),
    spec('category_3', 'quiz_category', { questionCount: 6 }),
  ];

  it("start each section's round-robin after the plan's earlier multiple-choice questions", () => {
    assert.deepEqual(plan.map(plannedMcqs), [0, 5, 2, 6]);
    assert.deepEqual(
      plan.map((s) => keyOffsetOf(s, plan)),
      [0, 0, 5, 7],
    );
  });

  it('spread a job whose model puts every key at "b" evenly over a-d, whatever order sections finish in', () => {
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    // Sections kept in reverse order, as parallel sections may finish.
    for (const section of [plan[3], plan[1]] as SectionSpec[]) {
      const n = section.questionCount ?? 0;
      const { output, keyCues } = balanceSectionKeys(section, plan, categoryOutput(n, section.id));
      assert.equal(keyCues.keys, n);
      for (const q of output.questions) {
        const at = q.options.indexOf(q.correctAnswer);
        counts['abcd'[at] as string] = (counts['abcd'[at] as string] ?? 0) + 1;
        assert.equal(q.options.length, 4);
      }
    }
    // Category 2 holds a true/false question, which stays as it is and is not counted.
    const listed = {
      description: 'd',
      questions: [
        categoryOutput(1, 'l1').questions[0],
        {
          question: 'Is it so?',
          type: 'true_false',
          options: ['True', 'False'],
          correctAnswer: 'False',
          explanation: 'e',
          hints: [],
        },
        categoryOutput(1, 'l3').questions[0],
      ],
    };
    const two = balanceSectionKeys(plan[2] as SectionSpec, plan, listed);
    assert.deepEqual(two.output.questions[1]?.options, ['True', 'False']);
    assert.equal(two.keyCues.keys, 2);
    for (const q of [two.output.questions[0], two.output.questions[2]]) {
      const at = q?.options.indexOf(q.correctAnswer) ?? -1;
      counts['abcd'[at] as string] = (counts['abcd'[at] as string] ?? 0) + 1;
    }
    // 13 multiple-choice questions: positions differ by at most one.
    const values = Object.values(counts);
    assert.equal(
      values.reduce((a, b) => a + b, 0),
      13,
    );
    assert.ok(Math.max(...values) - Math.min(...values) <= 1, JSON.stringify(counts));
  });

  it('move only the key: the distractors keep their order and the answer its text', () => {
    const section = plan[1] as SectionSpec;
    const { output } = balanceSectionKeys(section, plan, categoryOutput(1, 'k'));
    // Offset 0, question 0: the key goes to "a".
    assert.deepEqual(output.questions[0]?.options, [
      'Right k 0 answer',
      'Wrong k 0 one',
      'Wrong k 0 three',
      'Wrong k 0 four',
    ]);
    assert.equal(output.questions[0]?.correctAnswer, 'Right k 0 answer');
  });
});

describe("a content section's gate on key cues", () => {
  it('asks for a rewrite of a key that is clearly the longest option and of an explanation naming a letter', () => {
    const section = spec('category_1', 'quiz_category', { questionCount: 2 });
    const answer = categoryOutput(2, 'cue');
    const [longest, lettered] = answer.questions;
    if (!longest || !lettered) throw new Error('fixture');
    longest.options[1] =
      'Right, because it holds for every input under every configuration the system supports';
    longest.correctAnswer = longest.options[1];
    lettered.explanation = 'Option B is right because it says what holds.';
    longest.question = 'Which practice keeps a deployment reversible?';
    lettered.question = 'What does a database index speed up?';
    const result = checkSectionOutput(section, answer);
    assert.equal(result.ok, false);
    if (result.ok) return;
    assert.ok(
      result.problems.some((p) => /questions\[0\]: the correct option is clearly the longest/.test(p)),
    );
    assert.ok(
      result.problems.some((p) => /questions\[1\]: the explanation names an option by its letter/.test(p)),
    );
    assert.deepEqual([...new Set(result.checks)].sort(), ['explanation_letter', 'key_longest']);
  });
});

describe('the edit gate of a content question', () => {
  const current = {
    id: contentQuestionId('content-1', 'category_1', 0),
    question: 'Which keyword defines a function in Python?',
    question_type: 'multiple_choice',
    options: ['def', 'function', 'fun', 'lambda'],
    correct_answer: 'def',
    explanation: 'Functions are defined with def.',
    section_kind: 'quiz_category',
  } as unknown as QuestionContent;
  const empty = new NearDuplicateIndex();

  it('takes an edit that passes, writing the answer in its option’s spelling', () => {
    const outcome = contentEditGate(
      current,
      { options: ['def', 'func', 'fn', 'define'], correct_answer: 'DEF' },
      empty,
    );
    assert.ok('question' in outcome, JSON.stringify(outcome));
    assert.deepEqual(outcome.question.options, ['def', 'func', 'fn', 'define']);
    assert.equal(outcome.question.correct_answer, 'def');
  });

  it("refuses what the section's gate refuses: an answer not among the options, three options, a letter, a longest key", () => {
    const refused = (edit: Parameters<typeof contentEditGate>[1]) => {
      const outcome = contentEditGate(current, edit, empty);
      assert.ok('reasons' in outcome, JSON.stringify(outcome));
      return outcome.reasons.join(' | ');
    };
    assert.match(refused({ correct_answer: 'define' }), /correct_answer "define" is not one of its options/);
    assert.match(refused({ options: ['def', 'fun', 'lambda'] }), /must be exactly four options/);
    assert.match(refused({ explanation: 'Option A is right.' }), /names an option by its letter/);
    assert.match(
      refused({
        options: ['def, the keyword every function definition in Python starts with', 'fn', 'fun', 'lambda'],
        correct_answer: 'def, the keyword every function definition in Python starts with',
      }),
      /clearly the longest/,
    );
    assert.match(refused({ question: '  ' }), /question: must not be empty/);
    assert.match(refused({ options: [{ id: 'a', text: 'def' }] as never }), /must be strings/);
  });

  it('refuses an edit that nearly repeats another question of its section', () => {
    const section = new NearDuplicateIndex(['Which keyword defines a class in Python?']);
    const outcome = contentEditGate(
      current,
      { question: 'Which keyword defines a class in Python?' },
      section,
    );
    assert.ok(
      'reasons' in outcome && outcome.reasons.some((r) => /nearly repeats/.test(r)),
      JSON.stringify(outcome),
    );
  });
});
