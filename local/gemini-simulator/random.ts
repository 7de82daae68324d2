/**
 * Deterministic randomness: every draw is fixed by what it is for (the seed, a purpose, a call
 * index or a request), so a seed replays the same answers, latencies and faults.
 */
import { createHash } from 'node:crypto';

export function sha256(...parts: (string | number)[]): Buffer {
  return createHash('sha256').update(parts.join('\u0000')).digest();
}

export function hashHex(...parts: (string | number)[]): string {
  return sha256(...parts).toString('hex');
}

/** A uniform number in [0, 1) fixed by its inputs. */
export function unitFrom(...parts: (string | number)[]): number {
  return sha256(...parts).readUInt32BE(0) / 2 ** 32;
}

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

export function rngFrom(...parts: (string | number)[]): () => number {
  return mulberry32(sha256(...parts).readUInt32BE(0));
}
