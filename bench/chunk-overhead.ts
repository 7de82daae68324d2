/**
 * Per-chunk overhead: the pipeline's own time per chunk outside the model call. On the local
 * stack, with the Gemini simulator answering at once (no latency, no quota) in a process of its
 * own, one job of one chunk and then a sector job of N chunks run; the overhead per chunk is the
 * difference of their wall times over N - 1, so the fixed cost of a job (API, plan, assemble,
 * finalize) drops out. Wall times are the job's own `created_at` to `completed_at`, written
 * by the service, so the client's polling interval does not count.
 *
 * Each concurrency runs in a fresh process (handlers read their settings once, at load):
 *   1  = chunks one after another: the Map runs one iteration at a time (mapMaxConcurrency 1),
 *        so this is the latency a chunk adds (SFN -> SQS -> worker -> DynamoDB/S3 -> token).
 *   c  = the worker's event source at MaximumConcurrency c, the Map at 40 iterations: the
 *        throughput one machine gives, i.e. the CPU cost of a chunk once they overlap.
 * The figure includes all the local stand-ins: the stack's Node process (the local API Gateway,
 * Step Functions, SQS, s3rver and the handlers) and dynalite's, a child of it.
 *
 * Knobs (environment): BENCH_OVERHEAD_CONCURRENCY (comma-separated, default "1,10"),
 * BENCH_OVERHEAD_SECTOR (the N-chunk job, default finance: 45 chunks), BENCH_QUESTIONS
 * (per career level, default 25).
 */
import { subscribe } from 'node:diagnostics_channel';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  commandFor,
  type Figure,
  formatRows,
  numberFromEnv,
  printReport,
  recordFigures,
  runChildForReport,
  sleep,
  startSimulatorProcess,
} from './support.ts';

const SCRIPT = 'bench/chunk-overhead.ts';

interface JobRun {
  status: string;
  chunks: number;
  wallMs: number;
  cpuMs: number;
  /** Share of the wall time the stack process's event loop was busy (0..1). */
  loopBusy: number;
  /** HTTP requests the stack process made during the job, by service. */
  requests: Record<string, number>;
}

interface ChildReport {
  concurrency: number;
  single: JobRun;
  many: JobRun;
  calls: number;
}

/**
 * Counts the HTTP requests this process makes, by port: the SDK's (node:http) and fetch's
 * (undici). Every hop between the local stand-ins is one, so per chunk they show where the work goes.
 */
function countRequests(): () => Map<string, number> {
  const counts = new Map<string, number>();
  const add = (port: string) => counts.set(port, (counts.get(port) ?? 0) + 1);
  subscribe('http.client.request.start', (message) => {
    const request = (message as { request: { getHeader(name: string): unknown } }).request;
    const port = String(request.getHeader('host') ?? '').split(':')[1] ?? '';
    add(port);
    // DynamoDB, SQS and SFN name the operation in a header (`DynamoDB_20120810.GetItem`).
    const target = request.getHeader('x-amz-target');
    if (typeof target === 'string') add(`${port} ${target.split('.').pop()}`);
  });
  subscribe('undici:request:create', (message) => {
    const origin = String((message as { request: { origin?: unknown } }).request.origin ?? '');
    add(URL.canParse(origin) ? new URL(origin).port : '');
  });
  return () => new Map(counts);
}

// ---------------------------------------------------------------------------------------------
// Child: one stack at one concurrency

