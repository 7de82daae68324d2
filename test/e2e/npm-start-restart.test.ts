/**
 * The restart promise, as a user would see it: `npm start` killed with SIGKILL in
 * the middle of a sector job, started again on the same data, loses no finished chunk; the
 * interrupted job is marked failed, and a new job for the sector generates only what is missing;
 * and a start right after the stack's whole process group was killed comes up every time, even
 * while the killed stack is still an unreaped zombie.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { processState } from '../../local/pid-file.ts';
import { REPO_ROOT } from '../../local/stack.ts';
import { FAST_SETTINGS } from '../support/e2e.ts';

interface Running {
  child: ChildProcess;
  base: string;
  key: string;
  /** The stack's own pid, which leads its process group (only with `ownGroup`). */
  stackPid?: number;
}

/**
 * Starts `node local/start.ts` (what `npm start` runs) and reads the URL and key it prints. With
 * `ownGroup`, the stack leads a process group of its own (as `npm start` in a terminal does),
 * under a parent that never reaps it (`exec sleep`): once killed, the stack stays a zombie, as it
 * does for a moment whenever its parent dies with it, until the test ends that parent.
 */
async function startProcess(
  dataDir: string,
  env: Record<string, string> = {},
  ownGroup = false,
): Promise<Running> {
  const command = [process.execPath, join(REPO_ROOT, 'local/start.ts')];
  const child = ownGroup
    ? spawn('sh', ['-c', 'setsid "$@" & echo "stack pid $!"; exec sleep 3600', 'sh', ...command], {
        cwd: REPO_ROOT,
        env: { ...process.env, LOCAL_DATA_DIR: dataDir, PORT: '0', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
    : spawn(command[0] as string, command.slice(1), {
        cwd: REPO_ROOT,
        env: { ...process.env, LOCAL_DATA_DIR: dataDir, PORT: '0', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      clearInterval(watch);
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`npm start ${why}:\n${output}`));
    };
    const timer = setTimeout(() => fail('printed no URL in 60 s'), 60_000);
    child.on('exit', (code) => fail(`exited with ${code}`));
    // Under the wrapper the stack's exit does not end the child: watch the stack itself.
    const watch = setInterval(() => {
      const pid = /stack pid (\d+)/.exec(output)?.[1];
      if (pid && !['R', 'S', 'D'].includes(processState(Number(pid)) ?? '')) fail('exited');
    }, 100);
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const base = /Base URL:\s+(\S+)/.exec(output)?.[1];
      const key = /x-api-key: ([A-Za-z0-9]+)/.exec(output)?.[1];
      const stackPid = /stack pid (\d+)/.exec(output)?.[1];
      if (base && key) {
        clearTimeout(timer);
        clearInterval(watch);
        child.removeAllListeners('exit');
        resolve({
          child,
          base: base.replace(/\/$/, ''),
          key,
          ...(stackPid ? { stackPid: Number(stackPid) } : {}),
        });
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

/**
 * Settings as CDK context, which `npm start` reads from CDK_CONTEXT_JSON as every CDK app does
 * (it is how `cdk synth -c name=value` hands context to the app): the e2e harness's small, fast
 * ones (test/support/e2e.ts FAST_SETTINGS), and reads that check a running job's execution at
 * once instead of after 15 s without progress, so a job a kill orphaned shows up failed as soon
 * as it is read.
 */
function fastContext(settings: Record<string, unknown> = {}): Record<string, string> {
  const { questionsPerCareerLevel, questionsPerSoftSkillsJob, llmMaxConcurrency, llmRequestsPerMinute } =
    FAST_SETTINGS;
  return {
    CDK_CONTEXT_JSON: JSON.stringify({
      questionsPerCareerLevel,
      questionsPerSoftSkillsJob,
      llmMaxConcurrency,
      llmRequestsPerMinute,
      jobReconcileAfterSeconds: 0,
      ...settings,
    }),
  };
}

const cleanup: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const step of cleanup.reverse()) await step();
});

describe('npm start killed mid-job', () => {
  it('loses no finished chunk, and the next sector job generates only what is missing', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'quizgen-restart-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));

    // Two chunks at a time, 200 ms each: the 45 chunks take seconds, so the kill lands mid-job.
    const first = await startProcess(dataDir, {
      ...fastContext({ llmMaxConcurrency: 2 }),
      SIMULATOR_LATENCY_MS: '200-200',
    });
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

    const second = await startProcess(dataDir, fastContext());
    cleanup.push(async () => {
      second.child.kill('SIGTERM');
      await stopped(second.child);
    });
    assert.equal(second.key, first.key, 'the API key survives the restart');
    // The execution died with the process; the job is marked failed once it is read.
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

async function checkpointChunks(r: Running): Promise<Set<string>> {
  const answer = await api(r, 'GET', '/checkpoint');
  assert.equal(answer.status, 200);
  return new Set(answer.body.chunks as string[]);
}

describe('npm start right after its process group was killed', () => {
  it('comes up twenty times in a row with its jobs and checkpoints, although the killed stack is unreaped', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'quizgen-crash-restart-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const sectors = ['technology', 'finance', 'health_social_care', 'education', 'construction'];
    const env = { ...fastContext(), SIMULATOR_LATENCY_MS: '100-200' };
    const jobs: string[] = [];
    let checkpoint = new Set<string>();
    let key: string | undefined;
    let previous: Running | undefined;

    for (let restart = 0; restart <= 20; restart += 1) {
      const stack = await startProcess(dataDir, env, true);
      cleanup.push(async () => {
        stack.child.kill('SIGKILL');
        await stopped(stack.child);
        if (stack.stackPid && processState(stack.stackPid)) process.kill(-stack.stackPid, 'SIGKILL');
      });
      assert.ok(stack.stackPid, 'the wrapper names the stack pid');
      if (previous?.stackPid) {
        // The case the lock used to refuse: the killed stack is still a zombie in its pid file.
        assert.equal(
          processState(previous.stackPid),
          'Z',
          `restart ${restart}: the killed stack is unreaped`,
        );
        previous.child.kill('SIGKILL'); // its parent: now the zombie can go
        await stopped(previous.child);
      }
      key ??= stack.key;
      assert.equal(stack.key, key, `restart ${restart}: the API key survives`);
      for (const jobId of jobs) {
        const job = await api(stack, 'GET', `/jobs/${jobId}`);
        assert.equal(job.status, 200, `restart ${restart}: job ${jobId} is still there`);
        assert.equal(job.body.job_id, jobId);
      }
      const kept = await checkpointChunks(stack);
      const lost = [...checkpoint].filter((chunk) => !kept.has(chunk));
      assert.deepEqual(lost, [], `restart ${restart}: no checkpointed chunk is lost`);
      checkpoint = kept;
      if (restart === 20) break;

      // Kill the group while a job's chunks run: once the checkpoint has grown by a chunk.
      const sector = sectors[restart % sectors.length] as string;
      const started = await api(stack, 'POST', '/generate/sector/async', { sector });
      assert.equal(started.status, 202);
      jobs.push(started.body.job_id);
      const deadline = Date.now() + 60_000;
      while ((await checkpointChunks(stack)).size <= checkpoint.size) {
        assert.ok(Date.now() < deadline, `restart ${restart}: no chunk of ${sector} landed in 60 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      checkpoint = await checkpointChunks(stack);
      process.kill(-(stack.stackPid as number), 'SIGKILL');
      previous = stack;
    }
    assert.equal(jobs.length, 20);
  });
});

describe('npm start beside a stack that is running', () => {
  it('refuses the data directory with a message naming the running stack', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'quizgen-second-start-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const running = await startProcess(dataDir);
    cleanup.push(async () => {
      running.child.kill('SIGTERM');
      await stopped(running.child);
    });
    await assert.rejects(
      startProcess(dataDir),
      new RegExp(
        `exited with 1:[\\s\\S]*Another local stack \\(pid ${running.child.pid}\\) is using ${dataDir}`,
      ),
    );
    const status = await api(running, 'GET', '/api-status');
    assert.equal(status.status, 200, 'the running stack goes on serving');
  });
});
