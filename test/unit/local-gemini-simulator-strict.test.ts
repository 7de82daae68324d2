/**
 * The Gemini simulator refusing what the Gemini API refuses, for the API versions and the Batch
 * API: methods only under the versions that serve them, batches that end FAILED or EXPIRED
 * (without results, unbilled), and the 20 MB limit of a batch's inline requests.
 */
import assert from 'node:assert/strict';
import { ApiError, GoogleGenAI } from '@google/genai';
import { describe, it } from 'vitest';
import { GEMINI_API_VERSION } from '#platform/gemini/api-version.ts';
import {
  type GeminiSimulator,
  type SimulatorConfig,
  startGeminiSimulator,
} from '../../local/gemini-simulator/index.ts';

const MODEL = 'gemini-3.8-flash';
const KEY = 'test-key';
const TWENTY_MB = 20 * 1024 * 1024;

async function withSimulator(
  config: SimulatorConfig,
  fn: (sim: GeminiSimulator, client: (apiVersion: string) => GoogleGenAI) => Promise<void>,
): Promise<void> {
  const sim = await startGeminiSimulator(config);
  const client = (apiVersion: string) =>
    new GoogleGenAI({ apiKey: KEY, apiVersion, httpOptions: { baseUrl: sim.url } });
  try {
    await fn(sim, client);
  } finally {
    await sim.close();
  }
}

async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApiError, `not an ApiError: ${String(error)}`);
  return error;
}

function bodyOf(error: ApiError): { error: { code: number; status: string; message: string } } {
  return JSON.parse(error.message);
}

function twoRequestBatch(ai: GoogleGenAI) {
  return ai.batches.create({
    model: MODEL,
    src: [
      { contents: 'Write a question about HTTP caching', metadata: { key: 'a' } },
      { contents: 'Write a question about TLS', metadata: { key: 'b' } },
    ],
    config: { displayName: 'strict test' },
  });
}

