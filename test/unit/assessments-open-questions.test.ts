import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { PassageRef } from '#assessments/assessment.ts';
import { splitMix } from '#assessments/bloom.ts';
import { assessmentChunks } from '#assessments/chunks.ts';
import { parseEduMateGenerate, UnprocessableRequest } from '#assessments/edumate-generate.ts';
import {
  ANSWER_SUPPORT_THRESHOLD,
  answerSupport,
  checkOpenQuestions,
  type OpenCheckContext,
  openPrompt,
  openResponseSchema,
} from '#assessments/open-questions.ts';
import { NearDuplicateIndex } from '#jobs/similarity.ts';
import { type GenContext, generate, passagesOf } from '../../local/gemini-simulator/schema-answers.ts';

const PASSAGE: PassageRef = {
  id: 'p3-1',
  page: 3,
  text: 'Photosynthesis takes place in the chloroplasts of leaf cells. Chlorophyll absorbs light energy, which splits water molecules and releases oxygen. The energy is then used to fix carbon dioxide into glucose.',
};
const OTHER: PassageRef = {
  id: 'p7-2',
  page: 7,
  text: 'The French Revolution began in 1789 with the storming of the Bastille and ended the absolute monarchy.',
};

const context = (overrides: Partial<OpenCheckContext> = {}): OpenCheckContext => ({
  bloomLevel: 'understand',
  passages: new Map([PASSAGE, OTHER].map((p) => [p.id, p])),
  bank: new NearDuplicateIndex(),
  nearDuplicateThreshold: 0.7,
  ...overrides,
});

const item = (overrides: Record<string, unknown> = {}) => ({
  question: 'Explain how a leaf turns light energy into chemical energy.',
  bloom_level: 'understand',
  source_passage_id: 'p3-1',
  model_answer:
    'In the chloroplasts, chlorophyll absorbs light energy; that energy splits water, releasing oxygen, and is used to fix carbon dioxide into glucose.',
  explanation: 'A good answer names chlorophyll, water splitting and glucose.',
  ...overrides,
});

function checksOf(raw: unknown, ctx = context()) {
  const { accepted, rejected } = checkOpenQuestions([raw], ctx);
  assert.equal(accepted.length, 0, 'the item should have been rejected');
  return rejected[0]?.checks ?? [];
}

describe('open questions: the quality gate', () => {
  it('keeps a question whose model answer its cited passage supports, with that passage', () => {
    const { accepted, rejected } = checkOpenQuestions([item()], context());
    assert.deepEqual(rejected, []);
    assert.equal(accepted[0]?.passage?.id, 'p3-1');
    assert.equal(accepted[0]?.bloom_level, 'understand');
  });

  it('rejects a model answer the cited passage does not support', () => {
    assert.ok(answerSupport(item().model_answer, PASSAGE.text) >= ANSWER_SUPPORT_THRESHOLD);
    assert.ok(answerSupport(item().model_answer, OTHER.text) < ANSWER_SUPPORT_THRESHOLD);
    assert.deepEqual(checksOf(item({ source_passage_id: 'p7-2' })), ['unsupported_answer']);
    const invented =
      'Mitochondria burn sugars during respiration, producing ATP for muscle contraction in animals.';
    assert.deepEqual(checksOf(item({ model_answer: invented })), ['unsupported_answer']);
  });

  it('rejects a citation of a passage that was not given', () => {
    assert.deepEqual(checksOf(item({ source_passage_id: 'p99-1' })), ['grounding']);
    assert.deepEqual(checksOf(item({ source_passage_id: undefined })), ['grounding']);
  });

  it('rejects a Bloom level other than the one asked for', () => {
    assert.deepEqual(checksOf(item({ bloom_level: 'create' })), ['bloom_level']);
  });

  it('rejects empty, too short and too long texts', () => {
    assert.deepEqual(checksOf(item({ model_answer: '' })), ['model_answer']);
    assert.deepEqual(checksOf(item({ model_answer: 'Chlorophyll.' })), ['model_answer']);
    assert.deepEqual(checksOf(item({ model_answer: `${item().model_answer} `.repeat(20) })), ['length']);
    assert.deepEqual(checksOf(item({ question: 'Why?' })), ['stem']);
    assert.deepEqual(checksOf(item({ question: `${'Explain photosynthesis. '.repeat(30)}` })), ['length']);
    assert.deepEqual(checksOf(item({ explanation: ' ' })), ['explanation']);
    assert.deepEqual(checksOf({ question: 'Explain photosynthesis in a leaf.' }), ['schema']);
  });

  it('rejects a near-duplicate of another question of the assessment, an MCQ included', () => {
    const bank = new NearDuplicateIndex(['Describe how a leaf turns light energy into chemical energy.']);
    assert.deepEqual(checksOf(item(), context({ bank })), ['near_duplicate']);
  });

  it('rejects the second of two near-identical questions in one answer', () => {
    const { accepted, rejected } = checkOpenQuestions(
      [item(), item({ question: 'Explain how a leaf turns light energy into chemical energy!' })],
      context(),
    );
    assert.equal(accepted.length, 1);
    assert.equal(rejected[0]?.index, 1);
    assert.ok(rejected[0]?.checks.some((c) => c === 'duplicate' || c === 'near_duplicate'));
  });

  it('without a document, asks for no citation and checks no support', () => {
    const { accepted } = checkOpenQuestions(
      [item({ source_passage_id: undefined, model_answer: 'Any full answer of enough length.' })],
      context({ passages: new Map() }),
    );
    assert.equal(accepted.length, 1);
  });
});

