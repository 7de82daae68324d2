import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { checkQuestions, type ModelQuestion, type Question } from '#jobs/questions.ts';
import { buildSectorFile, buildSoftSkillsFile, countQuestions } from '#quiz-bank/assembly.ts';
import { careersOf, softSkillTopics } from '#quiz-bank/catalog.ts';
import { fixture } from '../support/fixtures.ts';

/** `n` production-shape questions whose text names the chunk they came from. */
function questions(chunkKey: string, n: number): Question[] {
  const items = Array.from({ length: n }, (_, i) => ({
    ...fixture<ModelQuestion>('model-question.json'),
    question: `Question ${i + 1} of ${chunkKey}?`,
  }));
  // Texts differ only in a number, so only exact duplicates count here; assembly is under test.
  const { accepted } = checkQuestions(items, {
    difficulty: 1,
    defaultCategory: 'x',
    seen: new Set(),
    gate: { nearDuplicateThreshold: 1, allowAllNoneOfAbove: false },
  });
  assert.equal(accepted.length, n);
  return accepted;
}

/** A lookup over chunk files, built from entries in the given (arbitrary) order. */
function lookup(entries: [string, Question[]][]) {
  const byKey = new Map(entries);
  return (chunkKey: string) => byKey.get(chunkKey);
}

describe('buildSectorFile', () => {
  it("has exactly the seed's shape: { CAREER: { level_N: { quiz_pool: [...] } } }", () => {
    const fe1 = questions('technology__FRONTEND_DEVELOPER__1', 2);
    const fe2 = questions('technology__FRONTEND_DEVELOPER__2', 1);

    const file = buildSectorFile(
      'technology',
      lookup([
        ['technology__FRONTEND_DEVELOPER__1', fe1],
        ['technology__FRONTEND_DEVELOPER__2', fe2],
      ]),
    );

    assert.deepEqual(file, {
      FRONTEND_DEVELOPER: { level_1: { quiz_pool: fe1 }, level_2: { quiz_pool: fe2 } },
    });
  });

  it('orders careers and levels as the catalog does, whatever order the chunks finished in', () => {
    const careers = careersOf('technology').map((c) => c.id);
    const entries: [string, Question[]][] = careers.flatMap((career) =>
      [1, 2, 3, 4, 5].map((level): [string, Question[]] => [
        `technology__${career}__${level}`,
        questions(`technology__${career}__${level}`, 1),
      ]),
    );

    const file = buildSectorFile('technology', lookup(entries.reverse()));

    assert.deepEqual(Object.keys(file), careers);
    for (const career of careers) {
      assert.deepEqual(Object.keys(file[career] ?? {}), [
        'level_1',
        'level_2',
        'level_3',
        'level_4',
        'level_5',
      ]);
      assert.equal(file[career]?.level_4?.quiz_pool[0]?.question, `Question 1 of technology__${career}__4?`);
    }
  });

  it('leaves out levels and careers that have no chunk', () => {
    const file = buildSectorFile(
      'technology',
      lookup([['technology__DATA_ANALYST__3', questions('technology__DATA_ANALYST__3', 1)]]),
    );

    assert.deepEqual(Object.keys(file), ['DATA_ANALYST']);
    assert.deepEqual(Object.keys(file.DATA_ANALYST ?? {}), ['level_3']);
  });

  it('ignores chunks of other sectors', () => {
    const file = buildSectorFile(
      'technology',
      lookup([['finance__ACCOUNTANT__1', questions('finance__ACCOUNTANT__1', 1)]]),
    );

    assert.deepEqual(file, {});
  });
});

describe('buildSoftSkillsFile', () => {
  it('is { TOPIC: { quiz_pool: [...] } } in catalog order, without topics that have no chunk', () => {
    const topics = softSkillTopics().map((t) => t.id);
    const [first, , third] = topics;
    assert.ok(first && third);
    const a = questions(`soft_skills__${first}`, 2);
    const c = questions(`soft_skills__${third}`, 1);

    const file = buildSoftSkillsFile(
      lookup([
        [`soft_skills__${third}`, c],
        [`soft_skills__${first}`, a],
      ]),
    );

    assert.deepEqual(Object.keys(file), [first, third]);
    assert.deepEqual(file, { [first]: { quiz_pool: a }, [third]: { quiz_pool: c } });
  });
});

describe('countQuestions', () => {
  it('counts every question of a sector file across careers and levels', () => {
    const file = buildSectorFile(
      'finance',
      lookup([
        ['finance__ACCOUNTANT__1', questions('a1', 3)],
        ['finance__ACCOUNTANT__5', questions('a5', 2)],
        ['finance__AUDITOR__2', questions('b2', 4)],
      ]),
    );

    assert.equal(countQuestions(file), 9);
  });

  it('counts every question of a soft-skills file', () => {
    const [first, second] = softSkillTopics().map((t) => t.id);
    const file = buildSoftSkillsFile(
      lookup([
        [`soft_skills__${first}`, questions('s1', 3)],
        [`soft_skills__${second}`, questions('s2', 4)],
      ]),
    );

    assert.equal(countQuestions(file), 7);
  });

  it('counts an empty file as 0', () => {
    assert.equal(countQuestions({}), 0);
  });
});
