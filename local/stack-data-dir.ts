/**
 * The data directory a local stack persists in: a lock so that one stack at a time uses it, and
 * the API keys and webhook signing secret made at the first start and kept with the data.
 */

import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ApiKey } from './api-gateway.ts';
import { readPidFile, waitForPidFileHolder, writePidFile } from './pid-file.ts';

const LOCK_FILE = 'stack.pid';

/** How long a start waits for the holder of the data directory's lock to finish exiting. */
const LOCK_WAIT_MS = 3_000;

/**
 * LevelDB allows one process per folder; say so plainly instead of dynalite's "Database is closed".
 * A holder that is gone, or a zombie of a stack killed a moment ago, holds nothing; one still
 * running is given a moment to finish exiting (a stack stopping on SIGTERM, say) before the start
 * is refused.
 */
export async function lockDataDir(dataDir: string): Promise<void> {
  const file = join(dataDir, LOCK_FILE);
  const holder = readPidFile(file);
  if (holder && holder.pid !== process.pid) {
    const running = await waitForPidFileHolder(file, LOCK_WAIT_MS);
    if (running)
      throw new Error(
        `Another local stack (pid ${running.pid}) is using ${dataDir}; stop it or use another data directory`,
      );
  }
  writePidFile(file);
}

/** The webhook signing secret, made once and kept with the data like the API keys. */
export function loadWebhookSecret(dataDir: string): string {
  const file = join(dataDir, 'webhook-secret');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const secret = randomBytes(32).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

export function loadApiKeys(dataDir: string): ApiKey[] {
  const file = join(dataDir, 'api-keys.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as ApiKey[];
  // API Gateway key ids are 10 lowercase characters and values 40 alphanumerics.
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const random = (length: number, chars: string) =>
    [...randomBytes(length)].map((byte) => chars[byte % chars.length]).join('');
  const keys = ['default', 'second'].map((name) => ({
    id: random(10, 'abcdefghijklmnopqrstuvwxyz0123456789'),
    value: random(40, alphabet),
    name,
  }));
  writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  return keys;
}

export function unlockDataDir(dataDir: string): void {
  rmSync(join(dataDir, LOCK_FILE), { force: true });
}
