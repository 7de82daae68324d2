import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { ENV } from '#platform/config.ts';
import { functionEntries } from '../../lib/definition.ts';
import { synthesize } from './fixtures.ts';

const GATEWAY = 'https://gemini-gateway.example.com';

function geminiBaseUrlOf(json: ReturnType<typeof synthesize>['json'], role: string): unknown {
  const fn = functionEntries(json).find((f) => f.role === role);
  assert.ok(fn, role);
  const env = json.Resources[fn.logicalId]?.Properties?.Environment as { Variables: Record<string, unknown> };
  return env.Variables[ENV.geminiBaseUrl];
}

describe('geminiBaseUrl', () => {
  it('points every function that calls Gemini at the gateway', () => {
    const { json } = synthesize({ geminiBaseUrl: GATEWAY });
    for (const role of [
      'generateChunkWorker',
      'planChunks',
      'batchRound',
      'ingestDocument',
      'assessmentsApi',
    ]) {
      assert.equal(geminiBaseUrlOf(json, role), GATEWAY, role);
    }
  });

  it('is absent by default, so the SDK calls Gemini itself', () => {
    const { json } = synthesize({});
    assert.equal(geminiBaseUrlOf(json, 'generateChunkWorker'), undefined);
  });
});
