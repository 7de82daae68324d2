import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, describe, it } from 'vitest';
import { buildEvent, type WebhookEvent } from '#content/webhook-events.ts';
import { signPayload, verifySignature } from '#content/webhook-signing.ts';
import {
  backoffDelayMs,
  callerHeaders,
  deliver,
  parseRetryAfter,
  webhookSecretFor,
} from '#content/webhooks.ts';
import { resetConfig } from '#platform/config.ts';

const SECRET = 'whsec_test_secret';
const AT = new Date('2025-01-08T10:00:18.123Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const progressEvent = () =>
  buildEvent(
    'generation.progress',
    {
      jobId: 456,
      status: 'running',
      progress: {
        percentage: 67,
        sectionsCompleted: 10,
        totalSections: 15,
        currentSection: 'module_3_lesson_2',
      },
    },
    AT,
  );

describe('buildEvent', () => {
  it('builds the seed progress payload with a delivery id', () => {
    const event = progressEvent();

    const { deliveryId, ...rest } = event;
    assert.match(deliveryId, UUID);
    assert.deepEqual(rest, {
      event: 'generation.progress',
      jobId: 456,
      status: 'processing',
      progress: {
        percentage: 67,
        sectionsCompleted: 10,
        totalSections: 15,
        currentSection: 'module_3_lesson_2',
      },
      timestamp: '2025-01-08T10:00:18Z',
    });
  });

  it('builds the seed completion payload', () => {
    const event = buildEvent(
      'generation.completed',
      { jobId: 456, status: 'completed', result: { totalWords: 15234, qualityScore: 92, costUsd: 0.075 } },
      new Date('2025-01-08T10:00:30Z'),
    );

    const { deliveryId, ...rest } = event;
    assert.match(deliveryId, UUID);
    assert.deepEqual(rest, {
      event: 'generation.completed',
      jobId: 456,
      status: 'completed',
      result: { totalWords: 15234, qualityScore: 92, costUsd: 0.075 },
      timestamp: '2025-01-08T10:00:30Z',
    });
  });

  it('builds the failure payload with the error code and message', () => {
    const event = buildEvent(
      'generation.failed',
      { jobId: 7, status: 'failed', error: { code: 'GENERATION_FAILED', message: 'AI generation failed' } },
      AT,
    );

    const { deliveryId: _id, ...rest } = event;
    assert.deepEqual(rest, {
      event: 'generation.failed',
      jobId: 7,
      status: 'failed',
      error: { code: 'GENERATION_FAILED', message: 'AI generation failed' },
      timestamp: '2025-01-08T10:00:18Z',
    });
  });

  it('gives every event its own delivery id', () => {
    const ids = new Set(Array.from({ length: 50 }, () => progressEvent().deliveryId));

    assert.equal(ids.size, 50);
  });

  it('refuses an event without the part its kind needs', () => {
    assert.throws(() => buildEvent('generation.completed', { jobId: 1, status: 'completed' }), /job\.result/);
    assert.throws(() => buildEvent('generation.failed', { jobId: 1, status: 'failed' }), /job\.error/);
  });
});

describe('signatures', () => {
  const body = JSON.stringify(progressEvent());
  const now = 1_736_330_418;

  it('verifies what it signed', () => {
    const header = signPayload(SECRET, body, now);

    assert.match(header, /^t=1736330418,v1=[0-9a-f]{64}$/);
    assert.equal(verifySignature(SECRET, header, body, 300, now + 10), true);
  });

  it('is HMAC-SHA256 of "<t>.<body>", so receivers can check it with any library', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', SECRET).update(`${now}.${body}`).digest('hex');

    assert.equal(signPayload(SECRET, body, now), `t=${now},v1=${expected}`);
  });

  it('rejects a tampered body, another secret and a changed timestamp', () => {
    const header = signPayload(SECRET, body, now);

    assert.equal(verifySignature(SECRET, header, body.replace('67', '68'), 300, now), false);
    assert.equal(verifySignature('whsec_other', header, body, 300, now), false);
    assert.equal(verifySignature(SECRET, header.replace(`t=${now}`, `t=${now + 1}`), body, 300, now), false);
  });

  it('rejects a replay outside the tolerance, either way', () => {
    const header = signPayload(SECRET, body, now);

    assert.equal(verifySignature(SECRET, header, body, 300, now + 300), true);
    assert.equal(verifySignature(SECRET, header, body, 300, now + 301), false);
    assert.equal(verifySignature(SECRET, header, body, 300, now - 301), false);
  });

  it('rejects missing and malformed headers', () => {
    const v1 = signPayload(SECRET, body, now).split(',')[1] ?? '';

    for (const header of [
      undefined,
      null,
      '',
      `v1=${v1.slice(3)}`,
      `t=${now}`,
      `t=abc,${v1}`,
      `t=${now},v1=xyz`,
    ]) {
      assert.equal(verifySignature(SECRET, header, body, 300, now), false, String(header));
    }
  });

  it('accepts any of several v1 values (secret rotation)', () => {
    const good = signPayload(SECRET, body, now).split(',')[1] ?? '';
    const other = signPayload('whsec_old', body, now).split(',')[1] ?? '';

    assert.equal(verifySignature(SECRET, `t=${now},${other},${good}`, body, 300, now), true);
  });
});

