/**
 * `language` end to end, through HTTP on the local stack with the Gemini simulator: a French
 * quiz-bank job records its language on the job, on each question, in its chunk key and in
 * its result files (apart from the English bank) and exports; an assessment and a content job
 * carry it; a bad code gets a 400 in each API's envelope naming the field and an example.
 *
 * The simulator answers with English placeholders whatever the prompt asks (it records no
 * prompts), so the language line of the prompt is checked by the prompt's unit tests
 * (quiz-bank-prompts, assessments-prompt); here the job must still go through.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { recordIdOf } from '#content/api/job-views.ts';
import * as jobStore from '#jobs/job-store.ts';
import { assertProductionQuestion, BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';
import { readCsv } from '../support/export-parsers.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

const LEVEL = `${BASE}/results/sectors/technology/careers/FRONTEND_DEVELOPER/levels/2`;

describe('a quiz-bank job in French', () => {
  let jobId: string;

  it('starts with language "fr" and completes, the job recording the language', async () => {
    const started = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 2,
      language: 'fr',
    });
    assert.equal(started.status, 202, started.text);
    jobId = started.body.job_id;

    const job = await waitForJob(h, jobId);

    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.deepEqual(job.parameters, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 2,
      language: 'fr',
    });
    assert.equal(job.result_summary.questions_generated, 3);
  });

  it('keeps its questions apart from the English bank: own chunk key, own results, each question marked "fr"', async () => {
    const french = await h.call('GET', `${LEVEL}?language=fr`);
    assert.equal(french.status, 200, french.text);
    assert.equal(french.body.language, 'fr');
    assert.equal(french.body.chunk_key, 'technology__FRONTEND_DEVELOPER__2__fr');
    assert.equal(french.body.job_id, jobId);
    assert.equal(french.body.quiz_pool.length, 3);
    for (const q of french.body.quiz_pool) {
      assertProductionQuestion(q, 2);
      assert.equal(q.language, 'fr');
    }

    // No English bank was generated: the English result is still missing.
    assert.equal((await h.call('GET', LEVEL)).status, 404);
    const checkpoint = await h.call('GET', `${BASE}/checkpoint`);
    assert.deepEqual(checkpoint.body.chunks, ['technology__FRONTEND_DEVELOPER__2__fr']);

    const sector = await h.call('GET', `${BASE}/results/sectors/technology?language=fr`);
    assert.equal(sector.status, 200, sector.text);
    assert.deepEqual(sector.body.FRONTEND_DEVELOPER.level_2.quiz_pool, french.body.quiz_pool);
    assert.equal((await h.call('GET', `${BASE}/results/sectors/technology`)).status, 404);
    const combined = await h.call('GET', `${BASE}/results/combined?language=fr`);
    assert.deepEqual(combined.body.technology, sector.body);
  });

  it('exports the language: a CSV column of "fr" on every row', async () => {
    const response = await fetch(`${h.url}${LEVEL}?language=fr&format=csv`, {
      headers: { 'x-api-key': h.key },
    });
    assert.equal(response.status, 200);
    // Decoded keeping the byte order mark, which the CSV reader checks for.
    const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await response.arrayBuffer());

    const { records } = readCsv(text);

    assert.equal(records.length, 3);
    assert.deepEqual(
      records.map((r) => r.language),
      ['fr', 'fr', 'fr'],
    );
  });

  it('an English job of the same career level runs its own chunk, not the French one', async () => {
    const started = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 2,
    });
    const job = await waitForJob(h, started.body.job_id);

    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.parameters.language, 'en');
    assert.equal(job.result_summary.chunks_skipped_from_checkpoint, 0);
    const english = await h.call('GET', LEVEL);
    assert.equal(english.body.chunk_key, 'technology__FRONTEND_DEVELOPER__2');
    for (const q of english.body.quiz_pool) assert.equal(q.language, 'en');
  });
});

describe('an assessment in Spanish', () => {
  it('records the language on the job and on each question of the result', async () => {
    const started = await h.call('POST', '/generate_assessment', {
      query: 'la fotosíntesis',
      bloom_mix: '2 remember',
      language: 'es',
    });
    assert.equal(started.status, 202, started.text);

    let body: any;
    for (let i = 0; i < 1200; i++) {
      body = (await h.call('GET', `/job_status?job_id=${started.body.job_id}`)).body;
      if (body.status === 'finished' || body.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }

    assert.equal(body.status, 'finished', JSON.stringify(body));
    assert.equal(body.result.mcqs.length, 2);
    for (const q of body.result.mcqs) assert.equal(q.language, 'es');
  });
});

describe('content in German', () => {
  it('records the language on the content job, and its views show it', async () => {
    const response = await fetch(`${h.url}/api/execute`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        action: 'generate',
        input: {
          topic: 'Python Grundlagen',
          structureType: 'course',
          structure: { modules: [{ title: 'Modul 1', lessons: [{ title: 'Lektion 1.1' }] }] },
          wordCountEstimates: { total: 800 },
          contentMetadata: { standardParameters: { language: 'de' } },
        },
      }),
    });
    const body = (await response.json()) as any;
    assert.equal(response.status, 200, JSON.stringify(body));

    const job = await jobStore.getJob(recordIdOf(body.output.jobId));

    assert.equal(job?.parameters.language, 'de');
    // And the Content Generator API's views of the job say so.
    const get = async (path: string) => {
      const answer = await fetch(`${h.url}${path}`, { headers: { Authorization: `Bearer ${h.key}` } });
      assert.equal(answer.status, 200, path);
      return ((await answer.json()) as any).data;
    };
    assert.equal((await get(`/api/jobs/${body.output.jobId}`)).job.language, 'de');
    const listed = (await get('/api/jobs')).jobs.find((j: any) => j.id === body.output.jobId);
    assert.equal(listed?.language, 'de');
  });
});

describe('a bad language code', () => {
  it('gets a 400 in the quiz-bank envelope naming the field and an example', async () => {
    const response = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
      language: 'French',
    });

    assert.equal(response.status, 400);
    assert.deepEqual(response.body, {
      detail:
        'body.language: must be an ISO 639-1 language code of two lower-case letters, such as "language": "fr" (default "en")',
    });
  });

  it('gets a 400 naming the primary subtag for a region tag, on the results routes too', async () => {
    const results = await h.call('GET', `${LEVEL}?language=pt-BR`);

    assert.equal(results.status, 400);
    assert.equal(
      results.body.detail,
      'query.language: must be an ISO 639-1 code alone, without region or script: "language": "pt" for "pt-BR"',
    );
  });

  it('gets a 400 in the assessments envelope', async () => {
    const response = await h.call('POST', '/generate_assessment', {
      query: 'tides',
      bloom_mix: '1 remember',
      language: 'EN',
    });

    assert.equal(response.status, 400);
    assert.match(
      response.body.detail,
      /body\.language: must be an ISO 639-1 code in lower case: "language": "en"/,
    );
  });

  it("gets a 400 in the content API's envelope, naming the field", async () => {
    const response = await fetch(`${h.url}/api/execute`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        action: 'generate',
        input: {
          topic: 'Python Basics',
          structureType: 'course',
          structure: {},
          wordCountEstimates: { total: 1000 },
          contentMetadata: { standardParameters: { language: 'english' } },
        },
      }),
    });
    const body = (await response.json()) as any;

    assert.equal(response.status, 400, JSON.stringify(body));
    assert.equal(body.success, false);
    assert.equal(body.metadata.details.field, 'contentMetadata.standardParameters.language');
    assert.match(JSON.stringify(body), /such as \\"language\\": \\"fr\\"/);
  });
});
