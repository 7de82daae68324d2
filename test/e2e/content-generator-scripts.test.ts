/**
 * The original Content Generator's own test scripts, replayed against the local stack with only
 * the host and the key changed: `workers/bitware_content_generator/test.sh` (jhaladik/ai-cto-
 * modular-app at commit 2fa479e, the only commit that has it) and `test-working.sh` (at ea89ec8,
 * the repository's HEAD). Their requests (paths, headers, bodies) are data in
 * test/fixtures/content-generator-scripts.json, copied from the scripts; what each asserts is
 * what the original worker's handlers (src/index.ts, src/handlers/*.ts, src/helpers/auth.ts at
 * the same commits) answer, or, where the original had no answer of its own, the seed's.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Harness, startHarness } from '../support/e2e.ts';

interface ScriptRequest {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
}
interface Scripts {
  scripts: Record<'test.sh' | 'test-working.sh', { commit: string; requests: ScriptRequest[] }>;
}

/** The scripts' credentials: test.sh's API key and the worker secret both scripts send. */
const SCRIPT_KEYS = ['test-key-123', 'internal-worker-auth-token-2024'];

let h: Harness;
let scripts: Scripts['scripts'];

/** A script's request, sent as the script sends it: only the host and the key differ. */
async function replay(request: ScriptRequest, vars: Record<string, string> = {}) {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    let v = value;
    for (const k of SCRIPT_KEYS) v = v.replace(k, h.key);
    headers[name] = v;
  }
  const path = request.path.replace(/\{(\w+)\}/g, (_, name: string) => vars[name] ?? '');
  const response = await fetch(`${h.url}${path}`, {
    method: request.method,
    headers,
    // curl -d sends the body as given (test.sh sends no -d for its POSTs without data).
    ...(request.body !== undefined ? { body: JSON.stringify(request.body) } : {}),
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, body, text };
}

function step(script: keyof Scripts['scripts'], name: string): ScriptRequest {
  const found = scripts[script].requests.find((r) => r.name === name);
  assert.ok(found, `${script} has the request "${name}"`);
  return found;
}

beforeAll(async () => {
  const fixture = JSON.parse(
    await readFile(new URL('../fixtures/content-generator-scripts.json', import.meta.url), 'utf8'),
  ) as Scripts;
  scripts = fixture.scripts;
  h = await startHarness({ env: { CONTENT_REQUESTS_PER_MINUTE: '100000' } });
});

afterAll(async () => {
  await h?.stop();
});

describe('test.sh (2fa479e), every request in order', () => {
  let generatedJobId: number | undefined;

  it('answers the public health, detailed health and help without a key', async () => {
    for (const name of ['Health Check', 'Detailed Health', 'Help Documentation']) {
      const r = await replay(step('test.sh', name));
      assert.equal(r.status, 200, `${name}: ${r.text}`);
    }
    const help = await replay(step('test.sh', 'Help Documentation'));
    assert.equal(help.body.success, true);
    assert.ok(help.body.data.endpoints.includes('POST /api/execute'));
  });

  it('refuses the templates without credentials (401, the original "should fail")', async () => {
    const r = await replay(step('test.sh', 'List Templates (No Auth)'));
    assert.equal(r.status, 401, r.text);
    assert.equal(r.body.success, false);
    assert.equal(typeof r.body.error, 'string');
  });

  it('lists the templates and reads course_overview with the key', async () => {
    const list = await replay(step('test.sh', 'List Templates (With Auth)'));
    assert.equal(list.status, 200, list.text);
    assert.ok(list.body.data.templates.length > 0);
    const one = await replay(step('test.sh', 'Get Template'));
    assert.equal(one.status, 200, one.text);
    assert.equal(one.body.data.template.name, 'course_overview');
  });

  it('lists jobs (limit 10), stats and pricing in their shapes', async () => {
    const jobs = await replay(step('test.sh', 'List Jobs'));
    assert.equal(jobs.status, 200, jobs.text);
    assert.ok(Array.isArray(jobs.body.data.jobs));
    assert.equal(jobs.body.data.pageSize, 10);
    const stats = await replay(step('test.sh', 'Get Stats'));
    assert.equal(stats.status, 200, stats.text);
    assert.equal(typeof stats.body.data.overview.total_jobs, 'number');
    const pricing = await replay(step('test.sh', 'Get Pricing'));
    assert.equal(pricing.status, 200, pricing.text);
    assert.ok(Array.isArray(pricing.body.data.providers));
  });

  it('estimates the cost of 10 000 tokens of an OpenAI course', async () => {
    const r = await replay(step('test.sh', 'Estimate Cost'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.success, true);
    assert.equal(r.body.data.estimate.tokens.total, 10_000);
    assert.equal(typeof r.body.data.estimate.cost.total, 'string');
    assert.ok(Array.isArray(r.body.data.alternatives));
  });

  it('generates the small course with validationRequired and minQualityScore 75: 200, overall ≥ 75', async () => {
    const r = await replay(step('test.sh', 'Execute Content Generation'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.success, true);
    const output = r.body.output;
    assert.equal(output.granulatorJobId, 1);
    assert.equal(output.structureType, 'course');
    assert.ok(output.qualityMetrics.overallScore >= 75, JSON.stringify(output.qualityMetrics));
    const lesson = output.content.courseContent.modules[0].lessons[0];
    assert.equal(lesson.id, 'lesson_1');
    assert.equal(lesson.title, 'What is Testing?');
    // config.aiProvider "cloudflare" is not called: Gemini is, and the answer says so.
    assert.equal(r.body.metadata.aiProvider, 'google');
    assert.ok(r.body.metadata.notes.some((n: string) => n.includes('cloudflare')));
    // The original worker wrapped this body in its `data` envelope as well.
    assert.equal(r.body.data.output.jobId, output.jobId);
    generatedJobId = output.jobId;
  });

  it("answers the worker's bare {action: generate} (no input) with a 400 naming the missing input", async () => {
    const r = await replay(step('test.sh', 'Worker Auth'));
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.success, false);
    assert.equal(r.body.metadata.details.code, 'MISSING_REQUIRED_FIELD');
    assert.match(JSON.stringify(r.body), /input/);
  });

  it('answers 404 JOB_NOT_FOUND for the status and the retry of job 99999', async () => {
    for (const name of ['Get Job Status (404)', 'Retry Job (404)']) {
      const r = await replay(step('test.sh', name));
      assert.equal(r.status, 404, `${name}: ${r.text}`);
      assert.equal(r.body.success, false);
      assert.equal(r.body.error, 'Job not found');
      assert.equal(r.body.metadata.details.code, 'JOB_NOT_FOUND');
    }
  });

  it('cancels job 1 as the original would: 400 when it is the finished course, 404 when no job 1 is ours', async () => {
    const r = await replay(step('test.sh', 'Cancel Job'));
    if (generatedJobId === 1) {
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.error, 'Job cannot be cancelled');
    } else {
      assert.equal(r.status, 404, r.text);
    }
  });

  it('answers analytics and resource stats for 7 days', async () => {
    const analytics = await replay(step('test.sh', 'Get Analytics'));
    assert.equal(analytics.status, 200, analytics.text);
    assert.equal(analytics.body.success, true);
    const stats = await replay(step('test.sh', 'Get Resource Stats'));
    assert.equal(stats.status, 200, stats.text);
    assert.equal(stats.body.success, true);
  });
});

