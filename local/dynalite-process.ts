/**
 * dynalite (the local DynamoDB) in a process of its own. It is the busiest of the local stand-ins
 * (a chunk makes about 17 DynamoDB requests, each parsed, checked and run against LevelDB), and
 * in the stack's process it took a sixth of the one core the functions, the gateway and the
 * other stand-ins share; in a child it runs on another core, as DynamoDB runs elsewhere in AWS.
 *
 * The child listens on the port it is given (0: any) and tells the parent which over IPC. It
 * exits when told to close, and also when the parent dies (its IPC channel closes), so a killed
 * stack leaves no dynalite holding the LevelDB folder; a stack started next on the same data
 * waits for such a child to be gone before it opens the folder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import dynalite from 'dynalite';
import { enforceUtf8ItemSize } from './dynalite-item-size.ts';
import { waitForPidFileHolder, writePidFile } from './pid-file.ts';

interface ChildOptions {
  /** The LevelDB folder. */
  path: string;
  port: number;
}

type ToParent =
  | { type: 'listening'; port: number }
  | { type: 'error'; message: string }
  | { type: 'cpu'; usage: NodeJS.CpuUsage };

const PID_FILE = 'dynalite.pid';
const ORPHAN_WAIT_MS = 10_000;

export interface DynaliteProcess {
  port: number;
  /** The child's CPU time so far, as `process.cpuUsage()` gives it. */
  cpuUsage(): Promise<NodeJS.CpuUsage>;
  close(): Promise<void>;
}

/**
 * Waits for the dynalite of a stack that was killed to notice and exit (it does so on its own),
 * then goes ahead whether or not it did: the data directory's lock already says no stack uses it.
 */
async function waitForOrphan(pidFile: string): Promise<void> {
  await waitForPidFileHolder(pidFile, ORPHAN_WAIT_MS);
  rmSync(pidFile, { force: true });
}

/** Starts dynalite in a child process, on `options.port` (0: any), storing under `dataDir/dynamodb`. */
export async function startDynaliteProcess(options: {
  dataDir: string;
  port: number;
}): Promise<DynaliteProcess> {
  const pidFile = join(options.dataDir, PID_FILE);
  await waitForOrphan(pidFile);
  const childOptions: ChildOptions = { path: join(options.dataDir, 'dynamodb'), port: options.port };
  const child: ChildProcess = spawn(
    process.execPath,
    [fileURLToPath(import.meta.url), JSON.stringify(childOptions)],
    {
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (message: ToParent) => {
      if (message.type === 'listening') resolve(message.port);
      else if (message.type === 'error') reject(new Error(`dynalite could not start: ${message.message}`));
    });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      reject(new Error(`dynalite exited before listening (${signal ?? code})`)),
    );
  });
  if (child.pid) writePidFile(pidFile, child.pid);
  return {
    port,
    cpuUsage: () =>
      new Promise((resolve, reject) => {
        const answer = (message: ToParent) => {
          if (message.type !== 'cpu') return;
          child.off('message', answer);
          resolve(message.usage);
        };
        child.on('message', answer);
        if (!child.send('cpu')) reject(new Error('dynalite is gone'));
      }),
    async close() {
      if (child.connected) child.send('close');
      else child.kill();
      await exited;
      rmSync(pidFile, { force: true });
    },
  };
}

/** The child: serve until told to close or until the parent is gone. */
async function runChild(options: ChildOptions): Promise<void> {
  // DynamoDB's 400 KB item limit counted in UTF-8 bytes (dynalite counts UTF-16 code units).
  enforceUtf8ItemSize();
  const server: Server = dynalite({
    path: options.path,
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const send = (message: ToParent) => process.send?.(message);
  const stop = () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  };
  process.on('message', (message) => {
    if (message === 'close') stop();
    if (message === 'cpu') send({ type: 'cpu', usage: process.cpuUsage() });
  });
  process.on('disconnect', stop);
  server.once('error', (error) => {
    send({ type: 'error', message: error.message });
    process.exit(1);
  });
  server.listen(options.port, '127.0.0.1', () =>
    send({ type: 'listening', port: (server.address() as AddressInfo).port }),
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await runChild(JSON.parse(process.argv[2] ?? '{}') as ChildOptions);
}
