/**
 * Scenario 3, the whole stack stopped mid-job: the local stack runs in a process of its own
 * (test/chaos/stack-process.ts) and is killed with SIGKILL while a sector job runs, chunks in
 * flight; then it starts again on the same data directory. The Gemini simulator runs outside
 * it, as Gemini would, and sees both halves.
 *
 * The interrupted job is reported failed; a new job with the same parameters skips what the
 * checkpoint holds and generates the rest; together they produce the whole sector with every
 * chunk exactly once.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../local/stack.ts';
import {
  ANSWERED,
  BASE,
  BOUNDS,
  type ChaosStack,
  callApi,
  endScenario,
  Ledger,
  scenarioDataDir,
  startChaosStack,
  startJob,
  startSimulator,
  waitForJob,
} from './harness.ts';
import { type ScenarioOptions, SECTORS } from './model-faults.ts';
import { emptyReport, faultsOf, type ScenarioReport } from './report.ts';
import { checkBounds, checkCounters, sectorChunkKeys, verifySectorOutput } from './verify.ts';

/** The first job is killed once this many of its chunks are done (of 45). */
const KILL_AFTER_CHUNKS = 15;

interface Child {
  process: ChildProcess;
  api: ChaosStack['api'];
  output(): string;
}

function startStackProcess(dataDir: string, simulatorUrl: string): Promise<Child> {
  const { NODE_TEST_CONTEXT: _, ...env } = process.env;
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'test/chaos/stack-process.ts'), JSON.stringify({ dataDir, simulatorUrl })],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the stack process did not start in 60 s:\n${output}`)),
      60_000,
    );
    child.once('exit', (code) => reject(new Error(`the stack process exited with ${code}:\n${output}`)));
    child.stdout?.on('data', (chunk) => {
      output += chunk;
      const ready = /READY (\{.*\})/.exec(output)?.[1];
      if (!ready) return;
      clearTimeout(timer);
      const { apiUrl, key } = JSON.parse(ready) as { apiUrl: string; key: string };
      const base = apiUrl.replace(/\/$/, '');
      resolve({
        process: child,
        api: (method, path, body) => callApi(base, key, method, path, body),
        output: () => output,
      });
    });
  });
}

function killed(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    }
  });
}

export async function stackRestart(options: ScenarioOptions): Promise<ScenarioReport> {
  const sector = SECTORS[(options.run + 3) % SECTORS.length] ?? 'education';
  const report = emptyReport('stack-restart', options.run, options.seed, sector);
  const problems = report.problems;
  const started = Date.now();
  const simulator = await startSimulator({
    seed: options.seed,
    latencyMs: { min: 150, max: 250 },
    injected429DelayMs: 50,
    faults: { error429: 0.03, error503: 0.03, badItems: 0.05, nearDuplicate: 0.03 },
  });
  const dataDir = await scenarioDataDir();
  const ledger = new Ledger();
  let child: Child | undefined;
  let chaos: ChaosStack | undefined;
  try {
    const keys = sectorChunkKeys(sector);
    report.chunks.planned = keys.length;

    // First half: a job in a stack process, killed mid-job.
    child = await startStackProcess(dataDir, simulator.url);
    const firstId = await startJob(child.api, '/generate/sector/async', { sector });
    let seen: any;
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      seen = (await child.api('GET', `${BASE}/jobs/${firstId}`)).body;
      if (seen.chunks.completed >= KILL_AFTER_CHUNKS || !['pending', 'running'].includes(seen.status)) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await killed(child.process);
    if (seen?.status !== 'running')
      problems.push(`the first job was ${seen?.status} when the stack was killed`);
    const callsBeforeRestart = simulator.stats().totalCalls;

    // Second half: the same data directory, in this process.
    chaos = await startChaosStack({
      dataDir,
      simulatorUrl: simulator.url,
      hooks: ledger.hooks,
      ...(options.verbose ? { verbose: true } : {}),
    });
    const firstRecord = await chaos.store.job(firstId);
    const inFlight = (await chaos.store.chunkRecords(firstId)).filter((c) => c.status === 'running');
    const orphan = await waitForJob(chaos.api, firstId, (job) => job.status !== 'running', 30_000);
    if (orphan.status !== 'failed') problems.push(`the interrupted job is ${orphan.status}, not failed`);
    if (!/start a new job/.test(String(orphan.error_message))) {
      problems.push(`the interrupted job's error does not say to start a new job: ${orphan.error_message}`);
    }
    const kept = new Set(
      [...(await chaos.store.checkpoint(chaos.owner)).keys()].filter((k) => k.startsWith(`${sector}__`)),
    );
    for (const key of firstRecord.counted_chunks ?? []) {
      if (!kept.has(key)) problems.push(`${key} was counted by the first job but is not in the checkpoint`);
    }
    report.notes.push(
      `killed the stack (SIGKILL) with ${firstRecord.chunks_completed} chunks counted, ${kept.size} in the checkpoint and ${inFlight.length} in flight; the job then read ${orphan.status}: "${orphan.error_message}"`,
    );

    const secondId = await startJob(chaos.api, '/generate/sector/async', { sector });
    const job = await waitForJob(chaos.api, secondId);
    if (job.status !== 'completed') problems.push(`the new job ended ${job.status}: ${job.error_message}`);
    const second = await chaos.store.job(secondId);
    checkCounters(second, 'the new job', problems);
    if (second.chunks_skipped !== kept.size || second.chunks_planned !== keys.length - kept.size) {
      problems.push(
        `the new job skipped ${second.chunks_skipped} and planned ${second.chunks_planned}; the checkpoint held ${kept.size} of ${keys.length}`,
      );
    }
    for (const chunk of await chaos.store.chunkRecords(secondId)) {
      if (kept.has(chunk.chunk_key)) problems.push(`the new job generated ${chunk.chunk_key} again`);
    }
    report.jobs = 2;
    // Done by either job: what the first left in the checkpoint, and what the second generated.
    report.chunks.completed = kept.size + second.chunks_completed;
    report.chunks.failed = second.chunks_failed;
    report.chunks.fromCheckpoint = second.chunks_skipped;
    report.chunks.resumed = second.chunks_completed;

    const output = await verifySectorOutput(chaos, sector, problems);
    report.questions = output.questions;
    report.duplicates = output.duplicates;
    report.repeatedAcrossCareers = output.repeatedAcrossCareers;
    report.nearDuplicates = output.nearDuplicates;
    report.lost = output.lost.length;
    for (const [key, file] of output.chunkFiles) {
      const owner = kept.has(key) ? firstId : secondId;
      if (file.job_id !== owner)
        problems.push(`${key}'s chunk file comes from job ${file.job_id}, not ${owner}`);
    }

    const stats = simulator.stats();
    report.faults = faultsOf(stats);
    report.calls = stats.totalCalls;
    const answered = ANSWERED.reduce((sum, outcome) => sum + stats.outcomes[outcome], 0);
    report.retries = stats.totalCalls - answered;
    const firstRaw = await chaos.store.rawAnswers(firstId);
    const secondRaw = await chaos.store.rawAnswers(secondId);
    checkBounds(ledger, secondRaw, stats.totalCalls - callsBeforeRestart, problems, report);
    const perAttempt = new Map<string, number>();
    for (const answer of firstRaw) {
      const key = `${answer.chunkKey}/${answer.attempt}`;
      perAttempt.set(key, (perAttempt.get(key) ?? 0) + 1);
    }
    for (const [key, count] of perAttempt) {
      if (count > BOUNDS.answersPerDelivery)
        problems.push(`first job, ${key}: ${count} answers in one delivery`);
      report.repairs += count - 1;
    }
    report.answers = firstRaw.length + secondRaw.length;
  } catch (error) {
    problems.push(`scenario aborted: ${(error as Error).stack ?? error}`);
    if (child) report.notes.push(`stack process output:\n${child.output().slice(-2000)}`);
  } finally {
    if (child) await killed(child.process);
    if (chaos) {
      chaos.store.destroy();
      await chaos.stop();
    }
    await simulator.close();
    await endScenario(report, dataDir, started);
  }
  return report;
}
