/**
 * Open questions end to end, through HTTP on the local stack with the Gemini simulator: upload a
 * PDF, ask EduMate's `POST /generate` for MCQs and open questions in a Bloom mix, poll
 * `GET /job_status`, and check both lists (levels, citations, model answers the cited passage
 * supports); the same on `/generate_assessment` with `subjective_count`; saved assessments and
 * exports carrying them; and the 4xx answers of `/generate`.
 */
import assert from 'node:assert/strict';
import { strFromU8, unzipSync } from 'fflate';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ANSWER_SUPPORT_THRESHOLD, answerSupport } from '#assessments/open-questions.ts';
import { type Harness, startHarness } from '../support/e2e.ts';
import { readGift } from '../support/export-parsers.ts';
import { makePdf, PHOTOSYNTHESIS_PAGES } from '../support/pdf.ts';

let h: Harness;

// The first three pages of the course text the assessment tests share.
const PAGES = PHOTOSYNTHESIS_PAGES.slice(0, 3);
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();
const pageText = (page: number) => squash((PAGES[page - 1] ?? []).join(' '));

async function upload(bytes: Uint8Array) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'application/pdf' }), 'photosynthesis.pdf');
  const response = await fetch(`${h.url}/documents`, {
    method: 'POST',
    headers: { 'x-api-key': h.key },
    body: form,
  });
  return (await response.json()) as { document_id: string };
}

async function waitForDocument(id: string) {
  for (let i = 0; i < 400; i++) {
    const response = await h.call('GET', `/documents/${id}`);
    if (response.body.status !== 'ingesting') return response.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`document ${id} is still ingesting`);
}

async function pollStatus(jobId: string) {
  for (let i = 0; i < 1200; i++) {
    const response = await h.call('GET', `/job_status?job_id=${jobId}`);
    assert.equal(response.status, 200);
    if (['finished', 'failed', null].includes(response.body.status)) return response.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`job ${jobId} did not finish`);
}

const countsOf = (questions: { bloom_level: string }[]) => {
  const counts: Record<string, number> = {};
  for (const q of questions) counts[q.bloom_level] = (counts[q.bloom_level] ?? 0) + 1;
  return counts;
};

