/**
 * Regenerating a reviewed question: the prompt carries the old question and the reviewer's
 * instructions (the simulator does not record prompts, so this is where that is asserted), the
 * request body is bounded, and `review=` downloads put the replacement where the old one stood.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { rejectionOf } from '#jobs/questions.ts';
import { generationSettings } from '#platform/config.ts';
import { validate } from '#platform/http.ts';
import { chunkFromKey } from '#quiz-bank/chunks.ts';
import { regenerationPrompt } from '#quiz-bank/regenerate-prompt.ts';
import { MAX_INSTRUCTIONS_CHARS } from '#review/regenerate-basics.ts';
import { inState } from '#review/review-filter.ts';
import { regenerateBodySchema } from '#review/review-schemas.ts';
import type { ReviewRecord } from '#review/review-store.ts';

const old = {
  question: 'Which HTML element marks up the main navigation links of a page?',
  options: [
    { id: 'a' as const, text: '<section>' },
    { id: 'b' as const, text: '<nav>' },
    { id: 'c' as const, text: '<aside>' },
    { id: 'd' as const, text: '<header>' },
  ],
  correct_answer: 'b' as const,
  bloom_level: 'understand' as const,
};

describe('regeneration prompt', () => {
  const chunk = {
    ...chunkFromKey('technology__FRONTEND_DEVELOPER__2', generationSettings()),
    questionCount: 1,
  };

  it("asks for one different question at the old one's level and Bloom level, with the reviewer's instructions", () => {
    const prompt = regenerationPrompt({
      chunk,
      old,
      instructions: 'make it harder',
      avoid: [old.question, 'What does CSS stand for?'],
    });
    assert.match(prompt, /Write exactly 1 multiple-choice questions/);
    assert.match(prompt, /Difficulty level 2 of 5/);
    assert.ok(prompt.includes(`- Question: ${old.question}`), prompt);
    assert.ok(prompt.includes('(correct) <nav>'), 'the old key is named');
    assert.match(
      prompt,
      /different question on the same topic, at the same difficulty level and the same Bloom level \("understand"\)/,
    );
    assert.match(prompt, /The reviewer asked: make it harder/);
    assert.match(prompt, /Do not repeat or paraphrase[\s\S]*What does CSS stand for\?/);
  });

  it('leaves the request line out when the reviewer gave no instructions, and lists rejections of earlier tries', () => {
    const prompt = regenerationPrompt({
      chunk,
      old,
      avoid: [],
      rejections: [
        rejectionOf(0, 'Too close', [
          { check: 'near_duplicate', reason: 'a near-duplicate of an existing question' },
        ]),
      ],
    });
    assert.doesNotMatch(prompt, /The reviewer asked/);
    assert.match(prompt, /"Too close": a near-duplicate of an existing question/);
  });
});

describe('regenerate request body', () => {
  it('takes an empty body or bounded instructions, and says what to fix otherwise', () => {
    assert.deepEqual(validate(regenerateBodySchema, {}, 'body'), {});
    assert.deepEqual(validate(regenerateBodySchema, { instructions: ' make it harder ' }, 'body'), {
      instructions: 'make it harder',
    });
    assert.throws(
      () => validate(regenerateBodySchema, { instructions: 'x'.repeat(MAX_INSTRUCTIONS_CHARS + 1) }, 'body'),
      /body\.instructions: must be at most 500 characters/,
    );
    assert.throws(() => validate(regenerateBodySchema, { instructions: '  ' }, 'body'), /must not be empty/);
    assert.throws(() => validate(regenerateBodySchema, { instructions: 3 }, 'body'), /must be a string/);
    assert.throws(() => validate(regenerateBodySchema, { instruction: 'typo' }, 'body'), /body/);
  });
});

const record = (id: string, state: ReviewRecord['state'], text: string, extra: Partial<ReviewRecord> = {}) =>
  ({
    id,
    state,
    question: { id, question: text, options: [], correct_answer: 'a', explanation: 'e' },
    ...extra,
  }) as unknown as ReviewRecord;

describe('review filter with replacements', () => {
  const questions = [
    { id: 'q1', question: 'one' },
    { id: 'q2', question: 'two' },
    { id: 'q3', question: 'three' },
  ];
  const records = new Map([
    ['q2', record('q2', 'rejected', 'two', { replaced_by: 'r1' })],
    ['r1', record('r1', 'rejected', 'two, again', { replaces: 'q2', replaced_by: 'r2' })],
    ['r2', record('r2', 'pending', 'two, third try', { replaces: 'r1' })],
  ]);

  it('puts the latest pending replacement where the replaced question stood', () => {
    const pending = inState(questions, records, 'pending');
    assert.deepEqual(
      pending.map((q) => [q.id, q.question]),
      [
        ['q1', 'one'],
        ['r2', 'two, third try'],
        ['q3', 'three'],
      ],
    );
  });

  it('keeps the replaced questions under review=rejected, in the same place', () => {
    assert.deepEqual(
      inState(questions, records, 'rejected').map((q) => q.id),
      ['q2', 'r1'],
    );
  });
});
