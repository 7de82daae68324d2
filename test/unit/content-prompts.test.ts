import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { checkSectionOutput } from '#content/output-checks.ts';
import { planSections } from '#content/plan.ts';
import {
  DEPENDENCY_CHARS,
  fieldBudgets,
  missingDependencies,
  promptVariables,
} from '#content/prompt-context.ts';
import { DEFAULT_TEMPLATES, maxTokensFor, renderTemplate } from '#content/prompt-templates.ts';
import {
  generationSettings,
  PROMPT_VERSION,
  sectionPrompt,
  systemInstructionFor,
  temperatureNote,
} from '#content/prompts.ts';
import { type ExecuteRequest, parseExecuteRequest, STRUCTURE_TYPES } from '#content/request.ts';
import { sectionSchema } from '#content/response-schemas.ts';
import type { SectionSpec } from '#content/sections.ts';
import { THOUGHT_ALLOWANCE } from '#platform/gemini/model-capabilities.ts';
import { fixture } from '../support/fixtures.ts';

function request(change: (body: any) => void = () => {}): ExecuteRequest {
  const body = fixture<any>('content-request-full.json');
  body.input.structure = fixture('content-course-structure.json');
  change(body);
  return parseExecuteRequest(body);
}

const course = request();
const plan = planSections(course);
const section = (id: string): SectionSpec => {
  const found = plan.find((s) => s.id === id);
  assert.ok(found, id);
  return found;
};
const overviewOutput = {
  title: 'Introduction to Python Programming',
  description: 'OVERVIEW-DESCRIPTION: a practical first course in Python.',
  introduction: 'Welcome.',
  prerequisites: ['Basic computer skills'],
  learningOutcomes: ['OUTCOME-ONE: write small programs'],
};

