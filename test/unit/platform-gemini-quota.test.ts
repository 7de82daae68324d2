import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import {
  forgetQuotaStops,
  nextPacificMidnight,
  quotaStopInForce,
  rememberQuotaStop,
} from '#platform/gemini/quota.ts';

describe('nextPacificMidnight', () => {
  it('is 08:00 UTC in winter (PST) and 07:00 UTC in summer (PDT)', () => {
    assert.equal(
      nextPacificMidnight(new Date('2026-12-06T01:00:00Z')).toISOString(),
      '2026-12-06T08:00:00.000Z',
    );
    assert.equal(
      nextPacificMidnight(new Date('2026-12-06T09:00:00Z')).toISOString(),
      '2026-12-07T08:00:00.000Z',
    );
    assert.equal(
      nextPacificMidnight(new Date('2026-07-01T12:00:00Z')).toISOString(),
      '2026-07-02T07:00:00.000Z',
    );
  });

  it('takes the offset in force at that midnight across a DST change', () => {
    // 2026-03-08 02:00 PST becomes PDT: the midnight after it is 07:00 UTC.
    assert.equal(
      nextPacificMidnight(new Date('2026-03-08T12:00:00Z')).toISOString(),
      '2026-03-09T07:00:00.000Z',
    );
    // 2026-11-01 02:00 PDT becomes PST: the midnight after it is 08:00 UTC.
    assert.equal(
      nextPacificMidnight(new Date('2026-11-01T12:00:00Z')).toISOString(),
      '2026-11-02T08:00:00.000Z',
    );
  });
});

describe('remembered quota stops', () => {
  it('hold for their key and model until the reset', () => {
    forgetQuotaStops();
    const resetsAt = new Date(Date.now() + 60_000).toISOString();
    rememberQuotaStop('k', 'm', { quotaId: 'GenerateRequestsPerDay', model: 'm', resetsAt }, 'msg');

    assert.equal(quotaStopInForce('k', 'm')?.message, 'msg');
    assert.equal(quotaStopInForce('k', 'other-model'), undefined);
    assert.equal(quotaStopInForce('k', 'm', Date.now() + 120_000), undefined, 'gone after the reset');
    assert.equal(quotaStopInForce('k', 'm'), undefined);
  });
});
