/**
 * A content job's quiz in review, end to end on the local stack with a simulator that puts every
 * key at option "b" and makes it clearly the longest option: the job's keys come out even and
 * rarely the longest, every question is listed pending by GET /questions?job_id=<content job>,
 * edits pass the section's gate or answer 400 changing nothing, decisions and history work,
 * review= of the content keeps one state, the CLI lists and downloads them, and another key sees
 * none of it. Then one question is regenerated with instructions (the prompts read at a front
 * that records them, between the stack and the simulator): the replacement is pending with
 * `replaces`, the old one rejected, and review= of the content shows the replacement in the old
 * one's place. One job serves every test but the last two, which start courses and hold their
 * conclusion back at the front to keep them running: a module assessment question's regeneration
 * fails while its course is still being written and succeeds once it has finished; and while a
 * course with quality checks runs, its questions cannot be decided or edited (409).
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { namesOptionLetter } from '#jobs/key-cues.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/server.ts';
import { type Harness, startHarness, waitForJob } from '../support/e2e.ts';
import { runQuizgen } from '../support/quizgen.ts';
import { type RecordingFront, startRecordingFront } from '../support/recording-front.ts';

const SIMULATOR_KEY = 'simulator-key-for-the-content-review-test';
let simulator: GeminiSimulator;
let front: RecordingFront;
let h: Harness;
let home: string;
let jobId: number;
/** Every question of the job as GET /questions lists it, in the content's order. */
let listed: any[];

/** Four categories of five generated questions (20 multiple choice), and one listing two others. */
const quiz = {
  action: 'generate',
  input: {
    topic: 'Web security',
    structureType: 'quiz',
    structure: {
      categories: [
        { name: 'Authentication', questionCount: 5 },
        { name: 'Transport security', questionCount: 5 },
        { name: 'Injection', questionCount: 5 },
        { name: 'Sessions', questionCount: 5 },
        {
          name: 'Facts',
          questions: [
            { id: 'tf1', type: 'true_false', topic: 'HTTPS encrypts the URL path' },
            { id: 'sa1', type: 'short_answer', topic: 'the header that sets a cookie' },
          ],
        },
      ],
    },
    wordCountEstimates: { total: 4000 },
    contentMetadata: {},
  },
};

async function poll(id: number) {
  for (let i = 0; i < 1200; i++) {
    const response = await h.call('GET', `/api/jobs/${id}/status`);
    assert.equal(response.status, 200, response.text);
    if (['completed', 'failed', 'cancelled'].includes(response.body.data.status)) return response.body.data;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`content job ${id} did not finish`);
}

const isMcq = (q: any) => (q.type ?? 'multiple_choice') === 'multiple_choice';
const contentOf = async (query = '') => {
  const response = await h.call('GET', `/api/jobs/${jobId}/content${query}`);
  assert.equal(response.status, 200, response.text);
  return response.body.data;
};
const allQuestions = (content: any): any[] =>
  content.content.quizContent.categories.flatMap((c: any) => c.questions);

beforeAll(async () => {
  // The simulator behind a front that records the prompts (see recording-front.ts).
  simulator = await startGeminiSimulator({
    apiKey: SIMULATOR_KEY,
    seed: 11,
    keyPosition: 'b',
    longestKey: true,
  });
  front = await startRecordingFront(simulator.url);
  h = await startHarness({
    gemini: { apiKey: SIMULATOR_KEY, baseUrl: front.url },
    settings: { llmMaxConcurrency: 6 },
    env: { CONTENT_REQUESTS_PER_MINUTE: '100000', SYNC_WAIT_SECONDS: '0' },
  });
  home = await mkdtemp(join(tmpdir(), 'quizgen-content-review-'));
  const started = await h.call('POST', '/api/execute', quiz);
  assert.equal(started.status, 202, started.text);
  jobId = started.body.data.jobId;
  const status = await poll(jobId);
  assert.equal(status.status, 'completed', JSON.stringify(status));
  const page = await h.call('GET', `/questions?job_id=${jobId}&limit=200`);
  assert.equal(page.status, 200, page.text);
  listed = page.body.questions;
}, 300_000);

