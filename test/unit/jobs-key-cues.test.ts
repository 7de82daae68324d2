import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { ASSESSMENT_SYSTEM_INSTRUCTION } from '#assessments/assessment.ts';
import { keyOffsetOf as assessmentKeyOffset } from '#assessments/chunks.ts';
import {
  balanceByText,
  balanceLettered,
  KEY_CUE_INSTRUCTION,
  keyCuesOfLettered,
  keyIsLongest,
  letterProblems,
  longestKeyProblem,
  namesOptionLetter,
  placeKey,
} from '#jobs/key-cues.ts';
import { jobKeyCues, jobQualityReport } from '#jobs/quality-report.ts';
import {
  type CheckContext,
  checkQuestions,
  DEFAULT_GATE,
  type ModelQuestion,
  optionProblems,
} from '#jobs/questions.ts';
import { careersOf } from '#quiz-bank/catalog.ts';
import { chunksForJob, keyOffsetOf, softSkillsShare } from '#quiz-bank/chunks.ts';
import { SYSTEM_INSTRUCTION } from '#quiz-bank/prompts.ts';
import { fixture } from '../support/fixtures.ts';

const lettered = (n: number, key = 'b') =>
  Array.from({ length: n }, (_, i) => ({
    id: `q${i}`,
    options: ['a', 'b', 'c', 'd'].map((id) => ({
      id,
      text: `${id === key ? 'key' : 'wrong'} ${id} of ${i}`,
    })),
    correct_answer: key,
  }));

const context = (): CheckContext => ({ difficulty: 2, defaultCategory: 'x', seen: new Set() });
const valid = (): ModelQuestion => fixture<ModelQuestion>('model-question.json');

describe('balancing key positions', () => {
  it('moves the key to the target position and keeps the distractors in their order', () => {
    assert.deepEqual(placeKey(['w1', 'K', 'w2', 'w3'], 1, 3), ['w1', 'w2', 'w3', 'K']);
    assert.deepEqual(placeKey(['w1', 'K', 'w2', 'w3'], 1, 0), ['K', 'w1', 'w2', 'w3']);
    assert.deepEqual(placeKey(['w1', 'K', 'w2', 'w3'], 1, 5), ['w1', 'K', 'w2', 'w3']);
  });

  it('a chunk of keys all at "b" comes out round-robin from its offset, ids relabelled and the key followed', () => {
    const balanced = balanceLettered(lettered(6), 3);
    assert.deepEqual(
      balanced.map((q) => q.correct_answer),
      ['d', 'a', 'b', 'c', 'd', 'a'],
    );
    for (const [i, q] of balanced.entries()) {
      assert.deepEqual(
        q.options.map((o) => o.id),
        ['a', 'b', 'c', 'd'],
      );
      assert.equal(q.options.find((o) => o.id === q.correct_answer)?.text, `key b of ${i}`);
      assert.equal(q.options.filter((o) => o.text.startsWith('wrong')).length, 3);
      assert.equal(q.id, `q${i}`);
    }
  });

  it('assessment questions (options as strings, the key as its text) keep their key text', () => {
    const questions = [0, 1, 2].map((i) => ({
      options: ['K', 'x', 'y', 'z'].map((t) => `${t}${i}`),
      correct_answer: `K${i}`,
    }));
    const balanced = balanceByText(questions, 2);
    assert.deepEqual(
      balanced.map((q) => q.options.indexOf(q.correct_answer)),
      [2, 3, 0],
    );
    assert.deepEqual(balanced[0]?.options, ['x0', 'y0', 'K0', 'z0']);
  });

  it("a sector's chunks, balanced in any order, continue one round-robin: positions differ by at most one", () => {
    const counts = { questionsPerCareerLevel: 3, questionsPerSoftSkillsJob: 10 };
    const chunks = chunksForJob('sector', { sector: 'finance' }, counts);
    assert.equal(chunks.length, careersOf('finance').length * 5);
    const tally: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    // Reversed: the order chunks finish in does not matter.
    for (const chunk of [...chunks].reverse()) {
      for (const q of balanceLettered(lettered(chunk.questionCount, 'c'), keyOffsetOf(chunk, counts))) {
        tally[q.correct_answer] = (tally[q.correct_answer] ?? 0) + 1;
      }
    }
    const values = Object.values(tally);
    assert.ok(Math.max(...values) - Math.min(...values) <= 1, JSON.stringify(tally));
  });

  it('the soft-skills topics continue one round-robin too, whatever their unequal shares', () => {
    const counts = { questionsPerCareerLevel: 3, questionsPerSoftSkillsJob: 23 };
    const chunks = chunksForJob('soft_skills', {}, counts);
    const tally: Record<string, number> = { a: 0, b: 0, c: 0, d: 0 };
    for (const chunk of chunks) {
      for (const q of balanceLettered(lettered(chunk.questionCount, 'a'), keyOffsetOf(chunk, counts))) {
        tally[q.correct_answer] = (tally[q.correct_answer] ?? 0) + 1;
      }
    }
    assert.equal(
      chunks.reduce((n, c) => n + c.questionCount, 0),
      23,
    );
    assert.ok(softSkillsShare(0, chunks.length, 23) > 0);
    const values = Object.values(tally);
    assert.ok(Math.max(...values) - Math.min(...values) <= 1, JSON.stringify(tally));
  });

  it("an assessment's MCQ chunks start where the earlier MCQ chunks end; open questions do not count", () => {
    const params = { bloom_mix: { remember: 13, apply: 5 }, subjective_mix: { analyze: 3 } };
    assert.equal(assessmentKeyOffset(params, 'assessment__remember__1'), 0);
    assert.equal(assessmentKeyOffset(params, 'assessment__remember__2'), 10);
    assert.equal(assessmentKeyOffset(params, 'assessment__apply__1'), 13);
  });
});