describe('webhookSecretFor', () => {
  const original = process.env.WEBHOOK_SIGNING_SECRET;
  afterEach(() => {
    if (original === undefined) delete process.env.WEBHOOK_SIGNING_SECRET;
    else process.env.WEBHOOK_SIGNING_SECRET = original;
    resetConfig();
  });

  it('derives a stable secret per owner from the service secret', () => {
    process.env.WEBHOOK_SIGNING_SECRET = 'a'.repeat(64);
    resetConfig();
    const first = webhookSecretFor('key-1');

    assert.match(first, /^whsec_[0-9a-f]{64}$/);
    assert.equal(webhookSecretFor('key-1'), first);
    assert.notEqual(webhookSecretFor('key-2'), first);
    process.env.WEBHOOK_SIGNING_SECRET = 'b'.repeat(64);
    resetConfig();
    assert.notEqual(webhookSecretFor('key-1'), first);
  });

  it('fails fast without a long enough service secret', () => {
    delete process.env.WEBHOOK_SIGNING_SECRET;
    resetConfig();
    assert.throws(() => webhookSecretFor('key-1'), /WEBHOOK_SIGNING_SECRET/);
    process.env.WEBHOOK_SIGNING_SECRET = 'short';
    resetConfig();
    assert.throws(() => webhookSecretFor('key-1'), /at least 32/);
  });
});

