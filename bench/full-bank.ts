/**
 * `npm run bench` (first of two): a full generation (every sector and soft skills of the
 * shipped catalog) on the local stack against the Gemini simulator, with per-call latency
 * scaled down from realistic values and a requests-per-minute quota, compared with the bound
 * the quota and the concurrency allow and with the same calls made one after another.
 *
 * Knobs (environment): BENCH_RPM (default 900), BENCH_CONCURRENCY (10), BENCH_LATENCY_MS
 * (real per-call latency range, default 10000-30000), BENCH_SCALE (latency divisor, default
 * 100), BENCH_QUESTIONS (per career level, default 25).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../local/stack.ts';

function intFromEnv(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

const rpm = intFromEnv('BENCH_RPM', 900);
const concurrency = intFromEnv('BENCH_CONCURRENCY', 10);
const scale = intFromEnv('BENCH_SCALE', 100);
const questions = intFromEnv('BENCH_QUESTIONS', 25);
const [latencyMin, latencyMax] = (process.env.BENCH_LATENCY_MS ?? '10000-30000').split('-').map(Number) as [
  number,
  number,
];
const command = `BENCH_RPM=${rpm} BENCH_CONCURRENCY=${concurrency} BENCH_LATENCY_MS=${latencyMin}-${latencyMax} BENCH_SCALE=${scale} BENCH_QUESTIONS=${questions} npx node bench/full-bank.ts`;

const dataDir = await mkdtemp(join(tmpdir(), 'quizgen-bench-'));
const stack = await startLocalStack({
  dataDir,
  port: 0,
  quiet: true,
  gemini: {
    simulator: {
      latencyMs: { min: latencyMin, max: latencyMax },
      latencyScale: 1 / scale,
      // The quota the service is configured for, enforced by the simulator as Gemini would.
      rpm,
    },
  },
  settings: { llmMaxConcurrency: concurrency, llmRequestsPerMinute: rpm, questionsPerCareerLevel: questions },
});

try {
  const key = stack.apiKeys[0]?.value ?? '';
  const call = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.baseUrl}${path}`, {
      method,
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return (await response.json()) as any;
  };

  const started = Date.now();
  const { job_id: jobId } = await call('POST', '/generate/full/async', { include_soft_skills: true });
  let job: any;
  for (;;) {
    job = await call('GET', `/jobs/${jobId}`);
    if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const wallSeconds = (Date.now() - started) / 1000;
  const stats = stack.simulator?.stats();
  const calls = stats?.acceptedCalls ?? 0;
  const meanLatency = (latencyMin + latencyMax) / 2 / scale / 1000;
  const quotaBound = ((calls - 1) * 60) / rpm;
  const latencyFloor = Math.ceil(calls / concurrency) * meanLatency;
  const bound = Math.max(quotaBound, latencyFloor);
  const serial = calls * meanLatency;

  const rows: [string, string][] = [
    [
      'job status',
      `${job.status} (${job.result_summary?.chunks_completed ?? 0} chunks, ${job.questions_generated} questions)`,
    ],
    ['model calls', String(calls)],
    ['wall time', `${wallSeconds.toFixed(1)} s`],
    ['quota bound (calls ÷ RPM)', `${quotaBound.toFixed(1)} s`],
    ['latency floor (⌈calls ÷ concurrency⌉ × mean latency)', `${latencyFloor.toFixed(1)} s`],
    ['wall ÷ bound', `${(wallSeconds / bound).toFixed(2)}×`],
    [
      'same calls one at a time (the original server)',
      `${serial.toFixed(1)} s (${(serial / wallSeconds).toFixed(1)}× slower)`,
    ],
    [
      '429 answers from the simulator',
      String((stats?.outcomes['429_quota'] ?? 0) + (stats?.outcomes['429_injected'] ?? 0)),
    ],
    ['peak concurrent model calls', `${stats?.peakInFlight ?? 0} (setting ${concurrency})`],
  ];
  console.log(
    `\nFull-bank generation, latency ${latencyMin}-${latencyMax} ms scaled 1/${scale}, quota ${rpm} RPM`,
  );
  console.log(`command: ${command}\n`);
  const width = Math.max(...rows.map(([name]) => name.length));
  for (const [name, value] of rows) console.log(`  ${name.padEnd(width)}  ${value}`);
} finally {
  await stack.stop();
  await rm(dataDir, { recursive: true, force: true });
}