/** Every question cites a passage of the document, and every open one's model answer is supported by it. */
function assertGrounded(documentId: string, mcqs: any[], open: any[]) {
  for (const q of [...mcqs, ...open]) {
    assert.equal(q.source?.document_id, documentId);
    assert.match(q.source.passage_id, /^p\d+-\d+$/);
    assert.ok(pageText(q.source.page).includes(squash(q.source.excerpt)), 'the excerpt is text of its page');
  }
  for (const q of open) {
    assert.ok(
      answerSupport(q.model_answer, pageText(q.source.page)) >= ANSWER_SUPPORT_THRESHOLD,
      `the model answer of open question ${q.question_no} is supported by its passage`,
    );
  }
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

describe("EduMate's POST /generate with MCQs and open questions", () => {
  let documentId: string;
  let jobId: string;
  let result: { mcqs: any[]; subjective_questions: any[] };
  const BLOOMS = { remember: 3, understand: 2, apply: 1, analyze: 1, evaluate: 0, create: 1 };

  it('uploads a document whose id is the collection name', async () => {
    documentId = (await upload(await makePdf(PAGES))).document_id;
    const document = await waitForDocument(documentId);
    assert.equal(document.status, 'ready', document.error);
  });

  it('answers 200 {"status": "queued", job_id, mcq_count, subjective_count}', async () => {
    const response = await h.call('POST', '/generate', {
      query: 'photosynthesis',
      collection_name: documentId,
      mcq_count: 5,
      subjective_count: 3,
      blooms: BLOOMS,
    });
    assert.equal(response.status, 200, response.text);
    assert.deepEqual(Object.keys(response.body), ['status', 'job_id', 'mcq_count', 'subjective_count']);
    assert.equal(response.body.status, 'queued');
    assert.equal(response.body.mcq_count, 5);
    assert.equal(response.body.subjective_count, 3);
    jobId = response.body.job_id;
  });

  it('finishes with {"mcqs": [...], "subjective_questions": [...]}, MCQs first, in their counts', async () => {
    const body = await pollStatus(jobId);
    assert.equal(body.status, 'finished', JSON.stringify(body));
    assert.deepEqual(Object.keys(body.result), ['mcqs', 'subjective_questions']);
    result = body.result;
    assert.equal(result.mcqs.length, 5);
    assert.equal(result.subjective_questions.length, 3);
    for (const q of result.mcqs) {
      assert.ok(q.options.includes(q.correct_answer));
      assert.equal(q.model_answer, undefined);
      // EduMate's own MCQ names next to the seed's (its backend's SingleMCQ; AssessmentView.jsx).
      assert.deepEqual(q.answer_options, q.options);
      assert.equal(q.explaination, q.explanation);
    }
  });

  it('splits the Bloom levels between the two lists as EduMate does, adding up to the mix', () => {
    // allocate_bloom_counts: MCQ shares 1.875, 1.25, 0.625, 0.625, 0, 0.625 → 1, 1, 0, 0, 0, 0
    // plus the three largest remainders (remember 0.875, apply, analyze 0.625).
    assert.deepEqual(countsOf(result.mcqs), { remember: 2, understand: 1, apply: 1, analyze: 1 });
    assert.deepEqual(countsOf(result.subjective_questions), { remember: 1, understand: 1, create: 1 });
  });

  it("gives the open questions EduMate's fields, numbered, with a model answer and explanation", () => {
    result.subjective_questions.forEach((q, i) => {
      assert.equal(q.question_no, String(i + 1));
      for (const field of ['question', 'model_answer', 'explanation', 'bloom_level']) {
        assert.equal(typeof q[field], 'string', field);
        assert.ok(q[field].length > 0, field);
      }
      assert.match(q.question, /\[simulated\]/, 'simulated texts say so');
    });
    const texts = [...result.mcqs, ...result.subjective_questions].map((q) => q.question.toLowerCase());
    assert.equal(new Set(texts).size, texts.length, 'no question repeats another, across both lists');
  });

  it('cites passages of the document, and the cited passage supports each model answer', () => {
    assertGrounded(documentId, result.mcqs, result.subjective_questions);
  });

  it('saves, edits and reads back the open questions, and exports them', async () => {
    const saved = await h.call('POST', '/assessments', { job_id: jobId });
    assert.equal(saved.status, 201, saved.text);
    assert.deepEqual(saved.body.subjective_questions, result.subjective_questions);
    const id = saved.body.assessment_id;

    const [first, ...rest] = result.subjective_questions;
    const bad = await h.call('PUT', `/assessments/${id}`, {
      subjective_questions: [{ ...first, model_answer: ' ' }, ...rest],
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail, /subjective_questions\.0\.model_answer: must not be empty/);

    const edited = {
      ...first,
      model_answer: 'Chlorophyll absorbs light energy and the plant stores it as sugar.',
    };
    const put = await h.call('PUT', `/assessments/${id}`, { subjective_questions: [edited, ...rest] });
    assert.equal(put.status, 200, put.text);
    const read = await h.call('GET', `/assessments/${id}`);
    assert.equal(read.body.subjective_questions[0].model_answer, edited.model_answer);
    // The saved copy keeps the seed's fields; EduMate's extra names are added on the way out.
    const seedFields = result.mcqs.map(
      ({ question_no: _n, answer_options: _o, explaination: _e, ...q }: any) => q,
    );
    assert.deepEqual(read.body.mcqs, seedFields);

    const gift = await h.call('GET', `/assessments/${id}?format=gift`);
    assert.equal(gift.status, 200);
    const essays = readGift(gift.text).questions.filter((q) => q.essay);
    assert.equal(essays.length, 3);
    assert.match(essays[0]?.explanation ?? '', /Model answer: Chlorophyll absorbs light energy/);

    const qti = await fetch(`${h.url}/job_status?job_id=${jobId}&format=qti30`, {
      headers: { 'x-api-key': h.key },
    });
    assert.equal(qti.status, 200);
    const files = unzipSync(new Uint8Array(await qti.arrayBuffer()));
    const items = Object.keys(files).filter((f) => f.startsWith('items/'));
    assert.equal(items.length, 8);
    const extended = items.filter((f) =>
      strFromU8(files[f] as Uint8Array).includes('<qti-extended-text-interaction'),
    );
    assert.equal(extended.length, 3);

    const aiken = await h.call('GET', `/assessments/${id}?format=aiken`);
    assert.equal(aiken.status, 400);
    assert.match(aiken.body.detail, /Aiken has multiple-choice questions only.*3 open questions/);

    const withoutOpen = await h.call('PUT', `/assessments/${id}`, { subjective_questions: [] });
    assert.equal(withoutOpen.status, 200);
    assert.equal((await h.call('GET', `/assessments/${id}?format=aiken`)).status, 200);
  });

  it('writes both lists in the language asked for, and refuses a code that is not ISO 639-1 with a 422', async () => {
    const response = await h.call('POST', '/generate', {
      query: 'la photosynthèse',
      collection_name: documentId,
      mcq_count: 1,
      subjective_count: 1,
      blooms: { remember: 2 },
      language: 'fr',
    });
    assert.equal(response.status, 200, response.text);
    const body = await pollStatus(response.body.job_id);
    assert.equal(body.status, 'finished', JSON.stringify(body));
    for (const q of [...body.result.mcqs, ...body.result.subjective_questions])
      assert.equal(q.language, 'fr');

    const bad = await h.call('POST', '/generate', {
      query: 'photosynthesis',
      collection_name: documentId,
      mcq_count: 1,
      blooms: { remember: 1 },
      language: 'pt-BR',
    });
    assert.equal(bad.status, 422, bad.text);
    assert.match(bad.body.detail, /body\.language: .*"pt"/);
  });

  it('answers 404 {"detail": "Collection not found: ..."} for a collection that is not this key\'s', async () => {
    const body = { query: 'photosynthesis', mcq_count: 1, subjective_count: 0, blooms: { remember: 1 } };
    for (const [name, key] of [
      ['edu_mate_0123456789abcdef', h.key],
      [documentId, h.otherKey],
    ] as const) {
      const response = await h.call('POST', '/generate', { ...body, collection_name: name }, key);
      assert.equal(response.status, 404, response.text);
      assert.match(response.body.detail, /^Collection not found: /);
    }
  });

  it('answers 422 in the {"detail"} envelope when the counts do not add up, or ask for nothing', async () => {
    const base = { query: 'photosynthesis', collection_name: documentId };
    const cases: [unknown, RegExp][] = [
      [{ ...base, mcq_count: 2, subjective_count: 1, blooms: { remember: 2 } }, /add up to 2.*is 3/],
      [{ ...base, mcq_count: 0, subjective_count: 0, blooms: {} }, /at least one MCQ or subjective question/],
      [{ ...base, mcq_count: 1, blooms: { recall: 1 } }, /unknown Bloom level "recall"/],
      [{ ...base, mcq_count: 1 }, /body\.blooms/],
      [{ collection_name: documentId, mcq_count: 1, blooms: { remember: 1 } }, /body\.query/],
    ];
    for (const [body, detail] of cases) {
      const response = await h.call('POST', '/generate', body);
      assert.equal(response.status, 422, `${JSON.stringify(body)}: ${response.text}`);
      assert.match(response.body.detail, detail);
    }
    const notJson = await fetch(`${h.url}/generate`, {
      method: 'POST',
      headers: { 'x-api-key': h.key, 'content-type': 'application/json' },
      body: '{"query":',
    });
    assert.equal(notJson.status, 422);
  });
});

describe('POST /generate_assessment with subjective_count', () => {
  it('generates open questions from the mix next to the MCQs, and keeps the seed body without it', async () => {
    const response = await h.call('POST', '/generate_assessment', {
      query: 'photosynthesis',
      bloom_mix: '2 remember, 2 apply',
      subjective_count: 2,
    });
    assert.equal(response.status, 202, response.text);
    assert.equal(response.body.total_questions, 4);
    assert.equal(response.body.mcq_count, 2);
    assert.equal(response.body.subjective_count, 2);
    const body = await pollStatus(response.body.job_id);
    assert.equal(body.status, 'finished', JSON.stringify(body));
    assert.deepEqual(countsOf(body.result.mcqs), { remember: 1, apply: 1 });
    assert.deepEqual(countsOf(body.result.subjective_questions), { remember: 1, apply: 1 });

    const tooMany = await h.call('POST', '/generate_assessment', {
      query: 'photosynthesis',
      bloom_mix: '2 remember',
      subjective_count: 3,
    });
    assert.equal(tooMany.status, 400);
    assert.match(tooMany.body.detail, /subjective_count: is 3, more than the 2 questions/);

    const seed = await h.call('POST', '/generate_assessment', {
      query: 'photosynthesis',
      bloom_mix: '1 remember',
    });
    const seedBody = await pollStatus(seed.body.job_id);
    assert.deepEqual(Object.keys(seedBody.result), ['mcqs'], "the seed's result has only mcqs");
  });
});