describe('helpers', () => {
  it('keeps the caller headers except reserved and malformed ones', () => {
    const kept = callerHeaders({
      Authorization: 'Bearer your-token',
      'X-Custom': 'yes',
      Host: 'evil.example',
      'user-agent': 'spoof',
      'X-Webhook-Signature': 't=1,v1=00',
      'Content-Length': '1',
      'Bad Name': 'x',
      'X-Newline': 'a\r\nInjected: 1',
    });

    assert.deepEqual(kept, { Authorization: 'Bearer your-token', 'X-Custom': 'yes' });
  });

  it('backs off exponentially with jitter, capped', () => {
    assert.equal(
      backoffDelayMs(1, 1000, 30_000, () => 0),
      500,
    );
    assert.equal(
      backoffDelayMs(1, 1000, 30_000, () => 1),
      1000,
    );
    assert.equal(
      backoffDelayMs(3, 1000, 30_000, () => 1),
      4000,
    );
    assert.equal(
      backoffDelayMs(10, 1000, 30_000, () => 1),
      30_000,
    );
  });

  it('reads Retry-After as seconds or as a date', () => {
    const now = Date.parse('2025-01-08T10:00:00Z');

    assert.equal(parseRetryAfter('7', now), 7000);
    assert.equal(parseRetryAfter('Wed, 08 Jan 2025 10:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A callback receiver on loopback answering from `respond`; records every request. */
async function receiver(respond: (n: number, res: import('node:http').ServerResponse) => void) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      respond(received.length, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  servers.push(server);
  return { received, port, url: `http://127.0.0.1:${port}/hooks/quizgen?source=test` };
}

const servers: Server[] = [];
afterAll(async () => {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => resolve());
        }),
    ),
  );
});

const fast = { secret: SECRET, allowPrivate: true, backoffBaseMs: 5, backoffMaxMs: 50, timeoutMs: 2000 };

function answer(status: number, headers: Record<string, string> = {}) {
  return (res: import('node:http').ServerResponse) => {
    res.writeHead(status, headers);
    res.end(status >= 400 ? 'no' : 'ok');
  };
}

describe('deliver', () => {
  it('retries two 503s and delivers on the third attempt, same delivery id, each signed', async () => {
    const hook = await receiver((n, res) => answer(n <= 2 ? 503 : 200)(res));
    const event: WebhookEvent = progressEvent();

    const result = await deliver(hook.url, { Authorization: 'Bearer your-token' }, event, fast);

    assert.deepEqual(result, {
      delivered: true,
      attempts: 3,
      lastStatus: 200,
      lastError: null,
      deliveryId: event.deliveryId,
    });
    assert.equal(hook.received.length, 3);
    for (const request of hook.received) {
      assert.equal(request.body, JSON.stringify(event));
      assert.equal(request.headers['x-webhook-id'], event.deliveryId);
      assert.equal(request.headers['x-webhook-event'], 'generation.progress');
      assert.equal(request.headers['user-agent'], 'quizgen-webhooks/1');
      assert.equal(request.headers['content-type'], 'application/json');
      assert.equal(request.headers.authorization, 'Bearer your-token');
      const signature = request.headers['x-webhook-signature'];
      assert.equal(typeof signature, 'string');
      assert.equal(verifySignature(SECRET, signature as string, request.body), true);
    }
  });

  it('does not retry a 400', async () => {
    const hook = await receiver((_n, res) => answer(400)(res));

    const result = await deliver(hook.url, {}, progressEvent(), fast);

    assert.equal(hook.received.length, 1);
    assert.deepEqual(
      { delivered: result.delivered, attempts: result.attempts, lastStatus: result.lastStatus },
      { delivered: false, attempts: 1, lastStatus: 400 },
    );
    assert.equal(result.lastError, 'HTTP 400');
  });

  it('retries 408 and 429 like 5xx, and stops after the configured retries', async () => {
    const statuses = [408, 429, 500, 502];
    const hook = await receiver((n, res) => answer(statuses[n - 1] ?? 504)(res));

    const result = await deliver(hook.url, {}, progressEvent(), { ...fast, retries: 3 });

    assert.equal(hook.received.length, 4);
    assert.deepEqual(
      { delivered: result.delivered, attempts: result.attempts, lastStatus: result.lastStatus },
      { delivered: false, attempts: 4, lastStatus: 502 },
    );
  });

  it('stops retrying before the invocation deadline instead of outliving its function', async () => {
    const hook = await receiver((_n, res) => answer(503)(res));
    const started = Date.now();
    const deadline = started + 1500;

    // Ten retries with 400 ms doubling back-off would take about 20 s without the deadline.
    const result = await deliver(hook.url, {}, progressEvent(), {
      ...fast,
      retries: 10,
      backoffBaseMs: 400,
      backoffMaxMs: 30_000,
      deadline,
    });

    assert.ok(Date.now() <= deadline, `returned ${Date.now() - deadline} ms after the deadline`);
    assert.equal(result.delivered, false);
    assert.ok(result.attempts >= 2 && result.attempts < 11, `${result.attempts} attempts`);
    assert.equal(hook.received.length, result.attempts);
    assert.match(
      result.lastError ?? '',
      /^HTTP 503; retries given up after \d+ attempts: no time left in this invocation$/,
    );
  });

  it('cuts the last attempt to the time left, and starts none in the last second', async () => {
    const hook = await receiver(() => {
      // never answers
    });
    const started = Date.now();

    const cut = await deliver(hook.url, {}, progressEvent(), {
      ...fast,
      timeoutMs: 10_000,
      retries: 3,
      deadline: started + 1200,
    });

    assert.ok(Date.now() - started < 1500, `took ${Date.now() - started} ms`);
    assert.equal(cut.attempts, 1);
    assert.match(cut.lastError ?? '', /timed out/);

    const none = await deliver(hook.url, {}, progressEvent(), { ...fast, deadline: Date.now() + 500 });
    assert.equal(none.attempts, 0);
    assert.equal(hook.received.length, 1);
    assert.match(none.lastError ?? '', /no time left in this invocation for attempt 1/);
  });

  it('times out a receiver that never answers, and retries it', async () => {
    const hook = await receiver(() => {
      // never answers
    });
    const started = Date.now();

    const result = await deliver(hook.url, {}, progressEvent(), { ...fast, timeoutMs: 150, retries: 1 });

    const elapsed = Date.now() - started;
    assert.equal(result.delivered, false);
    assert.equal(result.attempts, 2);
    assert.equal(result.lastStatus, null);
    assert.match(result.lastError ?? '', /timed out after 150 ms/);
    assert.equal(hook.received.length, 2);
    assert.ok(elapsed >= 300 && elapsed < 2000, `took ${elapsed} ms`);
  });

  it('retries a refused connection', async () => {
    const hook = await receiver((_n, res) => answer(200)(res));
    const closed = servers.pop() as Server;
    await new Promise<void>((resolve) => closed.close(() => resolve()));

    const result = await deliver(hook.url, {}, progressEvent(), { ...fast, retries: 2 });

    assert.equal(result.delivered, false);
    assert.equal(result.attempts, 3);
    assert.match(result.lastError ?? '', /ECONNREFUSED/);
  });

  it('honours Retry-After, and caps it', async () => {
    const hook = await receiver((n, res) => answer(n === 1 ? 429 : 200, { 'Retry-After': '1' })(res));

    const result = await deliver(hook.url, {}, progressEvent(), { ...fast, backoffMaxMs: 5000 });

    assert.equal(result.delivered, true);
    const gap = (hook.received[1]?.at ?? 0) - (hook.received[0]?.at ?? 0);
    assert.ok(gap >= 950, `waited ${gap} ms for Retry-After: 1`);

    const capped = await receiver((n, res) => answer(n === 1 ? 503 : 200, { 'Retry-After': '3600' })(res));
    const started = Date.now();
    const second = await deliver(capped.url, {}, progressEvent(), { ...fast, backoffMaxMs: 50 });
    assert.equal(second.delivered, true);
    assert.ok(Date.now() - started < 1000, 'a one-hour Retry-After is capped');
  });

  it('keeps our headers when the caller tries to override them', async () => {
    const hook = await receiver((_n, res) => answer(204)(res));
    const event = progressEvent();

    await deliver(
      hook.url,
      { 'X-Webhook-Signature': 'forged', 'x-webhook-id': 'forged', 'User-Agent': 'forged', Host: 'forged' },
      event,
      fast,
    );

    const headers = hook.received[0]?.headers ?? {};
    assert.equal(headers['x-webhook-id'], event.deliveryId);
    assert.equal(headers['user-agent'], 'quizgen-webhooks/1');
    assert.equal(headers.host, `127.0.0.1:${hook.port}`);
    assert.equal(
      verifySignature(SECRET, headers['x-webhook-signature'] as string, hook.received[0]?.body ?? ''),
      true,
    );
  });

  it('connects to the checked address and sends the original host name', async () => {
    const hook = await receiver((_n, res) => answer(200)(res));
    const looked: string[] = [];
    const lookup = async (hostname: string) => {
      looked.push(hostname);
      return [{ address: '127.0.0.1', family: 4 }];
    };

    const result = await deliver(`http://hooks.example.test:${hook.port}/in`, {}, progressEvent(), {
      ...fast,
      lookup,
    });

    assert.equal(result.delivered, true);
    assert.deepEqual(looked, ['hooks.example.test']);
    assert.equal(hook.received[0]?.headers.host, `hooks.example.test:${hook.port}`);
  });

  it('sends nothing to a refused address and does not retry it', async () => {
    const hook = await receiver((_n, res) => answer(200)(res));

    const result = await deliver(hook.url, {}, progressEvent(), { ...fast, allowPrivate: false });

    assert.equal(hook.received.length, 0);
    assert.equal(result.delivered, false);
    assert.equal(result.attempts, 1);
    assert.match(result.lastError ?? '', /loopback/);
  });
});
