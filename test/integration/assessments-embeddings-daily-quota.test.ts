/**
 * An embedding call that meets a used-up daily quota is not retried: the quota resets at
 * midnight Pacific time, not within the call's back-off, so each retry would only spend an
 * attempt. The front answers every call with the 429 Gemini sends for a daily quota
 * (a QuotaFailure naming it, no RetryInfo), as the simulator writes it for generateContent.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { resetConfig } from '#platform/config.ts';
import { ModelCallError } from '#platform/gemini/gemini-client.ts';
import { dailyQuotaError } from '../../local/gemini-simulator/daily-quota.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type Embeddings = typeof import('#assessments/documents/embeddings.ts');

let aws: LocalAws;
let front: Server;
let calls = 0;
let embeddings: Embeddings;

beforeAll(async () => {
  front = createServer((req, res) => {
    calls += 1;
    req.resume();
    req.on('end', () => {
      res.writeHead(429, { 'content-type': 'application/json' });
      res.end(JSON.stringify(dailyQuotaError('gemini-embedding-001', 1000)));
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const { port } = front.address() as AddressInfo;
  aws = await startLocalAws({
    env: { GEMINI_BASE_URL: `http://127.0.0.1:${port}`, GEMINI_API_KEY: 'test-key' },
  });
  resetConfig();
  embeddings = await import('#assessments/documents/embeddings.ts');
});

afterAll(async () => {
  await new Promise((resolve) => front?.close(resolve));
  await aws?.stop();
});

describe('embedding under a used-up daily quota', () => {
  it('fails at once with the quota named, after one call, instead of spending its attempts', async () => {
    const error = await embeddings
      .embedTexts(['a passage'], {
        apiKey: 'test-key',
        model: 'gemini-embedding-001',
        dimensions: 8,
        taskType: 'RETRIEVAL_DOCUMENT',
        requestsPerMinute: 6000,
        maxAttempts: 6,
        baseDelayMs: 1,
        maxDelayMs: 5,
        timeoutMs: 1000,
        // Time for every attempt: only the quota's kind may stop the retries.
        deadline: Date.now() + 10 * 60_000,
      })
      .then(
        () => assert.fail('expected the daily quota to fail the call'),
        (e: unknown) => e,
      );

    assert.ok(error instanceof ModelCallError);
    assert.equal(error.kind, 'quota_exhausted');
    assert.match(error.message, /PerDay/);
    assert.equal(calls, 1);
  });
});
