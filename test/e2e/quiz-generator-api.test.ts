/**
 * The Quiz Generator API end to end, through HTTP on the local stack: the seed's endpoints,
 * its scenarios 1, 3 and 7, job cancellation, result downloads, and bad input.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { resetConfig } from '#platform/config.ts';
import { assertProductionQuestion, BASE, type Harness, startHarness, waitForJob } from '../support/e2e.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

describe('keys', () => {
  it('serves GET /health without a key', async () => {
    const response = await h.call('GET', '/health', undefined, null);
    assert.equal(response.status, 200);
    assert.equal(response.body.status, 'ok');
  });

  it('rejects a missing or wrong key on every other route with the seed envelope', async () => {
    for (const key of [null, 'not-a-key']) {
      const response = await h.call('GET', `${BASE}/api-status`, undefined, key);
      assert.equal(response.status, 401);
      assert.equal(typeof response.body.detail, 'string');
    }
  });

  it('answers an unknown path with 404 in the seed envelope', async () => {
    const response = await h.call('GET', `${BASE}/no-such-thing`);
    assert.equal(response.status, 404);
    assert.equal(typeof response.body.detail, 'string');
  });
});

describe('info endpoints', () => {
  it('GET /api-status says the key is configured', async () => {
    const response = await h.call('GET', `${BASE}/api-status`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { api_key_configured: true, message: 'Ready for generation' });
  });

  it('GET /sectors lists the five sectors with career families', async () => {
    const response = await h.call('GET', `${BASE}/sectors`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body.sectors, [
      'technology',
      'finance',
      'health_social_care',
      'education',
      'construction',
    ]);
    assert.deepEqual(response.body.sector_details.technology['Software Development'], [
      'FRONTEND_DEVELOPER',
      'BACKEND_DEVELOPER',
      'FULLSTACK_DEVELOPER',
    ]);
    assert.deepEqual(response.body.sector_details.technology.Data, [
      'DATA_SCIENTIST',
      'DATA_ANALYST',
      'ML_ENGINEER',
    ]);
  });

  it('GET /checkpoint starts empty', async () => {
    const other = await h.call('GET', `${BASE}/checkpoint`, undefined, h.otherKey);
    assert.deepEqual(other.body, { has_checkpoint: false, completed_chunks: 0, chunks: [] });
  });
});

describe('scenario 1: one career level, async', () => {
  let jobId: string;

  it('starts with 202, the seed body and a Location header', async () => {
    const response = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
    });
    assert.equal(response.status, 202);
    assert.equal(response.body.message, 'Generation started for technology/FRONTEND_DEVELOPER Level 1');
    assert.equal(response.body.job_type, 'career_level');
    assert.equal(response.body.status, 'pending');
    assert.match(response.body.job_id, /^[0-9a-f-]{36}$/);
    assert.equal(response.headers.get('location'), `${BASE}/jobs/${response.body.job_id}`);
    jobId = response.body.job_id;
  });

  it('completes with a summary, progress 100 and the execution link', async () => {
    const job = await waitForJob(h, jobId);
    assert.equal(job.status, 'completed', JSON.stringify(job));
    assert.equal(job.progress_percent, 100);
    assert.equal(job.progress_message, 'Generation complete!');
    assert.deepEqual(job.parameters, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
      language: 'en',
    });
    assert.equal(job.result_summary.questions_generated, 3);
    assert.equal(job.result_summary.chunks_completed, 1);
    assert.equal(job.result_summary.chunks_failed, 0);
    assert.ok(job.result_summary.tokens.total_tokens > 0);
    assert.equal(job.error_message, null);
    assert.ok(job.started_at && job.completed_at && job.created_at);
    assert.match(job.execution_arn, new RegExp(`:execution:[^:]+:${jobId}$`));
    assert.match(job.execution_console_url, /console\.aws\.amazon\.com\/states/);
  });

  it('serves the career level and the sector file in the seed shape', async () => {
    const level = await h.call(
      'GET',
      `${BASE}/results/sectors/technology/careers/FRONTEND_DEVELOPER/levels/1`,
    );
    assert.equal(level.status, 200);
    assert.equal(level.body.quiz_pool.length, 3);
    for (const q of level.body.quiz_pool) assertProductionQuestion(q, 1);

    const sector = await h.call('GET', `${BASE}/results/sectors/technology`);
    assert.equal(sector.status, 200);
    assert.deepEqual(Object.keys(sector.body), ['FRONTEND_DEVELOPER']);
    assert.deepEqual(Object.keys(sector.body.FRONTEND_DEVELOPER), ['level_1']);
    assert.deepEqual(sector.body.FRONTEND_DEVELOPER.level_1.quiz_pool, level.body.quiz_pool);

    const combined = await h.call('GET', `${BASE}/results/combined`);
    assert.equal(combined.status, 200);
    assert.deepEqual(combined.body.technology, sector.body);
  });

  it('records the chunk in the checkpoint', async () => {
    const response = await h.call('GET', `${BASE}/checkpoint`);
    assert.equal(response.body.has_checkpoint, true);
    assert.ok(response.body.chunks.includes('technology__FRONTEND_DEVELOPER__1'));
    assert.equal(response.body.completed_chunks, response.body.chunks.length);
  });

  it('hides the job, its results and its checkpoint from another key', async () => {
    assert.equal((await h.call('GET', `${BASE}/jobs/${jobId}`, undefined, h.otherKey)).status, 404);
    assert.equal(
      (await h.call('GET', `${BASE}/results/sectors/technology`, undefined, h.otherKey)).status,
      404,
    );
    const list = await h.call('GET', `${BASE}/jobs`, undefined, h.otherKey);
    assert.ok(!list.body.jobs.some((j: any) => j.job_id === jobId));
  });

  it('skips the chunk in a new job for the same level, and regenerates it when asked', async () => {
    const again = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
    });
    const skipped = await waitForJob(h, again.body.job_id);
    assert.equal(skipped.status, 'completed');
    assert.equal(skipped.result_summary.chunks_skipped_from_checkpoint, 1);
    assert.equal(skipped.result_summary.chunks_completed, 0);

    const forced = await h.call('POST', `${BASE}/generate/career-level/async`, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
      regenerate: true,
    });
    const regenerated = await waitForJob(h, forced.body.job_id);
    assert.equal(regenerated.result_summary.chunks_completed, 1);
    assert.equal(regenerated.result_summary.questions_generated, 3);
  });
});

describe('sync generation', () => {
  it('POST /generate/career-level answers the seed body when done in time', async () => {
    const response = await h.call('POST', `${BASE}/generate/career-level`, {
      sector: 'technology',
      career: 'BACKEND_DEVELOPER',
      level: 2,
    });
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.success, true);
    assert.equal(response.body.message, 'Generated 3 questions for technology/BACKEND_DEVELOPER Level 2');
    assert.equal(response.body.questions_generated, 3);
    assert.deepEqual(
      {
        sector: response.body.details.sector,
        career: response.body.details.career,
        level: response.body.details.level,
      },
      { sector: 'technology', career: 'BACKEND_DEVELOPER', level: 2 },
    );
  });

  it('POST /generate/soft-skills answers the seed body', async () => {
    const response = await h.call('POST', `${BASE}/generate/soft-skills`);
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.message, 'Generated 5 soft skills questions');
    assert.equal(response.body.details.type, 'soft_skills');
    const file = await h.call('GET', `${BASE}/results/soft-skills`);
    assert.equal(file.status, 200);
    const total = Object.values(file.body).reduce((n: number, topic: any) => n + topic.quiz_pool.length, 0);
    assert.equal(total, 5);
  });

  it('answers 202 with a Location when the job outlasts the wait', async () => {
    process.env.SYNC_WAIT_SECONDS = '0';
    resetConfig();
    try {
      const response = await h.call('POST', `${BASE}/generate/career-level`, {
        sector: 'technology',
        career: 'BACKEND_DEVELOPER',
        level: 3,
      });
      assert.equal(response.status, 202, response.text);
      assert.equal(response.headers.get('location'), `${BASE}/jobs/${response.body.job_id}`);
      await waitForJob(h, response.body.job_id);
    } finally {
      delete process.env.SYNC_WAIT_SECONDS;
      resetConfig();
    }
  });
});

describe('bad input gets a 4xx that says what to fix', () => {
  const cases: [string, string, unknown, number, RegExp][] = [
    [
      'unknown sector',
      '/generate/sector/async',
      { sector: 'xyz' },
      400,
      /Unknown sector: xyz.*technology, finance/,
    ],
    [
      'unknown career',
      '/generate/career-level/async',
      { sector: 'finance', career: 'PILOT', level: 1 },
      400,
      /Unknown career.*PILOT.*ACCOUNTANT/,
    ],
    [
      'level out of range',
      '/generate/career-level/async',
      { career: 'FRONTEND_DEVELOPER', level: 7 },
      400,
      /level.*1, 2, 3, 4, 5/,
    ],
    [
      'level of the wrong type',
      '/generate/career-level/async',
      { career: 'FRONTEND_DEVELOPER', level: 'one' },
      400,
      /body\.level/,
    ],
    ['missing career', '/generate/career-level/async', { level: 1 }, 400, /body\.career/],
    ['missing sector', '/generate/sector/async', {}, 400, /body\.sector/],
    ['unknown field', '/generate/sector/async', { sector: 'finance', sectr: 1 }, 400, /sectr/],
    ['malformed JSON', '/generate/sector/async', '{"sector": ', 400, /not valid JSON/],
    [
      'wrong include_soft_skills',
      '/generate/full/async',
      { include_soft_skills: 'yes' },
      400,
      /include_soft_skills/,
    ],
  ];
  for (const [name, path, body, status, detail] of cases) {
    it(`${name}: ${status}`, async () => {
      const response = await h.call('POST', `${BASE}${path}`, body);
      assert.equal(response.status, status, response.text);
      assert.match(response.body.detail, detail);
    });
  }

  it('rejects bad list parameters', async () => {
    for (const query of ['limit=0', 'limit=101', 'limit=abc', 'offset=-1', 'status=bogus']) {
      const response = await h.call('GET', `${BASE}/jobs?${query}`);
      assert.equal(response.status, 400, `${query}: ${response.text}`);
      assert.equal(typeof response.body.detail, 'string');
    }
  });

  it('answers 404 "Job not found" for unknown or malformed job ids', async () => {
    for (const id of ['550e8400-e29b-41d4-a716-446655440000', 'abc123']) {
      for (const [method, path] of [
        ['GET', `/jobs/${id}`],
        ['DELETE', `/jobs/${id}`],
        ['POST', `/jobs/${id}/cancel`],
      ] as const) {
        const response = await h.call(method, `${BASE}${path}`);
        assert.equal(response.status, 404, `${method} ${path}`);
        assert.match(response.body.detail, /Job not found/);
      }
    }
  });

  it('answers 400 for an unknown sector, career or level in result paths', async () => {
    assert.equal((await h.call('GET', `${BASE}/results/sectors/xyz`)).status, 400);
    assert.equal(
      (await h.call('GET', `${BASE}/results/sectors/technology/careers/PILOT/levels/1`)).status,
      400,
    );
    assert.equal(
      (await h.call('GET', `${BASE}/results/sectors/technology/careers/FRONTEND_DEVELOPER/levels/9`)).status,
      400,
    );
  });

  it('answers 503 when no Gemini key is configured', async () => {
    const saved = process.env.GEMINI_API_KEY;
    delete process.env.GEMINI_API_KEY;
    resetConfig();
    try {
      const status = await h.call('GET', `${BASE}/api-status`);
      assert.deepEqual(status.body, { api_key_configured: false, message: 'GEMINI_API_KEY not configured' });
      const response = await h.call('POST', `${BASE}/generate/soft-skills/async`);
      assert.equal(response.status, 503);
      assert.deepEqual(response.body, { detail: 'GEMINI_API_KEY not configured' });
    } finally {
      process.env.GEMINI_API_KEY = saved;
      resetConfig();
    }
  });
});

describe('large results', () => {
  it('answers 303 with a presigned S3 URL that serves the file', async () => {
    process.env.RESULT_INLINE_MAX_BYTES = '10';
    resetConfig();
    try {
      const response = await h.call('GET', `${BASE}/results/sectors/technology`);
      assert.equal(response.status, 303);
      const location = response.headers.get('location');
      assert.ok(location);
      assert.equal(response.body.download_url, location);
      const file = await fetch(location);
      assert.equal(file.status, 200);
      const body = (await file.json()) as Record<string, unknown>;
      assert.ok('FRONTEND_DEVELOPER' in body);
    } finally {
      delete process.env.RESULT_INLINE_MAX_BYTES;
      resetConfig();
    }
  });
});

describe('scenario 3 and cancellation', () => {
  it('lists a running job under status=running, cancels it, and refuses a second cancel', async () => {
    h.stack.simulator?.configure({ latencyMs: { min: 300, max: 300 } });
    try {
      const started = await h.call('POST', `${BASE}/generate/sector/async`, { sector: 'education' });
      assert.equal(started.status, 202);
      const jobId = started.body.job_id;
      await waitForJob(h, jobId, (job) => job.status === 'running' && job.chunks.completed >= 1);

      const running = await h.call('GET', `${BASE}/jobs?status=running`);
      const listed = running.body.jobs.find((j: any) => j.job_id === jobId);
      assert.ok(listed, 'the running job is listed');
      assert.ok(listed.progress_percent > 0 && listed.progress_percent < 100);
      assert.match(listed.progress_message, /education|chunks/);

      const cancelled = await h.call('POST', `${BASE}/jobs/${jobId}/cancel`);
      assert.equal(cancelled.status, 200);
      assert.equal(cancelled.body.status, 'cancelled');
      const job = await waitForJob(h, jobId);
      assert.equal(job.status, 'cancelled');
      assert.ok(job.chunks.completed < 45, 'cancelled before every chunk ran');

      const again = await h.call('POST', `${BASE}/jobs/${jobId}/cancel`);
      assert.equal(again.status, 409);
      assert.match(again.body.detail, /already cancelled/);
    } finally {
      h.stack.simulator?.configure({ latencyMs: { min: 0, max: 0 } });
    }
  });
  it('answers 409 to a synchronous generation whose job is cancelled while it waits', async () => {
    h.stack.simulator?.configure({ latencyMs: { min: 1000, max: 1000 } });
    process.env.SYNC_WAIT_SECONDS = '20';
    resetConfig();
    try {
      const waiting = h.call('POST', `${BASE}/generate/sector`, { sector: 'technology' });
      let jobId: string | undefined;
      for (let i = 0; i < 200 && !jobId; i++) {
        await new Promise((r) => setTimeout(r, 100));
        const running = await h.call('GET', `${BASE}/jobs?status=running`);
        jobId = running.body.jobs.find((j: any) => j.parameters?.sector === 'technology')?.job_id;
      }
      assert.ok(jobId, 'the synchronous request started a job');
      const job = await waitForJob(h, jobId, (j) => j.status === 'running' && j.chunks.completed >= 1);
      const cancelled = await h.call('POST', `${BASE}/jobs/${job.job_id}/cancel`);
      assert.equal(cancelled.status, 200);
      const response = await waiting;
      assert.equal(response.status, 409, response.text);
      assert.match(response.body.detail, /cancelled while this request waited/);
      assert.match(response.body.detail, new RegExp(job.job_id));
    } finally {
      delete process.env.SYNC_WAIT_SECONDS;
      resetConfig();
      h.stack.simulator?.configure({ latencyMs: { min: 0, max: 0 } });
    }
  });
});

describe('scenario 7: clean up old jobs', () => {
  it('deletes every completed job and leaves the generated files', async () => {
    const completed = await h.call('GET', `${BASE}/jobs?status=completed&limit=100`);
    assert.ok(completed.body.total >= 3);
    assert.equal(completed.body.jobs.length, completed.body.total);
    for (const job of completed.body.jobs) {
      assert.equal(job.status, 'completed');
      const deleted = await h.call('DELETE', `${BASE}/jobs/${job.job_id}`);
      assert.equal(deleted.status, 204);
      assert.equal((await h.call('GET', `${BASE}/jobs/${job.job_id}`)).status, 404);
    }
    const after = await h.call('GET', `${BASE}/jobs?status=completed`);
    assert.deepEqual(after.body, { jobs: [], total: 0 });
    assert.equal((await h.call('GET', `${BASE}/results/sectors/technology`)).status, 200);
  });

  it('pages newest first with limit and offset', async () => {
    const all = await h.call('GET', `${BASE}/jobs?limit=100`);
    const created = all.body.jobs.map((j: any) => j.created_at);
    assert.deepEqual(created, [...created].sort().reverse());
    const page = await h.call('GET', `${BASE}/jobs?limit=1&offset=1`);
    assert.equal(page.body.total, all.body.total);
    assert.deepEqual(
      page.body.jobs.map((j: any) => j.job_id),
      all.body.jobs.slice(1, 2).map((j: any) => j.job_id),
    );
  });
});