describe('sectionPrompt', () => {
  it('gives a lesson its exact word target, split over its fields', () => {
    const lesson = section('module_2_lesson_3');
    const budgets = fieldBudgets(lesson);

    const prompt = sectionPrompt(course, plan, lesson, new Map([['overview', overviewOutput]]));

    assert.ok(prompt.includes(`Length: ${lesson.targetWords} words`), prompt);
    assert.deepEqual(Object.keys(budgets), ['content', 'keyPoints', 'examples', 'exercises']);
    assert.equal(
      Object.values(budgets).reduce((a, b) => a + b, 0),
      lesson.targetWords,
    );
    for (const [field, words] of Object.entries(budgets))
      assert.ok(prompt.includes(`- ${field}: ${words} words`), field);
  });

  it('names the topic, audience, tone, style, language, title and place', () => {
    const prompt = sectionPrompt(
      course,
      plan,
      section('module_2_lesson_3'),
      new Map([['overview', overviewOutput]]),
    );

    for (const text of [
      'Introduction to Python',
      'beginners new to programming',
      'Tone: friendly',
      'Style: hands-on',
      'English (en)',
      '"Loops with while"',
      'Lesson 3 of 5 in module 2, "Control Flow"',
      'the lesson before is "Loops with for"',
      'Lesson 3.5: Writing Your Own Module',
    ]) {
      assert.ok(prompt.includes(text), text);
    }
  });

  it('carries what the structure says the lesson covers', () => {
    const prompt = sectionPrompt(course, plan, section('module_1_lesson_1'), new Map());

    assert.ok(prompt.includes('What the lesson should cover: Install Python 3; Run the interpreter'));
  });

  it('carries the text of the sections it depends on', () => {
    const prompt = sectionPrompt(
      course,
      plan,
      section('module_1_lesson_2'),
      new Map([['overview', overviewOutput]]),
    );

    assert.ok(prompt.includes('OVERVIEW-DESCRIPTION'));
    assert.ok(prompt.includes('OUTCOME-ONE'));
  });

  it('gives the conclusion every module summary', () => {
    const outputs = new Map<string, unknown>([
      ['overview', overviewOutput],
      ['module_1_summary', { summary: 'SUMMARY-ONE.' }],
      ['module_2_summary', { summary: 'SUMMARY-TWO.' }],
      ['module_3_summary', { summary: 'SUMMARY-THREE.' }],
    ]);

    const prompt = sectionPrompt(course, plan, section('conclusion'), outputs);

    for (const text of ['SUMMARY-ONE', 'SUMMARY-TWO', 'SUMMARY-THREE', 'OVERVIEW-DESCRIPTION']) {
      assert.ok(prompt.includes(text), text);
    }
  });

  it('truncates long dependency text at a sentence end', () => {
    const sentence = 'Python code reads like plain English prose. ';
    const long = { ...overviewOutput, description: sentence.repeat(1000) };

    const prompt = sectionPrompt(course, plan, section('module_1_lesson_2'), new Map([['overview', long]]));
    const context = prompt.slice(prompt.indexOf('Already written'));

    assert.ok(context.length < DEPENDENCY_CHARS + 300, String(context.length));
    assert.match(context, /prose\. …/);
  });

  it('marks a dependency that has no output, which missingDependencies reports', () => {
    const lesson = section('module_1_lesson_2');

    const prompt = sectionPrompt(course, plan, lesson, new Map());

    assert.ok(prompt.includes('(not available)'));
    assert.deepEqual(missingDependencies(lesson, new Map()), ['overview']);
    assert.deepEqual(missingDependencies(lesson, new Map([['overview', overviewOutput]])), []);
  });

  it('adds the word target and dependencies to a template that leaves them out', () => {
    const prompt = sectionPrompt(
      course,
      plan,
      section('module_1_lesson_2'),
      new Map([['overview', overviewOutput]]),
      'Teach "{title}" to {audience}.',
    );

    assert.ok(prompt.startsWith('Teach "Your First Program" to beginners new to programming.'));
    assert.ok(prompt.includes(`Length: ${section('module_1_lesson_2').targetWords} words`));
    assert.ok(prompt.includes('OVERVIEW-DESCRIPTION'));
  });

  it('asks a quiz category for its exact question count', () => {
    const quiz = request((b) => {
      b.input.structureType = 'quiz';
      b.input.structure = { categories: [{ name: 'Syntax', questionCount: 7 }] };
      b.input.wordCountEstimates = { total: 4000 };
    });
    const quizPlan = planSections(quiz);
    const category = quizPlan[1];
    assert.ok(category);

    const prompt = sectionPrompt(quiz, quizPlan, category, new Map());
    const schema = sectionSchema(category) as any;

    assert.match(prompt, /exactly 7 multiple-choice questions/);
    // In words, not as list limits Gemini would unroll; the gate counts what comes back.
    assert.equal(schema.properties.questions.description, 'Exactly 7 questions.');
    assert.equal(schema.properties.questions.minItems, undefined);
    assert.equal(schema.properties.questions.maxItems, undefined);
  });
});

