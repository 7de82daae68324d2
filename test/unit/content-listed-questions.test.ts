/**
 * Structures that list their questions, as the Content Granulator writes them (the quiz of the
 * original Content Generator's test-working.sh, jhaladik/ai-cto-modular-app at ea89ec8, kept as
 * data in test/fixtures/content-generator-scripts.json): read, planned, asked for with a schema
 * per question type, checked, and assembled with their own ids, types and topics.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { assembleContent } from '#content/assemble.ts';
import { checkSectionOutput } from '#content/output-checks.ts';
import { planSections } from '#content/plan.ts';
import { sectionPrompt } from '#content/prompts.ts';
import { ContentRequestError, type ExecuteRequest, parseExecuteRequest } from '#content/request.ts';
import { sectionSchema } from '#content/response-schemas.ts';
import type { SectionSpec } from '#content/sections.ts';
import { fixture } from '../support/fixtures.ts';

const scripts = fixture<any>('content-generator-scripts.json').scripts;
const quizBody = () =>
  structuredClone(
    scripts['test-working.sh'].requests.find((r: any) => r.name === '2. Generate Quiz Content').body,
  );

function quizRequest(change: (body: any) => void = () => {}): ExecuteRequest {
  const body = quizBody();
  change(body);
  return parseExecuteRequest(body);
}

function rejection(run: () => unknown): ContentRequestError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof ContentRequestError, `expected a ContentRequestError, got ${error}`);
    return error;
  }
  assert.fail('no error was thrown');
}

const category = (plan: SectionSpec[], i: number) => {
  const found = plan.filter((s) => s.kind === 'quiz_category')[i];
  assert.ok(found, `category ${i}`);
  return found;
};

/** A course of one module whose structure gives its assessment. */
function courseWithAssessment(assessment: unknown): ExecuteRequest {
  return parseExecuteRequest({
    action: 'generate',
    input: {
      granulatorJobId: 5,
      topic: 'Variables',
      structureType: 'course',
      structure: {
        modules: [{ id: 'module_1', title: 'Basics', lessons: [{ title: 'Names' }], assessment }],
      },
      wordCountEstimates: { total: 3000 },
      contentMetadata: {},
    },
  });
}

describe('planning a structure that lists its questions', () => {
  it("keeps test-working.sh's quiz questions: their number, ids, types and topics, per category", () => {
    const plan = planSections(quizRequest());
    assert.deepEqual(category(plan, 0).questions, [
      { id: 'q1', type: 'multiple_choice', topic: 'Function Definition' },
      { id: 'q2', type: 'true_false', topic: 'Return Statements' },
    ]);
    assert.equal(category(plan, 0).questionCount, 2);
    assert.deepEqual(category(plan, 1).questions, [
      { id: 'q3', type: 'multiple_choice', topic: 'Default Parameters' },
    ]);
    assert.equal(category(plan, 1).questionCount, 1);
  });

  it('plans a category that gives only a count, or nothing, as before: no listed questions', () => {
    const plan = planSections(
      quizRequest((b) => {
        b.input.structure.categories = [{ name: 'Counted', questionCount: 3 }, { name: 'Sized' }];
      }),
    );
    assert.equal(category(plan, 0).questions, undefined);
    assert.equal(category(plan, 0).questionCount, 3);
    assert.equal(category(plan, 1).questions, undefined);
    assert.ok((category(plan, 1).questionCount ?? 0) >= 1);
  });

  it("sets a module assessment's questions from the structure's assessment list or count", () => {
    const listed = planSections(
      courseWithAssessment({
        questions: [
          { id: 'a1', type: 'short_answer', topic: 'Naming rules' },
          { id: 'a2', type: 'true_false' },
        ],
      }),
    );
    const assessment = listed.find((s) => s.kind === 'module_assessment');
    assert.deepEqual(assessment?.questions, [
      { id: 'a1', type: 'short_answer', topic: 'Naming rules' },
      { id: 'a2', type: 'true_false' },
    ]);
    assert.equal(assessment?.questionCount, 2);
    const counted = planSections(courseWithAssessment({ questionCount: 3 }));
    assert.equal(counted.find((s) => s.kind === 'module_assessment')?.questionCount, 3);
  });

  it('reads a question given as its topic alone as multiple choice, and ignores questions: null as before', () => {
    const plan = planSections(
      quizRequest((b) => {
        b.input.structure.categories[0].questions = ['Scope', { id: 'x', type: 'true_false' }];
        b.input.structure.categories[1].questions = null;
      }),
    );
    assert.deepEqual(category(plan, 0).questions, [
      { type: 'multiple_choice', topic: 'Scope' },
      { id: 'x', type: 'true_false' },
    ]);
    assert.equal(category(plan, 1).questions, undefined);
    assert.ok((category(plan, 1).questionCount ?? 0) >= 1);
  });

  it('refuses an unknown question type, naming the field and the types it takes', () => {
    const error = rejection(() =>
      planSections(quizRequest((b) => (b.input.structure.categories[0].questions[1].type = 'essay'))),
    );
    assert.equal(error.code, 'INVALID_STRUCTURE');
    assert.equal(error.field, 'structure.categories[0].questions[1].type');
    assert.match(error.message, /multiple_choice, true_false, short_answer/);
  });

  it('refuses a question id used twice in the structure', () => {
    const error = rejection(() =>
      planSections(quizRequest((b) => (b.input.structure.categories[1].questions[0].id = 'q1'))),
    );
    assert.equal(error.field, 'structure.categories[1].questions[0].id');
    assert.match(error.message, /repeats the question id "q1"/);
  });

  it('refuses an empty question list and one longer than a category takes', () => {
    const empty = rejection(() =>
      planSections(quizRequest((b) => (b.input.structure.categories[0].questions = []))),
    );
    assert.equal(empty.field, 'structure.categories[0].questions');
    const long = rejection(() =>
      planSections(
        quizRequest(
          (b) =>
            (b.input.structure.categories[0].questions = Array.from({ length: 21 }, (_, i) => ({
              id: `x${i}`,
            }))),
        ),
      ),
    );
    assert.match(long.message, /from 1 to 20 questions/);
  });
});