describe('open questions: the Gemini simulator', () => {
  it('answers the open schema with placeholder-marked questions whose model answers pass the gate', () => {
    const prompt = openPrompt({
      query: 'photosynthesis',
      bloomLevel: 'understand',
      count: 3,
      passages: [PASSAGE, OTHER],
      avoid: [],
      rejections: [],
    });
    const schema = openResponseSchema(3, 'understand', [PASSAGE.id, OTHER.id]);
    let seed = 7;
    const ctx: GenContext = {
      rand: () => {
        seed = (seed * 16807) % 2147483647;
        return seed / 2147483647;
      },
      root: schema,
      ref: 'test0001',
      excerpt: 'photosynthesis',
      passages: passagesOf(prompt),
      counters: new Map(),
      sites: { enums: [], arrays: [] },
    };
    const answer = generate(schema, ctx, 'response') as { questions: Record<string, string>[] };
    assert.equal(answer.questions.length, 3);
    for (const q of answer.questions) {
      assert.match(q.question ?? '', /\[simulated\]/);
      assert.match(q.model_answer ?? '', /^\[simulated\]/);
    }
    const { accepted, rejected } = checkOpenQuestions(answer.questions, context());
    assert.deepEqual(rejected, []);
    assert.equal(accepted.length, 3);
  });
});

describe('open questions: the simulator reads the passages a prompt quotes', () => {
  it('keeps a passage that runs over several lines whole, up to a blank line or the next passage', () => {
    const prompt = [
      'Course material:',
      '[p1-1] (page 1) # Photosynthesis',
      'Chlorophyll absorbs light energy in the chloroplasts.',
      '[p1-2] (page 1) Water is split and oxygen released.',
      '',
      'Do not repeat these questions:',
      '- [p9-9] is not a passage header',
    ].join('\n');
    assert.deepEqual(
      [...passagesOf(prompt)],
      [
        ['p1-1', '# Photosynthesis Chlorophyll absorbs light energy in the chloroplasts.'],
        ['p1-2', 'Water is split and oxygen released.'],
      ],
    );
  });

  it('writes every passage of the open prompt on one line', () => {
    const prompt = openPrompt({
      query: 'q',
      bloomLevel: 'remember',
      count: 1,
      passages: [{ id: 'p1-1', page: 1, text: '# Heading\n\nBody   text here.' }],
      avoid: [],
      rejections: [],
    });
    assert.equal(passagesOf(prompt).get('p1-1'), '# Heading Body text here.');
  });
});

describe('open questions: counts and Bloom levels', () => {
  it("splits a Bloom mix between MCQs and open questions as EduMate's allocate_bloom_counts does", () => {
    // 10 questions, 6 MCQs: raw MCQ shares 2.4, 1.8, 1.2, 0.6 → floors 2, 1, 1, 0, the two
    // missing to the largest remainders (understand 0.8, analyze 0.6).
    const { mcq, open } = splitMix({ remember: 4, understand: 3, apply: 2, analyze: 1 }, 6, 4);
    assert.deepEqual(mcq, { remember: 2, understand: 2, apply: 1, analyze: 1 });
    assert.deepEqual(open, { remember: 2, understand: 1, apply: 1 });
    assert.deepEqual(splitMix({ apply: 2 }, 0, 2), { mcq: {}, open: { apply: 2 } });
    assert.deepEqual(splitMix({ apply: 2 }, 2, 0), { mcq: { apply: 2 }, open: {} });
  });

  it('plans open-question chunks after the MCQ chunks, keyed apart', () => {
    const keys = assessmentChunks({ bloom_mix: { apply: 12 }, subjective_mix: { apply: 1 } }).map((c) => [
      c.key,
      c.type,
      c.questionCount,
    ]);
    assert.deepEqual(keys, [
      ['assessment__apply__1', 'mcq', 10],
      ['assessment__apply__2', 'mcq', 2],
      ['assessment__open__apply__1', 'open', 1],
    ]);
  });

  it("reads EduMate's /generate body and answers 422 when the counts do not add up", () => {
    const body = {
      query: 'photosynthesis',
      collection_name: 'doc',
      mcq_count: 2,
      subjective_count: 1,
      blooms: { remember: 2, apply: 1 },
      extra: 'ignored, as Pydantic does',
    };
    const parsed = parseEduMateGenerate(body, 100);
    // remember: 2 × 2/3 = 1.33 → 1; apply: 1 × 2/3 = 0.67 → 0, then the missing MCQ (largest remainder).
    assert.deepEqual(parsed.mcqMix, { remember: 1, apply: 1 });
    assert.deepEqual(parsed.subjectiveMix, { remember: 1 });
    const refused = (b: unknown, pattern: RegExp) =>
      assert.throws(
        () => parseEduMateGenerate(b, 100),
        (e: unknown) => e instanceof UnprocessableRequest && e.statusCode === 422 && pattern.test(e.message),
      );
    refused({ ...body, mcq_count: 3 }, /add up to 3.*is 4/);
    refused({ ...body, mcq_count: 0, subjective_count: 0, blooms: {} }, /at least one/i);
    refused({ ...body, blooms: { remember: 2, recall: 1 } }, /unknown Bloom level "recall"/);
    refused({ ...body, mcq_count: -1 }, /body\.mcq_count/);
    refused({ ...body, collection_name: '' }, /body\.collection_name/);
    refused({ ...body, mcq_count: 200, blooms: { remember: 201 } }, /at most 100/);
  });
});
