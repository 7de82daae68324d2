/**
 * Document-grounded assessments end to end, through HTTP on the local stack: upload a PDF the
 * test makes, generate with a Bloom's mix, poll GET /job_status exactly as the seed documents
 * it, check counts per level, answers and cited passages, save, and keep other keys out.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { newJobRecord } from '#jobs/job.ts';
import { resetConfig } from '#platform/config.ts';
import { type Harness, startHarness } from '../support/e2e.ts';
import { makeImageOnlyPdf, makePasswordProtectedPdf, makePdf, PHOTOSYNTHESIS_PAGES } from '../support/pdf.ts';

let h: Harness;

/** What the test's PDF says, page by page: the ground truth for the cited passages. */
const PAGES = PHOTOSYNTHESIS_PAGES;

const MIX = '5 remember, 3 understand, 4 apply, 3 analyze, 2 evaluate, 3 create';
const EXPECTED: Record<string, number> = {
  remember: 5,
  understand: 3,
  apply: 4,
  analyze: 3,
  evaluate: 2,
  create: 3,
};

const squash = (text: string) => text.replace(/\s+/g, ' ').trim();

async function upload(bytes: Uint8Array, filename: string, type: string, key?: string) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), filename);
  const response = await fetch(`${h.url}/documents`, {
    method: 'POST',
    headers: { 'x-api-key': key ?? h.key },
    body: form,
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function waitForDocument(id: string, key?: string) {
  for (let i = 0; i < 400; i++) {
    const response = await h.call('GET', `/documents/${id}`, undefined, key ?? h.key);
    if (response.body.status !== 'ingesting') return response.body;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`document ${id} is still ingesting`);
}

/** Polls job_status like the seed's client, every few ms here; returns the statuses seen. */
async function pollStatus(jobId: string, key?: string) {
  const seen: string[] = [];
  for (let i = 0; i < 1200; i++) {
    const response = await h.call('GET', `/job_status?job_id=${jobId}`, undefined, key ?? h.key);
    assert.equal(response.status, 200);
    const status = response.body.status;
    if (seen.at(-1) !== status) seen.push(status);
    if (status === 'finished' || status === 'failed' || status === null) return { body: response.body, seen };
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`job ${jobId} did not finish; statuses seen: ${seen.join(', ')}`);
}

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

describe('a grounded assessment from an uploaded PDF', () => {
  let documentId: string;
  let jobId: string;
  let mcqs: any[];

  it('ingests the PDF: multipart upload, then ready with its pages and passages', async () => {
    const pdf = await makePdf(PAGES);
    const response = await upload(pdf, 'photosynthesis.pdf', 'application/pdf');
    assert.equal(response.status, 202, JSON.stringify(response.body));
    assert.equal(response.body.status, 'ingesting');
    documentId = response.body.document_id;
    const document = await waitForDocument(documentId);
    assert.equal(document.status, 'ready', document.error);
    assert.equal(document.pages, PAGES.length);
    assert.ok(document.passages >= PAGES.length);
    assert.equal(document.filename, 'photosynthesis.pdf');
  });

  it('starts with 202 {job_id, status: "queued"}', async () => {
    const response = await h.call('POST', '/generate_assessment', {
      query: 'photosynthesis',
      document_id: documentId,
      bloom_mix: MIX,
    });
    assert.equal(response.status, 202, response.text);
    assert.equal(response.body.status, 'queued');
    assert.equal(response.body.total_questions, 20);
    jobId = response.body.job_id;
  });

  it('polls job_status to {"status": "finished", "result": {"mcqs": [...]}} with the seed shape', async () => {
    const { body, seen } = await pollStatus(jobId);
    assert.equal(body.status, 'finished', JSON.stringify(body));
    assert.deepEqual(Object.keys(body), ['status', 'result']);
    assert.deepEqual(Object.keys(body.result), ['mcqs']);
    assert.ok(
      seen.every((s) => ['queued', 'started', 'finished'].includes(s)),
      seen.join(', '),
    );
    mcqs = body.result.mcqs;
    for (const q of mcqs) {
      assert.deepEqual(Object.keys(q).slice(0, 5), [
        'question',
        'options',
        'correct_answer',
        'bloom_level',
        'explanation',
      ]);
      assert.equal(q.options.length, 4);
      assert.ok(q.options.every((o: unknown) => typeof o === 'string'));
      assert.equal(
        q.options.filter((o: string) => o === q.correct_answer).length,
        1,
        'the answer is exactly one option',
      );
    }
  });

  it('holds exactly the requested count per Bloom level, without duplicates', () => {
    const counts: Record<string, number> = {};
    for (const q of mcqs) counts[q.bloom_level] = (counts[q.bloom_level] ?? 0) + 1;
    assert.deepEqual(counts, EXPECTED);
    assert.equal(new Set(mcqs.map((q) => q.question.toLowerCase())).size, mcqs.length);
  });

  it('cites, for every question, a passage that exists in the uploaded document', () => {
    for (const q of mcqs) {
      assert.equal(q.source.document_id, documentId);
      assert.match(q.source.passage_id, /^p\d+-\d+$/);
      const page = PAGES[q.source.page - 1];
      assert.ok(page, `page ${q.source.page} exists`);
      assert.ok(
        squash(page.join(' ')).includes(squash(q.source.excerpt)),
        `the excerpt of ${q.source.passage_id} is text of page ${q.source.page}`,
      );
    }
  });

  it('saves the assessment for its owner only', async () => {
    const saved = await h.call('POST', '/assessments', { job_id: jobId, title: 'Photosynthesis quiz' });
    assert.equal(saved.status, 201, saved.text);
    const id = saved.body.assessment_id;
    assert.deepEqual(saved.body.mcqs, mcqs);

    const fetched = await h.call('GET', `/assessments/${id}`);
    assert.equal(fetched.status, 200);
    assert.equal(fetched.body.title, 'Photosynthesis quiz');
    assert.deepEqual(fetched.body.mcqs, mcqs);

    for (const [method, body] of [
      ['GET', undefined],
      ['PUT', { title: 'mine now' }],
      ['DELETE', undefined],
    ] as const) {
      const other = await h.call(method, `/assessments/${id}`, body, h.otherKey);
      assert.equal(other.status, 404, `${method} with another key`);
    }
    const list = await h.call('GET', '/assessments', undefined, h.otherKey);
    assert.deepEqual(list.body, { assessments: [], total: 0 });
    const status = await h.call('GET', `/job_status?job_id=${jobId}`, undefined, h.otherKey);
    assert.deepEqual(status.body, { status: null });
    const document = await h.call('GET', `/documents/${documentId}`, undefined, h.otherKey);
    assert.equal(document.status, 404);
  });

  it('updates with edited questions, refusing an answer that is not one of the options', async () => {
    const saved = await h.call('POST', '/assessments', { job_id: jobId });
    const id = saved.body.assessment_id;
    const [first, ...rest] = mcqs;
    const bad = await h.call('PUT', `/assessments/${id}`, {
      mcqs: [{ ...first, correct_answer: 'Something else' }, ...rest],
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.detail, /mcqs\.0\.correct_answer: must be exactly one of the options/);

    const edited = {
      ...first,
      question: 'Which pigment absorbs light in chloroplasts?',
      correct_answer: ` ${first.options[2].toUpperCase()} `,
    };
    const good = await h.call('PUT', `/assessments/${id}`, { title: 'Edited', mcqs: [edited, ...rest] });
    assert.equal(good.status, 200, good.text);
    assert.equal(good.body.mcqs[0].question, 'Which pigment absorbs light in chloroplasts?');
    assert.equal(good.body.mcqs[0].correct_answer, first.options[2], "stored in the option's own spelling");

    const listed = await h.call('GET', '/assessments');
    assert.ok(
      listed.body.assessments.some(
        (a: any) => a.assessment_id === id && a.title === 'Edited' && a.question_count === 20,
      ),
    );
    assert.equal((await h.call('DELETE', `/assessments/${id}`)).status, 204);
    assert.equal((await h.call('GET', `/assessments/${id}`)).status, 404);
  });
});

describe('assessments without a document', () => {
  it('accepts the structured mix and generates from the topic alone, without sources', async () => {
    const started = await h.call('POST', '/generate_assessment', {
      topic: 'the water cycle',
      bloom_mix: { remember: 2, Understanding: 1 },
    });
    assert.equal(started.status, 202, started.text);
    const { body } = await pollStatus(started.body.job_id);
    assert.equal(body.status, 'finished');
    assert.equal(body.result.mcqs.length, 3);
    assert.ok(body.result.mcqs.every((q: any) => q.source === undefined));
  });
});

describe('job_status', () => {
  it('answers {"status": null} for an unknown or malformed job id', async () => {
    for (const id of ['abc123-def456-ghi789', '550e8400-e29b-41d4-a716-446655440000']) {
      const response = await h.call('GET', `/job_status?job_id=${id}`);
      assert.equal(response.status, 200);
      assert.deepEqual(response.body, { status: null });
    }
  });

  it('asks for job_id when it is missing', async () => {
    const response = await h.call('GET', '/job_status');
    assert.equal(response.status, 400);
    assert.match(response.body.detail, /job_id/);
  });

  it('answers {"status": "queued"} before the pipeline picks the job up', async () => {
    const jobStore = await import('#jobs/job-store.ts');
    const id = crypto.randomUUID();
    await jobStore.createJob(
      newJobRecord({
        jobId: id,
        owner: h.stack.apiKeys[0]?.id ?? '',
        jobType: 'assessment',
        parameters: { query: 'x', bloom_mix: { remember: 1 } },
        model: 'm',
        retentionSeconds: 3600,
        monthlyBudgetUsd: null,
      }),
    );
    assert.deepEqual((await h.call('GET', `/job_status?job_id=${id}`)).body, { status: 'queued' });
  });

  it('answers {"status": "started"} while it runs and "failed" with the error when the model keeps failing', async () => {
    h.stack.simulator?.configure({ latencyMs: { min: 100, max: 100 }, faults: { malformedJson: 1 } });
    try {
      const started = await h.call('POST', '/generate_assessment', {
        query: 'volcanoes',
        bloom_mix: '2 remember',
      });
      const { body, seen } = await pollStatus(started.body.job_id);
      assert.ok(seen.includes('started'), seen.join(', '));
      assert.equal(body.status, 'failed');
      assert.deepEqual(Object.keys(body), ['status', 'error']);
      assert.match(body.error, /assessment__remember__1.*not valid JSON/);
    } finally {
      h.stack.simulator?.configure({ latencyMs: { min: 0, max: 0 }, faults: { malformedJson: 0 } });
    }
  });

  it('fails a job that outlives its time limit with a clear error', async () => {
    process.env.ASSESSMENT_TIMEOUT_SECONDS = '1';
    resetConfig();
    h.stack.simulator?.configure({ latencyMs: { min: 1500, max: 1500 } });
    try {
      const started = await h.call('POST', '/generate_assessment', {
        query: 'glaciers',
        bloom_mix: '1 remember',
      });
      const { body } = await pollStatus(started.body.job_id);
      assert.deepEqual(body, { status: 'failed', error: 'Job timed out after 1 seconds' });
    } finally {
      delete process.env.ASSESSMENT_TIMEOUT_SECONDS;
      resetConfig();
      h.stack.simulator?.configure({ latencyMs: { min: 0, max: 0 } });
    }
  });

  it('treats an expired job as gone', async () => {
    const jobStore = await import('#jobs/job-store.ts');
    const started = await h.call('POST', '/generate_assessment', { query: 'tides', bloom_mix: '1 remember' });
    await pollStatus(started.body.job_id);
    const job = await jobStore.getJob(started.body.job_id);
    assert.ok(job);
    await jobStore.updateJob(job, { expires_at: Math.floor(Date.now() / 1000) - 1 });
    assert.deepEqual((await h.call('GET', `/job_status?job_id=${job.job_id}`)).body, { status: null });
  });
});

describe('bad mixes get a 400 that says what to fix', () => {
  const cases: [string, unknown, RegExp][] = [
    [
      'an unknown level',
      '5 rememberz, 3 apply',
      /Unknown Bloom level "rememberz".*remember, understand, apply/,
    ],
    ['no questions at all', '0 remember', /asks for no questions/],
    ['too many questions', '80 remember, 80 apply', /at most 100/],
    ['an unreadable part', 'five remember', /Cannot read "five remember"/],
    ['a level given twice', '2 apply, 3 apply', /given twice/],
    ['a negative count', { remember: -1 }, /whole number of 0 or more/],
    ['the wrong type', 7, /bloom_mix must be a string/],
  ];
  for (const [name, mix, detail] of cases) {
    it(name, async () => {
      const response = await h.call('POST', '/generate_assessment', { query: 'cells', bloom_mix: mix });
      assert.equal(response.status, 400, response.text);
      assert.match(response.body.detail, detail);
    });
  }

  it('a missing query or mix', async () => {
    assert.match(
      (await h.call('POST', '/generate_assessment', { bloom_mix: '1 remember' })).body.detail,
      /query/,
    );
    assert.match((await h.call('POST', '/generate_assessment', { query: 'cells' })).body.detail, /bloom_mix/);
  });

  it('an unknown document: 404', async () => {
    const response = await h.call('POST', '/generate_assessment', {
      query: 'cells',
      bloom_mix: '1 remember',
      document_id: '550e8400-e29b-41d4-a716-446655440000',
    });
    assert.equal(response.status, 404);
    assert.match(response.body.detail, /Document not found/);
  });
});

describe('bad uploads get a clear answer', () => {
  it('an unsupported type: 415 naming the supported ones', async () => {
    const response = await upload(
      new TextEncoder().encode('PK\u0003\u0004'),
      'notes.docx',
      'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
    );
    assert.equal(response.status, 415, JSON.stringify(response.body));
    assert.match(response.body.detail, /pdf/i);
  });

  it('an empty file: 400', async () => {
    const response = await upload(new Uint8Array(), 'empty.txt', 'text/plain');
    assert.equal(response.status, 400);
    assert.match(response.body.detail, /empty/);
  });

  it('a corrupt, encrypted or scanned PDF ends failed with the reason, never stuck', async () => {
    const corrupt = new TextEncoder().encode('%PDF-1.7\nthis is not really a pdf');
    const cases: [Uint8Array, RegExp][] = [
      [corrupt, /not a readable PDF/],
      [await makePasswordProtectedPdf(), /password/],
      [await makeImageOnlyPdf(), /no text could be extracted/],
    ];
    for (const [bytes, reason] of cases) {
      const response = await upload(bytes, 'bad.pdf', 'application/pdf');
      assert.equal(response.status, 202, JSON.stringify(response.body));
      const document = await waitForDocument(response.body.document_id);
      assert.equal(document.status, 'failed');
      assert.match(document.error, reason);
    }
  });

  it('a document that is not ready yet: 409', async () => {
    const created = await h.call('POST', '/documents', { filename: 'later.pdf', size_bytes: 1000 });
    assert.equal(created.status, 201, created.text);
    const response = await h.call('POST', '/generate_assessment', {
      query: 'cells',
      bloom_mix: '1 remember',
      document_id: created.body.document_id,
    });
    assert.equal(response.status, 409);
    assert.match(response.body.detail, /awaiting_upload, not ready/);
  });
});

describe('large documents through a presigned upload', () => {
  it('uploads to S3 with the URL, completes, ingests, and deletes', async () => {
    const pdf = await makePdf(PAGES);
    const created = await h.call('POST', '/documents', { filename: 'big.pdf', size_bytes: pdf.length });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.status, 'awaiting_upload');
    const early = await h.call('POST', `/documents/${created.body.document_id}/complete`);
    assert.equal(early.status, 409, 'completing before the upload says to upload first');

    const put = await fetch(created.body.upload.url, {
      method: 'PUT',
      headers: created.body.upload.headers,
      body: pdf,
    });
    assert.equal(put.status, 200, await put.text());
    const completed = await h.call('POST', `/documents/${created.body.document_id}/complete`);
    assert.equal(completed.status, 202, completed.text);
    const document = await waitForDocument(created.body.document_id);
    assert.equal(document.status, 'ready');

    const listed = await h.call('GET', '/documents');
    assert.ok(listed.body.documents.some((d: any) => d.document_id === document.document_id));
    assert.equal((await h.call('DELETE', `/documents/${document.document_id}`)).status, 204);
    assert.equal((await h.call('GET', `/documents/${document.document_id}`)).status, 404);
  });

  it('refuses a declared size above the limit with 413', async () => {
    const response = await h.call('POST', '/documents', {
      filename: 'huge.pdf',
      size_bytes: 10 * 1024 * 1024 * 1024,
    });
    assert.equal(response.status, 413);
  });
});