describe('asking for listed questions', () => {
  const request = quizRequest();
  const plan = planSections(request);
  const first = category(plan, 0);

  it('asks for each listed question under its own key, in the schema of its type', () => {
    const schema = sectionSchema(first, plan) as any;
    const questions = schema.properties.questions;
    assert.deepEqual(questions.required, ['question_1', 'question_2']);
    const mc = questions.properties.question_1;
    assert.equal(mc.properties.options.minItems, '4');
    assert.deepEqual(mc.properties.correctOption.enum, ['0', '1', '2', '3']);
    const tf = questions.properties.question_2;
    assert.deepEqual(tf.properties.answer.enum, ['True', 'False']);
    assert.equal('options' in tf.properties, false, 'the options of a true/false question are fixed');
    assert.match(tf.properties.question.description, /Return Statements/);
  });

  it('asks for a short answer with an answer and no options', () => {
    const sa = { ...first, questions: [{ id: 's', type: 'short_answer' as const, topic: 'Scope' }] };
    const schema = sectionSchema(sa, plan) as any;
    const q = schema.properties.questions.properties.question_1;
    assert.equal(q.properties.answer.type, 'STRING');
    assert.equal(q.properties.answer.enum, undefined);
    assert.equal('options' in q.properties, false);
  });

  it('lists the questions in the prompt with their types and topics, in order', () => {
    const prompt = sectionPrompt(request, plan, first, new Map());
    assert.match(prompt, /exactly these 2 questions, in this order/);
    assert.match(prompt, /1\. question_1, multiple choice: .*; on: Function Definition/);
    assert.match(prompt, /2\. question_2, true\/false: .*; on: Return Statements/);
    assert.doesNotMatch(prompt, /exactly 2 multiple-choice questions/);
  });

  it("appends the list to a stored template written for counts, so the structure's questions still count", () => {
    const prompt = sectionPrompt(
      request,
      plan,
      first,
      new Map(),
      'Write {questionCount} questions on {topic}.',
    );
    assert.match(prompt, /Questions to write \(this list replaces any other count or type above\)/);
    assert.match(prompt, /question_2, true\/false/);
  });

  it('asks a category of counts as before', () => {
    const counted = planSections(
      quizRequest((b) => (b.input.structure.categories = [{ name: 'Counted', questionCount: 3 }])),
    );
    const prompt = sectionPrompt(request, counted, category(counted, 0), new Map());
    assert.match(prompt, /exactly 3 multiple-choice questions, each with four distinct options/);
  });
});

