/**
 * The Content Generator API end to end, through HTTP on the local stack: the seed's cURL
 * request, a 15-lesson course in parallel stages, jobs, templates, economy, stats, webhooks
 * with signatures and retries, and the seed's error codes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { verifySignature } from '#content/webhook-signing.ts';
import { resetConfig } from '#platform/config.ts';
import { type Harness, startHarness } from '../support/e2e.ts';

let h: Harness;

const fixture = async (name: string) =>
  JSON.parse(await readFile(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));

/** A course structure as the granulator sends it: 3 modules of 5 lessons. */
function course(topic: string, extra: Record<string, unknown> = {}) {
  return {
    action: 'generate',
    input: {
      granulatorJobId: 7,
      topic,
      structureType: 'course',
      structure: {
        modules: [1, 2, 3].map((m) => ({
          title: `Module ${m}`,
          lessons: [1, 2, 3, 4, 5].map((l) => ({ title: `Lesson ${m}.${l}` })),
        })),
      },
      wordCountEstimates: { total: 6000 },
      contentMetadata: {},
      ...extra,
    },
  };
}

async function poll(id: number, key?: string) {
  for (let i = 0; i < 600; i++) {
    const response = await h.call('GET', `/api/jobs/${id}/status`, undefined, key ?? h.key);
    assert.equal(response.status, 200, response.text);
    if (['completed', 'failed', 'cancelled'].includes(response.body.data.status)) return response.body.data;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`content job ${id} did not finish`);
}

beforeAll(async () => {
  // Polling in tests is fast; the per-key request limit has a test of its own below.
  h = await startHarness({
    settings: { llmMaxConcurrency: 4 },
    env: { CONTENT_REQUESTS_PER_MINUTE: '100000' },
  });
});

afterAll(async () => {
  await h?.stop();
});

