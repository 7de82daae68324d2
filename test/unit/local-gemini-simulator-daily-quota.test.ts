import assert from 'node:assert/strict';
import { ApiError, GoogleGenAI } from '@google/genai';
import { describe, it } from 'vitest';
import { startGeminiSimulator } from '../../local/gemini-simulator/index.ts';

describe('Gemini simulator per-day quota', () => {
  it('answers 429 naming the daily quota, without RetryInfo, once a model used its requests of the day', async () => {
    const sim = await startGeminiSimulator({ rpd: 2 });
    try {
      const ai = new GoogleGenAI({ apiKey: 'test-key', httpOptions: { baseUrl: sim.url } });
      const ask = (model: string) => ai.models.generateContent({ model, contents: 'Hello' });
      await ask('gemini-3.8-flash');
      await ask('gemini-3.8-flash');

      const error = await ask('gemini-3.8-flash').then(
        () => assert.fail('expected a 429'),
        (e: unknown) => e,
      );

      assert.ok(error instanceof ApiError);
      assert.equal(error.status, 429);
      const body = JSON.parse(error.message) as {
        error: { status: string; details: { '@type': string; violations?: { quotaId: string }[] }[] };
      };
      assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
      const types = body.error.details.map((d) => d['@type']);
      assert.ok(types.includes('type.googleapis.com/google.rpc.QuotaFailure'));
      assert.ok(!types.includes('type.googleapis.com/google.rpc.RetryInfo'), 'no retry delay');
      assert.equal(
        body.error.details[0]?.violations?.[0]?.quotaId,
        'GenerateRequestsPerDayPerProjectPerModel',
      );
      assert.equal(sim.stats().outcomes['429_daily'], 1);

      await ask('gemini-3.6-flash');
      assert.equal(sim.stats().outcomes.ok, 3, 'counted per model');
    } finally {
      await sim.close();
    }
  });
});
