/**
 * The rate limiter's fair shares between keys (lambdas/platform/gemini/rate-limiter.ts): when
 * may a tenant reserve, and what the limiter keeps of each tenant.
 */
import { describe, expect, it } from 'vitest';
import {
  ACTIVE_TENANT_MS,
  AHEAD_PER_TENANT,
  fairTurn,
  type TenantSlots,
  withSlot,
} from '#platform/gemini/rate-limiter.ts';

const NOW = 1_000_000;

describe('rate limiter: fair turns between tenants', () => {
  it('lets a tenant alone reserve however many slots it holds ahead', () => {
    const tenants: TenantSlots = { busy: { last: NOW + 900, ahead: [NOW + 100, NOW + 500, NOW + 900] } };
    expect(fairTurn(tenants, 'busy', NOW)).toEqual({ reserve: true });
  });

  it(`makes a tenant with ${AHEAD_PER_TENANT} slots ahead wait for its next one while another is active`, () => {
    const tenants: TenantSlots = {
      busy: { last: NOW + 500, ahead: [NOW + 500, NOW + 100] },
      other: { last: NOW - 1_000, ahead: [] },
    };
    expect(fairTurn(tenants, 'busy', NOW)).toEqual({ reserve: false, waitMs: 105 });
  });

  it('lets a tenant with fewer slots ahead, or a newcomer, reserve at once', () => {
    const tenants: TenantSlots = {
      busy: { last: NOW + 500, ahead: [NOW + 100, NOW + 500] },
      other: { last: NOW + 300, ahead: [NOW + 300] },
    };
    expect(fairTurn(tenants, 'other', NOW)).toEqual({ reserve: true });
    expect(fairTurn(tenants, 'newcomer', NOW)).toEqual({ reserve: true });
  });

  it('does not count slots already past as ahead', () => {
    const tenants: TenantSlots = {
      busy: { last: NOW + 100, ahead: [NOW - 100, NOW + 100] },
      other: { last: NOW, ahead: [] },
    };
    expect(fairTurn(tenants, 'busy', NOW)).toEqual({ reserve: true });
  });

  it(`ignores a tenant whose last slot is more than ${ACTIVE_TENANT_MS / 1000} s old`, () => {
    const tenants: TenantSlots = {
      busy: { last: NOW + 500, ahead: [NOW + 100, NOW + 500] },
      gone: { last: NOW - ACTIVE_TENANT_MS - 1, ahead: [] },
    };
    expect(fairTurn(tenants, 'busy', NOW)).toEqual({ reserve: true });
  });

  it('records the slot and forgets past slots and idle tenants', () => {
    const tenants: TenantSlots = {
      busy: { last: NOW + 100, ahead: [NOW - 50, NOW + 100] },
      gone: { last: NOW - ACTIVE_TENANT_MS - 1, ahead: [] },
      recent: { last: NOW - 10, ahead: [NOW - 10] },
    };
    expect(withSlot(tenants, 'busy', NOW + 300, NOW)).toEqual({
      busy: { last: NOW + 300, ahead: [NOW + 100, NOW + 300] },
      recent: { last: NOW - 10, ahead: [] },
    });
    expect(withSlot({}, 'first', NOW, NOW)).toEqual({ first: { last: NOW, ahead: [NOW] } });
  });

  it(`keeps only a tenant's last ${AHEAD_PER_TENANT} slots to come, all a turn needs`, () => {
    const tenants: TenantSlots = { busy: { last: NOW + 200, ahead: [NOW + 100, NOW + 200] } };
    expect(withSlot(tenants, 'busy', NOW + 300, NOW).busy?.ahead).toEqual([NOW + 200, NOW + 300]);
  });

  it('makes a tenant far over its share wait until it is under it, not just for its next slot', () => {
    const tenants: TenantSlots = {
      busy: { last: NOW + 400, ahead: [NOW + 100, NOW + 200, NOW + 300, NOW + 400] },
      other: { last: NOW, ahead: [] },
    };
    expect(fairTurn(tenants, 'busy', NOW)).toEqual({ reserve: false, waitMs: 305 });
  });
});
