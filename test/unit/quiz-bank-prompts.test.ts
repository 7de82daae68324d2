import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { levelDescription, requireCareer, softSkillTopics } from '#quiz-bank/catalog.ts';
import { chunkFromKey } from '#quiz-bank/chunks.ts';
import { bloomLevelsFor, chunkPrompt } from '#quiz-bank/prompts.ts';

const COUNTS = { questionsPerCareerLevel: 25, questionsPerSoftSkillsJob: 50 };
const frontend3 = chunkFromKey('technology__FRONTEND_DEVELOPER__3', COUNTS);

describe('chunkPrompt', () => {
  it('names the career, its title and focus areas, and the sector', () => {
    const career = requireCareer('technology', 'FRONTEND_DEVELOPER');

    const prompt = chunkPrompt({ chunk: frontend3, count: 25, avoid: [] });

    assert.ok(prompt.includes('FRONTEND_DEVELOPER'));
    assert.ok(prompt.includes(`"${career.title}"`));
    assert.ok(prompt.includes('technology'));
    for (const focus of career.focus) assert.ok(prompt.includes(focus), focus);
  });

  it("tells the model to write in the chunk's language, English by default", () => {
    const french = chunkFromKey('technology__FRONTEND_DEVELOPER__3__fr', COUNTS);

    assert.match(
      chunkPrompt({ chunk: frontend3, count: 25, avoid: [] }),
      /^Write the questions, the options and the explanations in English \(ISO 639-1 "en"\)\.$/m,
    );
    assert.match(
      chunkPrompt({ chunk: french, count: 25, avoid: [] }),
      /^Write the questions, the options and the explanations in French \(ISO 639-1 "fr"\)\.$/m,
    );
  });

  it("describes the chunk's level with the catalog's words", () => {
    const level = levelDescription(3);

    const prompt = chunkPrompt({ chunk: frontend3, count: 25, avoid: [] });

    assert.ok(prompt.includes('level 3 of 5'));
    assert.ok(prompt.includes(level.name));
    assert.ok(prompt.includes(level.description));
    assert.ok(!prompt.includes(levelDescription(1).description), 'not another level’s description');
  });

  it('asks for the exact count it is given', () => {
    assert.match(chunkPrompt({ chunk: frontend3, count: 7, avoid: [] }), /Write exactly 7 multiple-choice/);
    assert.match(chunkPrompt({ chunk: frontend3, count: 25, avoid: [] }), /Write exactly 25 multiple-choice/);
  });

  it("asks for the Bloom levels that fit the chunk's level", () => {
    const prompt = chunkPrompt({ chunk: frontend3, count: 5, avoid: [] });

    assert.deepEqual(bloomLevelsFor(3), ['apply', 'analyze']);
    assert.ok(prompt.includes('apply and analyze'));
  });

  it('names the soft-skills topic and its count', () => {
    const [topic] = softSkillTopics();
    assert.ok(topic);
    const chunk = chunkFromKey(`soft_skills__${topic.id}`, COUNTS);

    const prompt = chunkPrompt({ chunk, count: 10, avoid: [] });

    assert.match(prompt, /Write exactly 10 multiple-choice/);
    assert.ok(prompt.includes(`"${topic.title}"`));
    assert.ok(prompt.includes(topic.id.toLowerCase()));
  });

  it('quotes rejected questions with their reasons when replacing them', () => {
    const prompt = chunkPrompt({
      chunk: frontend3,
      count: 2,
      avoid: [],
      rejections: [
        {
          index: 0,
          question: 'What does CSS stand for?',
          reasons: ['two options have the same text'],
          checks: ['duplicate_options'],
        },
        { index: -1, question: '', reasons: ['the answer was not valid JSON'], checks: ['unusable_answer'] },
      ],
    });

    assert.match(prompt, /were rejected/);
    assert.ok(prompt.includes('"What does CSS stand for?": two options have the same text'));
    assert.ok(prompt.includes('the answer was not valid JSON'));
  });

  it('says nothing about rejections when there are none', () => {
    assert.ok(!/rejected/.test(chunkPrompt({ chunk: frontend3, count: 2, avoid: [], rejections: [] })));
  });

  it('lists the questions to avoid, and nothing of the kind when there are none', () => {
    const avoid = ['What is the box model?', 'What does the z-index property control?'];

    const withAvoid = chunkPrompt({ chunk: frontend3, count: 5, avoid });
    const without = chunkPrompt({ chunk: frontend3, count: 5, avoid: [] });

    assert.match(withAvoid, /Do not repeat or paraphrase/);
    for (const q of avoid) assert.ok(withAvoid.includes(`- ${q}`), q);
    assert.ok(!/Do not repeat/.test(without));
  });

  it('keeps the most recent questions to avoid when there are many, and truncates long ones', () => {
    const avoid = Array.from({ length: 100 }, (_, i) => `Existing question number ${i}?`);
    avoid.push(`${'Very long question '.repeat(20)}?`);

    const prompt = chunkPrompt({ chunk: frontend3, count: 5, avoid });

    assert.ok(prompt.includes('Existing question number 99?'));
    assert.ok(!prompt.includes('Existing question number 0?'));
    assert.ok(prompt.includes('…'));
    assert.ok(prompt.length < 20_000);
  });
});
