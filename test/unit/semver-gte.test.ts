import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'vitest';
import { gte } from '../../lib/semver-gte.ts';

/** The copy of semver the substitute stands in for: the X-Ray SDK's. */
const semver = createRequire(createRequire(import.meta.url).resolve('aws-xray-sdk-core'))('semver') as {
  gte(a: string, b: string): boolean;
};

/** Versions in precedence order, the specification's example (https://semver.org/#spec-item-11). */
const SPEC_ORDER = [
  '1.0.0-alpha',
  '1.0.0-alpha.1',
  '1.0.0-alpha.beta',
  '1.0.0-beta',
  '1.0.0-beta.2',
  '1.0.0-beta.11',
  '1.0.0-rc.1',
  '1.0.0',
];
const VERSIONS = [
  '0.0.0',
  '1.2.3',
  'v1.2.3',
  ' 1.2.3 ',
  '1.2.4',
  '1.3.0',
  '2.0.0',
  '10.0.0',
  '2.7.15',
  '2.7.9',
  '24.21.0',
  '8.0.0',
  ...SPEC_ORDER,
  '1.0.0+build.5',
  '1.0.0-x-y.7z.92',
  '1.0.0-0',
  '1.0.0-00a',
];
const INVALID = [
  '',
  '1.2',
  '01.2.3',
  '1.2.3.4',
  'x.y.z',
  '1.2.3-',
  '1.2.3-01',
  `1.2.${'9'.repeat(20)}`,
  '=1.2.3',
];

describe('semver-gte (what the bundles carry for the X-Ray SDK)', () => {
  it('agrees with the semver it replaces on every pair of valid versions', () => {
    for (const a of VERSIONS) {
      for (const b of VERSIONS) assert.equal(gte(a, b), semver.gte(a, b), `gte(${a}, ${b})`);
    }
  });

  it("orders pre-releases as the specification's example does", () => {
    for (let i = 1; i < SPEC_ORDER.length; i++) {
      assert.equal(gte(SPEC_ORDER[i] as string, SPEC_ORDER[i - 1] as string), true);
      assert.equal(gte(SPEC_ORDER[i - 1] as string, SPEC_ORDER[i] as string), false);
    }
  });

  it('throws the TypeError semver throws for an invalid version', () => {
    for (const bad of INVALID) {
      assert.throws(() => semver.gte(bad, '1.0.0'), TypeError, `semver accepts ${bad}`);
      assert.throws(() => gte(bad, '1.0.0'), {
        name: 'TypeError',
        message: `Invalid Version: ${bad.trim()}`,
      });
    }
  });
});
