import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { InvalidRequest } from '#platform/errors.ts';
import { careersOf, sectorIds, softSkillTopics } from '#quiz-bank/catalog.ts';
import {
  type QuizChunk as ChunkSpec,
  careerLevelKey,
  chunkFromKey,
  chunksForJob,
  dedupeScopeOf,
  fileGroupOf,
  languageOfChunkKey,
  softSkillsKey,
} from '#quiz-bank/chunks.ts';

const COUNTS = { questionsPerCareerLevel: 25, questionsPerSoftSkillsJob: 50 };

describe('chunk keys', () => {
  it('names a career-level chunk sector__CAREER__level', () => {
    assert.equal(careerLevelKey('technology', 'FRONTEND_DEVELOPER', 1), 'technology__FRONTEND_DEVELOPER__1');
  });

  it('names a soft-skills chunk soft_skills__TOPIC', () => {
    assert.equal(softSkillsKey('COMMUNICATION'), 'soft_skills__COMMUNICATION');
  });
});

describe('chunksForJob', () => {
  it('gives one chunk for a career level, with the per-level question count', () => {
    const chunks = chunksForJob(
      'career_level',
      { sector: 'technology', career: 'FRONTEND_DEVELOPER', level: 3 },
      COUNTS,
    );

    assert.deepEqual(chunks, [
      {
        kind: 'career_level',
        key: 'technology__FRONTEND_DEVELOPER__3',
        sector: 'technology',
        career: 'FRONTEND_DEVELOPER',
        level: 3,
        questionCount: 25,
        language: 'en',
      },
    ]);
  });

  it('gives a bank in another language its own keys, scopes and chunks, English keys unchanged', () => {
    const [chunk] = chunksForJob(
      'career_level',
      { sector: 'technology', career: 'FRONTEND_DEVELOPER', level: 3, language: 'fr' },
      COUNTS,
    );
    assert.ok(chunk);

    assert.equal(chunk.key, 'technology__FRONTEND_DEVELOPER__3__fr');
    assert.equal(chunk.language, 'fr');
    assert.deepEqual(chunkFromKey(chunk.key, COUNTS), chunk);
    assert.equal(dedupeScopeOf(chunk, 'job-1'), 'technology__FRONTEND_DEVELOPER__fr');
    assert.equal(softSkillsKey('COMMUNICATION', 'ja'), 'soft_skills__COMMUNICATION__ja');
    assert.equal(chunkFromKey('soft_skills__COMMUNICATION__ja', COUNTS).language, 'ja');
    assert.equal(
      careerLevelKey('technology', 'FRONTEND_DEVELOPER', 3, 'en'),
      'technology__FRONTEND_DEVELOPER__3',
    );
    assert.equal(languageOfChunkKey(chunk.key), 'fr');
    assert.equal(languageOfChunkKey('soft_skills__COMMUNICATION'), 'en');
    // English is never written, so a chunk has one key; an unknown code is not a language.
    for (const key of ['technology__FRONTEND_DEVELOPER__3__en', 'technology__FRONTEND_DEVELOPER__3__xx']) {
      assert.throws(() => chunkFromKey(key, COUNTS), InvalidRequest, key);
    }
  });

  it('refuses a career level with an unknown career or a bad level', () => {
    assert.throws(
      () => chunksForJob('career_level', { sector: 'technology', career: 'PLUMBER', level: 1 }, COUNTS),
      InvalidRequest,
    );
    assert.throws(
      () =>
        chunksForJob(
          'career_level',
          { sector: 'technology', career: 'FRONTEND_DEVELOPER', level: 7 },
          COUNTS,
        ),
      InvalidRequest,
    );
  });

  it('refuses a sector job naming an Object.prototype property with InvalidRequest', () => {
    for (const sector of ['constructor', 'toString', '__proto__']) {
      assert.throws(() => chunksForJob('sector', { sector }, COUNTS), InvalidRequest, sector);
    }
  });

  it('gives careers × 5 chunks for a sector, every career at every level, no key twice', () => {
    const careers = careersOf('finance').map((c) => c.id);

    const chunks = chunksForJob('sector', { sector: 'finance' }, COUNTS);

    assert.equal(chunks.length, careers.length * 5);
    assert.equal(new Set(chunks.map((c) => c.key)).size, chunks.length);
    for (const career of careers) {
      for (const level of [1, 2, 3, 4, 5]) {
        assert.ok(
          chunks.some((c) => c.key === `finance__${career}__${level}`),
          `${career} level ${level}`,
        );
      }
    }
    assert.ok(chunks.every((c) => c.questionCount === 25));
  });

  it('splits the soft-skills total over the topics: 50 over 5 topics is 10 each', () => {
    const chunks = chunksForJob('soft_skills', {}, COUNTS);

    assert.deepEqual(
      chunks.map((c) => c.key),
      softSkillTopics().map((t) => `soft_skills__${t.id}`),
    );
    assert.deepEqual(
      chunks.map((c) => c.questionCount),
      [10, 10, 10, 10, 10],
    );
  });

  it('gives the remainder to the first topics: 7 over 5 topics is 2, 2, 1, 1, 1', () => {
    const chunks = chunksForJob('soft_skills', {}, { ...COUNTS, questionsPerSoftSkillsJob: 7 });

    assert.deepEqual(
      chunks.map((c) => c.questionCount),
      [2, 2, 1, 1, 1],
    );
  });

  it('leaves out topics that would get no question (3 over 5 topics)', () => {
    const chunks = chunksForJob('soft_skills', {}, { ...COUNTS, questionsPerSoftSkillsJob: 3 });

    assert.equal(chunks.length, 3);
    assert.equal(
      chunks.reduce((n, c) => n + c.questionCount, 0),
      3,
    );
  });

  it('covers every sector and the soft skills for a full job', () => {
    const careerLevels = sectorIds().reduce((n, s) => n + careersOf(s).length * 5, 0);

    const chunks = chunksForJob('full', {}, COUNTS);

    assert.equal(chunks.length, careerLevels + softSkillTopics().length);
    assert.equal(new Set(chunks.map((c) => c.key)).size, chunks.length);
    assert.equal(chunks.filter((c) => c.kind === 'soft_skills').length, softSkillTopics().length);
  });

  it('leaves the soft skills out of a full job with include_soft_skills false', () => {
    const careerLevels = sectorIds().reduce((n, s) => n + careersOf(s).length * 5, 0);

    const chunks = chunksForJob('full', { include_soft_skills: false }, COUNTS);

    assert.equal(chunks.length, careerLevels);
    assert.ok(chunks.every((c) => c.kind === 'career_level'));
  });
});

