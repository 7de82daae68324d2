import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import {
  needsOutline,
  outlinePrompt,
  outlineSchema,
  outlineSize,
  structureFromOutline,
} from '#content/outline.ts';
import { planSections, stagesOf } from '#content/plan.ts';
import { ContentRequestError, type ExecuteRequest, parseExecuteRequest } from '#content/request.ts';
import type { SectionSpec } from '#content/sections.ts';
import { MIN_SECTION_WORDS } from '#content/word-targets.ts';
import { fixture } from '../support/fixtures.ts';

const COURSE = () => fixture<any>('content-course-structure.json');

/** The cURL request (total 15 000, no bySection) with changes to its body. */
function request(change: (body: any) => void = () => {}): ExecuteRequest {
  const body = fixture<any>('content-request-curl.json');
  body.input.structure = COURSE();
  change(body);
  return parseExecuteRequest(body);
}

function byId(plan: SectionSpec[]): Map<string, SectionSpec> {
  return new Map(plan.map((s) => [s.id, s]));
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

const sum = (plan: SectionSpec[], pick: (s: SectionSpec) => boolean = () => true) =>
  plan.filter(pick).reduce((total, s) => total + s.targetWords, 0);

describe('planSections: a course of 3 modules × 5 lessons', () => {
  const plan = planSections(request());
  const sections = byId(plan);

  it('has readable ids in document order', () => {
    const expected = ['overview'];
    for (let m = 1; m <= 3; m++) {
      expected.push(`module_${m}`);
      for (let l = 1; l <= 5; l++) expected.push(`module_${m}_lesson_${l}`);
      expected.push(`module_${m}_summary`, `module_${m}_assessment`);
    }
    expected.push('conclusion');

    assert.deepEqual(
      plan.map((s) => s.id),
      expected,
    );
  });

  it('says where each section goes in the seed’s course structure', () => {
    assert.equal(sections.get('overview')?.path, 'courseContent.overview');
    assert.equal(sections.get('module_2')?.path, 'courseContent.modules[1].introduction');
    assert.equal(sections.get('module_2_lesson_3')?.path, 'courseContent.modules[1].lessons[2]');
    assert.equal(sections.get('module_3_summary')?.path, 'courseContent.modules[2].summary');
    assert.equal(sections.get('module_3_assessment')?.path, 'courseContent.modules[2].assessment');
    assert.equal(sections.get('conclusion')?.path, 'courseContent.conclusion');
  });

  it('keeps the structure’s own ids for the content and titles for the sections', () => {
    assert.equal(sections.get('module_1')?.contentId, 'm1');
    assert.equal(sections.get('module_1_lesson_1')?.contentId, 'lesson_1');
    assert.equal(sections.get('module_1_lesson_2')?.contentId, 'module_1_lesson_2');
    assert.equal(sections.get('module_2_lesson_2')?.title, 'Loops with for');
    assert.equal(sections.get('overview')?.title, 'Introduction to Python Programming');
    assert.equal(sections.get('module_1_lesson_1')?.brief, 'Install Python 3; Run the interpreter');
  });

  it('writes the overview first, then lessons and module introductions that depend on it', () => {
    assert.equal(sections.get('overview')?.stage, 0);
    assert.deepEqual(sections.get('overview')?.dependsOn, []);
    for (const s of plan.filter((s) => s.kind === 'lesson' || s.kind === 'module_introduction')) {
      assert.equal(s.stage, 1, s.id);
      assert.deepEqual(s.dependsOn, ['overview'], s.id);
    }
  });

  it('writes each module’s summary and assessment after its own five lessons', () => {
    for (let m = 1; m <= 3; m++) {
      const lessons = [1, 2, 3, 4, 5].map((l) => `module_${m}_lesson_${l}`);
      for (const id of [`module_${m}_summary`, `module_${m}_assessment`]) {
        assert.deepEqual(sections.get(id)?.dependsOn, lessons, id);
        assert.equal(sections.get(id)?.stage, 2, id);
      }
    }
  });

  it('writes the conclusion last, from the module summaries and the overview', () => {
    const conclusion = sections.get('conclusion');
    assert.deepEqual(conclusion?.dependsOn, [
      'overview',
      'module_1_summary',
      'module_2_summary',
      'module_3_summary',
    ]);
    assert.equal(conclusion?.stage, 3);
    assert.ok(plan.every((s) => s.id === 'conclusion' || s.stage < 3));
  });

  it('groups the sections by stage, 18 of them in parallel in stage 1', () => {
    const stages = stagesOf(plan);

    assert.deepEqual(
      stages.map((s) => s.length),
      [1, 18, 6, 1],
    );
  });

  it('gives every stage’s dependencies an earlier stage', () => {
    for (const s of plan) {
      for (const dep of s.dependsOn)
        assert.ok((sections.get(dep)?.stage ?? 99) < s.stage, `${s.id} → ${dep}`);
    }
  });
});

describe('planSections: approaches', () => {
  it('sequential: one section per stage, in document order, each after the one before', () => {
    const plan = planSections(
      request((b) => (b.input.contentMetadata = { generationStrategy: { approach: 'sequential' } })),
    );

    plan.forEach((s, i) => {
      assert.equal(s.stage, i, s.id);
      const previous = plan[i - 1];
      if (previous) assert.ok(s.dependsOn.includes(previous.id), s.id);
    });
    assert.deepEqual(
      stagesOf(plan).map((s) => s.length),
      plan.map(() => 1),
    );
  });

  it('parallel: only true dependencies, everything in stage 0 or 1', () => {
    const plan = planSections(
      request((b) => (b.input.contentMetadata = { generationStrategy: { approach: 'parallel' } })),
    );
    const sections = byId(plan);

    assert.equal(Math.max(...plan.map((s) => s.stage)), 1);
    for (const s of plan.filter(
      (s) => s.kind === 'lesson' || s.kind === 'module_introduction' || s.kind === 'overview',
    )) {
      assert.equal(s.stage, 0, s.id);
      assert.deepEqual(s.dependsOn, [], s.id);
    }
    assert.equal(sections.get('module_2_summary')?.dependsOn.length, 5);
    assert.equal(sections.get('module_2_assessment')?.stage, 1);
    assert.deepEqual(sections.get('conclusion')?.dependsOn, ['overview']);
    assert.equal(sections.get('conclusion')?.stage, 1);
  });

  it('adds explicit dependencies and stages the sections after them', () => {
    const plan = planSections(
      request(
        (b) =>
          (b.input.contentMetadata = {
            generationStrategy: { dependencies: [{ section: 'module_2', dependsOn: ['module_1_summary'] }] },
          }),
      ),
    );
    const sections = byId(plan);

    assert.deepEqual(sections.get('module_2')?.dependsOn, ['overview', 'module_1_summary']);
    assert.equal(sections.get('module_2')?.stage, 3);
    assert.equal(sections.get('module_2_lesson_1')?.stage, 1, 'other sections keep their stage');
  });

  it('refuses explicit dependencies on unknown sections or in a cycle', () => {
    const unknown = rejection(() =>
      planSections(
        request(
          (b) =>
            (b.input.contentMetadata = {
              generationStrategy: { dependencies: [{ section: 'module_9', dependsOn: ['overview'] }] },
            }),
        ),
      ),
    );
    assert.equal(unknown.code, 'INVALID_STRUCTURE');
    assert.equal(unknown.field, 'contentMetadata.generationStrategy.dependencies');
    assert.match(unknown.message, /"module_9"/);

    const cycle = rejection(() =>
      planSections(
        request(
          (b) =>
            (b.input.contentMetadata = {
              generationStrategy: { dependencies: [{ section: 'overview', dependsOn: ['conclusion'] }] },
            }),
        ),
      ),
    );
    assert.equal(cycle.code, 'INVALID_STRUCTURE');
    assert.match(cycle.message, /cycle/);
  });
});

describe('planSections: word targets', () => {
  it('sum exactly to the total and give every section at least the minimum', () => {
    for (const total of [15000, 9999, 200_000, 26 * MIN_SECTION_WORDS]) {
      const plan = planSections(request((b) => (b.input.wordCountEstimates.total = total)));
      assert.equal(sum(plan), total, String(total));
      assert.ok(
        plan.every((s) => s.targetWords >= MIN_SECTION_WORDS),
        String(total),
      );
      for (const s of plan) {
        const parts = Object.values(s.wordsByPart).reduce((a, b) => a + b, 0);
        assert.equal(parts, s.targetWords, `${s.id} parts`);
      }
    }
  });

  it('follow the seed’s ranges without bySection: a lesson outweighs a module introduction 3250 : 400', () => {
    const plan = byId(planSections(request()));
    const lesson = plan.get('module_1_lesson_1')?.targetWords ?? 0;
    const intro = plan.get('module_1')?.targetWords ?? 1;

    assert.ok(Math.abs(lesson / intro - 3250 / 400) < 0.1, `${lesson} / ${intro}`);
  });

  it('give the bySection amounts (scaled to the total) to the sections that write them', () => {
    const full = fixture<any>('content-request-full.json');
    const plan = planSections(
      request((b) => {
        b.input.wordCountEstimates = full.input.wordCountEstimates;
      }),
    );
    const part = (name: string) => plan.reduce((t, s) => t + (s.wordsByPart[name] ?? 0), 0);

    assert.equal(sum(plan), 15000);
    // The named parts keep the proportions the client gave (8000 : 2000 : 2500 : 1200 : 1300).
    assert.ok(Math.abs(part('lessonContent') / part('examples') - 4) < 0.02);
    assert.ok(Math.abs(part('exercises') / part('assessments') - 2500 / 1300) < 0.02);
    assert.ok(Math.abs(part('moduleIntroductions') / 3 - 400 * (part('lessonContent') / 8000)) < 2);
    // Parts the client did not name (overview, summaries, conclusion) still get words.
    assert.ok(part('overview') > 0 && part('moduleSummaries') > 0 && part('conclusion') > 0);
  });

  it('split by byPriority when there is no bySection', () => {
    const plan = planSections(
      request((b) => (b.input.wordCountEstimates.byPriority = { high: 9000, medium: 4000, low: 2000 })),
    );
    const high = sum(plan, (s) => s.kind === 'lesson');
    const low = sum(plan, (s) => s.kind === 'module_summary' || s.kind === 'conclusion');

    assert.equal(sum(plan), 15000);
    assert.ok(Math.abs(high - 9000) <= 2, String(high));
    assert.ok(Math.abs(low - 2000) <= 2, String(low));
  });

  it('refuse a total too small for the sections', () => {
    const error = rejection(() => planSections(request((b) => (b.input.wordCountEstimates.total = 1000))));

    assert.equal(error.code, 'INVALID_STRUCTURE');
    assert.equal(error.field, 'wordCountEstimates.total');
    assert.match(error.suggestion, /at least 1300/);
  });

  it('size each module assessment’s questions from its words', () => {
    const plan = byId(planSections(request((b) => (b.input.wordCountEstimates.total = 60000))));
    const assessment = plan.get('module_1_assessment');

    assert.ok(assessment?.questionCount !== undefined);
    assert.equal(
      assessment.questionCount,
      Math.min(10, Math.max(2, Math.round((assessment.targetWords - 150) / 200))),
    );
  });
});

describe('planSections: structures', () => {
  it('refuses more than 200 sections', () => {
    const modules = Array.from({ length: 20 }, (_, m) => ({
      title: `Module ${m}`,
      lessons: Array.from({ length: 8 }, (_, l) => `Lesson ${m}.${l}`),
    }));
    const error = rejection(() =>
      planSections(
        request((b) => {
          b.input.structure = { modules };
          b.input.wordCountEstimates.total = 200_000;
        }),
      ),
    );

    assert.equal(error.code, 'INVALID_STRUCTURE');
    assert.match(error.message, /222 sections; at most 200/);
  });

  it('names the malformed part of a structure', () => {
    const cases: [unknown, string][] = [
      [{ modules: 'three' }, 'structure.modules'],
      [{ modules: [{ title: 'A', lessons: [] }] }, 'structure.modules[0].lessons'],
      [
        { modules: [{ title: 'A', lessons: [{ title: 'x' }, { summary: 'no title' }] }] },
        'structure.modules[0].lessons[1]',
      ],
      [{ modules: [{ lessons: ['x'] }] }, 'structure.modules[0]'],
    ];
    for (const [structure, field] of cases) {
      const error = rejection(() => planSections(request((b) => (b.input.structure = structure))));
      assert.equal(error.code, 'INVALID_STRUCTURE', field);
      assert.equal(error.field, field);
      assert.match(error.suggestion, /"modules"/);
    }
  });

  it('reads a flat list of lessons as a course of one module', () => {
    const plan = planSections(
      request((b) => (b.input.structure = { title: 'Git', lessons: ['Commits', 'Branches'] })),
    );

    assert.deepEqual(
      plan.map((s) => s.id),
      [
        'overview',
        'module_1',
        'module_1_lesson_1',
        'module_1_lesson_2',
        'module_1_summary',
        'module_1_assessment',
        'conclusion',
      ],
    );
  });

  it('plans a quiz: instructions and one section per category, all in parallel', () => {
    const fx = fixture<any>('content-quiz.json');
    const plan = planSections(
      request((b) => {
        b.input.structureType = 'quiz';
        b.input.structure = { ...fx.structure, categories: [...fx.structure.categories, { name: 'Loops' }] };
        b.input.wordCountEstimates.total = 3000;
      }),
    );

    assert.deepEqual(
      plan.map((s) => [s.id, s.kind, s.path, s.stage]),
      [
        ['quiz_instructions', 'quiz_instructions', 'quizContent.instructions', 0],
        ['category_1', 'quiz_category', 'quizContent.categories[0]', 0],
        ['category_2', 'quiz_category', 'quizContent.categories[1]', 0],
        ['category_3', 'quiz_category', 'quizContent.categories[2]', 0],
      ],
    );
    assert.equal(plan[1]?.questionCount, 1, 'the structure’s questionCount is kept');
    assert.ok((plan[3]?.questionCount ?? 0) >= 1, 'a category without one gets one from its words');
    assert.ok((plan[3]?.targetWords ?? 0) > (plan[1]?.targetWords ?? 0), 'more questions, more words');
  });

  it('plans a workflow: the overview, then the steps that depend on it', () => {
    const fx = fixture<any>('content-workflow.json');
    const plan = planSections(
      request((b) => {
        b.input.structureType = 'workflow';
        b.input.structure = fx.structure;
        b.input.wordCountEstimates.total = 2000;
      }),
    );

    assert.deepEqual(
      plan.map((s) => [s.id, s.contentId, s.path, s.dependsOn, s.stage]),
      [
        ['workflow_overview', 'workflow_overview', 'workflowContent.overview', [], 0],
        ['step_1', 'build', 'workflowContent.steps[0]', ['workflow_overview'], 1],
        ['step_2', 'step_2', 'workflowContent.steps[1]', ['workflow_overview'], 1],
      ],
    );
  });

  it('plans novels, knowledge maps and learning paths from their generic lists', () => {
    const ids = (structureType: string, structure: unknown) =>
      planSections(
        request((b) => {
          b.input.structureType = structureType;
          b.input.structure = structure;
          b.input.wordCountEstimates.total = 5000;
        }),
      ).map((s) => `${s.id}@${s.stage}`);

    assert.deepEqual(ids('novel', { chapters: ['Arrival', { name: 'Departure' }] }), [
      'synopsis@0',
      'chapter_1@1',
      'chapter_2@1',
    ]);
    assert.deepEqual(ids('knowledge_map', { sections: [{ title: 'Sets' }, { title: 'Maps' }] }), [
      'map_overview@0',
      'node_1@1',
      'node_2@1',
    ]);
    assert.deepEqual(ids('learning_path', { stages: [{ title: 'Basics' }, { title: 'Projects' }] }), [
      'path_overview@0',
      'stage_1@1',
      'stage_2@1',
      'conclusion@2',
    ]);
  });
});

describe('outlining an empty structure', () => {
  it('is needed for {} and for empty lists, not for a structure with modules or a reference', () => {
    assert.equal(needsOutline(request((b) => (b.input.structure = {}))), true);
    assert.equal(needsOutline(request((b) => (b.input.structure = { title: 'Python', modules: [] }))), true);
    assert.equal(needsOutline(request()), false);
    const byReference = request((b) => {
      delete b.input.structure;
      b.input.structureReference = { type: 'kv', location: 'x' };
    });
    assert.equal(needsOutline(byReference), false);
    assert.equal(needsOutline(byReference, {}), true);
  });

  it('sizes a course like the seed’s example: 15 000 words, 3 modules of 5 lessons', () => {
    assert.deepEqual(outlineSize('course', 15000), { items: 3, lessonsPerItem: 5 });
    assert.deepEqual(outlineSize('course', 2000), { items: 1, lessonsPerItem: 2 });
    assert.equal(outlineSize('workflow', 3000).items, 3);
    assert.deepEqual(outlineSize('quiz', 5000), { items: 2, questionsPerItem: 4 });
  });

  it('asks for exactly that outline, sized to the word total', () => {
    const req = request((b) => (b.input.structure = {}));

    const prompt = outlinePrompt(req);
    const schema = outlineSchema(req) as any;

    assert.match(prompt, /"Python Basics"/);
    assert.match(prompt, /about 15000 words/);
    assert.match(prompt, /exactly 3 modules with exactly 5 lessons each/);
    assert.deepEqual(schema.required, ['title', 'modules']);
    assert.equal(schema.properties.modules.minItems, '3');
    assert.equal(schema.properties.modules.maxItems, '3');
    assert.equal(schema.properties.modules.items.properties.lessons.minItems, '5');
    assert.deepEqual(schema.properties.modules.items.properties.lessons.items.required, [
      'title',
      'description',
    ]);
  });

  it('turns the model’s outline into a structure the plan reads', () => {
    const req = request((b) => (b.input.structure = {}));
    const answer = {
      title: 'Python Basics',
      modules: [
        {
          title: 'Setup',
          description: 'Install things.',
          lessons: [{ title: 'Install', description: 'Get Python.' }],
        },
        {
          title: 'Syntax',
          description: 'Write code.',
          lessons: [{ title: 'Statements', description: 'Lines.' }],
        },
      ],
    };

    const result = structureFromOutline(req, answer);
    assert.ok(result.ok);
    const plan = planSections(req, result.structure);

    assert.deepEqual(
      plan.map((s) => s.id),
      [
        'overview',
        'module_1',
        'module_1_lesson_1',
        'module_1_summary',
        'module_1_assessment',
        'module_2',
        'module_2_lesson_1',
        'module_2_summary',
        'module_2_assessment',
        'conclusion',
      ],
    );
    assert.equal(plan.find((s) => s.id === 'module_1_lesson_1')?.brief, 'Get Python.');
    assert.equal(sum(plan), 15000);
  });

  it('gives quiz categories the question count their size allows', () => {
    const req = request((b) => {
      b.input.structureType = 'quiz';
      b.input.structure = {};
      b.input.wordCountEstimates.total = 5000;
    });

    const result = structureFromOutline(req, {
      title: 'Quiz',
      categories: [
        { name: 'Syntax', description: 'a' },
        { name: 'Types', description: 'b' },
      ],
    });

    assert.ok(result.ok);
    assert.deepEqual(result.structure.categories, [
      { name: 'Syntax', description: 'a', questionCount: 4 },
      { name: 'Types', description: 'b', questionCount: 4 },
    ]);
  });

  it('reports an unusable outline as problems to ask again about', () => {
    const req = request((b) => (b.input.structure = {}));

    const none = structureFromOutline(req, { title: 'x' });
    const repeated = structureFromOutline(req, {
      modules: [
        { title: 'Setup', lessons: [{ title: 'A' }] },
        { title: 'setup', lessons: [] },
      ],
    });

    assert.deepEqual(none, { ok: false, problems: ['the answer has no "modules" list'] });
    assert.equal(repeated.ok, false);
    assert.ok(!repeated.ok && repeated.problems.some((p) => /repeats the title "setup"/.test(p)));
    assert.ok(!repeated.ok && repeated.problems.some((p) => /modules\[1\] has no lessons/.test(p)));
  });
});
