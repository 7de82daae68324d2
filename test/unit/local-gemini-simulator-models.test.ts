/**
 * The simulator serves live model names only, as Gemini does: a model shut down (gemini-2.5-flash
 * and gemini-2.5-pro, on 2026-12-01) or never published answers 404 NOT_FOUND, and a deprecated
 * id answered by its successor says so in `modelVersion`.
 */
import assert from 'node:assert/strict';
import { ApiError, GoogleGenAI } from '@google/genai';
import { describe, it } from 'vitest';
import { liveModels, priceTable } from '#platform/gemini/pricing.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { servedModels } from '../../local/gemini-simulator/models.ts';

async function withSimulator(fn: (sim: GeminiSimulator, ai: GoogleGenAI) => Promise<void>): Promise<void> {
  const sim = await startGeminiSimulator({});
  try {
    await fn(sim, new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: sim.url } }));
  } finally {
    await sim.close();
  }
}

async function refusal(promise: Promise<unknown>) {
  const error = await promise.then(
    () => assert.fail('the call was answered'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApiError, String(error));
  return { status: error.status, body: JSON.parse(error.message) as { error: Record<string, unknown> } };
}

const ask = (ai: GoogleGenAI, model: string) => ai.models.generateContent({ model, contents: 'Say hello' });

describe('simulator models', () => {
  it('serves the live models of the price table, and only them', () => {
    assert.deepEqual(servedModels('generateContent'), liveModels(Date.now()));
    assert.deepEqual(servedModels('batchEmbedContents'), Object.keys(priceTable.embedding_models));
  });

  it('answers 404 NOT_FOUND, as Gemini words it, for a model shut down on 2026-12-01', async () => {
    await withSimulator(async (_sim, ai) => {
      for (const model of ['gemini-2.5-flash', 'gemini-2.5-pro']) {
        const { status, body } = await refusal(ask(ai, model));
        assert.equal(status, 404, model);
        assert.equal(body.error.status, 'NOT_FOUND');
        assert.match(
          String(body.error.message),
          new RegExp(
            `models/${model} is not found for API version v1\\w*, or is not supported for generateContent\\. Call ListModels`,
          ),
        );
      }
    });
  });

  it('answers 404 for an unknown model, in batch mode and for embeddings too', async () => {
    await withSimulator(async (sim, ai) => {
      assert.equal((await refusal(ask(ai, 'gemini-9-imaginary'))).status, 404);
      const batch = await fetch(`${sim.url}/v1beta/models/gemini-2.5-pro:batchGenerateContent`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-goog-api-key': 'test-key' },
        body: JSON.stringify({ batch: { displayName: 'x', inputConfig: { requests: { requests: [] } } } }),
      });
      assert.equal(batch.status, 404);
      const embed = await refusal(
        ai.models.embedContent({ model: 'text-embedding-004', contents: ['alpha'] }),
      );
      assert.equal(embed.status, 404);
      assert.equal(sim.stats().batches.created, 0);
    });
  });

  it('answers a live model, reporting it in modelVersion', async () => {
    await withSimulator(async (_sim, ai) => {
      const response = await ask(ai, 'gemini-3.8-flash');
      assert.equal(response.modelVersion, 'gemini-3.8-flash');
    });
  });

  it('answers deprecated gemini-3.5-flash through gemini-3.6-flash and says so in modelVersion', async () => {
    await withSimulator(async (_sim, ai) => {
      const response = await ask(ai, 'gemini-3.5-flash');
      assert.equal(response.modelVersion, 'gemini-3.6-flash');
    });
  });
});
