import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { formatUsd, percentChange } from '#content/api/usage-reports.ts';
import { countersFor, qualityLevel } from '#content/api/usage-stats.ts';

const finished = {
  type: 'finished' as const,
  status: 'completed' as const,
  structureType: 'course',
  words: 1500,
  tokens: { input: 1000, output: 3000 },
  costUsd: 0.075,
  qualityScore: 92.5,
  processingTimeMs: 25_000,
  model: 'gemini-3.8-flash',
  at: '2025-01-08T10:00:00Z',
};

describe('countersFor', () => {
  it('counts a created job once overall and once for its structure type', () => {
    assert.deepEqual(countersFor({ type: 'created', structureType: 'quiz', at: '2025-01-08T10:00:00Z' }), {
      jobs: 1,
      'st#quiz#jobs': 1,
    });
  });

  it('adds a completed job to the totals, its structure type, its model and its quality bucket', () => {
    assert.deepEqual(countersFor(finished), {
      completed: 1,
      words: 1500,
      tokens_in: 1000,
      tokens_out: 3000,
      cost_nusd: 75_000_000,
      'st#course#finished': 1,
      'st#course#words': 1500,
      'st#course#cost_nusd': 75_000_000,
      'model#gemini-3.8-flash#finished': 1,
      'model#gemini-3.8-flash#tokens_in': 1000,
      'model#gemini-3.8-flash#tokens_out': 3000,
      'model#gemini-3.8-flash#cost_nusd': 75_000_000,
      'st#course#completed': 1,
      'model#gemini-3.8-flash#completed': 1,
      time_ms_sum: 25_000,
      time_n: 1,
      'model#gemini-3.8-flash#time_ms_sum': 25_000,
      'model#gemini-3.8-flash#time_n': 1,
      quality_centi_sum: 9250,
      quality_n: 1,
      quality_excellent: 1,
      'st#course#quality_centi_sum': 9250,
      'st#course#quality_n': 1,
    });
  });

  it('keeps quality and time out of failed jobs but counts what they used', () => {
    const counters = countersFor({ ...finished, status: 'failed', words: 0, qualityScore: 95 });

    assert.equal(counters.failed, 1);
    assert.equal(counters.cost_nusd, 75_000_000);
    assert.equal(counters.words, undefined, 'zero counters are not written');
    for (const name of ['quality_n', 'quality_excellent', 'time_n', 'completed']) {
      assert.equal(counters[name], undefined, name);
    }
  });

  it('rejects values that would corrupt the counters', () => {
    assert.throws(() => countersFor({ ...finished, words: Number.NaN }), /words/);
    assert.throws(() => countersFor({ ...finished, costUsd: -1 }), /costUsd/);
    assert.throws(() => countersFor({ ...finished, qualityScore: 101 }), /qualityScore/);
    assert.throws(() => countersFor({ ...finished, model: '' }), /model/);
    assert.throws(() => countersFor({ ...finished, structureType: 'x'.repeat(101) }), /structureType/);
  });
});

describe('qualityLevel', () => {
  it('puts each score in the seed bucket', () => {
    const levels = [100, 90, 89.99, 75, 74.99, 60, 59.99, 0].map(qualityLevel);

    assert.deepEqual(levels, [
      'excellent',
      'excellent',
      'good',
      'good',
      'acceptable',
      'acceptable',
      'poor',
      'poor',
    ]);
  });
});

describe('percentChange', () => {
  it('is the change against the previous period, in percent', () => {
    assert.equal(percentChange(4, 5), 25);
    assert.equal(percentChange(0.2, 0.1), -50);
    assert.equal(percentChange(3, 4), 33.3);
    assert.equal(percentChange(0, 0), 0);
    assert.equal(percentChange(0, 7), 100);
  });
});

describe('formatUsd', () => {
  it('writes dollars as the seed does', () => {
    const cases: [number, string][] = [
      [375.5, '$375.50'],
      [56.25, '$56.25'],
      [0, '$0.00'],
      [0.5, '$0.50'],
      [0.015, '$0.015'],
      [0.0255, '$0.0255'],
      [0.00075, '$0.00075'],
      [0.12345, '$0.123'],
      [-0.027, '-$0.027'],
    ];
    for (const [value, text] of cases) assert.equal(formatUsd(value), text, String(value));
  });
});
