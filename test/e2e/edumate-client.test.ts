/**
 * EduMate's own client against this service, changing only the host and the key. The calls
 * below are our replay of the client's (suyash-sketch/edu-mate, commit
 * e36119690f28094105c3f3adacfcba313ac55470): each makes the request `frontend/src/api.js` makes
 * (method, path, query parameters, body or multipart form, headers, all through the default
 * axios instance), in the order `frontend/src/App.jsx` makes them, reading the fields App.jsx
 * and `frontend/src/components/AssessmentView.jsx` read. The host is axios's base URL (api.js
 * has `API_BASE_URL = ''`, the page's own origin); the key is the client's token (sent as
 * `Authorization: Bearer` on /api/assessments/*) and a default `x-api-key` header for the
 * calls that send no token. Then every new route's bad input, answered with a 4xx.
 */
import assert from 'node:assert/strict';
import axios, { type AxiosResponse } from 'axios';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type Harness, startHarness } from '../support/e2e.ts';
import { readGift } from '../support/export-parsers.ts';
import { makeImageOnlyPdf, makePdf, PHOTOSYNTHESIS_PAGES } from '../support/pdf.ts';

let h: Harness;

// --- the client's calls, replayed (our code; the shapes are api.js's) ------------------------

const authHeaders = (token: string | null) => (token ? { Authorization: `Bearer ${token}` } : {});

async function uploadFile(file: File) {
  const formData = new FormData();
  formData.append('file', file);
  const response = await axios.post('/chunking', formData, {
    headers: { 'Content-Type': 'multipart/form-data' },
  });
  return response.data;
}

async function pollChunkingStatus(jobId: string) {
  return (await axios.get('/chunking/status', { params: { job_id: jobId } })).data;
}

async function generateAssessment(query: string, collectionName: string, bloomsRequirements: string) {
  const response = await axios.post('/chat', null, {
    params: { query, collection_name: collectionName, blooms_requirements: bloomsRequirements },
  });
  return response.data;
}

async function pollJobStatus(jobId: string) {
  return (await axios.get('/job_status', { params: { job_id: jobId } })).data;
}

async function saveAssessment(
  token: string | null,
  body: { chapter_name: unknown; bloom_factors: unknown; content_json: unknown },
) {
  const response = await axios.post('/api/assessments/save', body, { headers: authHeaders(token) });
  return response.data;
}

async function fetchAssessmentHistory(token: string | null) {
  return (await axios.get('/api/assessments/history', { headers: authHeaders(token) })).data;
}

async function fetchAssessmentDetail(token: string | null, assessmentId: string) {
  return (await axios.get(`/api/assessments/${assessmentId}`, { headers: authHeaders(token) })).data;
}

/** The only two changes: where the service is, and the key. */
function pointClientAt(url: string, key: string | null) {
  axios.defaults.baseURL = url;
  if (key === null) delete axios.defaults.headers.common['x-api-key'];
  else axios.defaults.headers.common['x-api-key'] = key;
}

/** The answer of a call axios rejects (a 4xx): its status and body. */
async function refused(call: Promise<unknown>): Promise<AxiosResponse> {
  try {
    await call;
  } catch (error) {
    if (axios.isAxiosError(error) && error.response) return error.response;
    throw error;
  }
  assert.fail('the call succeeded; a 4xx was expected');
}

// --- App.jsx's values ----------------------------------------------------------------------

/** App.jsx's DEFAULT_BLOOMS, and the string its buildBloomsRequirements makes of them. */
const DEFAULT_BLOOMS = { remember: 5, understand: 3, apply: 4, analyze: 3, evaluate: 2, create: 3 };
const BLOOMS_REQUIREMENTS = Object.entries(DEFAULT_BLOOMS)
  .filter(([, n]) => n > 0)
  .map(([level, n]) => `${n} ${level}`)
  .join(', ');
const CHAPTER = 'Photosynthesis';

// The first three pages of the course text the assessment tests share.
const PAGES = PHOTOSYNTHESIS_PAGES.slice(0, 3);
const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

/** Polls like App.jsx's setInterval loops until `done` holds; returns the last answer and the statuses seen. */
async function pollUntil(poll: () => Promise<any>, done: (s: any) => boolean) {
  const seen: unknown[] = [];
  for (let i = 0; i < 1200; i++) {
    const s = await poll();
    if (seen.at(-1) !== s.status) seen.push(s.status);
    if (done(s)) return { s, seen };
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`still polling; statuses seen: ${seen.join(', ')}`);
}

