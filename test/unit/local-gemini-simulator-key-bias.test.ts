import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { longestKeyProblem } from '#jobs/key-cues.ts';
import { ConfigError, DEFAULT_CONFIG, mergeConfig } from '../../local/gemini-simulator/config.ts';
import { biasKeys } from '../../local/gemini-simulator/key-bias.ts';

const placeholder = (n: number) =>
  `[simulated] Placeholder text ${n}: amber basil cedar delta ember fjord garnet harbor indigo juniper about "x" (ref 1234abcd)`;

const answer = () => ({
  questions: [0, 1, 2].map((i) => ({
    question: `q${i}`,
    options: ['a', 'b', 'c', 'd'].map((id, j) => ({ id, text: placeholder(i * 4 + j) })),
    correct_answer: 'a',
    explanation: 'e',
  })),
});

const keyText = (q: { options: { id: string; text: string }[]; correct_answer: string }) =>
  q.options.find((o) => o.id === q.correct_answer)?.text ?? '';

describe('the simulator biased with keyPosition and longestKey', () => {
  it('puts every key at the position and makes it clearly the longest, as the gate sees it', () => {
    const a = answer();
    biasKeys(a, { keyPosition: 'c', longestKey: true }, 'Write exactly 3 multiple-choice questions');
    for (const q of a.questions) {
      assert.equal(q.correct_answer, 'c');
      const texts = q.options.map((o) => o.text);
      assert.equal(longestKeyProblem(texts, 2)?.check, 'key_longest', JSON.stringify(texts));
      assert.equal(new Set(texts).size, 4, 'the options stay distinct');
    }
  });

  it('answers a repair call that passes on the longest-key rejection with a key no longer than the others', () => {
    const a = answer();
    const repair = [
      'These earlier questions were rejected; write different ones that avoid the same problems:',
      '- "q": the correct option is clearly the longest (120 characters against at most 40 for the others)',
    ].join('\n');
    biasKeys(a, { keyPosition: 'c', longestKey: true }, repair);
    for (const q of a.questions) {
      assert.equal(q.correct_answer, 'c', 'the position habit stays: the service balances positions');
      const others = q.options.filter((o) => o.id !== 'c').map((o) => o.text.length);
      assert.ok(keyText(q).length <= Math.max(...others));
    }
  });

  it("biases content quizzes' options of strings and correctOption index too", () => {
    const a = {
      questions: [
        { options: [placeholder(1), placeholder(2), placeholder(3), placeholder(4)], correctOption: '0' },
      ],
    };
    biasKeys(a, { keyPosition: 'd', longestKey: true }, '');
    const q = a.questions[0];
    assert.equal(q?.correctOption, '3');
    assert.equal(longestKeyProblem(q?.options ?? [], 3)?.check, 'key_longest');
  });

  it('leaves answers alone by default', () => {
    const a = answer();
    biasKeys(a, DEFAULT_CONFIG, '');
    assert.deepEqual(a, answer());
  });

  it('takes the options through its config merge, refusing what it cannot do', () => {
    const config = mergeConfig(DEFAULT_CONFIG, { keyPosition: 'b', longestKey: true });
    assert.equal(config.keyPosition, 'b');
    assert.equal(config.longestKey, true);
    assert.equal(mergeConfig(config, { keyPosition: null, longestKey: null }).keyPosition, undefined);
    assert.throws(() => mergeConfig(DEFAULT_CONFIG, { keyPosition: 'e' }), ConfigError);
    assert.throws(() => mergeConfig(DEFAULT_CONFIG, { longestKey: 'yes' }), ConfigError);
  });
});
