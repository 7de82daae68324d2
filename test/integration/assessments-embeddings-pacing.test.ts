/**
 * Embedding a document of more texts than the embedding requests-per-minute quota allows in a
 * minute, against the simulator counting that quota per text as Gemini does: the calls are
 * paced over more than a minute and none meets a 429. (Before, the limiter reserved one slot
 * per batch of texts, so the batches came as fast as if each were one request.) This test
 * takes a little over a minute of wall time by its nature: the quota is per minute.
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { resetConfig } from '#platform/config.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type Embeddings = typeof import('#assessments/documents/embeddings.ts');

const RPM = 20;
const DIMENSIONS = 8;

let aws: LocalAws;
let sim: GeminiSimulator;
let embeddings: Embeddings;

beforeAll(async () => {
  sim = await startGeminiSimulator({ embeddingRpm: RPM, embeddingDimensions: DIMENSIONS });
  aws = await startLocalAws({ env: { GEMINI_BASE_URL: sim.url, GEMINI_API_KEY: 'test-key' } });
  resetConfig();
  embeddings = await import('#assessments/documents/embeddings.ts');
});

afterAll(async () => {
  await sim?.close();
  await aws?.stop();
});

describe('embedding pacing', () => {
  it(`paces ${RPM + 1} texts in batches under a ${RPM}-texts-a-minute quota without a 429`, async () => {
    const texts = Array.from({ length: RPM + 1 }, (_, i) => `passage ${i} of a long document`);
    const started = Date.now();
    const retries: string[] = [];

    const vectors = await embeddings.embedTexts(texts, {
      apiKey: 'test-key',
      model: 'gemini-embedding-001',
      dimensions: DIMENSIONS,
      taskType: 'RETRIEVAL_DOCUMENT',
      requestsPerMinute: RPM,
      batchSize: 2,
      concurrency: 4,
      deadline: Date.now() + 5 * 60_000,
      onRetry: (error) => retries.push(error.message),
    });

    assert.equal(vectors.length, texts.length);
    assert.deepEqual(retries, [], 'no call was retried');
    assert.equal(sim.stats().embeddings.throttled, 0, 'the simulator answered no 429');
    assert.equal(sim.stats().embeddings.texts, texts.length);
    // The quota allows RPM texts a minute: the last text cannot go before the first minute ends.
    assert.ok(Date.now() - started >= 60_000, `all ${texts.length} texts in ${Date.now() - started} ms`);
  }, 150_000);

  it('sizes batches to at most half a minute of requests', () => {
    assert.equal(embeddings.batchSizeFor({ requestsPerMinute: 3000 }), embeddings.MAX_BATCH);
    assert.equal(embeddings.batchSizeFor({ requestsPerMinute: 20 }), 10);
    assert.equal(embeddings.batchSizeFor({ requestsPerMinute: 1 }), 1);
  });
});