beforeAll(async () => {
  h = await startHarness();
  pointClientAt(h.url, h.key);
});

afterAll(async () => {
  await h?.stop();
});

describe("EduMate's client, with only host and key changed", () => {
  let collectionName: string;
  let jobId: string;
  let result: any;
  let savedId: string;

  it('uploadFile: POST /chunking (multipart "file") answers {"status": "queued", job_id, collection_name}', async () => {
    pointClientAt(h.url, h.key);
    const pdf = await makePdf(PAGES);
    const response = await uploadFile(new File([pdf], 'photosynthesis.pdf', { type: 'application/pdf' }));
    assert.deepEqual(Object.keys(response), ['status', 'job_id', 'collection_name']);
    assert.equal(response.status, 'queued');
    // The collection is the new document, and the chunking job is named after it too.
    assert.match(response.collection_name, /^[0-9a-f-]{36}$/);
    assert.equal(response.job_id, response.collection_name);
    collectionName = response.collection_name;
    const document = await h.call('GET', `/documents/${collectionName}`);
    assert.equal(document.status, 200, document.text);
    assert.equal(document.body.filename, 'photosynthesis.pdf');
  });

  it('pollChunkingStatus: queued or started, then {"status": "chunked", "result": {stored: true, ...}}', async () => {
    const { s, seen } = await pollUntil(
      () => pollChunkingStatus(collectionName),
      (s) => s.status === 'chunked' || s.status === 'failed',
    );
    assert.equal(s.status, 'chunked', JSON.stringify(s));
    assert.ok(
      seen.every((status) => ['queued', 'started', 'chunked'].includes(status as string)),
      seen.join(', '),
    );
    assert.equal(s.result.stored, true);
    assert.equal(s.result.collection_name, collectionName);
    assert.equal(s.result.document_id, collectionName);
    assert.equal(s.result.source, 'photosynthesis.pdf');
    assert.equal(s.result.pages, PAGES.length);
    assert.ok(s.result.chunks >= PAGES.length, `${s.result.chunks} chunks`);
  });

  it('generateAssessment: POST /chat with query parameters and no body answers {"status": "queued", job_id}', async () => {
    const response = await generateAssessment(CHAPTER, collectionName, BLOOMS_REQUIREMENTS);
    assert.deepEqual(Object.keys(response), ['status', 'job_id']);
    assert.equal(response.status, 'queued');
    jobId = response.job_id;
  });

  it('pollJobStatus: finished with the Bloom mix asked for, grounded, in the seed shape and the names the client reads', async () => {
    const { s, seen } = await pollUntil(
      () => pollJobStatus(jobId),
      (s) => s.status === 'finished' || s.status === 'failed',
    );
    assert.equal(s.status, 'finished', JSON.stringify(s));
    assert.ok(
      seen.every((status) => ['queued', 'started', 'finished'].includes(status as string)),
      seen.join(', '),
    );
    result = s.result;
    const mcqs: any[] = result.mcqs;
    const counts: Record<string, number> = {};
    for (const q of mcqs) counts[q.bloom_level] = (counts[q.bloom_level] ?? 0) + 1;
    assert.deepEqual(counts, DEFAULT_BLOOMS);
    const text = squash(PAGES.flat().join(' '));
    for (const [i, q] of mcqs.entries()) {
      assert.deepEqual(Object.keys(q).slice(0, 5), [
        'question',
        'options',
        'correct_answer',
        'bloom_level',
        'explanation',
      ]);
      assert.equal(q.options.length, 4);
      assert.equal(q.options.filter((o: string) => o === q.correct_answer).length, 1);
      assert.equal(typeof q.explanation, 'string');
      // The citation: a passage of this collection's document, on one of its pages.
      assert.equal(q.source.document_id, collectionName);
      assert.ok(q.source.page >= 1 && q.source.page <= PAGES.length, `page ${q.source.page}`);
      assert.ok(text.includes(squash(q.source.excerpt).slice(0, 60)), q.source.excerpt);
      // What AssessmentView.jsx reads: question_no, answer_options (it maps over them), explaination.
      assert.equal(q.question_no, String(i + 1));
      assert.deepEqual(q.answer_options, q.options);
      assert.equal(q.explaination, q.explanation);
    }
  });

  it('saveAssessment: POST /api/assessments/save with the token answers {"status": "saved", id}', async () => {
    const response = await saveAssessment(h.key, {
      chapter_name: CHAPTER,
      bloom_factors: { ...DEFAULT_BLOOMS },
      content_json: result,
    });
    assert.deepEqual(Object.keys(response), ['status', 'id']);
    assert.equal(response.status, 'saved');
    savedId = response.id;
  });

  it('fetchAssessmentHistory: the saved assessment first, with its MCQ count and "completed"', async () => {
    const history = await fetchAssessmentHistory(h.key);
    assert.ok(Array.isArray(history));
    const [first] = history;
    assert.deepEqual(Object.keys(first), ['id', 'chapter_name', 'questions', 'created_at', 'status']);
    assert.equal(first.id, savedId);
    assert.equal(first.chapter_name, CHAPTER);
    assert.equal(first.questions, 20);
    assert.equal(first.status, 'completed');
    assert.ok(Number.isFinite(Date.parse(first.created_at)), first.created_at);
  });

  it('fetchAssessmentDetail: {id, chapter_name, content} with the questions as saved', async () => {
    const detail = await fetchAssessmentDetail(h.key, savedId);
    assert.deepEqual(Object.keys(detail), ['id', 'chapter_name', 'content']);
    assert.equal(detail.id, savedId);
    assert.equal(detail.chapter_name, CHAPTER);
    // As the job answered them, less the generator's provenance record (a saved copy is the
    // checked questions, as POST /assessments keeps edited ones).
    const expected = result.mcqs.map(({ provenance: _p, ...q }: any) => q);
    assert.deepEqual(detail.content, { mcqs: expected });
  });

  it("leaves the seed's own job_status bodies alone: a POST /generate_assessment job has no EduMate names", async () => {
    const started = await h.call('POST', '/generate_assessment', {
      query: CHAPTER,
      document_id: collectionName,
      bloom_mix: '1 remember',
    });
    assert.equal(started.status, 202, started.text);
    const { s } = await pollUntil(
      () => pollJobStatus(started.body.job_id),
      (s) => s.status === 'finished' || s.status === 'failed',
    );
    assert.equal(s.status, 'finished', JSON.stringify(s));
    const [q] = s.result.mcqs;
    assert.equal(typeof q.question, 'string');
    for (const name of ['question_no', 'answer_options', 'explaination']) assert.ok(!(name in q), name);
  });

  it("is one of the key's saved assessments: listed by GET /assessments and exported", async () => {
    const list = await h.call('GET', '/assessments');
    const entry = list.body.assessments.find((a: any) => a.assessment_id === savedId);
    assert.equal(entry?.title, CHAPTER);
    assert.equal(entry?.question_count, 20);
    assert.deepEqual(entry?.bloom_factors, DEFAULT_BLOOMS);
    assert.equal(entry?.document_id, collectionName);
    const gift = await h.call('GET', `/assessments/${savedId}?format=gift`);
    assert.equal(gift.status, 200, gift.text);
    assert.equal(readGift(gift.text).questions.length, 20);
  });

  it('takes the token alone as the key on /api/assessments/* (the client sends no x-api-key there)', async () => {
    pointClientAt(h.url, null);
    try {
      const history = await fetchAssessmentHistory(h.key);
      assert.equal(history[0]?.id, savedId);
    } finally {
      pointClientAt(h.url, h.key);
    }
  });

  it('another key: empty history, the assessment not found, the collection and the jobs unknown', async () => {
    pointClientAt(h.url, h.otherKey);
    try {
      assert.deepEqual(await fetchAssessmentHistory(h.otherKey), []);
      const detail = await refused(fetchAssessmentDetail(h.otherKey, savedId));
      assert.equal(detail.status, 404);
      assert.deepEqual(detail.data, { detail: 'Assessment not found' });
      assert.deepEqual(await pollChunkingStatus(collectionName), { status: null });
      assert.deepEqual(await pollJobStatus(jobId), { status: null });
      const chat = await refused(generateAssessment(CHAPTER, collectionName, BLOOMS_REQUIREMENTS));
      assert.equal(chat.status, 404);
      assert.match(chat.data.detail, /Collection not found/);
    } finally {
      pointClientAt(h.url, h.key);
    }
  });

  it('keeps open questions saved with the MCQs, and counts only the MCQs in the history, as EduMate does', async () => {
    const open = [
      {
        question_no: '1',
        bloom_level: 'create',
        question: 'Design an experiment that shows how light intensity limits photosynthesis.',
        model_answer: 'Vary the light intensity on a water plant and count the oxygen bubbles per minute.',
        explanation: 'Light intensity is one of the three classic limiting factors.',
      },
    ];
    const saved = await saveAssessment(h.key, {
      chapter_name: 'With open questions',
      bloom_factors: { remember: 1, create: 1 },
      content_json: { mcqs: result.mcqs.slice(0, 1), subjective_questions: open },
    });
    const detail = await fetchAssessmentDetail(h.key, saved.id);
    assert.deepEqual(detail.content.subjective_questions, open);
    assert.equal(detail.content.mcqs.length, 1);
    const [first] = await fetchAssessmentHistory(h.key);
    assert.equal(first.id, saved.id);
    assert.equal(first.questions, 1);
    // A number (EduMate's schema says str) is kept as its string.
    const numbered = await saveAssessment(h.key, {
      chapter_name: 'Numbered open question',
      bloom_factors: { create: 1 },
      content_json: { mcqs: [], subjective_questions: [{ ...open[0], question_no: 7 }] },
    });
    const read = await fetchAssessmentDetail(h.key, numbered.id);
    assert.equal(read.content.subjective_questions[0].question_no, '7');
  });
});