describe('sectionSchema', () => {
  it('asks a lesson for the seed’s lesson fields', () => {
    const schema = sectionSchema(section('module_1_lesson_1')) as any;

    assert.deepEqual(schema.required, ['content', 'keyPoints', 'examples', 'exercises']);
    assert.deepEqual(schema.properties.examples.items.required, ['title', 'description']);
    assert.deepEqual(schema.properties.examples.items.propertyOrdering, ['title', 'description', 'code']);
    assert.deepEqual(schema.properties.exercises.items.required, ['title', 'instructions', 'solution']);
  });

  it('asks the overview for the seed’s overview fields', () => {
    const schema = sectionSchema(section('overview')) as any;

    assert.deepEqual(schema.required, [
      'title',
      'description',
      'introduction',
      'prerequisites',
      'learningOutcomes',
    ]);
  });

  it('asks a module assessment for multiple-choice questions answered by the index of an option', () => {
    const assessment = section('module_1_assessment');
    const schema = sectionSchema(assessment) as any;
    const question = schema.properties.questions.items;

    assert.deepEqual(schema.required, ['instructions', 'questions']);
    assert.deepEqual(question.required, ['question', 'type', 'options', 'correctOption', 'explanation']);
    assert.deepEqual(question.properties.type.enum, ['multiple_choice']);
    assert.equal(question.properties.options.minItems, '4');
    assert.deepEqual(question.properties.correctOption.enum, ['0', '1', '2', '3']);
    assert.equal(schema.properties.questions.description, `Exactly ${assessment.questionCount} questions.`);
  });

  it('asks a quiz question for the seed’s fields (the answer as an option index), context optional', () => {
    const quiz = request((b) => {
      b.input.structureType = 'quiz';
      b.input.structure = { categories: ['Syntax'] };
      b.input.wordCountEstimates = { total: 3000 };
    });
    const category = planSections(quiz)[1];
    assert.ok(category);
    const schema = sectionSchema(category) as any;
    const question = schema.properties.questions.items;

    assert.deepEqual(schema.required, ['description', 'questions']);
    assert.deepEqual(question.propertyOrdering, [
      'question',
      'context',
      'options',
      'correctOption',
      'explanation',
      'hints',
    ]);
    assert.deepEqual(question.required, ['question', 'options', 'correctOption', 'explanation', 'hints']);
    assert.equal(question.properties.options.minItems, '4');
  });

  it('asks a workflow step for description, instructions, inputs and outputs', () => {
    const workflow = request((b) => {
      b.input.structureType = 'workflow';
      b.input.structure = { steps: ['Build', 'Ship'] };
      b.input.wordCountEstimates = { total: 2000 };
    });
    const workflowPlan = planSections(workflow);

    assert.deepEqual((sectionSchema(workflowPlan[0] as SectionSpec) as any).required, [
      'name',
      'description',
      'purpose',
    ]);
    assert.deepEqual((sectionSchema(workflowPlan[1] as SectionSpec) as any).required, [
      'description',
      'instructions',
      'inputs',
      'outputs',
    ]);
  });

  it('limits knowledge-map relationships to the other nodes’ titles', () => {
    const map = request((b) => {
      b.input.structureType = 'knowledge_map';
      b.input.structure = { nodes: ['Sets', 'Maps', 'Lists'] };
      b.input.wordCountEstimates = { total: 3000 };
    });
    const mapPlan = planSections(map);

    const schema = sectionSchema(mapPlan[1] as SectionSpec, mapPlan) as any;

    assert.deepEqual(schema.properties.relationships.items.properties.target.enum, ['Maps', 'Lists']);
  });
});

describe('checkSectionOutput', () => {
  const fx = fixture<any>('content-course-small.json');

  it('accepts the fixture’s answers', () => {
    for (const id of ['overview', 'module_1_lesson_1', 'module_1_assessment', 'conclusion']) {
      const result = checkSectionOutput(section(id), fx.outputs[id]);
      assert.ok(result.ok, `${id}: ${!result.ok && result.problems.join('; ')}`);
    }
  });

  it('rejects an assessment answer that is not one of its options', () => {
    const answer = structuredClone(fx.outputs.module_1_assessment);
    answer.questions[0].answer = 'A web browser';

    const result = checkSectionOutput({ ...section('module_1_assessment'), questionCount: 2 }, answer);

    assert.deepEqual(result, {
      ok: false,
      problems: ['questions[0].answer "A web browser" is not one of its options'],
      checks: ['answer'],
    });
  });

  it('writes an answer in its option’s spelling and fills true/false options', () => {
    const answer = structuredClone(fx.outputs.module_1_assessment);
    answer.questions[0].answer = '  a PROGRAMMING language ';
    answer.questions[1].options = [];
    answer.questions[1].answer = 'true';

    const result = checkSectionOutput({ ...section('module_1_assessment'), questionCount: 2 }, answer);

    assert.ok(result.ok);
    const questions = (result.output as any).questions;
    assert.equal(questions[0].answer, 'A programming language');
    assert.deepEqual(questions[1].options, ['True', 'False']);
    assert.equal(questions[1].answer, 'True');
  });

  it('reports fewer questions than asked for', () => {
    const result = checkSectionOutput(
      { ...section('module_1_assessment'), questionCount: 3 },
      fx.outputs.module_1_assessment,
    );

    assert.deepEqual(result, { ok: false, problems: ['only 2 of 3 questions were written'] });
  });

  it('rejects a quiz answer outside the options and repeated options', () => {
    const quiz = fixture<any>('content-quiz.json');
    const answer = structuredClone(quiz.outputs.category_1);
    answer.questions[0].correctAnswer = 'func';
    answer.questions[0].options[1] = 'DEF';
    const spec = { ...section('module_1_lesson_1'), kind: 'quiz_category' as const, questionCount: 1 };

    const result = checkSectionOutput(spec, answer);

    assert.equal(result.ok, false);
    assert.ok(
      !result.ok && result.problems.includes('questions[0].correctAnswer "func" is not one of its options'),
    );
    assert.ok(!result.ok && result.problems.includes('questions[0] repeats an option'));
  });

  it('names missing fields and unparsable text', () => {
    const missing = checkSectionOutput(section('module_1_lesson_1'), { content: 'x', keyPoints: ['y'] });
    const text = checkSectionOutput(section('conclusion'), '{"conclusion": ');
    const parsedText = checkSectionOutput(section('conclusion'), '{"conclusion": "Well done."}');

    assert.equal(missing.ok, false);
    assert.ok(!missing.ok && missing.problems.some((p) => p.startsWith('examples:')));
    assert.deepEqual(text, { ok: false, problems: ['the answer was not valid JSON'] });
    assert.deepEqual(parsedText, { ok: true, output: { conclusion: 'Well done.' } });
  });
});