describe('POST /api/execute', () => {
  it("answers the seed's cURL request (its headers, an empty structure outlined first) with the seed's success body", async () => {
    // The seed's example authenticates the worker way; only the token is this service's key.
    const raw = await fetch(`${h.url}/api/execute`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${h.key}`,
        'X-Worker-ID': 'your-worker',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify(await fixture('content-request-curl.json')),
    });
    const response = { status: raw.status, headers: raw.headers, text: await raw.text() };
    assert.equal(response.status, 200, response.text);
    const body = JSON.parse(response.text);
    assert.equal(body.success, true);
    assert.deepEqual(Object.keys(body), [
      'success',
      'output',
      'usage',
      'duration',
      'cost',
      'metadata',
      'data',
    ]);
    // The original worker's envelope around the same body (its test-working.sh reads data.output).
    const { data, ...seedBody } = body;
    assert.deepEqual(data, seedBody);
    assert.equal(body.output.topic, 'Python Basics');
    assert.equal(body.output.structureType, 'course');
    assert.equal(body.output.granulatorJobId, 123);
    assert.ok(Number.isInteger(body.output.jobId));
    const content = body.output.content ?? body.output.contentReference;
    assert.ok(content, 'content inline or by reference');
    if (body.output.content) {
      assert.ok(body.output.content.courseContent.modules.length >= 1);
      assert.ok(body.output.content.metadata.totalWords > 0);
    }
    for (const metric of ['overallScore', 'readability', 'coherence', 'completeness', 'topicRelevance']) {
      assert.equal(typeof body.output.qualityMetrics[metric], 'number', metric);
    }
    assert.ok(body.usage.tokens.input > 0 && body.usage.tokens.output > 0);
    assert.equal(body.metadata.aiProvider, 'google');
    assert.ok(response.headers.get('x-ratelimit-limit'));
    assert.ok(response.headers.get('x-ratelimit-remaining'));
    assert.ok(response.headers.get('x-ratelimit-reset'));
  });

  it("runs the seed's JavaScript example unchanged but for host and key (OpenAI config, granulator output)", async () => {
    const granulatorOutput = {
      structure: course('Python Basics').input.structure,
      wordCountEstimates: {
        total: 3000,
        bySection: { lessonContent: 2400, assessments: 600 },
        byPriority: {},
      },
      contentMetadata: { targetAudience: 'beginners' },
    };
    const response = await fetch(`${h.url}/api/execute`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${h.key}`,
        'X-Worker-ID': 'your-worker',
        'Content-Type': 'application/json',
      },
      body: JSON.stringify({
        action: 'generate',
        input: {
          granulatorJobId: 123,
          topic: 'Python Basics',
          structureType: 'course',
          structure: granulatorOutput.structure,
          wordCountEstimates: granulatorOutput.wordCountEstimates,
          contentMetadata: granulatorOutput.contentMetadata,
        },
        config: { aiProvider: 'openai', aiModel: 'gpt-4o-mini', temperature: 0.7 },
      }),
    });
    const result = (await response.json()) as any;
    assert.equal(response.status, 200, JSON.stringify(result));
    assert.equal(result.success, true);
    assert.equal(result.output.granulatorJobId, 123);
    assert.equal(result.output.summary.totalSections > 0, true);
    // Only Gemini is called; the answer says which model did the work.
    assert.equal(result.metadata.aiProvider, 'google');
    const job = await h.call('GET', `/api/jobs/${result.output.jobId}`);
    assert.equal(job.status, 200, 'the Bearer key owns the job, as X-API-Key does');
  });

  it('generates a 15-lesson course in parallel stages, never above the concurrency setting', async () => {
    h.stack.simulator?.resetStats();
    h.stack.simulator?.configure({ latencyMs: { min: 40, max: 40 } });
    try {
      const response = await h.call('POST', '/api/execute', course('Cloud computing'));
      assert.equal(response.status, 200, response.text);
      const stats = h.stack.simulator?.stats();
      assert.ok(stats && stats.peakInFlight > 1, `sections ran in parallel (peak ${stats?.peakInFlight})`);
      assert.ok(stats && stats.peakInFlight <= 4, `never above the setting (peak ${stats?.peakInFlight})`);
      const output = response.body.output;
      assert.equal(output.summary.totalSections, 26);
      const modules = output.content?.courseContent?.modules;
      if (modules) {
        assert.deepEqual(
          modules.map((m: any) => m.lessons.length),
          [5, 5, 5],
        );
      }
    } finally {
      h.stack.simulator?.configure({ latencyMs: { min: 0, max: 0 } });
    }
  });

  it('answers 202 with where to poll when the job outlasts the wait, then serves status and content', async () => {
    process.env.SYNC_WAIT_SECONDS = '0';
    resetConfig();
    try {
      const response = await h.call('POST', '/api/execute', course('Databases'));
      assert.equal(response.status, 202, response.text);
      const id = response.body.data.jobId;
      assert.equal(response.headers.get('location'), `/api/jobs/${id}/status`);
      const early = await h.call('GET', `/api/jobs/${id}/content`);
      if (early.body.data === undefined) {
        assert.equal(early.status, 400);
        assert.equal(early.body.error, 'Content not available');
      }
      const status = await poll(id);
      assert.equal(status.status, 'completed');
      assert.equal(status.progress.percentage, 100);
      assert.equal(status.progress.totalSections, 26);
      assert.ok(status.metrics.tokensUsed > 0);
      const content = await h.call('GET', `/api/jobs/${id}/content`);
      assert.equal(content.status, 200);
      assert.equal(content.body.data.jobId, id);
      assert.ok(content.body.data.content.courseContent);
      const details = await h.call('GET', `/api/jobs/${id}`);
      assert.equal(details.body.data.job.id, id);
      assert.equal(details.body.data.sections.total, 26);
      assert.equal(details.body.data.sections.completed, 26);
      assert.equal(typeof details.body.data.job.qualityScore, 'number');
    } finally {
      delete process.env.SYNC_WAIT_SECONDS;
      resetConfig();
    }
  });
});

describe('structure references', () => {
  it('reads a structure from a URL (the granulator output at a presigned URL, say)', async () => {
    const structure = course('Referenced').input.structure;
    const server = createServer((req, res) => {
      if (req.url === '/structure.json')
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ structure }));
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const request = course('Referenced');
      const { structure: _inline, ...input } = request.input;
      const ok = await h.call('POST', '/api/execute', {
        ...request,
        input: {
          ...input,
          structure: {},
          structureReference: { type: 'url', location: `${base}/structure.json` },
        },
      });
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.output.summary.totalSections, 26, 'the referenced 3 × 5 course, not an outline');

      const missing = await h.call('POST', '/api/execute', {
        ...request,
        input: { ...input, structureReference: { type: 'url', location: `${base}/nope.json` } },
      });
      assert.equal(missing.status, 400);
      assert.equal(missing.body.metadata.details.code, 'INVALID_STRUCTURE');
      assert.match(missing.body.error, /HTTP 404/);
    } finally {
      server.close();
    }
  });
});

