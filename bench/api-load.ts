/**
 * API latency under load: on the local stack, while a full-bank job runs (simulator latency
 * 10-30 s scaled 1/100, 900 RPM, as bench/full-bank.ts), K pollers hammer
 * `GET /api/v1/quiz-generator/jobs/{id}` and `GET .../jobs` (alternately, no pause) and a few
 * clients create career-level jobs (`POST .../generate/career-level/async`, a pause between
 * them, a different career level each time, under the second API key so they neither share
 * the full job's checkpoint nor its question bank). Latency is a request's round trip as the
 * client sees it, body included; any answer other than 2xx, and any failed request, is an error.
 *
 * The clients run in a process of their own, so their CPU is not the stack's; the stack (API
 * Gateway, handlers, Step Functions, SQS, dynalite, s3rver) is one Node process, the simulator
 * another.
 *
 * Before the load, one client reads a finished job for BENCH_API_BASELINE_SECONDS with nothing
 * else running: the idle latency the loaded figures compare with.
 *
 * Knobs (environment): BENCH_API_SECONDS (20), BENCH_API_POLLERS (20), BENCH_API_CREATORS (2),
 * BENCH_API_CREATE_PAUSE_MS (1000), BENCH_API_BASELINE_SECONDS (5), BENCH_RPM (900),
 * BENCH_LATENCY_MS (10000-30000), BENCH_SCALE (100).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  commandFor,
  type Figure,
  formatTable,
  numberFromEnv,
  percentile,
  printReport,
  REPO_ROOT,
  rangeFromEnv,
  recordFigures,
  runChildForReport,
  sleep,
  startSimulatorProcess,
} from './support.ts';

const SCRIPT = 'bench/api-load.ts';
const GROUPS = ['create', 'status', 'list'] as const;
type Group = (typeof GROUPS)[number];

interface LoadReport {
  seconds: number;
  latencies: Record<Group, number[]>;
  errors: Record<Group, number>;
  /** Error answers by status code ("fetch failed" for no answer). */
  errorKinds: Record<string, number>;
}

// ---------------------------------------------------------------------------------------------
// Child: the clients

async function clients(): Promise<LoadReport> {
  const base = process.env.BENCH_BASE_URL as string;
  const jobId = process.env.BENCH_JOB_ID as string;
  const pollKey = process.env.BENCH_POLL_KEY as string;
  const createKey = process.env.BENCH_CREATE_KEY as string;
  const seconds = numberFromEnv('BENCH_API_SECONDS', 20, 1);
  const pollers = numberFromEnv('BENCH_API_POLLERS', 20);
  const creators = numberFromEnv('BENCH_API_CREATORS', 2);
  const pauseMs = numberFromEnv('BENCH_API_CREATE_PAUSE_MS', 1000);

  const catalog = JSON.parse(readFileSync(join(REPO_ROOT, 'data/catalog.json'), 'utf8')) as {
    sectors: Record<string, { career_families: Record<string, { id: string }[]> }>;
  };
  const careerLevels = Object.entries(catalog.sectors).flatMap(([sector, { career_families }]) =>
    Object.values(career_families)
      .flat()
      .flatMap(({ id }) => [1, 2, 3, 4, 5].map((level) => ({ sector, career: id, level }))),
  );

  const report: LoadReport = {
    seconds,
    latencies: { create: [], status: [], list: [] },
    errors: { create: 0, status: 0, list: 0 },
    errorKinds: {},
  };
  const timed = async (group: Group, key: string, method: string, path: string, body?: unknown) => {
    const started = performance.now();
    let kind: string | undefined;
    try {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      await response.arrayBuffer();
      if (response.status < 200 || response.status > 299) kind = String(response.status);
    } catch {
      kind = 'fetch failed';
    }
    report.latencies[group].push(performance.now() - started);
    if (kind) {
      report.errors[group] += 1;
      report.errorKinds[kind] = (report.errorKinds[kind] ?? 0) + 1;
    }
  };

  const end = Date.now() + seconds * 1000;
  let next = 0;
  const poll = async () => {
    for (let i = 0; Date.now() < end; i++) {
      if (i % 2 === 0) await timed('status', pollKey, 'GET', `/jobs/${jobId}`);
      else await timed('list', pollKey, 'GET', '/jobs?limit=20');
    }
  };
  const create = async () => {
    while (Date.now() < end) {
      const target = careerLevels[next++ % careerLevels.length];
      await timed('create', createKey, 'POST', '/generate/career-level/async', target);
      await sleep(Math.min(pauseMs, Math.max(0, end - Date.now())));
    }
  };
  await Promise.all([
    ...Array.from({ length: pollers }, () => poll()),
    ...Array.from({ length: creators }, () => create()),
  ]);
  return report;
}