afterAll(async () => {
  await h?.stop();
  await front?.close();
  await simulator?.close();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('key cues of a content quiz against a simulator biased to key "b", the longest', () => {
  it('puts each key position within 3 points of 25% and the longest-option share under a third, in the content and in the job', async () => {
    const questions = allQuestions(await contentOf()).filter(isMcq);
    assert.equal(questions.length, 20);
    const counts: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    let longest = 0;
    for (const q of questions) {
      const at = q.options.indexOf(q.correctAnswer);
      counts['abcd'[at] as string] = (counts['abcd'[at] as string] ?? 0) + 1;
      const others = q.options.filter((_: string, i: number) => i !== at).map((o: string) => o.length);
      if (q.correctAnswer.length > Math.max(...others)) longest += 1;
      assert.equal(namesOptionLetter(q.explanation), false, q.explanation);
    }
    for (const [position, count] of Object.entries(counts)) {
      assert.ok(Math.abs(count / 20 - 0.25) <= 0.03, `${position}: ${count} of 20`);
    }
    assert.ok(longest / 20 < 1 / 3, `longest share ${longest} of 20`);

    const details = await h.call('GET', `/api/jobs/${jobId}`);
    assert.equal(details.status, 200, details.text);
    const report = details.body.data.questions;
    assert.equal(report.key_cues.questions, 20, JSON.stringify(report));
    for (const position of ['a', 'b', 'c', 'd']) {
      assert.ok(Math.abs(report.key_cues.positions[position].share - 0.25) <= 0.03, JSON.stringify(report));
    }
    assert.ok(report.key_cues.longest_option.share < 1 / 3, JSON.stringify(report));
    // The bias was there and the gate saw it: first answers with clearly longest keys were refused.
    assert.ok((report.by_check.key_longest ?? 0) >= 4, JSON.stringify(report.by_check));
  });
});

describe('review records of a content job', () => {
  it('lists every question pending, by the content job id in either form, with its type and place', async () => {
    assert.equal(listed.length, 22);
    for (const q of listed) {
      assert.equal(q.type, 'content');
      assert.equal(q.job_id, `content-${jobId}`);
      assert.equal(q.review.state, 'pending');
      assert.equal(q.review.version, 1);
      assert.equal(q.topic, 'Web security');
    }
    const ids = new Set(allQuestions(await contentOf()).map((q: any) => q.id));
    assert.deepEqual(new Set(listed.map((q) => q.content_id)), ids);
    const tf = listed.find((q) => q.content_id === 'tf1');
    assert.equal(tf.question_type, 'true_false');
    assert.deepEqual(tf.options, ['True', 'False']);
    const same = await h.call('GET', `/questions?job_id=content-${jobId}&limit=200`);
    assert.equal(same.body.questions.length, 22);
    const refused = await h.call('GET', '/questions?job_id=content-x');
    assert.equal(refused.status, 400);
    assert.match(refused.body.detail, /query\.job_id: must be a job id/);
  });

  it('refuses an edit its section’s gate refuses (400 with reasons, nothing changed), takes one that passes as version 2', async () => {
    const q = listed.find((x) => x.content_id === 'category_1_q1');
    const refused = await h.call('PATCH', `/questions/${q.id}`, {
      correct_answer: 'not one of them',
      explanation: 'Option B says it.',
    });
    assert.equal(refused.status, 400, refused.text);
    assert.ok(
      refused.body.reasons.some((r: string) => /is not one of its options/.test(r)),
      refused.text,
    );
    assert.ok(
      refused.body.reasons.some((r: string) => /names an option by its letter/.test(r)),
      refused.text,
    );
    let history = await h.call('GET', `/questions/${q.id}/history`);
    assert.equal(history.body.versions.length, 1, 'a refused edit writes no version');

    const question = 'Which measure stops a stolen password from being enough to sign in?';
    const edited = await h.call('PATCH', `/questions/${q.id}`, {
      question,
      review: 'approved',
      note: 'clearer',
    });
    assert.equal(edited.status, 200, edited.text);
    assert.equal(edited.body.question, question);
    assert.equal(edited.body.review.state, 'approved');
    assert.equal(edited.body.review.version, 2);
    history = await h.call('GET', `/questions/${q.id}/history`);
    assert.deepEqual(
      history.body.versions.map((v: any) => v.version),
      [1, 2],
    );
  });

  it('keeps one review state in the content (review=), as last edited, and the seed’s content without review=', async () => {
    const rejected = listed.filter((q) => q.content_id === 'category_2_q1' || q.content_id === 'sa1');
    const bulk = await h.call('POST', '/questions/review', {
      ids: rejected.map((q) => q.id),
      review: 'rejected',
      note: 'off topic',
    });
    assert.equal(bulk.status, 200, bulk.text);

    const approved = await contentOf('?review=approved');
    assert.equal(approved.review, 'approved');
    assert.deepEqual(
      allQuestions(approved).map((q: any) => [q.id, q.question]),
      [['category_1_q1', 'Which measure stops a stolen password from being enough to sign in?']],
    );
    const gone = allQuestions(await contentOf('?review=rejected')).map((q: any) => q.id);
    assert.deepEqual(gone, ['category_2_q1', 'sa1']);
    assert.equal(allQuestions(await contentOf('?review=pending')).length, 19);
    const whole = await contentOf();
    assert.equal(whole.review, undefined);
    assert.equal(allQuestions(whole).length, 22);
    assert.notEqual(
      allQuestions(whole)[0].question,
      'Which measure stops a stolen password from being enough to sign in?',
    );

    const bad = await h.call('GET', `/api/jobs/${jobId}/content?review=done`);
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.success, false);
    assert.match(bad.body.error, /review: must be one of pending, approved, rejected/);

    const details = await h.call('GET', `/api/jobs/${jobId}`);
    assert.deepEqual(details.body.data.questions.review, { pending: 19, approved: 1, rejected: 2 });
  });

  it('lists and downloads through the CLI: review list --job N, download --content N --review approved', async () => {
    const env = { url: h.url, key: h.key, home };
    const list = await runQuizgen(
      ['review', 'list', '--job', String(jobId), '--state', 'rejected', '--json'],
      env,
    );
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      JSON.parse(list.stdout)
        .questions.map((q: any) => q.content_id)
        .sort(),
      ['category_2_q1', 'sa1'],
    );
    const file = join(home, 'approved.json');
    const download = await runQuizgen(
      ['download', '--content', String(jobId), '--review', 'approved', '-o', file],
      env,
    );
    assert.equal(download.code, 0, download.stderr);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual(
      allQuestions(saved.data).map((q: any) => q.id),
      ['category_1_q1'],
    );
  });

  it('shows another key none of it: an empty list, 404 for the question, its history and the content', async () => {
    const other = h.otherKey;
    const q = listed[0];
    const before = (await h.call('GET', `/questions/${q.id}/history`)).body;
    const list = await h.call('GET', `/questions?job_id=${jobId}`, undefined, other);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.questions, []);
    const patch = await h.call(
      'PATCH',
      `/questions/${q.id}`,
      { review: 'rejected', note: 'not mine' },
      other,
    );
    assert.equal(patch.status, 404, patch.text);
    assert.equal((await h.call('GET', `/questions/${q.id}/history`, undefined, other)).status, 404);
    const content = await h.call('GET', `/api/jobs/${jobId}/content?review=approved`, undefined, other);
    assert.equal(content.status, 404, content.text);
    assert.deepEqual(
      (await h.call('GET', `/questions/${q.id}/history`)).body,
      before,
      "another key's attempt changed nothing",
    );
  });
});

