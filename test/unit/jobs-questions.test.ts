import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import {
  type CheckContext,
  checkQuestions,
  DEFAULT_GATE,
  fingerprint,
  LIMITS,
  type ModelQuestion,
  questionsResponseSchema,
} from '#jobs/questions.ts';
import { NearDuplicateIndex, similarity } from '#jobs/similarity.ts';
import { fixture } from '../support/fixtures.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const context = (overrides: Partial<CheckContext> = {}): CheckContext => ({
  difficulty: 2,
  defaultCategory: 'software_development',
  seen: new Set(),
  ...overrides,
});

const valid = (): ModelQuestion => fixture<ModelQuestion>('model-question.json');

/** Checks one item and returns its rejection reasons (failing the test if it was accepted). */
function reasonsFor(item: unknown, ctx: CheckContext = context()): string[] {
  const { accepted, rejected } = checkQuestions([item], ctx);
  assert.equal(accepted.length, 0, 'the item should have been rejected');
  assert.equal(rejected.length, 1);
  const [rejection] = rejected;
  assert.ok(rejection);
  assert.equal(rejection.index, 0);
  assert.ok(rejection.reasons.length > 0, 'a rejection gives a reason');
  return rejection.reasons;
}

function assertRejectedFor(item: unknown, reason: RegExp, ctx?: CheckContext): void {
  const reasons = reasonsFor(item, ctx);
  assert.ok(
    reasons.some((r) => reason.test(r)),
    `expected a reason matching ${reason}, got ${JSON.stringify(reasons)}`,
  );
}