describe("EduMate's routes refuse bad input with a 4xx in the {detail} envelope", () => {
  it('POST /chunking without a file, with a form that has none, or with doc_path: 400 saying to send "file"', async () => {
    const empty = await refused(axios.post('/chunking', null));
    assert.equal(empty.status, 400);
    assert.match(empty.data.detail, /"file"/);
    const raw = await refused(
      axios.post('/chunking', 'Photosynthesis makes sugar.', { headers: { 'Content-Type': 'text/plain' } }),
    );
    assert.equal(raw.status, 400);
    assert.match(raw.data.detail, /multipart form field "file"/);
    const form = new FormData();
    form.append('title', 'Week 1');
    const noFile = await refused(axios.post('/chunking', form));
    assert.equal(noFile.status, 400);
    assert.match(noFile.data.detail, /no file/);
    const docPath = await refused(axios.post('/chunking', null, { params: { doc_path: '/etc' } }));
    assert.equal(docPath.status, 400);
    assert.match(docPath.data.detail, /doc_path/);
  });

  it('POST /chunking with a file type that cannot be read: 415', async () => {
    const exe = new File([new Uint8Array([0x4d, 0x5a, 0, 1])], 'virus.exe', {
      type: 'application/x-msdownload',
    });
    const response = await refused(uploadFile(exe));
    assert.equal(response.status, 415);
    assert.equal(typeof response.data.detail, 'string');
  });

  it('GET /chunking/status: a document still waiting for its file is "queued"', async () => {
    const created = await h.call('POST', '/documents', { filename: 'later.pdf', size_bytes: 1000 });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(await pollChunkingStatus(created.body.document_id), { status: 'queued' });
  });

  it('GET /chunking/status: job_id missing is a 400; an unknown one {"status": null}; a failed ingestion failed with the error', async () => {
    const missing = await refused(axios.get('/chunking/status'));
    assert.equal(missing.status, 400);
    assert.match(missing.data.detail, /query\.job_id/);
    assert.deepEqual(await pollChunkingStatus('00000000-0000-4000-8000-000000000000'), { status: null });
    assert.deepEqual(await pollChunkingStatus('edu_mate_0123456789abcdef'), { status: null });
    const scanned = await uploadFile(
      new File([await makeImageOnlyPdf()], 'scanned.pdf', { type: 'application/pdf' }),
    );
    const { s } = await pollUntil(
      () => pollChunkingStatus(scanned.job_id),
      (s) => s.status === 'chunked' || s.status === 'failed',
    );
    assert.equal(s.status, 'failed');
    assert.match(s.error, /no text could be extracted/);
    // And chat on it says why there is nothing to ground questions in.
    const chat = await refused(generateAssessment('cells', scanned.collection_name, '1 remember'));
    assert.equal(chat.status, 409);
    assert.match(chat.data.detail, /failed to index/);
  });

  it('POST /chat: query or collection_name missing is a 400, an unknown collection a 404, a bad mix or language a 400', async () => {
    const noQuery = await refused(axios.post('/chat', null, { params: { collection_name: 'x' } }));
    assert.equal(noQuery.status, 400);
    assert.match(noQuery.data.detail, /query\.query/);
    const noCollection = await refused(axios.post('/chat', null, { params: { query: 'cells' } }));
    assert.equal(noCollection.status, 400);
    assert.match(noCollection.data.detail, /query\.collection_name/);
    const unknown = await refused(generateAssessment('cells', 'edu_mate_0123456789abcdef', '1 remember'));
    assert.equal(unknown.status, 404);
    assert.match(unknown.data.detail, /Collection not found/);
    const badMix = await refused(generateAssessment('cells', 'edu_mate_0123456789abcdef', '5 memorize'));
    assert.equal(badMix.status, 400);
    assert.match(badMix.data.detail, /Unknown Bloom level "memorize"/);
    const badLanguage = await refused(
      axios.post('/chat', null, {
        params: { query: 'cells', collection_name: 'edu_mate_0123456789abcdef', language: 'French' },
      }),
    );
    assert.equal(badLanguage.status, 400);
    assert.match(badLanguage.data.detail, /query\.language: must be an ISO 639-1 language code/);
  });

  it('POST /api/assessments/save: each field missing or malformed is a 400 naming it', async () => {
    const question = {
      question: 'Where does the Calvin cycle take place?',
      options: ['Stroma', 'Thylakoid', 'Nucleus', 'Mitochondrion'],
      correct_answer: 'Stroma',
      bloom_level: 'remember',
      explanation: 'Page 3.',
    };
    const good = {
      chapter_name: 'Cells',
      bloom_factors: { remember: 1 },
      content_json: { mcqs: [question] },
    };
    const cases: [unknown, RegExp][] = [
      [{ ...good, chapter_name: undefined }, /body\.chapter_name: is required/],
      [{ ...good, chapter_name: '  ' }, /body\.chapter_name: must not be empty/],
      [{ ...good, bloom_factors: 'remember' }, /body\.bloom_factors: must be an object/],
      [{ ...good, bloom_factors: { memorize: 2 } }, /body\.bloom_factors\.memorize: is not a Bloom level/],
      [{ ...good, bloom_factors: { remember: -1 } }, /body\.bloom_factors\.remember: must be 0 or more/],
      [{ ...good, content_json: 'questions' }, /body\.content_json: must be the result of a finished job/],
      [{ ...good, content_json: {} }, /body\.content_json\.mcqs: is required/],
      [{ ...good, content_json: { mcqs: [] } }, /body\.content_json: holds no questions/],
      [{ ...good, content_json: { questions: [question] } }, /body\.content_json/],
      [
        { ...good, content_json: { mcqs: [{ ...question, options: question.options.slice(0, 3) }] } },
        /body\.content_json\.mcqs\.0\.options: must be exactly four options/,
      ],
      [
        { ...good, content_json: { mcqs: [{ ...question, correct_answer: 'Golgi' }] } },
        /body\.content_json\.mcqs\.0\.correct_answer: must be exactly one of the options/,
      ],
      [
        { ...good, content_json: { mcqs: [question], subjective_questions: [{ question: 'Why?' }] } },
        /body\.content_json\.subjective_questions\.0\.(bloom_level|model_answer)/,
      ],
      [{ ...good, extra: 1 }, /extra/],
    ];
    for (const [body, message] of cases) {
      const response = await refused(saveAssessment(h.key, body as never));
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.match(response.data.detail, message, JSON.stringify(body));
    }
    // The good body is saved, so the cases above failed for their one fault only.
    assert.equal((await saveAssessment(h.key, good)).status, 'saved');
  });

  it('GET /api/assessments/{id}: an id that names no assessment is a 404 "Assessment not found"', async () => {
    for (const id of ['42', '00000000-0000-4000-8000-000000000000']) {
      const response = await refused(fetchAssessmentDetail(h.key, id));
      assert.equal(response.status, 404);
      assert.deepEqual(response.data, { detail: 'Assessment not found' });
    }
  });

  it('without any key: 401 from the gateway', async () => {
    pointClientAt(h.url, null);
    try {
      const response = await refused(fetchAssessmentHistory(null));
      assert.equal(response.status, 401);
    } finally {
      pointClientAt(h.url, h.key);
    }
  });
});