describe('POST /questions/{id}/regenerate on a content question', () => {
  const INSTRUCTIONS = 'use a SQL login form as the scenario';
  let old: any;
  let replacement: any;
  const category = (content: any, name: string) =>
    content.content.quizContent.categories.find((c: any) => c.name === name).questions as any[];

  it('runs a content_question_regeneration job asked with the instructions: the replacement pending with replaces, of the old type and place, the old one rejected', async () => {
    old = listed.find((x) => x.content_id === 'category_3_q2');
    const other = await h.call('POST', `/questions/${old.id}/regenerate`, {}, h.otherKey);
    assert.equal(other.status, 404, other.text);
    const before = front.prompts().length;
    const started = await h.call('POST', `/questions/${old.id}/regenerate`, { instructions: INSTRUCTIONS });
    assert.equal(started.status, 202, started.text);
    const job = await waitForJob(h, started.body.job_id);
    assert.equal(job.status, 'completed', JSON.stringify(job.error_message ?? job.result_summary));
    assert.equal(job.job_type, 'content_question_regeneration');
    assert.equal(job.parameters.question_id, old.id);

    // What the model was asked: the section's category and the content's topic, the old
    // question with its key, and the reviewer's instructions.
    const prompt = front
      .prompts()
      .slice(before)
      .find((p) => p.includes(`The reviewer asked: ${INSTRUCTIONS}`));
    assert.ok(prompt, 'a prompt carries the instructions');
    assert.ok(prompt.includes('quiz category "Injection" of the quiz on Web security'), prompt);
    assert.ok(prompt.includes(`- Question: ${old.question}`), 'and the question it replaces');
    assert.ok(prompt.includes(`(correct) ${old.correct_answer}`), 'with its key');

    const questions = (await h.call('GET', `/questions?job_id=${jobId}&limit=200`)).body.questions as any[];
    replacement = questions.find((q) => q.replaces === old.id);
    assert.ok(replacement, 'a question names the old one in replaces');
    assert.notEqual(replacement.id, old.id);
    assert.equal(replacement.type, 'content');
    assert.equal(replacement.review.state, 'pending');
    assert.equal(replacement.job_id, old.job_id);
    for (const field of ['content_id', 'section_id', 'question_type', 'category']) {
      assert.equal(replacement[field], old[field], field);
    }
    assert.notEqual(replacement.question, old.question);
    assert.equal(replacement.options.length, 4);
    // The key where the old one's stood, so the job's key positions stay balanced.
    assert.equal(
      replacement.options.indexOf(replacement.correct_answer),
      old.options.indexOf(old.correct_answer),
    );
    const rejected = questions.find((q) => q.id === old.id);
    assert.equal(rejected.review.state, 'rejected');
    assert.equal(rejected.replaced_by, replacement.id);
    assert.match(rejected.review.note, new RegExp(`Replaced by question ${replacement.id}`));

    const again = await h.call('POST', `/questions/${old.id}/regenerate`, {});
    assert.equal(again.status, 409, again.text);
    assert.match(again.body.detail, new RegExp(`already replaced by question ${replacement.id}`));
  });

  it('shows the replacement in the old one’s place under review=pending, under review=approved only once approved, and the content as generated without review=', async () => {
    const pending = category(await contentOf('?review=pending'), 'Injection');
    assert.deepEqual(
      pending.map((q) => q.id),
      ['category_3_q1', 'category_3_q2', 'category_3_q3', 'category_3_q4', 'category_3_q5'],
    );
    assert.equal(pending[1].question, replacement.question);
    assert.equal(pending[1].correctAnswer, replacement.correct_answer);
    assert.deepEqual(pending[1].hints, replacement.hints);
    const gone = category(await contentOf('?review=rejected'), 'Injection');
    assert.deepEqual(
      gone.map((q) => [q.id, q.question]),
      [['category_3_q2', old.question]],
    );
    assert.deepEqual(category(await contentOf('?review=approved'), 'Injection'), []);

    const approve = await h.call('PATCH', `/questions/${replacement.id}`, { review: 'approved' });
    assert.equal(approve.status, 200, approve.text);
    const approved = allQuestions(await contentOf('?review=approved'));
    assert.deepEqual(
      approved.map((q: any) => q.id),
      ['category_1_q1', 'category_3_q2'],
    );
    assert.equal(approved[1].question, replacement.question);
    const whole = category(await contentOf(), 'Injection');
    assert.equal(whole.length, 5);
    assert.equal(whole[1].question, old.question, 'unfiltered, the content is as generated');
  });
});

