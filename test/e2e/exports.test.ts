/**
 * LMS exports end to end, through HTTP on the local stack: `?format=` on the quiz results
 * routes, on job_status and on a saved assessment. Every download is read back the way an LMS
 * would (test/support/export-parsers.ts) and compared with the JSON the same route serves.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { resetConfig } from '#platform/config.ts';
import { BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';
import {
  csvQuestions,
  type ParsedQuestion,
  readAiken,
  readGift,
  readMoodleXml,
  readQti,
} from '../support/export-parsers.ts';

let h: Harness;

const LEVEL = `${BASE}/results/sectors/technology/careers/FRONTEND_DEVELOPER/levels/1`;
const SECTOR = `${BASE}/results/sectors/technology`;

const FORMATS = {
  qti21: { contentType: 'application/zip', extension: '.zip' },
  qti30: { contentType: 'application/zip', extension: '.zip' },
  moodle: { contentType: 'application/xml', extension: '.xml' },
  gift: { contentType: 'text/plain; charset=utf-8', extension: '.txt' },
  aiken: { contentType: 'text/plain; charset=utf-8', extension: '.txt' },
  csv: { contentType: 'text/csv; charset=utf-8', extension: '.csv' },
} as const;
type Format = keyof typeof FORMATS;
const FORMAT_IDS = Object.keys(FORMATS) as Format[];

interface Download {
  status: number;
  headers: Headers;
  bytes: Uint8Array;
  text: string;
}

/** A GET as a browser's download would make it, keeping the bytes (zips are binary). */
async function download(path: string, key = h.key): Promise<Download> {
  const response = await fetch(`${h.url}${path}`, { headers: { 'x-api-key': key }, redirect: 'manual' });
  const bytes = new Uint8Array(await response.arrayBuffer());
  // Buffer keeps the CSV's byte order mark, which the CSV reader insists on.
  return {
    status: response.status,
    headers: response.headers,
    bytes,
    text: Buffer.from(bytes).toString('utf8'),
  };
}

function readBack(format: Format, file: Download): ParsedQuestion[] {
  switch (format) {
    case 'qti21':
      return readQti(file.bytes, '2.1').questions;
    case 'qti30':
      return readQti(file.bytes, '3.0').questions;
    case 'moodle':
      return readMoodleXml(file.text).questions;
    case 'gift':
      return readGift(file.text).questions;
    case 'aiken':
      return readAiken(file.text);
    case 'csv':
      return csvQuestions(file.text);
  }
}

interface Expected {
  question: string;
  options: string[];
  correct: string;
  explanation: string;
}

/** Every format trims texts and writes line breaks as \n (see cleanText in lambdas/exports/bank.ts). */
const clean = (text: string) => text.replace(/\r\n?/g, '\n').trim();

function fromQuizPool(pool: any[]): Expected[] {
  return pool.map((q) => ({
    question: clean(q.question),
    options: q.options.map((o: any) => clean(o.text)),
    correct: q.correct_answer,
    explanation: clean(q.explanation ?? ''),
  }));
}

function fromMcqs(mcqs: any[]): Expected[] {
  return mcqs.map((q) => ({
    question: clean(q.question),
    options: q.options.map(clean),
    correct: 'abcd'[q.options.indexOf(q.correct_answer)] ?? '?',
    explanation: clean(q.explanation ?? ''),
  }));
}

/** The file's questions, in order, against the JSON's; Aiken carries no explanations. */
function assertSameQuestions(format: Format, file: Download, expected: Expected[]): void {
  const parsed = readBack(format, file).map((q) => ({
    question: q.question,
    options: q.options,
    correct: q.correct,
    explanation: format === 'aiken' ? '' : (q.explanation ?? ''),
  }));
  const wanted = format === 'aiken' ? expected.map((q) => ({ ...q, explanation: '' })) : expected;
  assert.deepEqual(parsed, wanted, `${format}: the questions read back`);
}

