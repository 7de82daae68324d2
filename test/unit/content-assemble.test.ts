import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { assembleContent, difficultyOf, readingTime, summarizeSections } from '#content/assemble.ts';
import { wordsOf } from '#content/measure.ts';
import { planSections } from '#content/plan.ts';
import { type ExecuteRequest, parseExecuteRequest } from '#content/request.ts';
import { fixture } from '../support/fixtures.ts';

const SEED = fixture<any>('content-seed-shapes.json');
/** Keys the seed marks optional; every other key of the seed must be present. */
const OPTIONAL = new Set(['code', 'context']);

/**
 * Checks `actual` against the seed's example: the same keys in the same order at every level
 * (optional ones may be left out), the same kinds of values, every array item against the
 * seed's item.
 */
function assertSeedShape(actual: unknown, seed: unknown, path = 'content'): void {
  if (Array.isArray(seed)) {
    assert.ok(Array.isArray(actual), `${path} is a list`);
    for (const [i, item] of actual.entries()) assertSeedShape(item, seed[0], `${path}[${i}]`);
    return;
  }
  if (typeof seed === 'object' && seed !== null) {
    assert.ok(
      typeof actual === 'object' && actual !== null && !Array.isArray(actual),
      `${path} is an object`,
    );
    const keys = Object.keys(actual);
    const expected = Object.keys(seed).filter((k) => !OPTIONAL.has(k) || k in actual);
    assert.deepEqual(keys, expected, `${path} keys, in the seed's order`);
    for (const k of keys) assertSeedShape((actual as any)[k], (seed as any)[k], `${path}.${k}`);
    return;
  }
  assert.equal(typeof actual, typeof seed, `${path} is a ${typeof seed}`);
}

function request(
  type: string,
  structure: unknown,
  total: number,
  change: (b: any) => void = () => {},
): ExecuteRequest {
  const body = fixture<any>('content-request-full.json');
  body.input.structureType = type;
  body.input.structure = structure;
  body.input.wordCountEstimates = { total };
  delete body.input.contentMetadata.standardParameters.structureType;
  change(body);
  return parseExecuteRequest(body);
}

function scenario(name: string, type: string, total: number) {
  const fx = fixture<any>(name);
  const req = request(type, fx.structure, total);
  const plan = planSections(req);
  const outputs = new Map<string, unknown>(Object.entries(fx.outputs));
  return { fx, req, plan, outputs };
}

describe('assembleContent: course', () => {
  const { fx, req, plan, outputs } = scenario('content-course-small.json', 'course', 2000);
  const content = assembleContent(req, plan, outputs);
  const o = fx.outputs;

  it('has the seed’s course structure, keys in the seed’s order', () => {
    assert.deepEqual(Object.keys(content), ['courseContent', 'metadata']);
    assertSeedShape(content, SEED.course);
  });

  it('puts every section’s output in its place', () => {
    assert.deepEqual(content.courseContent, {
      overview: o.overview,
      modules: [
        {
          id: 'module_1',
          title: 'Getting Started with Python',
          introduction: o.module_1.introduction,
          lessons: [
            { id: 'lesson_1', title: 'Installing Python', ...o.module_1_lesson_1 },
            { id: 'module_1_lesson_2', title: 'Your First Program', ...o.module_1_lesson_2 },
          ],
          summary: o.module_1_summary.summary,
          assessment: o.module_1_assessment,
        },
      ],
      conclusion: o.conclusion.conclusion,
    });
  });

  it('leaves out an example’s code when it has none, as the seed marks it optional', () => {
    const examples = (content.courseContent as any).modules[0].lessons[1].examples;

    assert.equal(examples[0].code, "print('Hello, World!')");
    assert.equal('code' in examples[1], false);
  });

  it('describes the content in metadata', () => {
    const words = plan.reduce((t, s) => t + wordsOf(outputs.get(s.id)), 0);

    assert.deepEqual(content.metadata, {
      totalWords: words,
      readingTime: readingTime(words),
      difficulty: 'beginner',
      keywords: content.metadata.keywords,
      summary:
        'This course is a gentle introduction to Python programming. You will install Python, write small programs and learn how to think like a programmer.',
    });
    assert.equal(content.metadata.keywords[0], 'Python', 'the topic’s own word, as written');
    assert.ok(content.metadata.keywords.length > 1 && content.metadata.keywords.length <= 8);
    assert.equal(
      new Set(content.metadata.keywords.map((k) => k.toLowerCase())).size,
      content.metadata.keywords.length,
    );
  });

  it('keeps the shape with empty values where a section has no output yet', () => {
    const partial = new Map(outputs);
    partial.delete('module_1_lesson_2');
    partial.delete('module_1_assessment');
    partial.delete('conclusion');

    const result = assembleContent(req, plan, partial);
    const module = (result.courseContent as any).modules[0];

    assertSeedShape(result, SEED.course);
    assert.deepEqual(module.lessons[1], {
      id: 'module_1_lesson_2',
      title: 'Your First Program',
      content: '',
      keyPoints: [],
      examples: [],
      exercises: [],
    });
    assert.deepEqual(module.assessment, { instructions: '', questions: [] });
    assert.equal((result.courseContent as any).conclusion, '');
  });

  it('takes the planned title when the overview has none', () => {
    const result = assembleContent(req, plan, new Map());

    assert.equal((result.courseContent as any).overview.title, 'Introduction to Python Programming');
    assert.equal(result.metadata.totalWords, 0);
    assert.equal(result.metadata.summary, '');
  });
});