describe('chunkFromKey', () => {
  it('rebuilds every chunk of a full job from its key alone', () => {
    const counts = { questionsPerCareerLevel: 12, questionsPerSoftSkillsJob: 7 };
    const chunks = chunksForJob('full', {}, counts);

    const rebuilt = chunks.map((c) => chunkFromKey(c.key, counts));

    assert.deepEqual(rebuilt, chunks);
  });

  it('rebuilds a career-level chunk with a numeric level', () => {
    const chunk = chunkFromKey('technology__FRONTEND_DEVELOPER__1', COUNTS);

    assert.deepEqual(chunk, {
      kind: 'career_level',
      key: 'technology__FRONTEND_DEVELOPER__1',
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
      questionCount: 25,
      language: 'en',
    } satisfies ChunkSpec);
  });

  it('rejects malformed keys', () => {
    for (const key of [
      '',
      'technology',
      'technology__FRONTEND_DEVELOPER',
      'technology__FRONTEND_DEVELOPER__',
      'technology__FRONTEND_DEVELOPER__1__extra',
      'soft_skills__',
      'soft_skills__COMMUNICATION__1',
    ]) {
      assert.throws(() => chunkFromKey(key, COUNTS), InvalidRequest, JSON.stringify(key));
    }
  });

  it('rejects keys naming what the catalog does not have', () => {
    for (const key of [
      'xyz__FRONTEND_DEVELOPER__1',
      'technology__PLUMBER__1',
      'technology__FRONTEND_DEVELOPER__6',
      'technology__FRONTEND_DEVELOPER__0',
      'technology__FRONTEND_DEVELOPER__one',
      'soft_skills__JUGGLING',
    ]) {
      assert.throws(() => chunkFromKey(key, COUNTS), InvalidRequest, key);
    }
  });

  it('accepts only the canonical spelling of a level, so one chunk has one key', () => {
    for (const key of [
      'technology__FRONTEND_DEVELOPER__01',
      'technology__FRONTEND_DEVELOPER__1.0',
      'technology__FRONTEND_DEVELOPER__ 1',
      'technology__FRONTEND_DEVELOPER__1e0',
    ]) {
      assert.throws(() => chunkFromKey(key, COUNTS), InvalidRequest, key);
    }
  });
});

describe('chunk grouping', () => {
  it('files career-level chunks under their sector and soft skills under soft_skills', () => {
    const [career] = chunksForJob(
      'career_level',
      { sector: 'education', career: 'PRIMARY_TEACHER', level: 2 },
      COUNTS,
    );
    const [topic] = chunksForJob('soft_skills', {}, COUNTS);
    assert.ok(career && topic);

    assert.equal(fileGroupOf(career), 'education');
    assert.equal(fileGroupOf(topic), 'soft_skills');
  });

  it('dedupes within a career across its levels, not across careers', () => {
    const chunks = chunksForJob('sector', { sector: 'technology' }, COUNTS);
    const frontend = chunks.filter((c) => c.kind === 'career_level' && c.career === 'FRONTEND_DEVELOPER');
    const backend = chunks.find((c) => c.kind === 'career_level' && c.career === 'BACKEND_DEVELOPER');
    assert.ok(backend);

    const scopeOf = (chunk: ChunkSpec) => dedupeScopeOf(chunk, 'job-1');
    assert.equal(new Set(frontend.map(scopeOf)).size, 1);
    assert.notEqual(scopeOf(backend), scopeOf(frontend[0] as ChunkSpec));
  });
});