describe('jobs', () => {
  it('lists jobs with the seed pagination fields, newest first', async () => {
    const all = await h.call('GET', '/api/jobs?limit=2');
    assert.equal(all.status, 200);
    const data = all.body.data;
    assert.equal(data.pageSize, 2);
    assert.equal(data.page, 1);
    assert.equal(data.hasPrev, false);
    assert.equal(data.hasNext, data.total > 2);
    assert.ok(data.jobs.length <= 2);
    const second = await h.call('GET', '/api/jobs?limit=2&offset=2');
    assert.equal(second.body.data.page, 2);
    assert.equal(second.body.data.hasPrev, true);
    const completed = await h.call('GET', '/api/jobs?status=completed');
    assert.ok(completed.body.data.jobs.every((j: any) => j.status === 'completed'));
  });

  it('refuses to retry or cancel a completed job with the seed bodies', async () => {
    const [job] = (await h.call('GET', '/api/jobs?status=completed&limit=1')).body.data.jobs;
    const retry = await h.call('POST', `/api/jobs/${job.id}/retry`);
    assert.equal(retry.status, 400);
    assert.equal(retry.body.error, 'Job cannot be retried');
    const cancel = await h.call('POST', `/api/jobs/${job.id}/cancel`);
    assert.equal(cancel.status, 400);
    assert.equal(cancel.body.error, 'Job cannot be cancelled');
  });

  it('cancels a running job', async () => {
    process.env.SYNC_WAIT_SECONDS = '0';
    resetConfig();
    h.stack.simulator?.configure({ latencyMs: { min: 300, max: 300 } });
    try {
      const started = await h.call('POST', '/api/execute', course('Networking'));
      const id = started.body.data.jobId;
      const cancelled = await h.call('POST', `/api/jobs/${id}/cancel`);
      assert.equal(cancelled.status, 200, cancelled.text);
      assert.deepEqual(cancelled.body.data, {
        success: true,
        jobId: id,
        message: 'Job cancelled successfully',
      });
      assert.equal((await poll(id)).status, 'cancelled');
    } finally {
      delete process.env.SYNC_WAIT_SECONDS;
      resetConfig();
      h.stack.simulator?.configure({ latencyMs: { min: 0, max: 0 } });
    }
  });

  it('retries a failed job, generating only the failed sections', async () => {
    process.env.SYNC_WAIT_SECONDS = '0';
    resetConfig();
    h.stack.simulator?.configure({ latencyMs: { min: 100, max: 100 } });
    try {
      const started = await h.call('POST', '/api/execute', course('Security'));
      const id = started.body.data.jobId;
      // Let the overview and a few lessons through, then make every answer unusable.
      for (let i = 0; i < 200; i++) {
        const status = (await h.call('GET', `/api/jobs/${id}/status`)).body.data;
        if (status.progress.sectionsCompleted >= 3) break;
        await new Promise((r) => setTimeout(r, 20));
      }
      h.stack.simulator?.configure({ faults: { malformedJson: 1 }, latencyMs: { min: 0, max: 0 } });
      const first = await poll(id);
      assert.equal(first.status, 'failed', 'the sections after the switch fail');
      const before = (await h.call('GET', `/api/jobs/${id}`)).body.data;
      assert.ok(
        before.sections.failed > 0 && before.sections.completed >= 3,
        JSON.stringify(before.sections),
      );
      h.stack.simulator?.configure({ faults: { malformedJson: 0 } });
      h.stack.simulator?.resetStats();

      const retried = await h.call('POST', `/api/jobs/${id}/retry`, { config: { temperature: 0.5 } });
      assert.equal(retried.status, 200, retried.text);
      assert.deepEqual(retried.body.data, {
        success: true,
        jobId: id,
        message: 'Job queued for retry',
        retryCount: 1,
      });
      const done = await poll(id);
      assert.equal(done.status, 'completed');
      const after = (await h.call('GET', `/api/jobs/${id}`)).body.data;
      assert.equal(after.job.retryCount, 1);
      assert.equal(after.sections.completed, 26);
      const missing = 26 - before.sections.completed;
      const calls = h.stack.simulator?.stats().acceptedCalls ?? 0;
      assert.ok(
        calls <= missing * 3,
        `only the ${missing} missing sections were generated again (${calls} calls)`,
      );
    } finally {
      delete process.env.SYNC_WAIT_SECONDS;
      resetConfig();
      h.stack.simulator?.configure({ faults: { malformedJson: 0 }, latencyMs: { min: 0, max: 0 } });
    }
  });
});