describe('test-working.sh (ea89ec8), every request in order', () => {
  let quizJobId: number | undefined;

  it('answers the health check', async () => {
    const r = await replay(step('test-working.sh', '1. Health Check'));
    assert.equal(r.status, 200, r.text);
  });

  it('generates the quiz as the worker asks (Bearer + X-Worker-ID): data.output.jobId and the summary it reads', async () => {
    const r = await replay(step('test-working.sh', '2. Generate Quiz Content'));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.success, true);
    const output = r.body.data.output;
    assert.ok(Number.isInteger(output.jobId));
    assert.ok(output.summary.sectionsGenerated > 0);
    assert.ok(output.summary.tokensUsed.total > 0);
    assert.equal(typeof output.summary.generationTime, 'number');
    quizJobId = output.jobId;
  });

  it("serves the quiz content with the structure's questions: q1..q3, their types and topics, q2 True/False", async () => {
    assert.ok(quizJobId, 'the quiz was generated');
    const r = await replay(step('test-working.sh', '3. Get Generated Quiz Content'), {
      QUIZ_JOB_ID: String(quizJobId),
    });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.data.structureType, 'quiz');
    const quiz = r.body.data.content.quizContent;
    assert.ok(quiz.instructions.length > 0);
    assert.deepEqual(
      quiz.categories.map((c: any) => c.name),
      ['Basic Functions', 'Parameters'],
    );
    const questions = quiz.categories.flatMap((c: any) => c.questions);
    assert.deepEqual(
      questions.map((q: any) => [q.id, q.type, q.topic]),
      [
        ['q1', 'multiple_choice', 'Function Definition'],
        ['q2', 'true_false', 'Return Statements'],
        ['q3', 'multiple_choice', 'Default Parameters'],
      ],
    );
    const [q1, q2, q3] = questions;
    assert.deepEqual(q2.options, ['True', 'False']);
    assert.ok(['True', 'False'].includes(q2.correctAnswer), q2.correctAnswer);
    for (const q of [q1, q3]) {
      assert.equal(q.options.length, 4);
      assert.ok(q.options.includes(q.correctAnswer));
    }
    for (const q of questions) assert.ok(q.question.length > 0 && q.explanation.length > 0);
  });

  it('generates the mini course with qualityValidation: qualityMetrics, tokens and cost where the script reads them', async () => {
    const r = await replay(step('test-working.sh', '4. Generate Course Content (Mini)'));
    assert.equal(r.status, 200, r.text);
    const output = r.body.data.output;
    assert.ok(Number.isInteger(output.jobId));
    assert.equal(typeof output.qualityMetrics.overallScore, 'number');
    assert.ok(output.summary.tokensUsed.total > 0);
    assert.equal(typeof output.summary.costUsd, 'number');
    const course = output.content.courseContent;
    assert.equal(course.overview.title.length > 0, true);
    assert.equal(course.modules[0].id, 'module_1');
    assert.equal(course.modules[0].lessons[0].id, 'lesson_1');
    // "openai" / "gpt-4o-mini" are not called here: the default Gemini model is, with a note.
    assert.equal(r.body.metadata.aiProvider, 'google');
    assert.ok(r.body.metadata.notes.some((n: string) => n.includes('gpt-4o-mini')));
  });

  it('answers the statistics and the pricing where the script reads them, with worker credentials', async () => {
    const stats = await replay(step('test-working.sh', '5. Get Statistics'));
    assert.equal(stats.status, 200, stats.text);
    const overview = stats.body.data.overview;
    assert.ok(overview.total_jobs >= 2);
    assert.ok(overview.completed_jobs >= 2);
    assert.ok(overview.total_words_generated > 0);
    assert.equal(typeof overview.avg_quality_score, 'number');
    assert.equal(typeof overview.total_cost, 'number');
    const pricing = await replay(step('test-working.sh', '6. Get Pricing Information'));
    assert.equal(pricing.status, 200, pricing.text);
    assert.ok(pricing.body.data.recommendations.balanced);
    assert.ok(pricing.body.data.providers[0].models[0]);
  });
});

