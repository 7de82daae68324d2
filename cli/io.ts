/** What a command reads and writes: the terminal's streams, the environment and Ctrl-C, passed in so tests can give their own. */
import type { Readable, Writable } from 'node:stream';
import type { Env } from './config.ts';

export type Output = Writable & { isTTY?: boolean; columns?: number };

export interface Io {
  stdout: Output;
  stderr: Output;
  stdin: Readable & { isTTY?: boolean };
  env: Env;
  /** Listens for Ctrl-C once; answers a function that stops listening. */
  onInterrupt(handler: () => void): () => void;
}