describe("a course module's assessment questions while the course is being written", () => {
  const course = {
    action: 'generate',
    input: {
      topic: 'Variables',
      structureType: 'course',
      structure: {
        modules: [
          { id: 'module_1', title: 'Basics', lessons: [{ title: 'Names' }] },
          { id: 'module_2', title: 'Types', lessons: [{ title: 'Numbers' }] },
        ],
      },
      wordCountEstimates: { total: 3000 },
      contentMetadata: {},
    },
  };
  const regenerate = async (id: string, body: object) => {
    const started = await h.call('POST', `/questions/${id}/regenerate`, body);
    assert.equal(started.status, 202, started.text);
    return waitForJob(h, started.body.job_id);
  };

  it('fails the regeneration while the course is still being written, saying why, and replaces the question once it has finished', async () => {
    // The conclusion is written last (it builds on every module's summary): held back, it keeps
    // the course running after the modules' assessments are kept and listed.
    const conclusion = front.hold((prompt) => prompt.includes('Write the conclusion of the course'));
    const started = await h.call('POST', '/api/execute', course);
    assert.equal(started.status, 202, started.text);
    const courseId = started.body.data.jobId;
    await conclusion.reached;
    const listed = (await h.call('GET', `/questions?job_id=${courseId}&limit=200`)).body.questions as any[];
    const old = listed.find((q) => q.section_id === 'module_1_assessment');
    assert.ok(old, JSON.stringify(listed.map((q) => q.section_id)));
    assert.equal(old.section_kind, 'module_assessment');

    // Without quality checks a kept section is final: its questions can be decided at once.
    const other = listed.find((q) => q.section_id === 'module_2_assessment');
    const decided = await h.call('PATCH', `/questions/${other.id}`, { review: 'approved' });
    assert.equal(decided.status, 200, decided.text);

    const early = await regenerate(old.id, {});
    assert.equal(early.status, 'failed');
    assert.match(
      early.error_message,
      new RegExp(
        `content job content-${courseId} of question ${old.id} is still \\w+; regenerate the question once it has finished`,
      ),
    );
    const during = (await h.call('GET', `/questions?job_id=${courseId}&limit=200`)).body.questions as any[];
    assert.equal(during.length, listed.length, 'the failed job added no question');
    const untouched = during.find((q) => q.id === old.id);
    assert.equal(untouched.review.state, 'pending', 'and rejected none');
    assert.equal(untouched.replaced_by, undefined);

    conclusion.release();
    assert.equal((await poll(courseId)).status, 'completed');
    const before = front.prompts().length;
    const job = await regenerate(old.id, { instructions: 'ask about snake_case' });
    assert.equal(job.status, 'completed', JSON.stringify(job.error_message ?? job.result_summary));
    assert.equal(job.job_type, 'content_question_regeneration');
    const prompt = front
      .prompts()
      .slice(before)
      .find((p) => p.includes('The reviewer asked: ask about snake_case'));
    assert.ok(prompt?.includes(`- Question: ${old.question}`), prompt);

    const after = (await h.call('GET', `/questions?job_id=${courseId}&limit=200`)).body.questions as any[];
    const replacement = after.find((q) => q.replaces === old.id);
    assert.ok(replacement, 'a question names the old one in replaces');
    assert.equal(replacement.review.state, 'pending');
    for (const field of ['section_id', 'section_kind', 'question_type', 'category']) {
      assert.equal(replacement[field], old[field], field);
    }
    assert.equal(after.find((q) => q.id === old.id)?.review.state, 'rejected');
    const content = await h.call('GET', `/api/jobs/${courseId}/content?review=pending`);
    assert.equal(content.status, 200, content.text);
    const [first] = content.body.data.content.courseContent.modules as any[];
    assert.ok(
      first.assessment.questions.some((q: any) => q.question === replacement.question),
      "the module's assessment shows the replacement under review=pending",
    );
  });

  it('refuses decisions and edits of its questions with 409 while a course with quality checks runs (a quality round may write them again), and takes them once it has finished', async () => {
    const conclusion = front.hold(
      (prompt) => prompt.includes('Write the conclusion of the course') && prompt.includes('on Loops'),
    );
    const checked = structuredClone(course);
    checked.input.topic = 'Loops';
    (checked.input.contentMetadata as any) = {
      qualityRequirements: { validationRequired: true, minQualityScore: 1 },
    };
    const started = await h.call('POST', '/api/execute', checked);
    assert.equal(started.status, 202, started.text);
    const courseId = started.body.data.jobId;
    await conclusion.reached;
    const listed = (await h.call('GET', `/questions?job_id=${courseId}&limit=200`)).body.questions as any[];
    const [first, second] = listed;
    assert.ok(first && second, "the modules' assessments are listed");

    const one = await h.call('PATCH', `/questions/${first.id}`, { review: 'approved' });
    assert.equal(one.status, 409, one.text);
    assert.match(
      one.body.detail,
      new RegExp(
        `Question ${first.id} is of content job content-${courseId}, which is still \\w+ with quality checks on.*Review it once the job has finished`,
      ),
    );
    const edit = await h.call('PATCH', `/questions/${first.id}`, {
      explanation: 'A better explanation of it.',
    });
    assert.equal(edit.status, 409, edit.text);
    const many = await h.call('POST', '/questions/review', {
      ids: [first.id, second.id],
      review: 'rejected',
    });
    assert.equal(many.status, 409, many.text);
    assert.match(many.body.detail, new RegExp(`Questions ${first.id}, ${second.id} are of content job`));
    const still = (await h.call('GET', `/questions?job_id=${courseId}&limit=200`)).body.questions as any[];
    assert.deepEqual(
      still.map((q) => [q.review.state, q.explanation]),
      listed.map((q) => ['pending', q.explanation]),
      'nothing was decided or edited',
    );

    conclusion.release();
    assert.equal((await poll(courseId)).status, 'completed');
    const after = await h.call('POST', '/questions/review', {
      ids: [first.id, second.id],
      review: 'approved',
    });
    assert.equal(after.status, 200, after.text);
    assert.deepEqual(
      after.body.questions.map((q: any) => q.review.state),
      ['approved', 'approved'],
    );
  });
});