describe('webhooks', () => {
  it('delivers exactly one signed completion event to a receiver that fails twice first', async () => {
    const received: { body: string; headers: IncomingMessage['headers'] }[] = [];
    let completions = 0;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        const event = JSON.parse(body);
        if (event.event === 'generation.completed') {
          completions += 1;
          if (completions <= 2) {
            res.writeHead(503).end();
            return;
          }
        }
        received.push({ body, headers: req.headers });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    try {
      const request = course('Webhooks');
      const response = await h.call('POST', '/api/execute', {
        ...request,
        config: {
          progressCallbackUrl: url,
          callbackHeaders: { Authorization: 'Bearer my-token' },
          callbackRetries: 3,
        },
      });
      assert.equal(response.status, 200, response.text);
      const { secret } = (await h.call('GET', '/api/webhooks/secret')).body.data;
      // The job is completed before its webhook goes out (with backoff between the attempts).
      const completionsAccepted = () =>
        received.filter((r) => JSON.parse(r.body).event === 'generation.completed');
      for (let i = 0; i < 200 && completionsAccepted().length === 0; i++)
        await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 300));
      const accepted = completionsAccepted();
      assert.equal(accepted.length, 1, 'one completion accepted');
      assert.equal(completions, 3, 'two failures then a success');
      const [completion] = accepted;
      assert.ok(completion);
      assert.ok(verifySignature(secret, String(completion.headers['x-webhook-signature']), completion.body));
      assert.equal(completion.headers.authorization, 'Bearer my-token');
      const event = JSON.parse(completion.body);
      assert.equal(event.jobId, response.body.output.jobId);
      assert.equal(event.status, 'completed');
      assert.ok(event.result.totalWords > 0);
      const progress = received.filter((r) => JSON.parse(r.body).event === 'generation.progress');
      assert.ok(progress.length > 0, 'progress events too');
    } finally {
      server.close();
    }
  });
});

describe('templates, economy, stats', () => {
  it('lists, filters, fetches, creates and updates templates', async () => {
    const all = await h.call('GET', '/api/templates');
    assert.ok(all.body.data.total >= 6);
    const lessons = await h.call('GET', '/api/templates?content_type=lesson&structure_type=course');
    assert.ok(lessons.body.data.templates.length >= 1);
    assert.ok(
      lessons.body.data.templates.every(
        (t: any) => t.contentType === 'lesson' && t.structureType === 'course',
      ),
    );
    const name = lessons.body.data.templates[0].name;
    const one = await h.call('GET', `/api/templates/${name}`);
    assert.equal(one.body.data.template.name, name);
    assert.ok(one.body.data.template.usageCount > 0, 'usage counted from the courses generated above');
    assert.equal(typeof one.body.data.template.avgQualityScore, 'number', 'quality of the jobs that used it');
    assert.ok(one.body.data.template.avgGenerationTimeMs >= 0);
    assert.equal(
      (await h.call('GET', '/api/templates/nope')).body.metadata.details.code,
      'TEMPLATE_NOT_FOUND',
    );
    const created = await h.call('POST', '/api/templates', {
      name: 'my_lesson',
      contentType: 'lesson',
      structureType: 'course',
      template: 'Write the lesson "{title}" about {topic} for {audience}.',
    });
    assert.equal(created.status, 201, created.text);
    assert.deepEqual(created.body.data.template.variables, ['title', 'topic', 'audience']);
    const updated = await h.call('PUT', '/api/templates/my_lesson', {
      contentType: 'lesson',
      structureType: 'course',
      template: 'Write "{title}" simply.',
    });
    assert.equal(updated.status, 200, updated.text);
    assert.deepEqual(updated.body.data.template.variables, ['title']);
  });

  it('prices the Gemini models and estimates a cost with alternatives', async () => {
    const pricing = await h.call('GET', '/api/economy/pricing');
    assert.equal(pricing.body.data.providers[0].provider, 'google');
    assert.ok(
      pricing.body.data.providers[0].models.every((m: any) => typeof m.pricing.promptRaw === 'number'),
    );
    const estimate = await h.call('POST', '/api/economy/estimate', {
      wordCount: 15000,
      structureType: 'course',
    });
    assert.equal(estimate.status, 200);
    assert.equal(estimate.body.data.estimate.tokens.total, 20000);
    assert.ok(estimate.body.data.alternatives.length > 0);
    const missing = await h.call('POST', '/api/economy/estimate', {});
    assert.equal(missing.body.metadata.details.code, 'MISSING_REQUIRED_FIELD');
  });

  it('reports stats, analytics and economy stats from the counters', async () => {
    const stats = await h.call('GET', '/api/stats');
    assert.equal(stats.status, 200);
    assert.ok(stats.body.data.overview.total_jobs >= 5);
    assert.ok(stats.body.data.overview.completed_jobs >= 4);
    const analytics = await h.call('GET', '/api/analytics?days=3');
    assert.equal(analytics.body.data.period, '3 days');
    const economy = await h.call('GET', '/api/economy/stats?days=7');
    assert.ok(economy.body.data.summary.totalJobs >= 5);
    assert.equal((await h.call('GET', '/api/analytics?days=0')).status, 400);
  });
});

