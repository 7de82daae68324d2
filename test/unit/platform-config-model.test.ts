import assert from 'node:assert/strict';
import { afterEach, describe, it, vi } from 'vitest';
import { DEFAULTS, ENV, generationSettings, resetConfig } from '#platform/config.ts';

describe('generationSettings model', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    resetConfig();
  });

  it('defaults to a model the API still serves', () => {
    resetConfig();
    assert.equal(generationSettings().model, DEFAULTS.geminiModel);
  });

  it('refuses a GEMINI_MODEL shut down on 2026-12-01, naming the live models', () => {
    vi.stubEnv(ENV.geminiModel, 'gemini-2.5-pro');
    resetConfig();
    assert.throws(
      () => generationSettings(),
      /GEMINI_MODEL names gemini-2\.5-pro, shut down on 2026-12-01; set it to one of the live models: .*gemini-3\.8-flash/,
    );
  });
});
