/**
 * `semver.gte`, alone: what the bundles carry in place of the `semver` package for the tracer's
 * X-Ray SDK (`semverGteOnly` in `bundling.ts`). aws-xray-sdk-core requires semver as it loads,
 * for one call of `gte` in its AWS SDK v2 patcher (`captureAWS`, which this service never
 * calls); the package is 28 KB minified at load and compiles about forty regular expressions
 * as it loads.
 *
 * Precedence as the Semantic Versioning 2.0.0 specification defines it (https://semver.org/#spec-item-11),
 * and strict parsing as node-semver's `FULL` expression does (`internal/re.js`: an optional `v`,
 * no leading zeros, the input trimmed): an invalid version throws node-semver's `TypeError`.
 * test/unit/semver-gte.test.ts compares it with the package.
 */

const NUMBER = '0|[1-9]\\d*';
const IDENTIFIER = `(?:${NUMBER}|\\d*[a-zA-Z-][a-zA-Z0-9-]*)`;
const VERSION = new RegExp(
  `^v?(${NUMBER})\\.(${NUMBER})\\.(${NUMBER})(?:-(${IDENTIFIER}(?:\\.${IDENTIFIER})*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`,
);
/** node-semver's MAX_LENGTH (`internal/constants.js`). */
const MAX_LENGTH = 256;

interface Parsed {
  release: [number, number, number];
  prerelease: (string | number)[];
}

function parse(version: unknown): Parsed {
  const text = typeof version === 'string' ? version.trim() : '';
  const match = text.length <= MAX_LENGTH ? VERSION.exec(text) : null;
  if (!match) throw new TypeError(`Invalid Version: ${String(version)}`);
  const release = [match[1], match[2], match[3]].map(Number) as Parsed['release'];
  if (release.some((part) => part > Number.MAX_SAFE_INTEGER)) throw new TypeError(`Invalid Version: ${text}`);
  const prerelease = match[4]?.split('.').map((id) => (/^\d+$/.test(id) ? Number(id) : id)) ?? [];
  return { release, prerelease };
}

/** Spec item 11.4: numeric identifiers numerically and below alphanumeric ones, which compare in ASCII order. */
function compareIdentifiers(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return Math.sign(a - b);
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compare(a: Parsed, b: Parsed): number {
  const release = a.release.map((part, i) => Math.sign(part - b.release[i as 0 | 1 | 2])).find(Boolean);
  if (release) return release;
  // A pre-release is below its release (11.3); a longer set of identifiers wins a tie (11.4.4).
  if (!a.prerelease.length || !b.prerelease.length)
    return Math.sign(b.prerelease.length - a.prerelease.length);
  for (const [i, ours] of a.prerelease.entries()) {
    const theirs = b.prerelease[i];
    if (theirs === undefined) return 1;
    const order = compareIdentifiers(ours, theirs);
    if (order) return order;
  }
  return a.prerelease.length < b.prerelease.length ? -1 : 0;
}

/** Whether version `a` is at least `b`. */
export function gte(a: string, b: string): boolean {
  return compare(parse(a), parse(b)) >= 0;
}