describe('checking and assembling listed questions', () => {
  const request = quizRequest();
  const plan = planSections(request);
  const [c1, c2] = [category(plan, 0), category(plan, 1)];
  const mc = (n: number) => ({
    question: `Which statement about defining functions holds, case ${n}?`,
    options: ['def starts a definition', 'func starts one', 'lambda is required', 'fn is a keyword'],
    correctOption: '0',
    explanation: 'Python defines functions with def.',
    hints: ['Think of the keyword.'],
  });
  const answers = () => ({
    c1: {
      description: 'Defining and returning.',
      questions: {
        question_1: mc(1),
        question_2: {
          question: 'A function without a return statement returns None.',
          answer: 'True',
          explanation: 'Falling off the end returns None.',
          hints: ['What does print(f()) show?'],
        },
      },
    },
    c2: { description: 'Parameters.', questions: { question_1: mc(2) } },
  });

  it('turns the keyed answer into the list: a true/false answer is one of True and False', () => {
    const result = checkSectionOutput(c1, answers().c1);
    assert.ok(result.ok, !result.ok ? result.problems.join('; ') : '');
    const [q1, q2] = (result.output as any).questions;
    assert.equal(q1.correctAnswer, 'def starts a definition');
    assert.deepEqual(q2.options, ['True', 'False']);
    assert.equal(q2.correctAnswer, 'True');
    assert.equal(q2.type, 'true_false');
  });

  it('rejects a true/false answer that is neither True nor False, and a missing listed question', () => {
    const bad = answers().c1;
    bad.questions.question_2.answer = 'Maybe';
    const wrong = checkSectionOutput(c1, bad);
    assert.ok(
      !wrong.ok && wrong.problems.some((p) => /correctAnswer "Maybe" is not one of its options/.test(p)),
    );
    const missing = answers().c1 as any;
    delete missing.questions.question_2;
    assert.deepEqual(checkSectionOutput(c1, missing), {
      ok: false,
      problems: ['questions.question_2: is missing'],
    });
  });

  it('keeps a short answer without options and refuses one without an answer', () => {
    const spec = { ...c2, questions: [{ id: 's1', type: 'short_answer' as const }] };
    const good = checkSectionOutput(spec, {
      description: 'd',
      questions: {
        question_1: { question: 'Name the keyword.', answer: 'def', explanation: 'e', hints: ['h'] },
      },
    });
    assert.ok(good.ok);
    assert.deepEqual((good.output as any).questions[0].options, []);
    assert.equal((good.output as any).questions[0].correctAnswer, 'def');
    const empty = checkSectionOutput(spec, {
      description: 'd',
      questions: {
        question_1: { question: 'Name the keyword.', answer: ' ', explanation: 'e', hints: ['h'] },
      },
    });
    assert.ok(!empty.ok && empty.problems.some((p) => /answer must not be empty/.test(p)));
  });

  it('checks module assessment questions by type: true/false options fixed, short answer without options', () => {
    const course = courseWithAssessment({
      questions: [
        { id: 'a1', type: 'short_answer', topic: 'Naming rules' },
        { id: 'a2', type: 'true_false', topic: 'Case' },
      ],
    });
    const coursePlan = planSections(course);
    const spec = coursePlan.find((s) => s.kind === 'module_assessment') as SectionSpec;
    const result = checkSectionOutput(spec, {
      instructions: 'Answer both.',
      questions: {
        question_1: { question: 'What may a name not start with?', answer: 'A digit', explanation: 'e' },
        question_2: { question: 'Names are case-sensitive.', answer: 'True', explanation: 'e' },
      },
    });
    assert.ok(result.ok, !result.ok ? result.problems.join('; ') : '');
    const output = result.output as any;
    assert.deepEqual(
      output.questions.map((q: any) => [q.type, q.options, q.answer]),
      [
        ['short_answer', [], 'A digit'],
        ['true_false', ['True', 'False'], 'True'],
      ],
    );
    const content = assembleContent(course, coursePlan, new Map([[spec.id, output]])) as any;
    assert.deepEqual(
      content.courseContent.modules[0].assessment.questions.map((q: any) => [q.id, q.type, q.topic]),
      [
        ['a1', 'short_answer', 'Naming rules'],
        ['a2', 'true_false', 'Case'],
      ],
    );
  });

  it("assembles the quiz with the structure's ids, types and topics, exactly as given", () => {
    const outputs = new Map<string, unknown>();
    for (const [spec, answer] of [
      [c1, answers().c1],
      [c2, answers().c2],
    ] as const) {
      const checked = checkSectionOutput(spec, answer);
      assert.ok(checked.ok);
      outputs.set(spec.id, checked.output);
    }
    const content = assembleContent(request, plan, outputs) as any;
    const questions = content.quizContent.categories.flatMap((c: any) => c.questions);
    assert.deepEqual(
      questions.map((q: any) => [q.id, q.type, q.topic, q.options.length]),
      [
        ['q1', 'multiple_choice', 'Function Definition', 4],
        ['q2', 'true_false', 'Return Statements', 2],
        ['q3', 'multiple_choice', 'Default Parameters', 4],
      ],
    );
  });
});
