/**
 * The state machine's TimeoutSeconds and the batch loop's bounds come from the settings, and
 * settings whose worst case Step Functions would refuse fail synth.
 */
import assert from 'node:assert/strict';
import * as cdk from 'aws-cdk-lib';
import { describe, it } from 'vitest';
import { ENV } from '#platform/config.ts';
import {
  InvalidSettingsError,
  readSettings,
  SETTING_DEFAULTS,
  settingsEnvironment,
} from '../../lib/settings.ts';
import { synthesize } from './fixtures.ts';

const problems = (overrides: Record<string, unknown>): string => {
  try {
    readSettings(new cdk.App(), overrides);
    return '';
  } catch (error) {
    assert.ok(error instanceof InvalidSettingsError);
    return error.problems.join('\n');
  }
};

describe('execution bounds', () => {
  it('give the state machine the TimeoutSeconds of its settings', () => {
    const { json } = synthesize({ executionTimeoutSeconds: 200_000 });
    const [machine] = Object.values(json.Resources).filter(
      (r) => r.Type === 'AWS::StepFunctions::StateMachine',
    );
    const definition = JSON.stringify(machine?.Properties?.DefinitionString);
    assert.match(definition, /\\"TimeoutSeconds\\":200000/);
    assert.equal(SETTING_DEFAULTS.executionTimeoutSeconds, 7 * 24 * 3600);
  });

  it('refuse a batch loop whose worst case passes the history quota', () => {
    assert.match(
      problems({ batchPollMaxSeconds: 60 }),
      /allow \d+ history events in a batch-mode execution; Step Functions fails an execution at 25,000/,
    );
    assert.equal(problems({ batchPollMaxSeconds: 600 }), '');
  });

  it('refuse a timeout shorter than the batch window or a chunk timeout, and past a year', () => {
    assert.match(
      problems({ executionTimeoutSeconds: 24 * 3600 }),
      /executionTimeoutSeconds \(86400\) must cover the batch window/,
    );
    assert.match(
      problems({ batchWindowSeconds: 3600, chunkTimeoutSeconds: 14 * 24 * 3600 }),
      /executionTimeoutSeconds \(604800\) must cover .*\(chunkTimeoutSeconds\)/,
    );
    assert.match(problems({ executionTimeoutSeconds: 366 * 24 * 3600 }), /at most a year/);
    assert.match(
      problems({ batchPollMaxSeconds: 30 }),
      /batchPollMaxSeconds \(30\) must be at least batchPollSeconds/,
    );
  });

  it('give the handlers the batch loop settings', () => {
    const env = settingsEnvironment(readSettings(new cdk.App(), { batchWindowSeconds: 7200 }));
    assert.equal(env[ENV.batchWindowSeconds], '7200');
    assert.equal(env[ENV.batchPollMaxSeconds], String(SETTING_DEFAULTS.batchPollMaxSeconds));
  });
});
