import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import {
  processAlive,
  processState,
  readPidFile,
  waitForPidFileHolder,
  writePidFile,
} from '../../local/pid-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'quizgen-pid-file-'));
const parents: ChildProcess[] = [];
afterAll(() => {
  for (const parent of parents) parent.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A process killed with SIGKILL whose parent (`exec sleep`) never reaps it: a zombie that stays. */
async function zombie(): Promise<number> {
  const parent = spawn('sh', ['-c', 'sleep 60 & exec sleep 61'], { stdio: 'ignore' });
  parents.push(parent);
  const shell = parent.pid as number;
  // Kill the child only once the shell has become `sleep 61`: the shell itself could reap it.
  let pid: number | undefined;
  while (pid === undefined) {
    const comm = readFileSync(`/proc/${shell}/comm`, 'utf8').trim();
    const children = readFileSync(`/proc/${shell}/task/${shell}/children`, 'utf8').trim();
    if (comm === 'sleep' && children) pid = Number(children.split(' ')[0]);
    else await new Promise((resolve) => setTimeout(resolve, 10));
  }
  process.kill(pid, 'SIGKILL');
  for (let state = processState(pid); state !== 'Z'; state = processState(pid)) {
    assert.ok(state, `process ${pid} was reaped instead of staying a zombie`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return pid;
}

describe('pid files of the local stack', () => {
  it('takes a killed but unreaped process (a zombie) for a dead one, although kill(pid, 0) still finds it', async () => {
    const pid = await zombie();
    assert.doesNotThrow(() => process.kill(pid, 0), 'the zombie still exists for kill(pid, 0)');
    assert.equal(processAlive(pid), false);
  });

  it('takes a running process for a live one, and a missing or invalid pid for a dead one', () => {
    assert.equal(processAlive(process.pid), true);
    assert.equal(processAlive(0), false);
    assert.equal(processAlive(-1), false);
    assert.equal(processAlive(2 ** 22 + 1), false, 'above the largest pid Linux gives');
  });

  it('records the start time, so a pid given to another process is not taken for the holder', () => {
    const file = join(dir, 'self.pid');
    writePidFile(file);
    const holder = readPidFile(file);
    assert.equal(holder?.pid, process.pid);
    assert.match(holder?.startTime ?? '', /^\d+$/);
    assert.equal(processAlive(process.pid, holder?.startTime), true);
    assert.equal(processAlive(process.pid, `${Number(holder?.startTime) + 1}`), false);
  });

  it('reads a pid file of the older form, a bare pid, and ignores one without a pid', () => {
    const file = join(dir, 'bare.pid');
    writeFileSync(file, `${process.pid}`);
    assert.deepEqual(readPidFile(file), { pid: process.pid });
    writeFileSync(file, 'not a pid');
    assert.equal(readPidFile(file), undefined);
    assert.equal(readPidFile(join(dir, 'missing.pid')), undefined);
  });

  it('does not wait for a zombie holder, and removes its pid file', async () => {
    const file = join(dir, 'zombie.pid');
    writePidFile(file, await zombie());
    const started = Date.now();
    assert.equal(await waitForPidFileHolder(file, 5_000), undefined);
    assert.ok(Date.now() - started < 1_000, `answered in ${Date.now() - started} ms`);
    assert.equal(readPidFile(file), undefined);
  });

  it('waits for a holder that is still exiting, and answers one that keeps running after the wait', async () => {
    const exiting = spawn('sleep', ['0.3']);
    const file = join(dir, 'exiting.pid');
    writePidFile(file, exiting.pid);
    assert.equal(await waitForPidFileHolder(file, 5_000), undefined, 'gone within the wait');

    writePidFile(file);
    const started = Date.now();
    assert.equal((await waitForPidFileHolder(file, 200))?.pid, process.pid);
    assert.ok(Date.now() - started >= 200, 'it waited before answering');
    assert.equal(readPidFile(file)?.pid, process.pid, 'a running holder keeps its file');
  });
});
