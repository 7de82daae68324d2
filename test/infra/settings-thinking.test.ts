import assert from 'node:assert/strict';
import * as cdk from 'aws-cdk-lib';
import { afterEach, describe, it } from 'vitest';
import { ENV, generationSettings, resetConfig, THINKING_DEFAULTS } from '#platform/config.ts';
import {
  InvalidSettingsError,
  readSettings,
  SETTING_DEFAULTS,
  settingsEnvironment,
} from '../../lib/settings.ts';

const withContext = (context: Record<string, unknown>) => new cdk.App({ context });

function problemsOf(context: Record<string, unknown>): string[] {
  try {
    readSettings(withContext(context));
    return [];
  } catch (error) {
    assert.ok(error instanceof InvalidSettingsError);
    return error.problems;
  }
}

describe('thinking level settings', () => {
  afterEach(() => {
    for (const name of [ENV.questionsThinkingLevel, ENV.sectionsThinkingLevel]) delete process.env[name];
    resetConfig();
  });

  it('default per kind of work to levels the default model accepts', () => {
    assert.equal(SETTING_DEFAULTS.questionsThinkingLevel, THINKING_DEFAULTS.questions);
    assert.equal(SETTING_DEFAULTS.sectionsThinkingLevel, THINKING_DEFAULTS.sections);
    assert.equal(SETTING_DEFAULTS.outlineThinkingLevel, THINKING_DEFAULTS.outline);
    assert.equal(SETTING_DEFAULTS.repairThinkingLevel, THINKING_DEFAULTS.repair);
    assert.deepEqual(problemsOf({}), []);
  });

  it('read `-c sectionsThinkingLevel=high` as HIGH', () => {
    assert.equal(readSettings(withContext({ sectionsThinkingLevel: 'high' })).sectionsThinkingLevel, 'HIGH');
  });

  it('refuse at synth a level the configured model refuses: MINIMAL on gemini-3.8-flash', () => {
    const problems = problemsOf({ geminiModel: 'gemini-3.8-flash', sectionsThinkingLevel: 'MINIMAL' });

    assert.deepEqual(problems, [
      'sectionsThinkingLevel MINIMAL is not a thinking level of gemini-3.8-flash, which accepts LOW, MEDIUM, HIGH',
    ]);
    // A model that documents MINIMAL passes the thinking check (gemini-3.5-flash-lite is refused
    // for another reason: the price table does not list it, so the service could not price it).
    assert.deepEqual(
      problemsOf({ geminiModel: 'gemini-3.5-flash-lite', sectionsThinkingLevel: 'MINIMAL' }).filter((p) =>
        p.includes('ThinkingLevel'),
      ),
      [],
    );
  });

  it('refuse a name that is no thinking level', () => {
    assert.match(
      problemsOf({ repairThinkingLevel: 'MAX' })[0] ?? '',
      /repairThinkingLevel must be one of MINIMAL, LOW, MEDIUM, HIGH/,
    );
  });

  it('reach every function as environment variables the handlers read once', () => {
    const env = settingsEnvironment(readSettings(withContext({ questionsThinkingLevel: 'LOW' })));

    assert.equal(env[ENV.questionsThinkingLevel], 'LOW');
    assert.equal(env[ENV.sectionsThinkingLevel], THINKING_DEFAULTS.sections);
    assert.equal(env[ENV.outlineThinkingLevel], THINKING_DEFAULTS.outline);
    assert.equal(env[ENV.repairThinkingLevel], THINKING_DEFAULTS.repair);

    process.env[ENV.questionsThinkingLevel] = 'LOW';
    resetConfig();
    assert.equal(generationSettings().thinking.questions, 'LOW');
  });

  it('make a handler fail fast on a level that is no level', () => {
    process.env[ENV.sectionsThinkingLevel] = 'low';
    resetConfig();

    assert.throws(
      () => generationSettings(),
      /SECTIONS_THINKING_LEVEL must be one of MINIMAL, LOW, MEDIUM, HIGH/,
    );
  });
});
