import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import {
  countWords,
  fleschReadingEase,
  keyTerms,
  meetsRequirements,
  OVERALL_WEIGHTS,
  qualityMetrics,
  readability,
  revisionPrompt,
  syllables,
  topicKeywords,
  wordsOf,
  wordTargetCheck,
} from '#content/measure.ts';
import { planSections } from '#content/plan.ts';
import { type ExecuteRequest, parseExecuteRequest } from '#content/request.ts';
import type { SectionSpec } from '#content/sections.ts';
import { fixture } from '../support/fixtures.ts';

const small = fixture<any>('content-course-small.json');

function request(change: (body: any) => void = () => {}): ExecuteRequest {
  const body = fixture<any>('content-request-curl.json');
  body.input.topic = 'Introduction to Python';
  body.input.structure = small.structure;
  body.input.wordCountEstimates = { total: 400 };
  change(body);
  return parseExecuteRequest(body);
}

const course = request();
const plan = planSections(course);
const outputs = () => new Map<string, unknown>(Object.entries(structuredClone(small.outputs)));

describe('words', () => {
  it('counts runs of letters or digits, with inner apostrophes and hyphens', () => {
    assert.equal(countWords("Don't stop — well-known rules, 3 times."), 6);
    assert.equal(countWords('  '), 0);
    assert.equal(countWords('Příliš žluťoučký kůň'), 3);
  });

  it('keeps Devanagari vowel signs in their words, and counts each Han character and kana as a word', () => {
    // हिन्दी has vowel signs and a virama (\p{M}): a letters-only pattern counted it as three.
    assert.equal(countWords('हिन्दी में प्रश्न'), 3);
    assert.equal(countWords('Привет, мир!'), 2);
    // As word processors count East Asian text; the ideographic full stop is not a word.
    assert.equal(countWords('光合作用是植物的过程。'), 10);
    assert.equal(countWords('コンピューターは便利です'), 12);
    assert.equal(countWords('CSS的用途'), 4);
  });

  it('counts every prose field of a section, not code, titles, ids or copied answers', () => {
    const output = {
      content: 'one two three',
      keyPoints: ['four five'],
      examples: [{ title: 'Not counted here', description: 'six', code: "print('not prose')" }],
      questions: [
        { question: 'seven eight', type: 'multiple_choice', options: ['nine', 'ten'], answer: 'nine' },
      ],
    };

    assert.equal(wordsOf(output), 10);
    assert.equal(wordsOf(undefined), 0);
  });
});

describe('wordTargetCheck', () => {
  it('accepts from 0.8 to 1.25 of the target', () => {
    assert.deepEqual(wordTargetCheck(1000, 800), {
      ok: true,
      ratio: 0.8,
      action: 'accept',
      words: 800,
      target: 1000,
    });
    assert.equal(wordTargetCheck(1000, 1250).action, 'accept');
  });

  it('asks to extend below and to shorten above', () => {
    assert.deepEqual(wordTargetCheck(1000, 799), {
      ok: false,
      ratio: 0.799,
      action: 'extend',
      words: 799,
      target: 1000,
    });
    assert.equal(wordTargetCheck(1000, 1251).action, 'shorten');
    assert.equal(wordTargetCheck(1000, 0).action, 'extend');
  });
});

describe('revisionPrompt', () => {
  const planned = plan.find((s) => s.kind === 'lesson') as SectionSpec;
  const lesson: SectionSpec = {
    ...planned,
    targetWords: 800,
    wordsByPart: { lessonContent: 400, examples: 150, exercises: 250 },
  };
  const previous = small.outputs.module_1_lesson_1;

  it('asks to extend to the target, quoting the previous answer', () => {
    const check = wordTargetCheck(lesson.targetWords, wordsOf(previous));

    const prompt = revisionPrompt(lesson, previous, check);

    assert.equal(check.action, 'extend');
    assert.ok(prompt.includes(`have ${check.words} words; the target is ${lesson.targetWords} words`));
    assert.ok(
      prompt.includes(
        `accepted from ${Math.ceil(lesson.targetWords * 0.8)} to ${Math.floor(lesson.targetWords * 1.25)}`,
      ),
    );
    assert.match(prompt, /Extend it to about/);
    assert.ok(prompt.includes(JSON.stringify(previous)));
    assert.match(prompt, /- content: \d+ words/);
  });

  it('asks to tighten when too long', () => {
    const prompt = revisionPrompt(
      lesson,
      previous,
      wordTargetCheck(lesson.targetWords, lesson.targetWords * 2),
    );

    assert.match(prompt, /Tighten it to about/);
    assert.doesNotMatch(prompt, /Extend/);
  });
});