describe('checkQuestions', () => {
  it('accepts a valid item and maps it to the production shape', () => {
    const item = valid();

    const { accepted, rejected } = checkQuestions([item], context({ difficulty: 3 }));

    assert.deepEqual(rejected, []);
    assert.equal(accepted.length, 1);
    const [question] = accepted;
    assert.ok(question);
    assert.match(question.id, UUID);
    assert.deepEqual(
      { ...question, id: '<uuid>' },
      {
        id: '<uuid>',
        question: 'What is the main purpose of CSS flexbox?',
        options: [
          { id: 'a', text: 'Database management' },
          { id: 'b', text: 'Layout control' },
          { id: 'c', text: 'Server configuration' },
          { id: 'd', text: 'API design' },
        ],
        correct_answer: 'b',
        explanation: 'Flexbox is a CSS layout model that arranges items along one axis.',
        difficulty: 3,
        category: 'css',
        tags: ['css', 'layout', 'flexbox'],
        bloom_level: 'remember',
      },
    );
  });

  it('orders options a to d whatever order the model gave them in, and trims texts', () => {
    const item = valid();
    item.options = [
      { id: 'd', text: ' API design ' },
      { id: 'b', text: 'Layout control' },
      { id: 'a', text: 'Database management' },
      { id: 'c', text: 'Server configuration' },
    ];
    item.question = `  ${item.question}  `;

    const [question] = checkQuestions([item], context()).accepted;

    assert.ok(question);
    assert.deepEqual(
      question.options.map((o) => `${o.id}:${o.text}`),
      ['a:Database management', 'b:Layout control', 'c:Server configuration', 'd:API design'],
    );
    assert.equal(question.question, 'What is the main purpose of CSS flexbox?');
  });

  it('gives every accepted question its own uuid', () => {
    const second = { ...valid(), question: 'Which CSS property turns an element into a flex container?' };

    const { accepted } = checkQuestions([valid(), second], context());

    assert.equal(accepted.length, 2);
    assert.notEqual(accepted[0]?.id, accepted[1]?.id);
  });

  it('falls back to the default category, no tags and bloom level "understand" when the model omits them', () => {
    const item: Partial<ModelQuestion> = valid();
    delete item.category;
    delete item.tags;
    delete item.bloom_level;

    const [question] = checkQuestions([item], context()).accepted;

    assert.ok(question);
    assert.equal(question.category, 'software_development');
    assert.deepEqual(question.tags, []);
    assert.equal(question.bloom_level, 'understand');
  });

  it('uses the default category for a blank one, and drops blank tags', () => {
    const item = { ...valid(), category: '   ', tags: [' css ', '', '  '] };

    const [question] = checkQuestions([item], context()).accepted;

    assert.ok(question);
    assert.equal(question.category, 'software_development');
    assert.deepEqual(question.tags, ['css']);
  });

  it('keeps at most the tag limit', () => {
    const item = { ...valid(), tags: Array.from({ length: LIMITS.tags + 3 }, (_, i) => `tag${i}`) };

    const [question] = checkQuestions([item], context()).accepted;

    assert.equal(question?.tags.length, LIMITS.tags);
  });

  it('rejects two options with the same text', () => {
    const item = valid();
    item.options[2] = { id: 'c', text: 'Layout control' };

    assertRejectedFor(item, /same text/);
  });

  it('rejects two options that differ only in case and punctuation', () => {
    const item = valid();
    item.options[2] = { id: 'c', text: 'layout   CONTROL!' };

    assertRejectedFor(item, /same text/);
  });

  it('rejects a correct_answer that is not one of a–d', () => {
    assertRejectedFor({ ...valid(), correct_answer: 'e' }, /correct_answer "e"/);
    assertRejectedFor({ ...valid(), correct_answer: 'Layout' }, /correct_answer "Layout"/);
  });

  it('rejects an item missing one of the option ids', () => {
    const item = valid();
    item.options[3] = { id: 'e', text: 'API design' };

    assertRejectedFor(item, /exactly four, with ids a, b, c and d/);
  });

  it('rejects an item with three options', () => {
    const item = valid();
    item.options = item.options.slice(0, 3);
    item.correct_answer = 'a';

    assertRejectedFor(item, /exactly four/);
  });

  it('rejects an item with five options', () => {
    const item = valid();
    item.options.push({ id: 'e', text: 'Image compression' });

    assertRejectedFor(item, /exactly four/);
  });

  it('rejects an empty or blank explanation', () => {
    assertRejectedFor({ ...valid(), explanation: '' }, /explanation is empty/);
    assertRejectedFor({ ...valid(), explanation: '  \n ' }, /explanation is empty/);
  });

  it('rejects a question longer than the limit, and accepts one exactly at it', () => {
    const stem = (n: number) => `${'Why '.repeat(n).slice(0, n - 1)}?`;

    assertRejectedFor({ ...valid(), question: stem(LIMITS.questionChars + 1) }, /longer than 600/);
    assert.equal(
      checkQuestions([{ ...valid(), question: stem(LIMITS.questionChars) }], context()).accepted.length,
      1,
    );
  });

  it('rejects an empty or very short question', () => {
    assertRejectedFor({ ...valid(), question: '   ' }, /empty or too short/);
  });

  it('rejects an option longer than the limit', () => {
    const item = valid();
    item.options[0] = { id: 'a', text: 'x'.repeat(LIMITS.optionChars + 1) };

    assertRejectedFor(item, /option is longer/);
  });

  it('rejects an option with no letters or digits', () => {
    const item = valid();
    item.options[0] = { id: 'a', text: '...' };

    assertRejectedFor(item, /option is empty/);
  });

  it('rejects a bloom level outside the taxonomy', () => {
    assertRejectedFor({ ...valid(), bloom_level: 'memorise' }, /bloom_level "memorise"/);
  });

  it('rejects items that are not question objects, keeping their index', () => {
    const items = [null, 'a question', 42, [], { question: 'What?' }];

    const { accepted, rejected } = checkQuestions(items, context());

    assert.equal(accepted.length, 0);
    assert.deepEqual(
      rejected.map((r) => r.index),
      [0, 1, 2, 3, 4],
    );
    assert.ok(rejected.every((r) => r.reasons.some((reason) => /schema/.test(reason))));
    assert.equal(rejected[4]?.question, 'What?');
  });

  it('rejects a question already in `seen`, ignoring case, punctuation and spaces', () => {
    const seen = new Set([fingerprint('what is the main purpose of css flexbox')]);
    const item = { ...valid(), question: 'What  is the MAIN purpose of CSS flexbox?!' };

    assertRejectedFor(item, /duplicates another question/, context({ seen }));
  });

  it('rejects a repeat of an earlier item of the same batch and keeps the first', () => {
    const first = valid();
    const repeat = { ...valid(), question: 'what is the main purpose of CSS Flexbox' };

    const { accepted, rejected } = checkQuestions([first, repeat], context());

    assert.equal(accepted.length, 1);
    assert.equal(accepted[0]?.question, first.question);
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]?.index, 1);
    assert.match(rejected[0]?.reasons.join() ?? '', /duplicates another question/);
  });

  it('does not let a rejected item block a later valid one with the same question', () => {
    const broken = { ...valid(), correct_answer: 'z' };

    const { accepted, rejected } = checkQuestions([broken, valid()], context());

    assert.equal(rejected.length, 1);
    assert.equal(accepted.length, 1);
  });

  it('does not change the caller’s `seen` set', () => {
    const seen = new Set<string>();

    checkQuestions([valid()], context({ seen }));

    assert.equal(seen.size, 0);
  });
});

describe('questionsResponseSchema', () => {
  it('asks for exactly n questions in words, without list limits Gemini would unroll', () => {
    const schema = questionsResponseSchema(7);

    assert.equal(schema.properties.questions.description, 'Exactly 7 questions.');
    assert.equal('minItems' in schema.properties.questions, false);
    assert.equal('maxItems' in schema.properties.questions, false);
  });

  it('asks for four options with ids a–d and an answer among them', () => {
    const items = questionsResponseSchema(3).properties.questions.items;

    assert.equal(items.properties.options.minItems, '4');
    assert.equal(items.properties.options.maxItems, '4');
    assert.deepEqual(items.properties.options.items.properties.id.enum, ['a', 'b', 'c', 'd']);
    assert.deepEqual(items.properties.correct_answer.enum, ['a', 'b', 'c', 'd']);
    assert.ok(items.required.includes('explanation'));
  });
});

