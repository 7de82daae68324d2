import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { InvalidRequest } from '#platform/errors.ts';
import {
  careersOf,
  requireCareer,
  requireLevel,
  requireSector,
  sectorDetails,
  sectorIds,
} from '#quiz-bank/catalog.ts';

const SEED_SECTORS = ['technology', 'finance', 'health_social_care', 'education', 'construction'];

describe('catalog', () => {
  it('lists the five sectors of the seed, in the seed order', () => {
    assert.deepEqual(sectorIds(), SEED_SECTORS);
  });

  it("has the seed's technology careers in the families 'Software Development' and 'Data'", () => {
    const technology = sectorDetails().technology;

    assert.ok(technology);
    assert.deepEqual(technology['Software Development'], [
      'FRONTEND_DEVELOPER',
      'BACKEND_DEVELOPER',
      'FULLSTACK_DEVELOPER',
    ]);
    assert.deepEqual(technology.Data, ['DATA_SCIENTIST', 'DATA_ANALYST', 'ML_ENGINEER']);
  });

  it('gives sector_details as sector → family → non-empty list of career ids, for every sector', () => {
    const details = sectorDetails();

    assert.deepEqual(Object.keys(details), SEED_SECTORS);
    for (const [sector, families] of Object.entries(details)) {
      const ids = Object.values(families).flat();
      assert.ok(Object.keys(families).length > 0, `${sector} has families`);
      assert.ok(
        ids.every((id) => typeof id === 'string' && /^[A-Z][A-Z0-9_]*$/.test(id)),
        `${sector} lists career ids`,
      );
      assert.deepEqual(
        ids,
        careersOf(sector).map((c) => c.id),
        `${sector} lists every career once`,
      );
      assert.equal(new Set(ids).size, ids.length, `${sector} has no repeated career`);
    }
  });

  describe('requireSector', () => {
    it('returns a known sector', () => {
      assert.equal(requireSector('finance'), 'finance');
    });

    it('throws InvalidRequest naming the unknown sector and every valid one', () => {
      assert.throws(
        () => requireSector('xyz'),
        (error: unknown) => {
          assert.ok(error instanceof InvalidRequest);
          assert.equal(error.statusCode, 400);
          assert.match(error.message, /Unknown sector: xyz/);
          for (const sector of SEED_SECTORS) assert.ok(error.message.includes(sector), sector);
          return true;
        },
      );
    });

    it('does not accept inherited object keys as sectors', () => {
      assert.throws(() => requireSector('constructor'), InvalidRequest);
      assert.throws(() => requireSector('toString'), InvalidRequest);
    });
  });

  describe('requireCareer', () => {
    it('returns the career with its title and focus areas', () => {
      const career = requireCareer('technology', 'DATA_SCIENTIST');

      assert.equal(career.id, 'DATA_SCIENTIST');
      assert.ok(career.title.length > 0);
      assert.ok(career.focus.length > 0);
    });

    it('throws InvalidRequest naming the valid careers of that sector', () => {
      assert.throws(
        () => requireCareer('technology', 'ACCOUNTANT'),
        (error: unknown) => {
          assert.ok(error instanceof InvalidRequest);
          assert.match(error.message, /ACCOUNTANT/);
          assert.match(error.message, /technology/);
          for (const id of careersOf('technology').map((c) => c.id)) {
            assert.ok(error.message.includes(id), id);
          }
          assert.ok(!error.message.includes('AUDITOR'), 'names only careers of the sector asked for');
          return true;
        },
      );
    });

    it('throws InvalidRequest for an unknown sector', () => {
      assert.throws(() => requireCareer('xyz', 'FRONTEND_DEVELOPER'), /Unknown sector: xyz/);
    });
  });

  describe('requireLevel', () => {
    it('accepts the levels 1 to 5', () => {
      for (const level of [1, 2, 3, 4, 5]) assert.equal(requireLevel(level), level);
    });

    it('throws InvalidRequest naming the valid levels for anything else', () => {
      for (const bad of [0, 6, 2.5, '3', null, undefined, Number.NaN]) {
        assert.throws(
          () => requireLevel(bad),
          (error: unknown) => {
            assert.ok(error instanceof InvalidRequest, String(bad));
            assert.match(error.message, /Valid levels: 1, 2, 3, 4, 5/);
            return true;
          },
        );
      }
    });
  });
});
