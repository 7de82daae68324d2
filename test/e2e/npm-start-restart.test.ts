/**
 * The restart promise, as a user would see it: `npm start` killed with SIGKILL in
 * the middle of a sector job, started again on the same data, loses no finished chunk; the
 * interrupted job is marked failed, and a new job for the sector generates only what is missing.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { REPO_ROOT } from '../../local/stack.ts';

interface Running {
  child: ChildProcess;
  base: string;
  key: string;
}

/** Starts `node local/start.ts` (what `npm start` runs) and reads the URL and key it prints. */
async function startProcess(dataDir: string, env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'local/start.ts')], {
    cwd: REPO_ROOT,
    env: { ...process.env, LOCAL_DATA_DIR: dataDir, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no URL in 60 s:\n${output}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${output}`)));
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const base = /Base URL:\s+(\S+)/.exec(output)?.[1];
      const key = /x-api-key: ([A-Za-z0-9]+)/.exec(output)?.[1];
      if (base && key) {
        clearTimeout(timer);
        resolve({ child, base: base.replace(/\/$/, ''), key });
      }
    });
  });
}

async function api(r: Running, method: string, path: string, body?: unknown) {
  const response = await fetch(`${r.base}${path}`, {
    method,
    headers: { 'x-api-key': r.key, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: response.status, body: (await response.json()) as any };
}

async function poll(r: Running, jobId: string, until: (job: any) => boolean, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    last = (await api(r, 'GET', `/jobs/${jobId}`)).body;
    if (until(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  assert.fail(`job ${jobId} did not get there in ${timeoutMs} ms: ${JSON.stringify(last)}`);
}

function stopped(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

const cleanup: (() => Promise<void>)[] = [];
after(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe('npm start killed mid-job', () => {
  it('loses no finished chunk, and the next sector job generates only what is missing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'quizgen-restart-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));

    const first = await startProcess(dataDir, { SIMULATOR_LATENCY_MS: '200-200' });
    cleanup.push(async () => {
      first.child.kill('SIGKILL');
      await stopped(first.child);
    });
    const started = await api(first, 'POST', '/generate/sector/async', { sector: 'health_social_care' });
    assert.equal(started.status, 202);
    const jobId = started.body.job_id;
    await poll(first, jobId, (job) => job.chunks.completed >= 4, 60_000);
    first.child.kill('SIGKILL');
    await stopped(first.child);

    const second = await startProcess(dataDir);
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await stopped(second.child);
    });
    assert.equal(second.key, first.key, 'the API key survives the restart');
    // The execution died with the process; the job is marked failed once it looks stalled.
    const orphan = await poll(second, jobId, (job) => job.status !== 'running', 60_000);
    assert.equal(orphan.status, 'failed');
    assert.match(orphan.error_message, /no longer exists.*start a new job/);

    const checkpoint = await api(second, 'GET', '/checkpoint');
    const kept = checkpoint.body.chunks.filter((c: string) => c.startsWith('health_social_care__'));
    assert.ok(kept.length >= 4, `finished chunks survive a kill (${kept.length})`);

    const resumed = await api(second, 'POST', '/generate/sector/async', { sector: 'health_social_care' });
    const job = await poll(
      second,
      resumed.body.job_id,
      (j) => ['completed', 'failed'].includes(j.status),
      120_000,
    );
    assert.equal(job.status, 'completed');
    assert.equal(job.result_summary.chunks_skipped_from_checkpoint, kept.length);
    assert.equal(job.result_summary.chunks_completed, 45 - kept.length);
  });
});
