import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as cdk from 'aws-cdk-lib';
import { DEFAULTS } from '../../lambdas/commons/config.ts';
import { InvalidSettingsError, readSettings, SETTING_DEFAULTS } from '../../lib/settings.ts';

const withContext = (context: Record<string, unknown>) => new cdk.App({ context });

describe('settings', () => {
  it('default to the handlers’ DEFAULTS where both define a value', () => {
    for (const [name, value] of Object.entries(DEFAULTS)) {
      assert.equal(SETTING_DEFAULTS[name as keyof typeof SETTING_DEFAULTS], value, name);
    }
    assert.equal(SETTING_DEFAULTS.mapMaxConcurrency, 40);
    assert.equal(SETTING_DEFAULTS.chunkTimeoutSeconds, 7200);
    assert.equal(SETTING_DEFAULTS.workerTimeoutSeconds, 600);
  });

  it('read `-c name=value` strings from context as typed values', () => {
    const settings = readSettings(
      withContext({
        llmMaxConcurrency: '20',
        apiThrottleRateLimit: '2.5',
        apiQuotaPeriod: 'month',
        tableDeletionProtection: 'true',
        geminiModel: 'gemini-2.5-pro',
      }),
    );
    assert.equal(settings.llmMaxConcurrency, 20);
    assert.equal(settings.apiThrottleRateLimit, 2.5);
    assert.equal(settings.apiQuotaPeriod, 'MONTH');
    assert.equal(settings.tableDeletionProtection, true);
    assert.equal(settings.geminiModel, 'gemini-2.5-pro');
  });

  it('let explicit overrides win over context', () => {
    const settings = readSettings(withContext({ mapMaxConcurrency: 10 }), { mapMaxConcurrency: 5 });
    assert.equal(settings.mapMaxConcurrency, 5);
  });

  it('fail with every bad value named at once', () => {
    const bad = {
      llmMaxConcurrency: '1',
      mapMaxConcurrency: '41',
      syncWaitSeconds: '29',
      apiQuotaPeriod: 'YEAR',
      chunkMaxReceives: 'four',
    };
    assert.throws(
      () => readSettings(withContext(bad)),
      (error: unknown) => {
        assert.ok(error instanceof InvalidSettingsError);
        assert.deepEqual(
          error.problems.map((p) => p.split(' ')[0]),
          ['llmMaxConcurrency', 'mapMaxConcurrency', 'apiQuotaPeriod', 'chunkMaxReceives', 'syncWaitSeconds'],
        );
        assert.match(error.message, /llmMaxConcurrency must be an integer from 2 to 1000/);
        return true;
      },
    );
  });

  it('reject a chunk timeout shorter than one worker run', () => {
    assert.throws(
      () => readSettings(withContext({}), { chunkTimeoutSeconds: 120, workerTimeoutSeconds: 300 }),
      /chunkTimeoutSeconds \(120\) must be at least workerTimeoutSeconds \(300\)/,
    );
  });
});