describe('readability', () => {
  it('ends sentences at Chinese full stops and Devanagari dandas too', () => {
    // 6 words (one a character) in 2 sentences, 1 syllable each: 206.835 - 1.015 × 3 - 84.6.
    assert.equal(fleschReadingEase(['一二三。四五六。']).toFixed(3), '119.190');
    assert.equal(
      fleschReadingEase(['राम घर गया। सीता आई।']).toFixed(3),
      (206.835 - 1.015 * 2.5 - 84.6).toFixed(3),
    );
  });

  it('counts syllables by the documented heuristic', () => {
    const cases: [string, number][] = [
      ['the', 1],
      ['quick', 1],
      ['over', 2],
      ['lazy', 2],
      ['make', 1],
      ['makes', 1],
      ['table', 2],
      ['boxes', 2],
      ['jumped', 1],
      ['wanted', 2],
      ['python', 2],
      ['programming', 3],
      ['yellow', 2],
    ];
    for (const [word, expected] of cases) assert.equal(syllables(word), expected, word);
  });

  it('scores a known sentence with the Flesch formula: 9 words, 1 sentence, 11 syllables', () => {
    const text = 'The quick brown fox jumps over the lazy dog.';
    const expected = 206.835 - 1.015 * (9 / 1) - 84.6 * (11 / 9);

    assert.ok(Math.abs(fleschReadingEase([text]) - expected) < 1e-9);
    assert.equal(readability([text]), 94);
  });

  it('ends a sentence at each prose string, so list items are not one long sentence', () => {
    assert.equal(
      fleschReadingEase(['Install Python', 'Run it']),
      fleschReadingEase(['Install Python.', 'Run it.']),
    );
    assert.ok(fleschReadingEase(['Install Python', 'Run it']) > fleschReadingEase(['Install Python run it']));
  });

  it('does not end a sentence at a dot inside a word', () => {
    // download 2, it 1, from 1, python 2, org 1, today 2: 6 words, 9 syllables, one sentence.
    const oneSentence = 206.835 - 1.015 * 6 - 84.6 * (9 / 6);

    assert.ok(Math.abs(fleschReadingEase(['Download it from python.org today.']) - oneSentence) < 1e-9);
  });

  it('clamps to 0–100', () => {
    assert.equal(readability(['The cat sat.']), 100);
    assert.equal(
      readability([
        'Internationalization considerations notwithstanding, incomprehensibility characterizes institutionalized bureaucratic documentation.',
      ]),
      0,
    );
    assert.equal(readability([]), 0);
  });
});

describe('terms', () => {
  it('takes the topic’s own words, not generic ones', () => {
    assert.deepEqual(topicKeywords('Introduction to Python'), ['python']);
    assert.deepEqual(topicKeywords('Go Basics'), ['go']);
    assert.deepEqual(topicKeywords('Machine Learning Fundamentals'), ['machine']);
  });

  it('finds a Chinese topic in Chinese prose through two-character terms, and a Hindi one by whole words', () => {
    assert.deepEqual(topicKeywords('光合作用'), ['光合', '合作', '作用']);
    assert.ok(keyTerms('光合作用是植物利用光能的过程。光合作用产生氧气。', 3).includes('光合'));
    assert.deepEqual(topicKeywords('प्रकाश संश्लेषण'), ['प्रकाश', 'संश्लेषण']);
  });

  it('ranks key terms by frequency, plurals folded', () => {
    assert.deepEqual(keyTerms('Loops repeat code. A loop stops. Loops and code and more code.', 2), [
      'code',
      'loop',
    ]);
  });
});

