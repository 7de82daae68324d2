/**
 * Chunks: the unit of work and of checkpointing, one model call's worth (with its repairs).
 * Kinds name their chunks by parts joined with `__`; a key that stands for the same work in
 * every job (a quiz bank's `technology__FRONTEND_DEVELOPER__1`) is what lets a new job skip
 * what an old one finished.
 */

const SEPARATOR = '__';

export function chunkKey(...parts: (string | number)[]): string {
  return parts.join(SEPARATOR);
}

export function chunkKeyParts(key: string): string[] {
  return key.split(SEPARATOR);
}