function assertAttachment(format: Format, file: Download, stem: string): void {
  assert.equal(file.status, 200, `${format}: ${file.text.slice(0, 300)}`);
  assert.equal(file.headers.get('content-type'), FORMATS[format].contentType, format);
  assert.equal(
    file.headers.get('content-disposition'),
    `attachment; filename="${stem}-${format}${FORMATS[format].extension}"`,
    format,
  );
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

describe('quiz bank exports', () => {
  let levelJson: any;
  let sectorJson: any;
  /** The sector's questions in file order: career by career, level by level. */
  let sectorExpected: Expected[];
  let levelJobId: string;

  beforeAll(async () => {
    // Level 1 of two careers: the sector file then holds more than one career.
    const jobs = await Promise.all(
      ['FRONTEND_DEVELOPER', 'DATA_SCIENTIST'].map(async (career) => {
        const started = await h.call('POST', `${BASE}/generate/career-level/async`, {
          sector: 'technology',
          career,
          level: 1,
        });
        assert.equal(started.status, 202, started.text);
        const job = await waitForJob(h, started.body.job_id);
        assert.equal(job.status, 'completed', JSON.stringify(job.result_summary ?? job.error_message));
        return job.job_id as string;
      }),
    );
    levelJobId = jobs[0] ?? '';
    levelJson = (await h.call('GET', LEVEL)).body;
    sectorJson = (await h.call('GET', SECTOR)).body;
    const pools = Object.values(sectorJson).flatMap((levels: any) =>
      Object.values(levels).map((level: any) => level.quiz_pool),
    );
    sectorExpected = fromQuizPool(pools.flat());
  });

  it('keeps JSON the default: ?format=json and the old ?format=inline answer the same body', async () => {
    for (const path of [LEVEL, SECTOR]) {
      const plain = await h.call('GET', path);
      assert.equal(plain.status, 200);
      assert.equal(plain.headers.get('content-type'), 'application/json');
      for (const format of ['json', 'inline']) {
        const same = await h.call('GET', `${path}?format=${format}`);
        assert.equal(same.status, 200);
        assert.deepEqual(same.body, plain.body, `${path}?format=${format}`);
      }
    }
    const link = await h.call('GET', `${SECTOR}?format=url`);
    assert.equal(link.status, 200);
    assert.match(link.body.download_url, /^http/);
  });

  it('exports the career level in every format, with the questions, options and answers of the JSON', async () => {
    const expected = fromQuizPool(levelJson.quiz_pool);
    assert.equal(expected.length, 3);
    for (const format of FORMAT_IDS) {
      const file = await download(`${LEVEL}?format=${format}`);
      assertAttachment(format, file, 'technology-frontend-developer-level-1');
      assertSameQuestions(format, file, expected);
    }
  });

  it('exports a sector with the questions of all its careers, in file order', async () => {
    assert.equal(Object.keys(sectorJson).length, 2, 'the sector file has both careers');
    assert.equal(sectorExpected.length, 6);
    const expected = sectorExpected;
    for (const format of ['moodle', 'csv', 'qti30'] as const) {
      const file = await download(`${SECTOR}?format=${format}`);
      assertAttachment(format, file, 'technology-quiz-bank');
      assertSameQuestions(format, file, expected);
    }
    const combined = await download(`${BASE}/results/combined?format=gift`);
    assertAttachment('gift', combined, 'all-sectors-quiz-bank');
    assertSameQuestions('gift', combined, expected);
  });

  it('answers an export too large for a response with 303 to S3, which serves the same file', async () => {
    process.env.EXPORT_INLINE_MAX_BYTES = '10';
    resetConfig();
    try {
      const response = await h.call('GET', `${SECTOR}?format=qti21`);
      assert.equal(response.status, 303, response.text);
      const location = response.headers.get('location');
      assert.ok(location);
      assert.equal(response.body.download_url, location);
      assert.equal(response.body.filename, 'technology-quiz-bank-qti21.zip');
      const file = await fetch(location);
      assert.equal(file.status, 200);
      assert.equal(file.headers.get('content-type'), 'application/zip');
      assert.equal(
        file.headers.get('content-disposition'),
        'attachment; filename="technology-quiz-bank-qti21.zip"',
      );
      const bytes = new Uint8Array(await file.arrayBuffer());
      assert.equal(bytes.byteLength, response.body.size_bytes);
      assertSameQuestions('qti21', { status: 200, headers: file.headers, bytes, text: '' }, sectorExpected);
    } finally {
      delete process.env.EXPORT_INLINE_MAX_BYTES;
      resetConfig();
    }
  });

  it('refuses an unknown format with 400 naming the formats', async () => {
    for (const path of [LEVEL, SECTOR, `${BASE}/results/combined`]) {
      const response = await h.call('GET', `${path}?format=docx`);
      assert.equal(response.status, 400);
      assert.deepEqual(response.body, {
        detail: 'Unknown format "docx"; one of: json, url, qti21, qti30, moodle, gift, aiken, csv',
      });
    }
  });

  it('answers 404 as the JSON routes do for results not generated yet or of another key', async () => {
    const missing = await h.call('GET', `${BASE}/results/sectors/finance`);
    assert.equal(missing.status, 404);
    const missingExport = await h.call('GET', `${BASE}/results/sectors/finance?format=csv`);
    assert.equal(missingExport.status, 404);
    assert.deepEqual(missingExport.body, missing.body);
    for (const path of [LEVEL, SECTOR, `${BASE}/results/combined`]) {
      const other = await h.call('GET', `${path}?format=moodle`, undefined, h.otherKey);
      assert.equal(other.status, 404, path);
      assert.equal(typeof other.body.detail, 'string');
    }
  });

  it('refuses to export a quiz job through job_status: it is not an assessment', async () => {
    const response = await h.call('GET', `/job_status?job_id=${levelJobId}&format=gift`);
    assert.equal(response.status, 400);
    assert.deepEqual(response.body, { detail: `Job ${levelJobId} is not an assessment job` });
  });
});

describe('assessment exports', () => {
  let jobId: string;
  let mcqs: any[];
  let statusBody: any;

  beforeAll(async () => {
    const started = await h.call('POST', '/generate_assessment', {
      topic: 'the water cycle',
      bloom_mix: '2 remember, 2 understand',
      title: 'Water cycle check',
    });
    assert.equal(started.status, 202, started.text);
    jobId = started.body.job_id;
    for (let i = 0; i < 400; i++) {
      statusBody = (await h.call('GET', `/job_status?job_id=${jobId}`)).body;
      if (statusBody.status !== 'queued' && statusBody.status !== 'started') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(statusBody.status, 'finished', JSON.stringify(statusBody));
    mcqs = statusBody.result.mcqs;
  });

  it("keeps job_status's seed body for ?format=json", async () => {
    const response = await h.call('GET', `/job_status?job_id=${jobId}&format=json`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, statusBody);
    assert.deepEqual(Object.keys(response.body), ['status', 'result']);
  });

  it("exports a finished job's MCQs from job_status", async () => {
    const expected = fromMcqs(mcqs);
    assert.equal(expected.length, 4);
    for (const format of ['gift', 'qti21', 'csv'] as const) {
      const file = await download(`/job_status?job_id=${jobId}&format=${format}`);
      assertAttachment(format, file, 'water-cycle-check');
      assertSameQuestions(format, file, expected);
    }
  });

  it('exports a saved assessment under its title, as edited', async () => {
    const saved = await h.call('POST', '/assessments', { job_id: jobId, title: 'Saved water cycle' });
    assert.equal(saved.status, 201, saved.text);
    const id = saved.body.assessment_id;
    const [first, ...rest] = mcqs;
    const edited = [{ ...first, question: 'Where does most evaporation happen?' }, ...rest];
    assert.equal((await h.call('PUT', `/assessments/${id}`, { mcqs: edited })).status, 200);

    const plain = await h.call('GET', `/assessments/${id}?format=json`);
    assert.equal(plain.status, 200);
    assert.equal(plain.body.mcqs[0].question, 'Where does most evaporation happen?');
    for (const format of ['aiken', 'moodle', 'qti30'] as const) {
      const file = await download(`/assessments/${id}?format=${format}`);
      assertAttachment(format, file, 'saved-water-cycle');
      assertSameQuestions(format, file, fromMcqs(plain.body.mcqs));
    }

    const other = await h.call('GET', `/assessments/${id}?format=aiken`, undefined, h.otherKey);
    assert.equal(other.status, 404);
    assert.deepEqual(other.body, { detail: `Assessment not found: ${id}` });
    const bad = await h.call('GET', `/assessments/${id}?format=pdf`);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, {
      detail: 'Unknown format "pdf"; one of: json, qti21, qti30, moodle, gift, aiken, csv',
    });
  });

  it('answers errors in the envelope: another key or an unknown job 404, an unknown format 400', async () => {
    const other = await h.call('GET', `/job_status?job_id=${jobId}&format=gift`, undefined, h.otherKey);
    assert.equal(other.status, 404);
    assert.deepEqual(other.body, { detail: `Job not found: ${jobId}` });
    const unknown = crypto.randomUUID();
    const gone = await h.call('GET', `/job_status?job_id=${unknown}&format=gift`);
    assert.equal(gone.status, 404);
    assert.deepEqual(gone.body, { detail: `Job not found: ${unknown}` });
    const bad = await h.call('GET', `/job_status?job_id=${jobId}&format=xlsx`);
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body, {
      detail: 'Unknown format "xlsx"; one of: json, qti21, qti30, moodle, gift, aiken, csv',
    });
  });

  it('answers 409 for a job that has not finished yet', async () => {
    h.stack.simulator?.configure({ latencyMs: { min: 400, max: 400 } });
    try {
      const started = await h.call('POST', '/generate_assessment', {
        topic: 'volcanoes',
        bloom_mix: '1 remember',
      });
      assert.equal(started.status, 202, started.text);
      const response = await h.call('GET', `/job_status?job_id=${started.body.job_id}&format=csv`);
      assert.equal(response.status, 409);
      assert.match(response.body.detail, /is (queued|started); only a finished assessment can be exported/);
    } finally {
      h.stack.simulator?.configure({ latencyMs: { min: 0, max: 0 } });
    }
  });
});
