import assert from 'node:assert/strict';
import * as cdk from 'aws-cdk-lib';
import { describe, it } from 'vitest';
import { DEFAULTS, ENV } from '#platform/config.ts';
import {
  InvalidSettingsError,
  LAMBDA_SYNC_PAYLOAD_MAX_BYTES,
  MAX_INLINE_UPLOAD_BYTES,
  readSettings,
  SETTING_DEFAULTS,
  settingsEnvironment,
} from '../../lib/settings.ts';

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
        geminiModel: 'gemini-3.6-flash',
      }),
    );
    assert.equal(settings.llmMaxConcurrency, 20);
    assert.equal(settings.apiThrottleRateLimit, 2.5);
    assert.equal(settings.apiQuotaPeriod, 'MONTH');
    assert.equal(settings.tableDeletionProtection, true);
    assert.equal(settings.geminiModel, 'gemini-3.6-flash');
  });

  it('refuse at synth a Gemini model shut down on 2026-12-01, naming the live ones', () => {
    assert.throws(
      () => readSettings(withContext({ geminiModel: 'gemini-2.5-flash' })),
      (error: unknown) => {
        assert.ok(error instanceof InvalidSettingsError);
        assert.match(error.message, /geminiModel gemini-2.5-flash was shut down on 2026-12-01/);
        assert.match(error.message, /live models: .*gemini-3\.8-flash/);
        assert.doesNotMatch(error.message, /live models: .*gemini-2\.5-pro/);
        return true;
      },
    );
  });

  it('refuse at synth a Gemini model the price table does not know', () => {
    assert.throws(
      () => readSettings(withContext({ geminiModel: 'gemini-9-imaginary' })),
      /geminiModel gemini-9-imaginary is not a model of data\/pricing.json; use one of the live models: /,
    );
    assert.throws(
      () => readSettings(withContext({ geminiEmbeddingModel: 'text-embedding-004' })),
      /geminiEmbeddingModel text-embedding-004 is not an embedding model of data\/pricing.json/,
    );
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

  it('bound the document settings by what Lambda, S3 and the embedding model accept', () => {
    const problems = (overrides: Record<string, unknown>) => {
      try {
        readSettings(withContext({}), overrides);
        return [];
      } catch (error) {
        assert.ok(error instanceof InvalidSettingsError);
        return error.problems;
      }
    };
    assert.match(
      problems({ embeddingDimensions: 127 })[0] ?? '',
      /embeddingDimensions must be an integer from 128 to 3072/,
    );
    assert.match(problems({ embeddingDimensions: 3073 })[0] ?? '', /embeddingDimensions/);
    assert.match(problems({ documentMaxBytes: 5 * 1024 ** 3 + 1 })[0] ?? '', /documentMaxBytes .* 5 GiB/);
    assert.match(
      problems({ inlineUploadMaxBytes: 5 * 1024 * 1024 })[0] ?? '',
      /inlineUploadMaxBytes must be an integer from 1 to 4194304 \(the file travels base64-encoded/,
    );
    assert.match(
      problems({ documentMaxBytes: 1024, inlineUploadMaxBytes: 2048 })[0] ?? '',
      /inlineUploadMaxBytes \(2048\) must not exceed documentMaxBytes \(1024\)/,
    );
    assert.match(
      problems({ ingestTimeoutSeconds: 901 })[0] ?? '',
      /ingestTimeoutSeconds must be an integer from 30 to 900/,
    );
    assert.match(problems({ ingestMaxConcurrency: 1 })[0] ?? '', /ingestMaxConcurrency/);
    assert.match(
      problems({ geminiEmbeddingModel: 'models/x y' })[0] ?? '',
      /geminiEmbeddingModel must be a model id/,
    );
    assert.deepEqual(problems({ embeddingDimensions: 3072, documentMaxBytes: 5 * 1024 ** 3 }), []);
  });

  it('keep the largest inline upload, base64-encoded, well inside a Lambda event', () => {
    const base64Bytes = Math.ceil(MAX_INLINE_UPLOAD_BYTES / 3) * 4;
    // Room for headers (twice), the request context and multipart framing.
    assert.ok(LAMBDA_SYNC_PAYLOAD_MAX_BYTES - base64Bytes > 500_000);
    assert.ok(SETTING_DEFAULTS.inlineUploadMaxBytes <= MAX_INLINE_UPLOAD_BYTES);
  });

  it('give every function the variables the handlers read through lambdas/platform/config.ts', () => {
    const env = settingsEnvironment(readSettings(withContext({})));
    for (const name of [
      ENV.geminiEmbeddingModel,
      ENV.embeddingDimensions,
      ENV.embeddingRequestsPerMinute,
      ENV.documentMaxBytes,
      ENV.inlineUploadMaxBytes,
      ENV.ingestTimeoutSeconds,
      ENV.assessmentTimeoutSeconds,
      ENV.assessmentRetentionHours,
      ENV.contentRequestsPerMinute,
      ENV.contentMaxConcurrentJobs,
      ENV.contentInlineMaxBytes,
      ENV.webhookTimeoutSeconds,
    ]) {
      assert.ok(env[name], name);
    }
    assert.equal(env[ENV.embeddingDimensions], String(DEFAULTS.embeddingDimensions));
  });

  it("default the content API's limits to the seed's: 100 requests a minute, 10 jobs at once, 25 KB inline", () => {
    const env = settingsEnvironment(readSettings(withContext({})));
    assert.equal(env.CONTENT_REQUESTS_PER_MINUTE, '100');
    assert.equal(env.CONTENT_MAX_CONCURRENT_JOBS, '10');
    assert.equal(env.CONTENT_INLINE_MAX_BYTES, String(25 * 1024));
    assert.equal(env.WEBHOOK_TIMEOUT_SECONDS, String(DEFAULTS.webhookTimeoutSeconds));
    const custom = settingsEnvironment(
      readSettings(withContext({ contentRequestsPerMinute: '30', webhookTimeoutSeconds: '5' })),
    );
    assert.equal(custom.CONTENT_REQUESTS_PER_MINUTE, '30');
    assert.equal(custom.WEBHOOK_TIMEOUT_SECONDS, '5');
  });

  it('bound the content settings by what a Lambda response and a pipeline function allow', () => {
    const problem = (overrides: Record<string, unknown>) => {
      try {
        readSettings(withContext({}), overrides);
        return '';
      } catch (error) {
        assert.ok(error instanceof InvalidSettingsError);
        return error.problems.join('\n');
      }
    };
    assert.match(problem({ contentRequestsPerMinute: 0 }), /contentRequestsPerMinute must be an integer/);
    assert.match(problem({ contentMaxConcurrentJobs: 1.5 }), /contentMaxConcurrentJobs/);
    assert.match(problem({ contentInlineMaxBytes: 6_000_000 }), /contentInlineMaxBytes .* 6 MB/);
    assert.match(
      problem({ webhookTimeoutSeconds: 61 }),
      /webhookTimeoutSeconds must be an integer from 1 to/,
    );
    assert.equal(problem({ contentInlineMaxBytes: 1_000_000, webhookTimeoutSeconds: 20 }), '');
  });
});