/** The scripts list multiple-choice and true/false questions; the seed's types include short answers. */
describe('questions a structure lists, beyond the scripts: short answers, module assessments', () => {
  it('writes a quiz category and a module assessment question by question: ids, types, topics kept', async () => {
    const listed = [
      { id: 'sa-1', type: 'short_answer', topic: 'The keyword that defines a function' },
      { id: 'tf-1', type: 'true_false', topic: 'Implicit return values' },
      { id: 'mc-1', type: 'multiple_choice', topic: 'Keyword arguments' },
    ];
    const quiz = await h.call('POST', '/api/execute', {
      action: 'generate',
      input: {
        granulatorJobId: 31,
        topic: 'Python Functions',
        structureType: 'quiz',
        structure: {
          categories: [
            { name: 'Mixed', questions: listed },
            { name: 'Counted', questionCount: 2 },
          ],
        },
        wordCountEstimates: { total: 1200 },
        contentMetadata: {},
      },
    });
    assert.equal(quiz.status, 200, quiz.text);
    const [mixed, counted] = quiz.body.output.content.quizContent.categories;
    assert.deepEqual(
      mixed.questions.map((q: any) => [q.id, q.type, q.topic]),
      listed.map((q) => [q.id, q.type, q.topic]),
    );
    const [sa, tf, mc] = mixed.questions;
    assert.deepEqual(sa.options, []);
    assert.ok(sa.correctAnswer.length > 0, 'a short answer has its answer');
    assert.deepEqual(tf.options, ['True', 'False']);
    assert.ok(tf.options.includes(tf.correctAnswer));
    assert.equal(mc.options.length, 4);
    assert.ok(mc.options.includes(mc.correctAnswer));
    // A category that gives only a count is written as before: numbered ids, multiple choice.
    assert.deepEqual(
      counted.questions.map((q: any) => [q.id, q.options.length, 'type' in q]),
      [
        ['category_2_q1', 4, false],
        ['category_2_q2', 4, false],
      ],
    );

    const course = await h.call('POST', '/api/execute', {
      action: 'generate',
      input: {
        granulatorJobId: 32,
        topic: 'Variables',
        structureType: 'course',
        structure: {
          modules: [
            {
              id: 'm1',
              title: 'Naming',
              lessons: [{ id: 'l1', title: 'Names and case' }],
              assessment: { questions: listed.slice(0, 2) },
            },
          ],
        },
        wordCountEstimates: { total: 2000 },
        contentMetadata: {},
      },
    });
    assert.equal(course.status, 200, course.text);
    const assessment = course.body.output.content.courseContent.modules[0].assessment;
    assert.deepEqual(
      assessment.questions.map((q: any) => [q.id, q.type, q.topic, q.options]),
      [
        ['sa-1', 'short_answer', listed[0]?.topic, []],
        ['tf-1', 'true_false', listed[1]?.topic, ['True', 'False']],
      ],
    );
    assert.ok(assessment.questions[0].answer.length > 0);
    assert.ok(['True', 'False'].includes(assessment.questions[1].answer));
  });

  it('refuses an unknown question type with a 400 that names the field and the types', async () => {
    const response = await h.call('POST', '/api/execute', {
      action: 'generate',
      input: {
        granulatorJobId: 33,
        topic: 'Python Functions',
        structureType: 'quiz',
        structure: { categories: [{ name: 'Mixed', questions: [{ id: 'x', type: 'essay' }] }] },
        wordCountEstimates: { total: 800 },
        contentMetadata: {},
      },
    });
    assert.equal(response.status, 400, response.text);
    assert.equal(response.body.metadata.details.code, 'INVALID_STRUCTURE');
    assert.match(
      response.body.error,
      /structure\.categories\[0\]\.questions\[0\]\.type must be one of multiple_choice, true_false, short_answer/,
    );
  });
});