async function child(concurrency: number, sector: string, questions: number): Promise<ChildReport> {
  const { SIMULATOR_API_KEY, startLocalStack } = await import('../local/stack.ts');
  const simulator = await startSimulatorProcess(SIMULATOR_API_KEY, { latencyMs: { min: 0, max: 0 } });
  const dataDir = await mkdtemp(join(tmpdir(), 'quizgen-bench-overhead-'));
  const serial = concurrency === 1;
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    quiet: true,
    gemini: { apiKey: SIMULATOR_API_KEY },
    env: { GEMINI_BASE_URL: simulator.url },
    settings: {
      // The event source cannot go below 2 (SQS's MaximumConcurrency range): the Map serializes instead.
      llmMaxConcurrency: serial ? 2 : concurrency,
      mapMaxConcurrency: serial ? 1 : 40,
      llmRequestsPerMinute: 1_000_000,
      questionsPerCareerLevel: questions,
    },
  });
  const counted = countRequests();
  const services = new Map<string, string>();
  for (const [service, url] of [
    ['DynamoDB', stack.env.AWS_ENDPOINT_URL_DYNAMODB],
    ['S3', stack.env.AWS_ENDPOINT_URL_S3],
    ['SQS', stack.env.AWS_ENDPOINT_URL_SQS],
    ['Step Functions', stack.env.AWS_ENDPOINT_URL_SFN],
    ['Gemini', simulator.url],
    ['API (polling)', stack.apiUrl],
  ] as const) {
    if (url) services.set(new URL(url).port, service);
  }
  const byService = (before: Map<string, number>, after: Map<string, number>) => {
    const out: Record<string, number> = {};
    for (const [counter, count] of after) {
      const [port = '', operation] = counter.split(' ');
      const service = services.get(port) ?? `port ${port}`;
      const name = operation ? `${service}: ${operation}` : service;
      out[name] = (out[name] ?? 0) + count - (before.get(counter) ?? 0);
    }
    return out;
  };
  try {
    const key = stack.apiKeys[0]?.value ?? '';
    const call = async (method: string, path: string, body?: unknown) => {
      const response = await fetch(`${stack.baseUrl}${path}`, {
        method,
        headers: { 'x-api-key': key, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
      return JSON.parse(text) as any;
    };
    const run = async (path: string, body: unknown): Promise<JobRun> => {
      const cpu = process.cpuUsage();
      const childCpu = await stack.childCpuUsage();
      const loop = performance.eventLoopUtilization();
      const before = counted();
      const { job_id: jobId } = await call('POST', path, body);
      let job: any;
      for (;;) {
        job = await call('GET', `/jobs/${jobId}`);
        if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
        await sleep(100);
      }
      const used = process.cpuUsage(cpu);
      const childUsed = await stack.childCpuUsage();
      const childMs = (childUsed.user + childUsed.system - childCpu.user - childCpu.system) / 1000;
      return {
        status: job.status,
        chunks: job.result_summary?.chunks_completed ?? 0,
        wallMs: Date.parse(job.completed_at) - Date.parse(job.created_at),
        cpuMs: (used.user + used.system) / 1000 + childMs,
        loopBusy: performance.eventLoopUtilization(loop).utilization,
        requests: byService(before, counted()),
      };
    };
    // A first job loads the handlers' lazy paths and warms the JIT; it is not measured.
    await run('/generate/career-level/async', {
      sector: 'technology',
      career: 'BACKEND_DEVELOPER',
      level: 1,
    });
    const single = await run('/generate/career-level/async', {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
    });
    const many = await run('/generate/sector/async', { sector });
    return { concurrency, single, many, calls: (await simulator.stats()).acceptedCalls };
  } finally {
    await stack.stop();
    await simulator.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Parent: one child per concurrency, one report

function runChild(concurrency: number): Promise<ChildReport> {
  return runChildForReport<ChildReport>(import.meta.filename, ['--child', String(concurrency)]);
}

/** Requests the N-chunk job made beyond the 1-chunk job's, per extra chunk, most first. */
function perChunkRequests({ single, many }: ChildReport, include: (name: string) => boolean): string {
  return Object.entries(many.requests)
    .filter(([name]) => include(name))
    .map(([name, count]) => [name, (count - (single.requests[name] ?? 0)) / (many.chunks - 1)] as const)
    .filter(([, count]) => count > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, count]) => `${name} ${count.toFixed(1)}`)
    .join(', ');
}

const sector = process.env.BENCH_OVERHEAD_SECTOR ?? 'finance';
const questions = numberFromEnv('BENCH_QUESTIONS', 25, 1);

if (process.argv.includes('--child')) {
  const concurrency = Number(process.argv[process.argv.indexOf('--child') + 1]);
  const report = await child(concurrency, sector, questions);
  printReport(report);
} else {
  const concurrencies = (process.env.BENCH_OVERHEAD_CONCURRENCY ?? '1,10').split(',').map(Number);
  if (concurrencies.some((c) => !Number.isInteger(c) || c < 1 || c > 1000)) {
    throw new Error('BENCH_OVERHEAD_CONCURRENCY must list integers from 1 to 1000');
  }
  const figures: Figure[] = [];
  console.log(
    `\nPer-chunk overhead: simulator at zero latency and no quota (own process), ${questions} questions/chunk`,
  );
  for (const concurrency of concurrencies) {
    const report = await runChild(concurrency);
    const { single, many } = report;
    const perChunk = (many.wallMs - single.wallMs) / Math.max(1, many.chunks - 1);
    const cpuPerChunk = (many.cpuMs - single.cpuMs) / Math.max(1, many.chunks - 1);
    const command = commandFor(SCRIPT, {
      BENCH_OVERHEAD_CONCURRENCY: concurrency,
      BENCH_OVERHEAD_SECTOR: sector,
      BENCH_QUESTIONS: questions,
    });
    const mode =
      concurrency === 1
        ? 'chunks one at a time (Map concurrency 1)'
        : `worker concurrency ${concurrency}, Map 40`;
    console.log(`\n  ${mode}; command: ${command}`);
    console.log(
      formatRows(
        [
          ['1-chunk job', `${single.status}, ${single.wallMs} ms wall, ${single.cpuMs.toFixed(0)} ms CPU`],
          [
            `${sector} job`,
            `${many.status}, ${many.chunks} chunks, ${many.wallMs} ms wall, ${many.cpuMs.toFixed(0)} ms CPU, ` +
              `event loop busy ${(many.loopBusy * 100).toFixed(0)}%`,
          ],
          ['model calls (all jobs)', String(report.calls)],
          ['requests per chunk, marginal', perChunkRequests(report, (name) => !name.includes(': '))],
          [
            'DynamoDB operations per chunk',
            perChunkRequests(report, (name) => name.startsWith('DynamoDB: ')).replaceAll('DynamoDB: ', ''),
          ],
          [
            'wall per chunk, marginal',
            `${perChunk.toFixed(0)} ms  ((${sector} - 1-chunk) / ${many.chunks - 1})`,
          ],
          ['CPU per chunk, marginal', `${cpuPerChunk.toFixed(0)} ms of the stack process and dynalite's`],
          ['wall per chunk, whole job', `${(many.wallMs / Math.max(1, many.chunks)).toFixed(0)} ms`],
        ],
        '    ',
      ),
    );
    if (single.status !== 'completed' || many.status !== 'completed') process.exitCode = 1;
    figures.push({
      figure: `per-chunk overhead, ${concurrency === 1 ? 'chunks one at a time' : `worker concurrency ${concurrency}`}`,
      value:
        `${perChunk.toFixed(0)} ms wall/chunk, ${cpuPerChunk.toFixed(0)} ms CPU (${many.chunks} chunks, ${many.status}; ` +
        'model call excluded; CPU of the stack process and its dynalite)',
      command,
    });
  }
  console.log(
    '\n  Includes all the local stand-ins (API Gateway, Step Functions, SQS, s3rver and the handlers in\n' +
      "  the stack's process, dynalite in its own); excludes the model call (the simulator answers at once, elsewhere).",
  );
  recordFigures(figures);
}