describe('the quality gate', () => {
  const checksOf = (item: unknown, ctx: CheckContext = context()) =>
    checkQuestions([item], ctx).rejected.flatMap((r) => r.checks);

  it('resolves the answer after normalising case, spacing and punctuation, or from the option text', () => {
    for (const answer of ['B', ' b ', '(b)', 'b.', 'Option B', 'layout CONTROL', 'Layout control.']) {
      const { accepted, rejected } = checkQuestions([{ ...valid(), correct_answer: answer }], context());
      assert.deepEqual(rejected, [], answer);
      assert.equal(accepted[0]?.correct_answer, 'b', answer);
    }
  });

  it('rejects "all/none of the above" options unless the setting allows them', () => {
    for (const text of [
      'All of the above',
      'None of the above.',
      'both of the above',
      'Neither of the options',
    ]) {
      const item = valid();
      item.options[3] = { id: 'd', text };
      assert.deepEqual(checksOf(item), ['all_none_of_above'], text);
      const allowed = checkQuestions(
        [item],
        context({ gate: { ...DEFAULT_GATE, allowAllNoneOfAbove: true } }),
      );
      assert.equal(allowed.accepted.length, 1, text);
    }
  });

  it('rejects a wrong option that nearly copies the correct answer', () => {
    const item = valid();
    item.options[0] = { id: 'a', text: 'Layout controls' };
    assert.deepEqual(checksOf(item), ['answer_near_copy']);
    const fine = valid();
    fine.options[0] = { id: 'a', text: 'Layout engines' };
    assert.deepEqual(checksOf(fine), []);
  });

  it('rejects a Bloom level other than the ones asked for', () => {
    const reasons = reasonsFor(valid(), context({ bloomLevels: ['analyze', 'evaluate'] }));
    assert.match(reasons.join(), /not the level asked for \(analyze or evaluate\)/);
    assert.equal(checkQuestions([valid()], context({ bloomLevels: ['remember'] })).accepted.length, 1);
  });

  it('rejects a near-duplicate of a question of the bank, and within one answer', () => {
    const bank = new NearDuplicateIndex(['What is the purpose of CSS flexbox?']);
    const rejection = checkQuestions([valid()], context({ bank })).rejected[0];
    assert.deepEqual(rejection?.checks, ['near_duplicate']);
    assert.match(
      rejection?.reasons[0] ?? '',
      /nearly duplicates "What is the purpose of CSS flexbox\?" \(similarity 0\.7\d\)/,
    );

    const other = { ...valid(), question: 'Which CSS property sets the gap between grid tracks?' };
    const twin = { ...valid(), question: 'What is the main purpose of the CSS flexbox?' };
    const result = checkQuestions([valid(), other, twin], context());
    assert.equal(result.accepted.length, 2);
    assert.deepEqual(
      result.rejected.map((r) => [r.index, r.checks]),
      [[2, ['near_duplicate']]],
    );
  });

  it('keeps questions on one topic that ask different things, at the default threshold', () => {
    const bank = new NearDuplicateIndex(['Which HTTP status code means the request was forbidden?']);
    const item = { ...valid(), question: 'Which HTTP status code means Not Found?' };
    assert.equal(checkQuestions([item], context({ bank })).accepted.length, 1);
  });
});

describe('similarity', () => {
  it('is 1 for texts equal after normalising, 0 for unrelated ones, and symmetric', () => {
    assert.equal(similarity('CSS Flexbox!', 'css   flexbox'), 1);
    assert.equal(similarity('abcdefgh', 'zyxwvuts'), 0);
    const a = 'What is the main purpose of CSS flexbox?';
    const b = 'What is the purpose of CSS flexbox?';
    assert.equal(similarity(a, b), similarity(b, a));
    assert.ok(similarity(a, b) >= DEFAULT_GATE.nearDuplicateThreshold);
  });

  it('finds through the index the same nearest text as comparing against every text', () => {
    const words = ['what', 'is', 'the', 'main', 'purpose', 'of', 'css', 'flexbox', 'grid', 'a', 'why', ''];
    let state = 42;
    const next = (n: number) => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state % n;
    };
    const sentence = () => Array.from({ length: 1 + next(8) }, () => words[next(words.length)]).join(' ');
    const texts = Array.from({ length: 300 }, sentence);
    const index = new NearDuplicateIndex(texts);
    for (let i = 0; i < 300; i++) {
      const query = sentence();
      const threshold = [0.3, 0.5, 0.7, 1][next(4)] as number;
      let expected: { text: string; similarity: number } | undefined;
      for (const text of texts) {
        const score = similarity(query, text);
        if (score >= threshold && (!expected || score > expected.similarity))
          expected = { text, similarity: score };
      }
      assert.deepEqual(index.nearest(query, threshold), expected, `${JSON.stringify(query)} at ${threshold}`);
    }
  });
});
