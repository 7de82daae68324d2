/**
 * Full-bank throughput against the quota bound: a full generation (every sector and soft skills
 * of the shipped catalog) on the local stack against the Gemini simulator, with per-call latency
 * scaled down from realistic values and a requests-per-minute quota, compared with the bound
 * the quota and the concurrency allow and with the same calls made one after another.
 *
 * The lower bound is the larger of the quota bound ((calls - 1) ÷ RPM + one call's latency: the
 * first call goes at once, each next one a slot later, and the last still takes its time) and
 * the latency floor (⌈calls ÷ concurrency⌉ × mean latency); latency is the mean of the range.
 * The defaults model a modest real quota: 10-30 s calls and 90 RPM, run twice as fast (latency
 * halved, 180 RPM) so the run takes under two minutes; 40 calls at once keep the quota, not the
 * concurrency, the limit.
 * Wall time runs from the POST to the poll that sees the job finished (polled every 250 ms).
 *
 * Knobs (environment): BENCH_RPM (default 180), BENCH_CONCURRENCY (40), BENCH_LATENCY_MS
 * (real per-call latency range, default 10000-30000), BENCH_SCALE (latency divisor, default
 * 2), BENCH_QUESTIONS (per career level, default 25), BENCH_LABEL (names the figures, default
 * "full bank"), BENCH_SIMULATOR (`inline`, the default:
 * the simulator in the stack's process, as `npm start` runs it; `process`: in a process of its
 * own, as Gemini is elsewhere in AWS).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { THINKING_DEFAULTS } from '#platform/config.ts';
import type { SimulatorStats } from '../local/gemini-simulator/index.ts';
import { SIMULATOR_API_KEY, startLocalStack } from '../local/stack.ts';
import {
  commandFor,
  type Figure,
  formatRows,
  numberFromEnv,
  rangeFromEnv,
  recordFigures,
  sleep,
  startSimulatorProcess,
} from './support.ts';

const rpm = numberFromEnv('BENCH_RPM', 180, 1);
const concurrency = numberFromEnv('BENCH_CONCURRENCY', 40, 2);
const scale = numberFromEnv('BENCH_SCALE', 2, 1);
const label = process.env.BENCH_LABEL ?? 'full bank';
const questions = numberFromEnv('BENCH_QUESTIONS', 25, 1);
const latency = rangeFromEnv('BENCH_LATENCY_MS', '10000-30000');
const simulatorMode = process.env.BENCH_SIMULATOR ?? 'inline';
if (simulatorMode !== 'inline' && simulatorMode !== 'process') {
  throw new Error('BENCH_SIMULATOR must be "inline" or "process"');
}
const command = commandFor('bench/full-bank.ts', {
  BENCH_RPM: rpm,
  BENCH_CONCURRENCY: concurrency,
  BENCH_LATENCY_MS: `${latency.min}-${latency.max}`,
  BENCH_SCALE: scale,
  BENCH_QUESTIONS: questions,
  BENCH_SIMULATOR: simulatorMode,
});

// The quota the service is configured for, enforced by the simulator as Gemini would.
const simulatorConfig = { latencyMs: latency, latencyScale: 1 / scale, rpm };
const external =
  simulatorMode === 'process' ? await startSimulatorProcess(SIMULATOR_API_KEY, simulatorConfig) : undefined;
const dataDir = await mkdtemp(join(tmpdir(), 'quizgen-bench-'));
const stack = await startLocalStack({
  dataDir,
  port: 0,
  quiet: true,
  gemini: external ? { apiKey: SIMULATOR_API_KEY } : { simulator: simulatorConfig },
  ...(external ? { env: { GEMINI_BASE_URL: external.url } } : {}),
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

  const cpu = process.cpuUsage();
  const loop = performance.eventLoopUtilization();
  const started = Date.now();
  const { job_id: jobId } = await call('POST', '/generate/full/async', { include_soft_skills: true });
  let job: any;
  for (;;) {
    job = await call('GET', `/jobs/${jobId}`);
    if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
    await sleep(250);
  }
  const wallSeconds = (Date.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const busy = performance.eventLoopUtilization(loop).utilization;
  const stats: SimulatorStats | undefined = external ? await external.stats() : stack.simulator?.stats();
  const calls = stats?.acceptedCalls ?? 0;
  const meanLatency = (latency.min + latency.max) / 2 / scale / 1000;
  const quotaBound = ((calls - 1) * 60) / rpm + meanLatency;
  const latencyFloor = Math.ceil(calls / concurrency) * meanLatency;
  const bound = Math.max(quotaBound, latencyFloor);
  const serial = calls * meanLatency;
  const throttled = (stats?.outcomes['429_quota'] ?? 0) + (stats?.outcomes['429_injected'] ?? 0);
  const cores = (used.user + used.system) / 1000 / 1000 / wallSeconds;
  // What the job cost, thoughts included: billed as output, at the questions' thinking level.
  const tokens = job.tokens ?? {};
  const spend =
    `US$${Number(job.cost_usd ?? 0).toFixed(4)} for ${tokens.input_tokens ?? 0} input, ` +
    `${tokens.output_tokens ?? 0} output and ${tokens.thinking_tokens ?? 0} thinking tokens (questions at ${THINKING_DEFAULTS.questions})`;

  const rows: [string, string][] = [
    [
      'job status',
      `${job.status} (${job.chunks?.completed ?? 0} chunks, ${job.questions_generated} questions)`,
    ],
    ['model calls', String(calls)],
    ['wall time', `${wallSeconds.toFixed(1)} s`],
    ['quota bound ((calls - 1) ÷ RPM + one call)', `${quotaBound.toFixed(1)} s`],
    ['latency floor (⌈calls ÷ concurrency⌉ × mean latency)', `${latencyFloor.toFixed(1)} s`],
    ['wall ÷ bound (the larger of the two)', `${(wallSeconds / bound).toFixed(2)}×`],
    [
      'same calls one at a time (the original server)',
      `${serial.toFixed(1)} s (${(serial / wallSeconds).toFixed(1)}× slower)`,
    ],
    ['429 answers from the simulator', String(throttled)],
    ['cost, thinking included', spend],
    ['peak concurrent model calls', `${stats?.peakInFlight ?? 0} (setting ${concurrency})`],
    [
      'CPU of the stack process',
      `${cores.toFixed(2)} cores on average, event loop busy ${(busy * 100).toFixed(0)}% of the time` +
        `${external ? '' : ' (simulator included)'}`,
    ],
  ];
  console.log(
    `\nFull-bank generation, latency ${latency.min}-${latency.max} ms scaled 1/${scale}, quota ${rpm} RPM, ` +
      `simulator ${external ? 'in its own process' : 'in the stack process'}`,
  );
  console.log(`command: ${command}\n`);
  console.log(formatRows(rows));
  if (job.status !== 'completed') process.exitCode = 1;

  const figures: Figure[] = [
    {
      figure: `${label}: wall time`,
      value: `${wallSeconds.toFixed(1)} s (${job.status}, ${calls} calls, ${job.questions_generated} questions)`,
      command,
    },
    {
      figure: `${label}: lower bound (quota or latency floor)`,
      value: `${bound.toFixed(1)} s (${quotaBound >= latencyFloor ? `quota: ${calls - 1} ÷ ${rpm} RPM + one call` : 'latency floor'})`,
      command,
    },
    { figure: `${label}: wall ÷ bound`, value: `${(wallSeconds / bound).toFixed(2)}×`, command },
    {
      figure: `${label}: same calls one at a time`,
      value: `${serial.toFixed(1)} s (${(serial / wallSeconds).toFixed(1)}× the wall time)`,
      command,
    },
    { figure: `${label}: 429 answers`, value: String(throttled), command },
    { figure: `${label}: cost`, value: spend, command },
    {
      figure: `${label}: stack process busy`,
      value: `event loop ${(busy * 100).toFixed(0)}% of the wall time, ${cores.toFixed(2)} cores`,
      command,
    },
  ];
  recordFigures(figures);
} finally {
  await stack.stop();
  await external?.stop();
  await rm(dataDir, { recursive: true, force: true });
}