describe('the longest option', () => {
  it('flags a key at least 1.5 times and 15 characters longer than every distractor', () => {
    const problem = longestKeyProblem(
      ['Encrypt the data at rest and in transit', 'Use longer passwords', 'Rotate keys', 'Add a firewall'],
      0,
    );
    assert.equal(problem?.check, 'key_longest');
    assert.match(
      problem?.reason ?? '',
      /correct option is clearly the longest \(39 characters against at most 20/,
    );
  });

  it('does not flag short options a word apart, nor long options of similar length', () => {
    assert.equal(longestKeyProblem(['HTTP/2', 'FTP', 'SMTP', 'UDP'], 0), undefined);
    assert.equal(
      longestKeyProblem(['Use a CDN for static assets', 'Buy a bigger server', 'Add RAM', 'Cache'], 0),
      undefined,
    );
    assert.equal(longestKeyProblem(['x'.repeat(160), 'y'.repeat(140), 'z', 'w'], 0), undefined);
  });

  it('counts a key strictly longer than every distractor as the longest, whatever the margin', () => {
    assert.equal(keyIsLongest(['abcd', 'abc', 'ab', 'a'], 0), true);
    assert.equal(keyIsLongest(['abc', 'abc', 'ab', 'a'], 0), false);
    assert.deepEqual(keyCuesOfLettered(balanceLettered(lettered(4), 0)), {
      keys: 4,
      key_positions: { a: 1, b: 1, c: 1, d: 1 },
      key_longest: 0,
    });
  });

  it('the gate rejects a clearly longest key with a reason the repair prompt carries', () => {
    const item = valid();
    const key = item.options.find((o) => o.id === item.correct_answer);
    assert.ok(key);
    key.text = `${key.text}, which is right because of every qualification a careful author would add here`;
    const { accepted, rejected } = checkQuestions([item], context());
    assert.equal(accepted.length, 0);
    assert.deepEqual(rejected[0]?.checks, ['key_longest']);
    assert.match(rejected[0]?.reasons[0] ?? '', /write options of similar length/);
  });
});

describe('the longest option in the shared option rules', () => {
  it("flags it for any multiple-choice question, the content API's quizzes included", () => {
    const options = [
      'Paris',
      'Lyon',
      'The capital city, seat of government and largest city of France',
      'Nice',
    ];
    assert.deepEqual(
      optionProblems(options, 2, DEFAULT_GATE).map((p) => p.check),
      ['key_longest'],
    );
    assert.deepEqual(optionProblems(options, 0, DEFAULT_GATE), []);
  });
});

describe('options named by their letter', () => {
  const named = [
    'Option B is wrong because it ignores caching.',
    'Options B and C confuse the two.',
    'The correct answer is B.',
    'the answer is (b).',
    'answer a is right',
    'Choice D overstates it.',
    '(c) is incorrect.',
    'B) is wrong: it ignores load.',
    'La réponse B est fausse.',
    'Antwort C ist falsch.',
    'The first option describes latency.',
    'so it is option c.',
  ];
  const fine = [
    'An option a user picks often is the default.',
    'The answer a developer expects is a 404.',
    'Article 6(1)(a) GDPR allows consent.',
    'Under section 2(b) the duty applies.',
    'The answer is a function of load.',
    'Plan B is a fallback.',
    'An A record maps a name to an IPv4 address.',
    'Vitamin C deficiency causes scurvy.',
    'Class C networks have 254 hosts.',
    'Caching reduces latency because data sits closer to users.',
  ];

  for (const text of named) it(`finds "${text}"`, () => assert.equal(namesOptionLetter(text), true));
  for (const text of fine) it(`leaves "${text}" alone`, () => assert.equal(namesOptionLetter(text), false));

  it("flags an option that is only other options' letters", () => {
    assert.equal(letterProblems('Fine.', ['Both A and C', 'x', 'y', 'z'])[0]?.check, 'explanation_letter');
    assert.deepEqual(letterProblems('Fine.', ['A and B testing', 'x', 'y', 'z']), []);
  });

  it('the gate rejects an explanation naming a letter, and the prompts say not to', () => {
    const item = { ...valid(), explanation: 'Option C is wrong because it confuses the two terms.' };
    const { rejected } = checkQuestions([item], context());
    assert.deepEqual(rejected[0]?.checks, ['explanation_letter']);
    assert.ok(SYSTEM_INSTRUCTION.includes(KEY_CUE_INSTRUCTION));
    assert.ok(ASSESSMENT_SYSTEM_INSTRUCTION.includes(KEY_CUE_INSTRUCTION));
  });
});

describe('key cues in the quality report', () => {
  it("sums the chunks' key cues into counts and shares", () => {
    const report = jobQualityReport([
      {
        chunk_key: 'x__A__1',
        status: 'done',
        quality: {
          requested: 3,
          passed_first_time: 3,
          repaired: 0,
          missing: 0,
          rejected: 0,
          by_check: {},
          key_cues: { keys: 3, key_positions: { a: 1, b: 1, c: 1, d: 0 }, key_longest: 1 },
        },
      },
      {
        chunk_key: 'x__A__2',
        status: 'done',
        quality: {
          requested: 1,
          passed_first_time: 1,
          repaired: 0,
          missing: 0,
          rejected: 0,
          by_check: {},
          key_cues: { keys: 1, key_positions: { a: 0, b: 0, c: 0, d: 1 }, key_longest: 0 },
        },
      },
      // A chunk kept before key cues were measured counts for nothing.
      {
        chunk_key: 'x__A__3',
        status: 'done',
        quality: { requested: 2, passed_first_time: 2, repaired: 0, missing: 0, rejected: 0, by_check: {} },
      },
    ]);
    assert.deepEqual(report.key_cues, {
      questions: 4,
      positions: {
        a: { count: 1, share: 0.25 },
        b: { count: 1, share: 0.25 },
        c: { count: 1, share: 0.25 },
        d: { count: 1, share: 0.25 },
      },
      longest_option: { count: 1, share: 0.25 },
    });
  });

  it('reports zero shares when nothing was measured', () => {
    assert.deepEqual(jobKeyCues([]).longest_option, { count: 0, share: 0 });
    assert.equal(jobKeyCues([undefined]).positions.a.share, 0);
  });
});