describe('templates', () => {
  it('ships at least one template per structure type, with unique names', () => {
    const names = DEFAULT_TEMPLATES.map((t) => t.name);

    assert.equal(new Set(names).size, names.length);
    for (const type of STRUCTURE_TYPES) {
      assert.ok(
        DEFAULT_TEMPLATES.some((t) => t.structureType === type),
        type,
      );
    }
    assert.match(PROMPT_VERSION, /^content-section\/\d+$/);
  });

  it('names course templates as the seed does', () => {
    const overview = DEFAULT_TEMPLATES.find((t) => t.name === 'course_overview');
    const lesson = DEFAULT_TEMPLATES.find((t) => t.name === 'lesson_content');

    assert.equal(overview?.contentType, 'overview');
    assert.equal(lesson?.contentType, 'lesson');
    assert.ok(overview?.variables.includes('topic'));
    assert.ok(lesson?.template.includes('{wordTarget}'));
  });

  it('lists each template’s variables, all of which a prompt fills', () => {
    const values = promptVariables(course, plan, section('module_1_lesson_1'), new Map());
    for (const t of DEFAULT_TEMPLATES) {
      assert.deepEqual(
        t.variables,
        [...new Set([...t.template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))],
        t.name,
      );
      for (const v of t.variables) assert.ok(v in values, `${t.name}: {${v}}`);
      assert.doesNotMatch(renderTemplate(t.template, values), /\{\w+\}/, t.name);
      assert.ok(t.maxTokens >= 1024 && t.temperature >= 0 && t.temperature <= 2, t.name);
    }
  });

  it('leaves unknown placeholders visible', () => {
    assert.equal(renderTemplate('{topic} and {nothing}', { topic: 'Go' }), 'Go and {nothing}');
  });
});

describe('model settings', () => {
  it('uses the client’s system prompt, always with the JSON rule', () => {
    assert.equal(
      systemInstructionFor(course),
      'You are an expert educational content creator. Answer only with JSON that matches the response schema.',
    );
    const plain = request((b) => delete b.config.systemPrompt);
    assert.match(systemInstructionFor(plain), /^You are an expert educational content creator and writer\./);
  });

  const thinking = { sections: 'LOW', repair: 'MEDIUM' } as const;

  it('passes the client’s temperature on and never lets maxTokens cut a section short', () => {
    const lesson = section('module_1_lesson_1');

    const settings = generationSettings(course, lesson, 'gemini-2.5-flash-lite', thinking);

    assert.equal(settings.temperature, 0.7);
    // A model without thinking levels gets no room for thoughts.
    assert.equal(settings.maxOutputTokens, Math.max(4000, maxTokensFor(lesson.targetWords)));
    assert.ok(maxTokensFor(3000) > (3000 * 1.25) / 0.75, 'room for the upper tolerance');
    const generous = request((b) => (b.config.maxTokens = 60000));
    assert.equal(
      generationSettings(generous, lesson, 'gemini-2.5-flash-lite', thinking).maxOutputTokens,
      60000,
    );
  });

  it('gives the thoughts of the call’s level room on top of the visible answer', () => {
    const lesson = section('module_1_lesson_1');
    const visible = Math.max(4000, maxTokensFor(lesson.targetWords));

    const first = generationSettings(course, lesson, 'gemini-3.8-flash', thinking, 1);
    const revision = generationSettings(course, lesson, 'gemini-3.8-flash', thinking, 2);

    assert.equal(first.thinkingLevel, 'LOW');
    assert.equal(first.maxOutputTokens, visible + THOUGHT_ALLOWANCE.LOW);
    assert.equal(revision.thinkingLevel, 'MEDIUM');
    assert.equal(revision.maxOutputTokens, visible + THOUGHT_ALLOWANCE.MEDIUM);
  });

  it('asks with twice the limit after an answer that ended MAX_TOKENS, up to the model’s ceiling', () => {
    const lesson = section('module_1_lesson_1');
    const limit = (stops: number) =>
      generationSettings(course, lesson, 'gemini-3.8-flash', thinking, 2, stops).maxOutputTokens;

    assert.equal(limit(1), limit(0) * 2);
    assert.equal(limit(2), limit(0) * 4);
    assert.equal(limit(10), 65_536);
  });

  it('says when the client’s temperature is not sent to a model that does not document it', () => {
    assert.match(
      temperatureNote(course, 'gemini-3.8-flash') ?? '',
      /config\.temperature \(0\.7\) was not sent/,
    );
    assert.equal(temperatureNote(course, 'gemini-2.5-flash-lite'), undefined);
    const none = request((b) => delete b.config.temperature);
    assert.equal(temperatureNote(none, 'gemini-3.8-flash'), undefined);
  });
});

