/**
 * The service against Gemini as a deployed stack meets it: `GEMINI_API_KEY` and
 * `GEMINI_BASE_URL` pointing at a front (a gateway or proxy) that answers as Gemini's
 * documentation says, here the simulator in its strict form, started on its own and requiring
 * its key. A career level, a batch-mode job, a course sent without `config`, and a document
 * upload with an assessment on it all complete, and each job records exactly the thought
 * tokens the API reported: thinking is billed as output and must not go missing.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { getJob } from '#jobs/job-store.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/server.ts';
import { BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';
import { makePdf } from '../support/pdf.ts';

const FRONT_KEY = 'front-key-for-the-e2e-test';
let front: GeminiSimulator;
let h: Harness;

beforeAll(async () => {
  front = await startGeminiSimulator({
    apiKey: FRONT_KEY,
    seed: 11,
    latencyMs: { min: 1, max: 5 },
    batchLatencyMs: 500,
  });
  h = await startHarness({
    gemini: { apiKey: FRONT_KEY, baseUrl: front.url },
    settings: { batchPollSeconds: 1 },
    env: { CONTENT_REQUESTS_PER_MINUTE: '100000' },
  });
});

afterAll(async () => {
  await h?.stop();
  await front?.close();
});

/** The thought tokens the front reported since its last reset, interactive and batch. */
function reportedThoughts(): number {
  const stats = front.stats();
  return stats.thoughtsTokens + stats.batches.thoughtsTokens;
}

async function recordedThoughts(jobId: string): Promise<number> {
  const job = await getJob(jobId);
  assert.ok(job, `no job record ${jobId}`);
  return job.thinking_tokens;
}

describe('Gemini behind GEMINI_BASE_URL, with GEMINI_API_KEY', () => {
  it('is the only Gemini the stack talks to', () => {
    assert.equal(h.stack.simulator, undefined);
  });

  it('completes a career level and records the thought tokens the API reported', async () => {
    front.resetStats();
    const started = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 2,
    });
    assert.equal(started.status, 202, started.text);
    const job = await waitForJob(h, started.body.job_id);
    assert.equal(job.status, 'completed', job.error_message);
    assert.ok(front.stats().totalCalls > 0);
    const reported = reportedThoughts();
    assert.ok(reported > 0, 'the front reported no thought tokens: thinking is not on');
    assert.equal(await recordedThoughts(started.body.job_id), reported);
  });

  it('completes a batch-mode job and records the thought tokens the batches reported', async () => {
    front.resetStats();
    const started = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'finance',
      career:
        Object.keys((await h.call('GET', `${BASE}/sectors/finance`)).body.careers ?? {})[0] ??
        'FINANCIAL_ANALYST',
      level: 1,
      mode: 'batch',
    });
    assert.equal(started.status, 202, started.text);
    const job = await waitForJob(h, started.body.job_id, undefined, 180_000);
    assert.equal(job.status, 'completed', job.error_message);
    const stats = front.stats();
    assert.equal(stats.totalCalls, 0, 'a batch-mode job made interactive calls');
    assert.ok(stats.batches.created > 0);
    const reported = reportedThoughts();
    assert.ok(reported > 0);
    assert.equal(await recordedThoughts(started.body.job_id), reported);
  });

  it('completes a course sent without config, with every section whole', async () => {
    front.resetStats();
    const response = await h.call('POST', '/api/execute', {
      action: 'generate',
      input: {
        topic: 'Python Basics',
        structureType: 'course',
        structure: {
          modules: [1, 2].map((m) => ({
            title: `Module ${m}`,
            lessons: [1, 2].map((l) => ({ title: `Lesson ${m}.${l}` })),
          })),
        },
        wordCountEstimates: { total: 3000 },
      },
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.success, true, response.text);
    const stats = front.stats();
    // No section ran out of output tokens: thoughts have their own headroom.
    assert.equal(stats.outcomes.truncated, 0, JSON.stringify(stats.outcomes));
    const id = response.body.output.jobId;
    const reported = reportedThoughts();
    assert.ok(reported > 0);
    assert.equal(await recordedThoughts(`content-${id}`), reported);
  });

  it('ingests an uploaded document and completes an assessment on it', async () => {
    front.resetStats();
    const form = new FormData();
    const pdf = await makePdf([
      ['Photosynthesis turns light energy into chemical energy in the chloroplasts.'],
      ['The Calvin cycle fixes carbon dioxide into sugars in the stroma.'],
    ]);
    form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'photosynthesis.pdf');
    const uploaded = await fetch(`${h.url}/documents`, {
      method: 'POST',
      headers: { 'x-api-key': h.key },
      body: form,
    });
    const document = (await uploaded.json()) as { document_id: string };
    assert.equal(uploaded.status, 202, JSON.stringify(document));
    let status: any;
    for (let i = 0; i < 400; i++) {
      status = (await h.call('GET', `/documents/${document.document_id}`)).body;
      if (status.status !== 'ingesting') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status.status, 'ready', status.error);
    assert.ok(front.stats().embeddings.texts > 0);

    front.resetStats();
    const started = await h.call('POST', '/generate_assessment', {
      query: 'photosynthesis',
      document_id: document.document_id,
      bloom_mix: '2 remember, 2 apply',
    });
    assert.equal(started.status, 202, started.text);
    let result: any;
    for (let i = 0; i < 1200; i++) {
      result = (await h.call('GET', `/job_status?job_id=${started.body.job_id}`)).body;
      if (result.status === 'finished' || result.status === 'failed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(result.status, 'finished', JSON.stringify(result));
    const reported = reportedThoughts();
    assert.ok(reported > 0);
    assert.equal(await recordedThoughts(started.body.job_id), reported);
  });
});
