import assert from 'node:assert/strict';
import { ApiError } from '@google/genai';
import { describe, it } from 'vitest';
import { classify, ModelCallError, retryDelayMs } from '#platform/gemini/gemini-client.ts';
import { fixture } from '../support/fixtures.ts';

/** An error as `@google/genai` throws it for a non-OK answer: the JSON body as message. */
function apiError(status: number, body: unknown): ApiError {
  return new ApiError({ message: JSON.stringify(body), status });
}

const bodyWith = (code: number, status: string) => ({
  error: { code, status, message: `[test] ${status}` },
});

describe('retryDelayMs', () => {
  it('reads whole seconds ("7s")', () => {
    assert.equal(
      retryDelayMs('{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"7s"}'),
      7000,
    );
  });

  it('reads fractions of a second ("0.5s")', () => {
    assert.equal(retryDelayMs('{"retryDelay":"0.5s"}'), 500);
    assert.equal(retryDelayMs('{"retryDelay": "1.25s"}'), 1250);
  });

  it('is undefined when the body has no retryDelay', () => {
    assert.equal(retryDelayMs('{"error":{"code":429,"message":"Please retry in 7s."}}'), undefined);
    assert.equal(retryDelayMs(''), undefined);
  });

  it('reads the delay from a real Gemini 429 body', () => {
    assert.equal(retryDelayMs(JSON.stringify(fixture('gemini-429-body.json'))), 7000);
  });
});

describe('classify', () => {
  it('maps a 429 to rate_limited with the delay Gemini asks for', () => {
    const failure = classify(apiError(429, fixture('gemini-429-body.json')));

    assert.ok(failure instanceof ModelCallError);
    assert.equal(failure.kind, 'rate_limited');
    assert.equal(failure.status, 429);
    assert.equal(failure.retryAfterMs, 7000);
    assert.match(failure.message, /429 RESOURCE_EXHAUSTED: You exceeded your current quota/);
  });

  it('maps a 429 without RetryInfo to quota_exhausted: nothing says a wait will help', () => {
    const failure = classify(apiError(429, bodyWith(429, 'RESOURCE_EXHAUSTED')));

    assert.equal(failure.kind, 'quota_exhausted');
    assert.equal(failure.retryAfterMs, undefined);
    assert.equal(failure.quota?.quotaId, undefined);
    assert.match(failure.message, /^Gemini quota exhausted: Gemini answered 429 without a retry delay/);
    assert.match(failure.message, /resets at midnight Pacific time \(\d{4}-\d\d-\d\dT\d\d:00:00.000Z\)/);
  });

  it('maps a 429 naming a per-day quota to quota_exhausted, naming the quota and its reset', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'You exceeded your current quota.',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [
              {
                quotaMetric: 'generativelanguage.googleapis.com/generate_content_free_tier_requests',
                quotaId: 'GenerateRequestsPerDayPerProjectPerModel-FreeTier',
                quotaDimensions: { location: 'global', model: 'gemini-3.8-flash' },
              },
            ],
          },
          // Even with a retry delay: a retry in seconds meets the same day's quota.
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '20s' },
        ],
      },
    };

    const failure = classify(apiError(429, body));

    assert.equal(failure.kind, 'quota_exhausted');
    assert.equal(failure.quota?.quotaId, 'GenerateRequestsPerDayPerProjectPerModel-FreeTier');
    assert.equal(failure.quota?.model, 'gemini-3.8-flash');
    assert.match(
      failure.message,
      /^Gemini quota exhausted: the daily Gemini quota GenerateRequestsPerDayPerProjectPerModel-FreeTier for gemini-3.8-flash ran out; it resets at midnight Pacific time/,
    );
  });

  it('keeps a 429 naming only per-minute quotas rate_limited, with or without RetryInfo', () => {
    const body = {
      error: {
        code: 429,
        status: 'RESOURCE_EXHAUSTED',
        message: 'quota',
        details: [
          {
            '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
            violations: [{ quotaId: 'GenerateRequestsPerMinutePerProjectPerModel-FreeTier' }],
          },
        ],
      },
    };

    assert.equal(classify(apiError(429, body)).kind, 'rate_limited');
  });

  for (const [status, name] of [
    [503, 'UNAVAILABLE'],
    [500, 'INTERNAL'],
    [408, 'DEADLINE_EXCEEDED'],
    [504, 'DEADLINE_EXCEEDED'],
  ] as const) {
    it(`maps a ${status} to transient`, () => {
      const failure = classify(apiError(status, bodyWith(status, name)));

      assert.equal(failure.kind, 'transient');
      assert.equal(failure.status, status);
      assert.equal(failure.retryAfterMs, undefined);
    });
  }

  for (const [status, name] of [
    [400, 'INVALID_ARGUMENT'],
    [403, 'PERMISSION_DENIED'],
    [404, 'NOT_FOUND'],
  ] as const) {
    it(`maps a ${status} to permanent, keeping Gemini's status and message`, () => {
      const failure = classify(apiError(status, bodyWith(status, name)));

      assert.equal(failure.kind, 'permanent');
      assert.equal(failure.status, status);
      assert.equal(failure.message, `${status} ${name}: [test] ${name}`);
    });
  }

  it('maps an aborted request (DOMException AbortError) to transient', () => {
    const failure = classify(new DOMException('This operation was aborted', 'AbortError'));

    assert.equal(failure.kind, 'transient');
    assert.equal(failure.status, undefined);
    assert.match(failure.message, /AbortError/);
  });

  it('maps a network failure to transient', () => {
    const failure = classify(new TypeError('fetch failed'));

    assert.equal(failure.kind, 'transient');
    assert.match(failure.message, /TypeError: fetch failed/);
  });

  it('keeps a non-JSON error body, shortened', () => {
    const failure = classify(new ApiError({ message: `<html>${'x'.repeat(2000)}</html>`, status: 502 }));

    assert.equal(failure.kind, 'transient');
    assert.equal(failure.message.length, 500);
  });

  it('returns a ModelCallError unchanged', () => {
    const original = new ModelCallError('permanent', 'bad key', 400);

    assert.equal(classify(original), original);
  });
});