describe('answers given as an option index', () => {
  it('fills the seed’s answer fields from correctOption', () => {
    const assessment = section('module_1_assessment');
    const count = assessment.questionCount ?? 1;
    const topics = ['loops', 'functions', 'modules', 'classes', 'exceptions', 'generators', 'decorators'];
    const questions = Array.from({ length: count }, (_, i) => ({
      question: `Which statement about Python ${topics[i % topics.length]} (${i}) is true?`,
      type: 'multiple_choice',
      options: ['Alpha', 'Beta', 'Gamma', 'Delta'],
      correctOption: 2,
      explanation: 'Because.',
    }));
    const checked = checkSectionOutput(assessment, { instructions: 'Answer all.', questions });
    assert.ok(checked.ok, JSON.stringify(checked));
    const first = (checked.output as any).questions[0];
    assert.equal(first.answer, 'Gamma');
    assert.equal('correctOption' in first, false);
  });

  it('reads correctOption sent as the response schema\'s string enum ("2") as the index', () => {
    const assessment = section('module_1_assessment');
    const count = assessment.questionCount ?? 1;
    const topics = ['loops', 'functions', 'modules', 'classes', 'exceptions', 'generators', 'decorators'];
    const questions = Array.from({ length: count }, (_, i) => ({
      question: `Which statement about Python ${topics[i % topics.length]} (${i}) is true?`,
      type: 'multiple_choice',
      options: ['Alpha', 'Beta', 'Gamma', 'Delta'],
      correctOption: '2',
      explanation: 'Because.',
    }));
    const checked = checkSectionOutput(assessment, { instructions: 'Answer all.', questions });
    assert.ok(checked.ok, JSON.stringify(checked));
    assert.equal((checked.output as any).questions[0].answer, 'Gamma');
  });

  it('applies the quality gate: no near-copied answer, no "all of the above", no near-repeated question', () => {
    const assessment = section('module_1_assessment');
    const count = assessment.questionCount ?? 1;
    const questions = Array.from({ length: count }, (_, i) => ({
      question:
        i === 1
          ? 'Which statement about Python loops (0) is true, really?'
          : `Which of these is item ${'xyzw'.repeat(i + 1)}?`,
      type: 'multiple_choice',
      options: ['Alpha', 'Beta', 'Gamma', i === 0 ? 'All of the above' : 'Delta'],
      correctOption: 2,
      explanation: 'Because.',
    }));
    questions[0] = { ...questions[0], question: 'Which statement about Python loops (0) is true?' } as never;
    const checked = checkSectionOutput(assessment, { instructions: 'Answer all.', questions });
    assert.equal(checked.ok, false);
    const problems = checked.ok ? [] : checked.problems;
    assert.ok(
      problems.some((p) => /questions\[0\]: an option is "all\/none of the above"/.test(p)),
      problems.join('; '),
    );
    assert.ok(
      problems.some((p) => /questions\[1\] nearly repeats/.test(p)),
      problems.join('; '),
    );
  });
});