describe('assembleContent: quiz', () => {
  const { fx, req, plan, outputs } = scenario('content-quiz.json', 'quiz', 1500);
  const content = assembleContent(req, plan, outputs);

  it('has the seed’s quiz structure, keys in the seed’s order', () => {
    assert.deepEqual(Object.keys(content), ['quizContent', 'metadata']);
    assertSeedShape({ quizContent: content.quizContent }, SEED.quiz);
  });

  it('numbers the questions per category and keeps context only where there is one', () => {
    const categories = (content.quizContent as any).categories;

    assert.equal((content.quizContent as any).instructions, fx.outputs.quiz_instructions.instructions);
    assert.deepEqual(
      categories.map((c: any) => [c.name, c.questions.map((q: any) => q.id)]),
      [
        ['Syntax', ['category_1_q1']],
        ['Data Types', ['category_2_q1']],
      ],
    );
    assert.equal('context' in categories[0].questions[0], false);
    assert.equal(categories[1].questions[0].context, fx.outputs.category_2.questions[0].context);
    assert.deepEqual(categories[1].questions[0], {
      id: 'category_2_q1',
      ...fx.outputs.category_2.questions[0],
    });
  });
});

describe('assembleContent: workflow', () => {
  const { fx, req, plan, outputs } = scenario('content-workflow.json', 'workflow', 1500);
  const content = assembleContent(req, plan, outputs);

  it('has the seed’s workflow structure, keys in the seed’s order', () => {
    assert.deepEqual(Object.keys(content), ['workflowContent', 'metadata']);
    assertSeedShape({ workflowContent: content.workflowContent }, SEED.workflow);
  });

  it('puts the steps in order with their ids and names', () => {
    assert.deepEqual(content.workflowContent, {
      overview: fx.outputs.workflow_overview,
      steps: [
        { id: 'build', name: 'Build the package', ...fx.outputs.step_1 },
        { id: 'step_2', name: 'Upload to PyPI', ...fx.outputs.step_2 },
      ],
    });
  });
});

