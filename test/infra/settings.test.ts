import assert from 'node:assert/strict';
import * as cdk from 'aws-cdk-lib';
import { describe, it } from 'vitest';
import { DEFAULTS, ENV } from '#platform/config.ts';
import { redeliveryDelaySeconds } from '#platform/queue.ts';
import {
  chunkLifetimeSeconds,
  InvalidSettingsError,
  LAMBDA_SYNC_PAYLOAD_MAX_BYTES,
  MAX_INLINE_UPLOAD_BYTES,
  queueVisibilitySeconds,
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
    assert.equal(SETTING_DEFAULTS.chunkTimeoutSeconds, 14_400);
    assert.equal(SETTING_DEFAULTS.workerTimeoutSeconds, 600);
    assert.equal(SETTING_DEFAULTS.chunkMaxReceives, 5);
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
      chunkMaxReceives: 'five',
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
      /chunkTimeoutSeconds \(120\) must be at least \d+: the task timeout counts a chunk's time in the queue/,
    );
  });

  it('refuse fewer than 5 receives of a chunk, as AWS recommends for a Lambda event source (throttles count)', () => {
    // The old default (4) let two throttled receives and two failed runs dead-letter a chunk.
    assert.throws(
      () => readSettings(withContext({ chunkMaxReceives: '4' })),
      /chunkMaxReceives must be an integer from 5 to 1000 .*throttled receives count/,
    );
    assert.equal(readSettings(withContext({ chunkMaxReceives: '5' })).chunkMaxReceives, 5);
  });

  it('refuse a chunk timeout that jobs running together would use up while a chunk waits in the queue', () => {
    // The old defaults: 7,200 s for 4 jobs × 40 chunks at 10 workers × 600 s, then 5 deliveries.
    const old = { chunkTimeoutSeconds: 7200 };
    assert.throws(
      () => readSettings(withContext({}), old),
      (error: unknown) => {
        assert.ok(error instanceof InvalidSettingsError);
        assert.equal(error.problems.length, 1);
        assert.match(
          error.problems[0] ?? '',
          /^chunkTimeoutSeconds \(7200\) must be at least 12225: .*plannedConcurrentJobs \(4\) × mapMaxConcurrency \(40\) chunks run llmMaxConcurrency \(10\) at a time .*\(9000 s\).*chunkMaxReceives \(5\) deliveries with their back-off \(3225 s\)/,
        );
        return true;
      },
    );
    // One job at a time, or twice the workers, fits the old timeout.
    assert.doesNotThrow(() => readSettings(withContext({}), { ...old, plannedConcurrentJobs: 1 }));
    assert.doesNotThrow(() => readSettings(withContext({}), { ...old, llmMaxConcurrency: 40 }));
    const { queueWait, deliveries } = chunkLifetimeSeconds(SETTING_DEFAULTS);
    assert.ok(SETTING_DEFAULTS.chunkTimeoutSeconds >= queueWait + deliveries);
  });

  it('derive the chunk timeout from the other settings when none is given, never below the default', () => {
    // Four workers: 4 jobs × 40 chunks wait 39 rounds of 600 s, then 5 deliveries (3,225 s).
    assert.equal(readSettings(withContext({ llmMaxConcurrency: '4' })).chunkTimeoutSeconds, 27_000);
    assert.equal(readSettings(withContext({ llmMaxConcurrency: '100' })).chunkTimeoutSeconds, 14_400);
    assert.equal(readSettings(withContext({ chunkTimeoutSeconds: '20000' })).chunkTimeoutSeconds, 20_000);
  });

  it('count the same back-off between deliveries as the worker sets', () => {
    const settings = {
      ...SETTING_DEFAULTS,
      plannedConcurrentJobs: 1,
      mapMaxConcurrency: 1,
      chunkMaxReceives: 7,
    };
    let backoff = 0;
    for (let n = 1; n < 7; n++) backoff += redeliveryDelaySeconds(n);
    assert.deepEqual(chunkLifetimeSeconds(settings), {
      queueWait: 0,
      deliveries: 7 * settings.workerTimeoutSeconds + backoff,
    });
  });

  it('give the stage a throttle of its own, ten keys’ worth by default, never below one key’s', () => {
    const settings = readSettings(withContext({}));
    assert.equal(settings.apiStageThrottleRateLimit, 10 * settings.apiThrottleRateLimit);
    assert.equal(settings.apiStageThrottleBurstLimit, 10 * settings.apiThrottleBurstLimit);
    assert.throws(
      () => readSettings(withContext({ apiThrottleRateLimit: '600', apiThrottleBurstLimit: '2000' })),
      (error: unknown) => {
        assert.ok(error instanceof InvalidSettingsError);
        assert.deepEqual(error.problems, [
          'apiThrottleRateLimit (600, per API key) must not exceed apiStageThrottleRateLimit (500, shared by every key)',
          'apiThrottleBurstLimit (2000, per API key) must not exceed apiStageThrottleBurstLimit (1000, shared by every key)',
        ]);
        return true;
      },
    );
    const raised = readSettings(
      withContext({ apiStageThrottleRateLimit: '2.5', apiThrottleRateLimit: '2.5' }),
    );
    assert.equal(raised.apiStageThrottleRateLimit, 2.5);
  });

  it('send Gemini calls through a gateway when geminiBaseUrl is an https URL, and refuse anything else', () => {
    assert.equal(settingsEnvironment(readSettings(withContext({})))[ENV.geminiBaseUrl], undefined);
    const gateway = 'https://gemini-gateway.example.com/google';
    assert.equal(
      settingsEnvironment(readSettings(withContext({ geminiBaseUrl: gateway })))[ENV.geminiBaseUrl],
      gateway,
    );
    for (const bad of [
      'http://gemini-gateway.example.com',
      'gemini-gateway.example.com',
      'https://u:p@gw.example.com',
      'https://gw.example.com/?key=1',
    ]) {
      assert.throws(
        () => readSettings(withContext({ geminiBaseUrl: bad })),
        /geminiBaseUrl must be an https:\/\/ URL of a gateway or proxy in front of Gemini/,
        bad,
      );
    }
  });

  it('give queues read by Lambda a visibility timeout six times the function timeout, within SQS’s 12 hours', () => {
    assert.equal(queueVisibilitySeconds(600), 3600);
    assert.ok(queueVisibilitySeconds(900) <= 43_200);
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