// ---------------------------------------------------------------------------------------------
// Parent: the stack, the job, the report

/** Runs the clients in their own process with these variables on top of this one's. */
function runClients(env: Record<string, string>): Promise<LoadReport> {
  return runChildForReport<LoadReport>(import.meta.filename, ['--clients'], env);
}

async function parent(): Promise<void> {
  const seconds = numberFromEnv('BENCH_API_SECONDS', 20, 1);
  const pollers = numberFromEnv('BENCH_API_POLLERS', 20);
  const creators = numberFromEnv('BENCH_API_CREATORS', 2);
  const pauseMs = numberFromEnv('BENCH_API_CREATE_PAUSE_MS', 1000);
  const baselineSeconds = numberFromEnv('BENCH_API_BASELINE_SECONDS', 5, 1);
  const rpm = numberFromEnv('BENCH_RPM', 900, 1);
  const scale = numberFromEnv('BENCH_SCALE', 100, 1);
  const latency = rangeFromEnv('BENCH_LATENCY_MS', '10000-30000');
  const command = commandFor(SCRIPT, {
    BENCH_API_SECONDS: seconds,
    BENCH_API_POLLERS: pollers,
    BENCH_API_CREATORS: creators,
    BENCH_API_CREATE_PAUSE_MS: pauseMs,
    BENCH_API_BASELINE_SECONDS: baselineSeconds,
    BENCH_RPM: rpm,
    BENCH_LATENCY_MS: `${latency.min}-${latency.max}`,
    BENCH_SCALE: scale,
  });

  const { SIMULATOR_API_KEY, startLocalStack } = await import('../local/stack.ts');
  const simulator = await startSimulatorProcess(SIMULATOR_API_KEY, {
    latencyMs: latency,
    latencyScale: 1 / scale,
    rpm,
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'quizgen-bench-api-'));
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    quiet: true,
    gemini: { apiKey: SIMULATOR_API_KEY },
    env: { GEMINI_BASE_URL: simulator.url },
    settings: { llmRequestsPerMinute: rpm },
  });
  try {
    const [pollKey, createKey] = stack.apiKeys.map((key) => key.value);
    if (!pollKey || !createKey) throw new Error('The local stack has fewer than two API keys');
    const post = async (path: string, key: string, body: unknown) => {
      const response = await fetch(`${stack.baseUrl}${path}`, {
        method: 'POST',
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      if (response.status !== 202)
        throw new Error(`POST ${path}: ${response.status} ${await response.text()}`);
      return ((await response.json()) as { job_id: string }).job_id;
    };
    const read = async (path: string, key: string) =>
      (await (await fetch(`${stack.baseUrl}${path}`, { headers: { 'x-api-key': key } })).json()) as any;

    // Idle baseline: one client reading a finished job while nothing else runs. The job is the
    // second key's, on a career level the creators reach last.
    const idleJob = await post('/generate/career-level/async', createKey, {
      sector: 'construction',
      career: 'PLUMBER',
      level: 5,
    });
    while (!['completed', 'failed'].includes((await read(`/jobs/${idleJob}`, createKey)).status))
      await sleep(100);
    const idle = await runClients({
      BENCH_BASE_URL: stack.baseUrl,
      BENCH_JOB_ID: idleJob,
      BENCH_POLL_KEY: createKey,
      BENCH_CREATE_KEY: createKey,
      BENCH_API_SECONDS: String(baselineSeconds),
      BENCH_API_POLLERS: '1',
      BENCH_API_CREATORS: '0',
    });

    const jobId = await post('/generate/full/async', pollKey, { include_soft_skills: true });
    const cpu = process.cpuUsage();
    const loop = performance.eventLoopUtilization();
    const report = await runClients({
      BENCH_BASE_URL: stack.baseUrl,
      BENCH_JOB_ID: jobId,
      BENCH_POLL_KEY: pollKey,
      BENCH_CREATE_KEY: createKey,
    });
    const used = process.cpuUsage(cpu);
    const busy = performance.eventLoopUtilization(loop).utilization;
    const job = await read(`/jobs/${jobId}`, pollKey);
    const created = await read('/jobs?limit=1', createKey);
    const createdDone = await read('/jobs?limit=1&status=completed', createKey);
    const calls = (await simulator.stats()).acceptedCalls;

    const labels: Record<Group, string> = {
      create: 'POST …/generate/career-level/async',
      status: 'GET …/jobs/{job_id}',
      list: 'GET …/jobs?limit=20',
    };
    const rows: string[][] = [];
    const figures: Figure[] = [];
    for (const group of GROUPS) {
      const sorted = [...report.latencies[group]].sort((a, b) => a - b);
      const at = (p: number) => percentile(sorted, p).toFixed(0);
      const idleSorted = [...idle.latencies[group]].sort((a, b) => a - b);
      const idleP50 = idleSorted.length > 0 ? `${percentile(idleSorted, 50).toFixed(1)} ms` : 'not measured';
      const [p50, p95, p99] = [at(50), at(95), at(99)];
      const max = (sorted.at(-1) ?? Number.NaN).toFixed(0);
      const rate = (sorted.length / report.seconds).toFixed(1);
      rows.push([
        labels[group],
        String(sorted.length),
        `${rate}/s`,
        p50,
        p95,
        p99,
        max,
        String(report.errors[group]),
        idleP50,
      ]);
      figures.push({
        figure: `API under load: ${labels[group]}`,
        value:
          `p50 ${p50} / p95 ${p95} / p99 ${p99} / max ${max} ms; ${sorted.length} requests, ` +
          `${report.errors[group]} errors${group === 'create' ? '' : ` (idle p50 ${idleP50})`}`,
        command,
      });
    }
    const errorKinds = Object.entries(report.errorKinds)
      .map(([kind, count]) => `${count} × ${kind}`)
      .join(', ');
    console.log(
      `\nAPI latency under load: ${pollers} pollers, ${creators} job creators (${pauseMs} ms pause), ` +
        `${seconds} s, while a full-bank job runs (simulator ${latency.min}-${latency.max} ms scaled 1/${scale}, ${rpm} RPM)`,
    );
    console.log(
      formatTable(
        ['request', 'count', 'rate', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'errors', 'idle p50 (1 client)'],
        rows,
      ),
    );
    console.log(`\n  errors: ${errorKinds || 'none'}`);
    console.log(
      `  during the window: the stack process used ${((used.user + used.system) / 1000 / (report.seconds * 1000)).toFixed(2)} ` +
        `CPU cores (event loop busy ${(busy * 100).toFixed(0)}%); the full job was ${job.status} with ${job.chunks?.completed} of ${job.chunks?.total} chunks done; ` +
        `${createdDone.total} of the second key's ${created.total} career-level jobs (idle baseline included) had completed; ${calls} model calls in all`,
    );
    console.log(`  command: ${command}`);
    const errors = GROUPS.reduce((sum, group) => sum + report.errors[group], 0);
    figures.push({
      figure: 'API under load: errors (non-2xx or no answer)',
      value: `${errors}${errorKinds ? ` (${errorKinds})` : ''}`,
      command,
    });
    recordFigures(figures);
  } finally {
    await stack.stop();
    await simulator.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--clients')) {
  const report = await clients();
  printReport(report);
} else {
  await parent();
}