describe('assembleContent: novel, knowledge map, learning path', () => {
  it('builds novelContent: overview, then chapters with ids and titles', () => {
    const req = request('novel', { chapters: ['Arrival'] }, 2000);
    const plan = planSections(req);
    const outputs = new Map<string, unknown>([
      [
        'synopsis',
        {
          title: 'The Loop',
          synopsis: 'S.',
          setting: 'A city.',
          characters: [{ name: 'Ada', description: 'D.' }],
        },
      ],
      ['chapter_1', { summary: 'Ada arrives.', content: 'It was raining.' }],
    ]);

    assert.deepEqual(assembleContent(req, plan, outputs).novelContent, {
      overview: {
        title: 'The Loop',
        synopsis: 'S.',
        setting: 'A city.',
        characters: [{ name: 'Ada', description: 'D.' }],
      },
      chapters: [{ id: 'chapter_1', title: 'Arrival', summary: 'Ada arrives.', content: 'It was raining.' }],
    });
  });

  it('builds knowledgeMapContent, linking related nodes by id and dropping unknown ones', () => {
    const req = request('knowledge_map', { nodes: [{ id: 'sets', title: 'Sets' }, { title: 'Maps' }] }, 2000);
    const plan = planSections(req);
    const outputs = new Map<string, unknown>([
      ['map_overview', { title: 'Collections', description: 'How collections relate.' }],
      [
        'node_1',
        {
          description: 'Unordered.',
          keyConcepts: ['membership'],
          examples: ['{1, 2}'],
          relationships: [
            { target: 'maps', relation: 'keys of a map form a set' },
            { target: 'Trees', relation: 'not a node' },
          ],
        },
      ],
    ]);

    const content = assembleContent(req, plan, outputs).knowledgeMapContent as any;

    assert.deepEqual(Object.keys(content), ['overview', 'nodes']);
    assert.deepEqual(content.nodes[0], {
      id: 'sets',
      title: 'Sets',
      description: 'Unordered.',
      keyConcepts: ['membership'],
      examples: ['{1, 2}'],
      relationships: [{ target: 'node_2', relation: 'keys of a map form a set' }],
    });
    assert.deepEqual(content.nodes[1].relationships, []);
  });

  it('builds learningPathContent: overview, stages, conclusion', () => {
    const req = request('learning_path', { stages: ['Basics'] }, 2000);
    const plan = planSections(req);
    const stage = {
      description: 'Learn the basics.',
      objectives: ['Write a loop'],
      activities: [{ title: 'Practice', description: 'Do katas.' }],
      resources: ['official tutorial'],
      milestone: 'A working script.',
    };
    const outputs = new Map<string, unknown>([
      ['path_overview', { title: 'Path', description: 'From zero.', outcomes: ['Ship a tool'] }],
      ['stage_1', stage],
      ['conclusion', { conclusion: 'Well done.' }],
    ]);

    assert.deepEqual(assembleContent(req, plan, outputs).learningPathContent, {
      overview: { title: 'Path', description: 'From zero.', outcomes: ['Ship a tool'] },
      stages: [{ id: 'stage_1', title: 'Basics', ...stage }],
      conclusion: 'Well done.',
    });
  });
});

describe('metadata rules', () => {
  it('reads at 200 words a minute, as the seed’s 15 234 words in "76 minutes"', () => {
    assert.equal(readingTime(15234), '76 minutes');
    assert.equal(readingTime(150), '1 minute');
    assert.equal(readingTime(0), '1 minute');
  });

  it('takes difficulty from the audience, else from the granularity level', () => {
    const level = (audience: string | undefined, granularityLevel: number) =>
      difficultyOf(
        request('course', {}, 1000, (b) => {
          b.input.contentMetadata.standardParameters = {
            granularityLevel,
            ...(audience ? { targetAudience: audience } : {}),
          };
        }),
      );

    assert.equal(level('Beginners with no prior experience', 5), 'beginner');
    assert.equal(level('senior engineers', 1), 'advanced');
    assert.equal(level('intermediate developers', 1), 'intermediate');
    assert.equal(level(undefined, 1), 'beginner');
    assert.equal(level(undefined, 3), 'intermediate');
    assert.equal(level('software teams', 4), 'advanced');
  });
});

describe('summarizeSections', () => {
  it('counts sections and words per group as the seed names them, summing to the total', () => {
    const { plan, outputs } = scenario('content-course-small.json', 'course', 2000);
    const words = (id: string) => wordsOf(outputs.get(id));

    const summary = summarizeSections(plan, outputs);

    assert.deepEqual(summary, {
      totalSections: 7,
      sectionsGenerated: 7,
      totalWords: plan.reduce((t, s) => t + words(s.id), 0),
      wordsBySection: {
        overview: words('overview'),
        modules: words('module_1') + words('module_1_summary') + words('module_1_assessment'),
        lessons: words('module_1_lesson_1') + words('module_1_lesson_2'),
        conclusion: words('conclusion'),
      },
    });
  });

  it('does not count sections without output as generated', () => {
    const { plan, outputs } = scenario('content-course-small.json', 'course', 2000);
    outputs.delete('conclusion');
    outputs.set('module_1_summary', { summary: '' });

    const summary = summarizeSections(plan, outputs);

    assert.equal(summary.totalSections, 7);
    assert.equal(summary.sectionsGenerated, 5);
    assert.equal(summary.wordsBySection.conclusion, 0);
  });

  it('groups quiz and workflow words by their own parts', () => {
    const quiz = scenario('content-quiz.json', 'quiz', 1500);
    const workflow = scenario('content-workflow.json', 'workflow', 1500);

    assert.deepEqual(Object.keys(summarizeSections(quiz.plan, quiz.outputs).wordsBySection), [
      'instructions',
      'categories',
    ]);
    assert.deepEqual(Object.keys(summarizeSections(workflow.plan, workflow.outputs).wordsBySection), [
      'overview',
      'steps',
    ]);
  });
});