describe('qualityMetrics', () => {
  it('scores the fixture course: complete against its targets, on topic', () => {
    const metrics = qualityMetrics(outputs(), plan, course);

    assert.equal(metrics.topicRelevance, 100, 'every section mentions Python');
    assert.ok(metrics.readability > 50 && metrics.readability <= 100, String(metrics.readability));
    assert.ok(metrics.coherence > 50, String(metrics.coherence));
    const expected =
      OVERALL_WEIGHTS.completeness * metrics.completeness +
      OVERALL_WEIGHTS.topicRelevance * metrics.topicRelevance +
      OVERALL_WEIGHTS.coherence * metrics.coherence +
      OVERALL_WEIGHTS.readability * metrics.readability;
    assert.ok(Math.abs(metrics.overallScore - expected) <= 1, 'the documented weighted mean');
  });

  it('completeness: 100 when every section reaches 0.8 of its target, less by the missing section’s weight', () => {
    const onTarget = new Map<string, unknown>(
      plan.map((s) => [s.id, { text: 'Python '.repeat(s.targetWords) }]),
    );
    assert.equal(qualityMetrics(onTarget, plan, course).completeness, 100);

    const lesson = plan.find((s) => s.kind === 'lesson') as SectionSpec;
    onTarget.delete(lesson.id);
    const total = plan.reduce((t, s) => t + s.targetWords, 0);
    assert.equal(
      qualityMetrics(onTarget, plan, course).completeness,
      Math.round(100 * (1 - lesson.targetWords / total)),
    );

    const half = new Map(onTarget);
    half.set(lesson.id, { text: 'Python '.repeat(Math.round(lesson.targetWords * 0.4)) });
    const partial = qualityMetrics(half, plan, course).completeness;
    assert.ok(
      Math.abs(partial - Math.round(100 * (1 - (0.5 * lesson.targetWords) / total))) <= 1,
      String(partial),
    );
  });

  it('completeness counts required sections that are missing', () => {
    const withExercises = request(
      (b) => (b.input.contentMetadata = { contentSpecs: { requiredSections: ['exercises'] } }),
    );
    const full = new Map<string, unknown>(
      plan.map((s) => [s.id, { text: 'Python '.repeat(s.targetWords), exercises: [{ title: 'x' }] }]),
    );
    assert.equal(qualityMetrics(full, plan, withExercises).completeness, 100);

    const lesson = plan.find((s) => s.kind === 'lesson') as SectionSpec;
    full.set(lesson.id, { text: 'Python '.repeat(lesson.targetWords), exercises: [] });
    assert.equal(qualityMetrics(full, plan, withExercises).completeness, 80);
  });

  it('topicRelevance: the share of sections that mention the topic', () => {
    const half = new Map<string, unknown>(
      plan.map((s, i) => [s.id, { text: i % 2 === 0 ? 'Python is a language.' : 'Cooking needs salt.' }]),
    );
    const mentioning = plan.filter((_, i) => i % 2 === 0).length;

    assert.equal(
      qualityMetrics(half, plan, course).topicRelevance,
      Math.round((100 * mentioning) / plan.length),
    );
  });

  it('coherence: sections that share terms with what they follow score higher than unrelated ones', () => {
    const related = new Map<string, unknown>(
      plan.map((s) => [
        s.id,
        { text: `Python variables store values. Python functions return values. ${s.title}` },
      ]),
    );
    // Each section its own made-up vocabulary: nothing in common with any other.
    const unrelated = new Map<string, unknown>(
      plan.map((s, i) => {
        const letter = String.fromCharCode(97 + i);
        return [s.id, { text: `qq${letter}aa qq${letter}bb qq${letter}cc qq${letter}dd.` }];
      }),
    );

    assert.equal(qualityMetrics(related, plan, course).coherence, 100);
    assert.equal(qualityMetrics(unrelated, plan, course).coherence, 0);
  });

  it('gives 0 for no content at all', () => {
    const metrics = qualityMetrics(new Map(), plan, course);

    assert.deepEqual(
      { ...metrics, overallScore: undefined },
      { overallScore: undefined, readability: 0, coherence: 0, completeness: 0, topicRelevance: 0 },
    );
  });

  it('is deterministic', () => {
    assert.deepEqual(qualityMetrics(outputs(), plan, course), qualityMetrics(outputs(), plan, course));
  });
});

describe('meetsRequirements', () => {
  const metrics = { overallScore: 80, readability: 60, coherence: 90, completeness: 95, topicRelevance: 100 };

  it('lists each target the metrics fall short of', () => {
    assert.deepEqual(
      meetsRequirements(metrics, {
        minQualityScore: 75,
        readabilityTarget: 85,
        coherenceTarget: 85,
        completenessTarget: 96,
        validationRequired: true,
      }),
      [
        { metric: 'readability', requirement: 'readabilityTarget', target: 85, actual: 60 },
        { metric: 'completeness', requirement: 'completenessTarget', target: 96, actual: 95 },
      ],
    );
  });

  it('is empty when no target is set', () => {
    assert.deepEqual(meetsRequirements(metrics, { validationRequired: false }), []);
  });
});