describe('errors in the seed envelope', () => {
  it('MISSING_REQUIRED_FIELD names the field', async () => {
    const request = await fixture('content-request-curl.json');
    delete request.input.wordCountEstimates;
    const response = await h.call('POST', '/api/execute', request);
    assert.equal(response.status, 400);
    assert.equal(response.body.success, false);
    assert.equal(response.body.metadata.details.code, 'MISSING_REQUIRED_FIELD');
    assert.equal(response.body.metadata.details.field, 'wordCountEstimates');
    assert.ok(response.body.metadata.details.suggestion);
    assert.ok(response.body.metadata.timestamp);
  });

  it('INVALID_STRUCTURE_TYPE, JOB_NOT_FOUND', async () => {
    const request = await fixture('content-request-curl.json');
    request.input.structureType = 'poem';
    assert.equal(
      (await h.call('POST', '/api/execute', request)).body.metadata.details.code,
      'INVALID_STRUCTURE_TYPE',
    );
    const missing = await h.call('GET', '/api/jobs/999999');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'Job not found');
    assert.equal(missing.body.metadata.details.code, 'JOB_NOT_FOUND');
  });

  it('QUALITY_THRESHOLD_NOT_MET (422) when validation is required and the content falls short', async () => {
    const response = await h.call(
      'POST',
      '/api/execute',
      course('Quality', {
        contentMetadata: { qualityRequirements: { minQualityScore: 99, validationRequired: true } },
      }),
    );
    assert.equal(response.status, 422, response.text);
    assert.equal(response.body.metadata.details.code, 'QUALITY_THRESHOLD_NOT_MET');
    // Gemini 3 models are to keep their default temperature (3.6 and later ignore it): not a remedy.
    assert.equal(
      response.body.metadata.details.suggestion,
      'Lower qualityRequirements.minQualityScore, or retry with another model (config.aiModel)',
    );
    // The weakest sections were generated again, a bounded number of times, before giving up.
    assert.match(response.body.metadata.details.context, /after 2 regeneration rounds/);
  });

  it('GENERATION_FAILED (500) when the model keeps failing, AI_PROVIDER_ERROR (503) without a key', async () => {
    h.stack.simulator?.configure({ faults: { malformedJson: 1 } });
    try {
      const failed = await h.call('POST', '/api/execute', course('Failing'));
      assert.equal(failed.status, 500, failed.text);
      assert.equal(failed.body.metadata.details.code, 'GENERATION_FAILED');
      assert.match(failed.body.metadata.details.context, /chunks failed/);
    } finally {
      h.stack.simulator?.configure({ faults: { malformedJson: 0 } });
    }
    const saved = process.env.GEMINI_API_KEY;
    delete process.env.GEMINI_API_KEY;
    resetConfig();
    try {
      const noKey = await h.call('POST', '/api/execute', course('No key'));
      assert.equal(noKey.status, 503);
      assert.equal(noKey.body.metadata.details.code, 'AI_PROVIDER_ERROR');
    } finally {
      process.env.GEMINI_API_KEY = saved;
      resetConfig();
    }
  });

  it('GENERATION_FAILED names a policy stop, and no section is asked again for it', async () => {
    const sim = h.stack.simulator ?? assert.fail('runs against the simulator');
    sim.resetStats();
    sim.configure({ faults: { policyStop: 1 }, stopReason: 'SPII' });
    const failed = await h.call('POST', '/api/execute', course('Refused'));
    sim.configure({ faults: { policyStop: 0 }, stopReason: undefined });
    assert.equal(failed.status, 500, failed.text);
    const context: string = failed.body.metadata.details.context;
    assert.match(context, /Gemini stopped the answer: SPII, for section /);
    const refused = context.match(/Gemini stopped the answer: SPII/g)?.length;
    assert.equal(sim.stats().totalCalls, refused, 'one call per refused section');
  });

  it('INVALID_STRUCTURE names the field for a structure reference this service cannot read', async () => {
    const request = await fixture('content-request-full.json');
    const response = await h.call('POST', '/api/execute', request);
    assert.equal(response.status, 400, response.text);
    assert.equal(response.body.metadata.details.code, 'INVALID_STRUCTURE');
    assert.equal(response.body.metadata.details.field, 'structureReference');
  });

  it('RATE_LIMIT_EXCEEDED (429) past the per-minute limit, with the headers', async () => {
    process.env.CONTENT_REQUESTS_PER_MINUTE = '1';
    resetConfig();
    try {
      await h.call('GET', '/api/economy/pricing', undefined, h.otherKey);
      const refused = await h.call('GET', '/api/economy/pricing', undefined, h.otherKey);
      assert.equal(refused.status, 429);
      assert.equal(refused.body.metadata.details.code, 'RATE_LIMIT_EXCEEDED');
      assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
      assert.ok(refused.headers.get('retry-after'));
    } finally {
      process.env.CONTENT_REQUESTS_PER_MINUTE = '100000';
      resetConfig();
    }
  });

  it('RESOURCE_LIMIT_EXCEEDED (429) past the concurrent-jobs limit', async () => {
    process.env.CONTENT_MAX_CONCURRENT_JOBS = '1';
    process.env.SYNC_WAIT_SECONDS = '0';
    resetConfig();
    h.stack.simulator?.configure({ latencyMs: { min: 200, max: 200 } });
    try {
      const first = await h.call('POST', '/api/execute', course('Limits'));
      assert.equal(first.status, 202);
      const second = await h.call('POST', '/api/execute', course('Limits again'));
      assert.equal(second.status, 429);
      assert.equal(second.body.metadata.details.code, 'RESOURCE_LIMIT_EXCEEDED');
      await h.call('POST', `/api/jobs/${first.body.data.jobId}/cancel`);
    } finally {
      delete process.env.CONTENT_MAX_CONCURRENT_JOBS;
      delete process.env.SYNC_WAIT_SECONDS;
      resetConfig();
      h.stack.simulator?.configure({ latencyMs: { min: 0, max: 0 } });
    }
  });

  it('answers / and /help without a key; INVALID_AUTH (401) without one, INVALID_API_KEY (401) for a wrong one', async () => {
    assert.equal((await h.call('GET', '/', undefined, null)).status, 200);
    assert.equal((await h.call('GET', '/help', undefined, null)).body.success, true);
    const noKey = await h.call('GET', '/api/jobs', undefined, null);
    assert.equal(noKey.status, 401);
    assert.equal(noKey.body.success, false);
    assert.equal(noKey.body.metadata.details.code, 'INVALID_AUTH');
    const wrongKey = await h.call('GET', '/api/jobs', undefined, 'not-a-key');
    assert.equal(wrongKey.status, 401);
    assert.equal(wrongKey.body.metadata.details.code, 'INVALID_API_KEY');
  });

  it("another key cannot see this key's jobs", async () => {
    const [job] = (await h.call('GET', '/api/jobs?limit=1')).body.data.jobs;
    assert.equal((await h.call('GET', `/api/jobs/${job.id}`, undefined, h.otherKey)).status, 404);
  });
});
