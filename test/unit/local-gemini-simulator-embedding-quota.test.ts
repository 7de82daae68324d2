/**
 * The simulator's embedding quota counts texts, as Gemini counts a batchEmbedContents call: one
 * request of the requests-per-minute quota per text, not per call.
 */
import assert from 'node:assert/strict';
import { ApiError, GoogleGenAI } from '@google/genai';
import { describe, it } from 'vitest';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';

const MODEL = 'gemini-embedding-001';

async function withSimulator(fn: (sim: GeminiSimulator, ai: GoogleGenAI) => Promise<void>): Promise<void> {
  const sim = await startGeminiSimulator({ embeddingRpm: 10, embeddingDimensions: 8 });
  try {
    await fn(sim, new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: sim.url } }));
  } finally {
    await sim.close();
  }
}

const texts = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} text ${i}`);
const embed = (ai: GoogleGenAI, contents: string[]) => ai.models.embedContent({ model: MODEL, contents });

async function quotaRefusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => assert.fail('the call was answered'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApiError, String(error));
  assert.equal(error.status, 429);
  const body = JSON.parse(error.message) as {
    error: { status: string; details: { '@type': string; retryDelay?: string }[] };
  };
  assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
  return body.error.details.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo')
    ?.retryDelay;
}

describe('simulator embedding quota', () => {
  it('answers 429 to a batch whose texts exceed the per-minute quota, though it is one call', async () => {
    await withSimulator(async (sim, ai) => {
      const delay = await quotaRefusal(embed(ai, texts(11, 'a')));

      assert.match(delay ?? '', /^\d+(\.\d+)?s$/);
      assert.equal(sim.stats().embeddings.throttled, 1);
      assert.equal(sim.stats().embeddings.texts, 0);
    });
  });

  it('counts the texts of earlier calls in the last minute', async () => {
    await withSimulator(async (sim, ai) => {
      assert.equal((await embed(ai, texts(6, 'a'))).embeddings?.length, 6);

      await quotaRefusal(embed(ai, texts(5, 'b')));
      assert.equal(
        (await embed(ai, texts(4, 'c'))).embeddings?.length,
        4,
        'the quota holds exactly 10 texts',
      );
      await quotaRefusal(embed(ai, texts(1, 'd')));

      assert.equal(sim.stats().embeddings.texts, 10);
      assert.equal(sim.stats().embeddings.throttled, 2);
    });
  });

  it('is unlimited unless embeddingRpm is set', async () => {
    const sim = await startGeminiSimulator({ embeddingDimensions: 8 });
    try {
      const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: sim.url } });
      for (let i = 0; i < 3; i++) assert.equal((await embed(ai, texts(100, `${i}`))).embeddings?.length, 100);
    } finally {
      await sim.close();
    }
  });
});