async function postJson(sim: GeminiSimulator, path: string, body: unknown) {
  const response = await fetch(`${sim.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-goog-api-key': KEY },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as any };
}

describe('API versions', () => {
  it('refuses the Batch API under v1 (the SDK default) and v1alpha with 404, as Gemini does', async () => {
    await withSimulator({ batchLatencyMs: 0 }, async (sim, client) => {
      for (const version of ['v1', 'v1alpha']) {
        const refused = await apiError(twoRequestBatch(client(version)));
        assert.equal(refused.status, 404, version);
        assert.equal(bodyOf(refused).error.status, 'NOT_FOUND');
        assert.match(
          bodyOf(refused).error.message,
          new RegExp(
            `models/${MODEL} is not found for API version ${version}, or is not supported for batchGenerateContent`,
          ),
        );
        for (const call of [
          client(version).batches.get({ name: 'batches/any' }),
          client(version).batches.cancel({ name: 'batches/any' }),
        ]) {
          const error = await apiError(call);
          assert.equal(error.status, 404);
          assert.match(bodyOf(error).error.message, /served under v1beta only/);
        }
      }
      assert.equal(sim.stats().batches.created, 0);
    });
  });

  it('serves the Batch API under v1beta, the version the service pins', async () => {
    assert.equal(GEMINI_API_VERSION, 'v1beta');
    await withSimulator({ batchLatencyMs: 0 }, async (sim, client) => {
      const ai = client(GEMINI_API_VERSION);
      const created = await twoRequestBatch(ai);
      const done = await ai.batches.get({ name: created.name ?? '' });
      assert.equal(done.state, 'JOB_STATE_SUCCEEDED');
      assert.equal(done.dest?.inlinedResponses?.length, 2);
      assert.equal(sim.stats().batches.created, 1);
    });
  });

  it('serves generateContent and embeddings under v1 and v1beta, and nothing under v1alpha', async () => {
    await withSimulator({}, async (sim, client) => {
      for (const version of ['v1', 'v1beta']) {
        const answer = await client(version).models.generateContent({ model: MODEL, contents: 'hi' });
        assert.ok(answer.text, version);
        const embedded = await client(version).models.embedContent({
          model: 'gemini-embedding-001',
          contents: ['one', 'two'],
        });
        assert.equal(embedded.embeddings?.length, 2, version);
      }
      const generate = await apiError(
        client('v1alpha').models.generateContent({ model: MODEL, contents: 'hi' }),
      );
      assert.equal(generate.status, 404);
      assert.match(bodyOf(generate).error.message, /not found for API version v1alpha/);
      const embed = await postJson(sim, '/v1alpha/models/gemini-embedding-001:embedContent', {
        content: { parts: [{ text: 'one' }] },
      });
      assert.equal(embed.status, 404);
      assert.equal(sim.stats().totalCalls, 2, 'the refused call never reached generateContent');
    });
  });
});

describe('batches that end without results', () => {
  it('ends the first batches FAILED with the error, unbilled; later ones succeed', async () => {
    await withSimulator({ batchLatencyMs: 50, failFirstBatches: 1 }, async (sim, client) => {
      const ai = client(GEMINI_API_VERSION);
      const failing = await twoRequestBatch(ai);
      const next = await twoRequestBatch(ai);
      await new Promise((r) => setTimeout(r, 80));

      const failed = await ai.batches.get({ name: failing.name ?? '' });
      assert.equal(failed.state, 'JOB_STATE_FAILED');
      assert.equal(failed.dest, undefined, 'a failed batch has no results');
      const raw = await fetch(`${sim.url}/v1beta/${failing.name}`, { headers: { 'x-goog-api-key': KEY } });
      const op = (await raw.json()) as { done?: boolean; error?: { code: number; message: string } };
      assert.equal(op.done, true);
      assert.equal(op.error?.code, 13);

      assert.equal((await ai.batches.get({ name: next.name ?? '' })).state, 'JOB_STATE_SUCCEEDED');
      const { batches } = sim.stats();
      assert.equal(batches.failedBatches, 1);
      assert.equal(batches.answered, 2, 'only the batch that succeeded was answered');
    });
  });

  it('fails batches at batchFailureRate, drawn from the seed', async () => {
    await withSimulator({ batchLatencyMs: 0, batchFailureRate: 1 }, async (sim, client) => {
      const ai = client(GEMINI_API_VERSION);
      const created = await twoRequestBatch(ai);
      assert.equal((await ai.batches.get({ name: created.name ?? '' })).state, 'JOB_STATE_FAILED');
      assert.equal(sim.stats().batches.failedBatches, 1);
    });
  });

  it('expires a batch not done within the window: EXPIRED, no results, nothing billed', async () => {
    // Gemini's window is 48 hours; shortened here so the test does not wait two days.
    await withSimulator({ batchLatencyMs: 60_000, batchExpiryMs: 1000 }, async (sim, client) => {
      const ai = client(GEMINI_API_VERSION);
      const created = await twoRequestBatch(ai);
      assert.equal((await ai.batches.get({ name: created.name ?? '' })).state, 'JOB_STATE_PENDING');
      await new Promise((r) => setTimeout(r, 1100));

      const expired = await ai.batches.get({ name: created.name ?? '' });
      assert.equal(expired.state, 'JOB_STATE_EXPIRED');
      assert.equal(expired.dest, undefined);
      assert.ok(expired.endTime);
      // Cancelling an ended batch changes nothing.
      await ai.batches.cancel({ name: created.name ?? '' });
      assert.equal((await ai.batches.get({ name: created.name ?? '' })).state, 'JOB_STATE_EXPIRED');
      const { batches } = sim.stats();
      assert.deepEqual(
        [batches.expired, batches.cancelled, batches.answered, batches.promptTokens],
        [1, 0, 0, 0],
      );
    });
  });

  it('expires the first expireFirstBatches whatever their latency, within the default 48 h window', async () => {
    await withSimulator({ batchLatencyMs: 0, expireFirstBatches: 1 }, async (sim, client) => {
      const ai = client(GEMINI_API_VERSION);
      const held = await twoRequestBatch(ai);
      const next = await twoRequestBatch(ai);
      assert.equal((await ai.batches.get({ name: held.name ?? '' })).state, 'JOB_STATE_RUNNING');
      assert.equal((await ai.batches.get({ name: next.name ?? '' })).state, 'JOB_STATE_SUCCEEDED');
      sim.configure({ batchExpiryMs: 0 });
      assert.equal((await ai.batches.get({ name: held.name ?? '' })).state, 'JOB_STATE_EXPIRED');
      assert.equal(sim.stats().batches.expired, 1);
    });
  });
});

describe('the inline batch size limit', () => {
  function batchOfBytes(bytes: number) {
    const text = 'x'.repeat(bytes);
    return {
      batch: {
        displayName: 'big',
        inputConfig: { requests: { requests: [{ request: { contents: [{ parts: [{ text }] }] } }] } },
      },
    };
  }

  it('refuses a batchGenerateContent body over 20 MB with 400 INVALID_ARGUMENT', async () => {
    await withSimulator({}, async (sim) => {
      const refused = await postJson(
        sim,
        `/v1beta/models/${MODEL}:batchGenerateContent`,
        batchOfBytes(TWENTY_MB),
      );
      assert.equal(refused.status, 400);
      assert.equal(refused.body.error.status, 'INVALID_ARGUMENT');
      assert.equal(refused.body.error.message, `Request payload size exceeds the limit: ${TWENTY_MB} bytes.`);
      assert.equal(sim.stats().batches.created, 0);

      const accepted = await postJson(
        sim,
        `/v1beta/models/${MODEL}:batchGenerateContent`,
        batchOfBytes(TWENTY_MB - 1024),
      );
      assert.equal(accepted.status, 200);
      assert.equal(sim.stats().batches.created, 1);
    });
  });
});
