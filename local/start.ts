/**
 * `npm start`: the whole service on this machine, no AWS account, no network (unless
 * GEMINI_API_KEY asks for the real Gemini). Data persists in `.local/` at the repository root.
 */

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { FAULT_KINDS, type FaultKind, type SimulatorConfig } from './gemini-simulator/index.ts';
import { REPO_ROOT, startLocalStack } from './stack.ts';

const HELP = `Usage: npm start [-- --help]

Runs the quiz generator locally: API Gateway, Lambda handlers, Step Functions, SQS, DynamoDB
(dynalite) and S3 (s3rver), with data kept in .local/ (delete it to start afresh).

Environment:
  PORT=3000                   API port
  GEMINI_API_KEY=...          use the real Gemini API; without it the Gemini simulator answers
                              with placeholder questions
  GEMINI_BASE_URL=...         with GEMINI_API_KEY: a gateway or proxy in front of Gemini
  SIMULATOR_RPM=60            simulator quota: requests per minute, answered with 429 + RetryInfo
  SIMULATOR_LATENCY_MS=200-800
                              simulator latency range per call (a single number is fixed)
  SIMULATOR_FAULT_RATE=0.1    share of simulator calls that fail transiently (500, 503, 429 in
                              equal parts); SIMULATOR_FAULTS=error503:0.05,malformedJson:0.02
                              sets kinds one by one (${FAULT_KINDS.join(', ')})
  SIMULATOR_SEED=42           seed of the simulator's answers, latencies and faults
  SIMULATOR_KEY_POSITION=b    every correct answer at this option (a-d), as a biased model writes
  SIMULATOR_LONGEST_KEY=1     the correct option clearly the longest (fixed when the gate says so)
  LOCAL_DATA_DIR=.local       where data persists
  VERBOSE=1                   handler logs at INFO and each state the executions enter
`;

function fail(message: string): never {
  console.error(`${message}\n\n${HELP}`);
  process.exit(2);
}

function number(name: string, min: number, max = Number.POSITIVE_INFINITY): number | undefined {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value < min || value > max)
    fail(`${name} must be a number from ${min} to ${max}`);
  return value;
}

function simulatorConfig(): SimulatorConfig {
  const config: SimulatorConfig = {};
  const rpm = number('SIMULATOR_RPM', 1);
  if (rpm !== undefined) config.rpm = rpm;
  const seed = number('SIMULATOR_SEED', 0);
  if (seed !== undefined) config.seed = seed;
  const latency = process.env.SIMULATOR_LATENCY_MS;
  if (latency) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(latency.trim());
    if (!match) fail('SIMULATOR_LATENCY_MS must look like 500 or 200-800');
    const min = Number(match[1]);
    const max = Number(match[2] ?? match[1]);
    if (max < min) fail('SIMULATOR_LATENCY_MS: the maximum is below the minimum');
    config.latencyMs = { min, max };
  }
  const faults: Partial<Record<FaultKind, number>> = {};
  const rate = number('SIMULATOR_FAULT_RATE', 0, 1);
  if (rate !== undefined) {
    for (const kind of ['error500', 'error503', 'error429'] as const) faults[kind] = rate / 3;
  }
  for (const entry of (process.env.SIMULATOR_FAULTS ?? '').split(',').filter(Boolean)) {
    const [kind, value] = entry.split(':');
    if (!FAULT_KINDS.includes(kind as FaultKind) || !(Number(value) >= 0 && Number(value) <= 1)) {
      fail(`SIMULATOR_FAULTS: "${entry}" is not kind:probability`);
    }
    faults[kind as FaultKind] = Number(value);
  }
  if (Object.keys(faults).length > 0) config.faults = faults;
  const position = process.env.SIMULATOR_KEY_POSITION?.trim();
  if (position) {
    if (!['a', 'b', 'c', 'd'].includes(position)) fail('SIMULATOR_KEY_POSITION must be a, b, c or d');
    config.keyPosition = position as SimulatorConfig['keyPosition'];
  }
  const longest = process.env.SIMULATOR_LONGEST_KEY?.trim();
  if (longest) {
    if (!['0', '1', 'true', 'false'].includes(longest)) fail('SIMULATOR_LONGEST_KEY must be 1 or 0');
    config.longestKey = longest === '1' || longest === 'true';
  }
  return config;
}

async function main() {
  let help = false;
  try {
    help = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } }).values.help === true;
  } catch (error) {
    fail((error as Error).message);
  }
  if (help) {
    console.log(HELP);
    return;
  }
  const port = number('PORT', 0, 65535) ?? 3000;
  const geminiApiKey = process.env.GEMINI_API_KEY?.trim() || undefined;
  const dataDir = process.env.LOCAL_DATA_DIR ?? join(REPO_ROOT, '.local');
  const stack = await startLocalStack({
    dataDir,
    port,
    gemini: geminiApiKey
      ? { apiKey: geminiApiKey, baseUrl: process.env.GEMINI_BASE_URL?.trim() || undefined }
      : { simulator: simulatorConfig() },
    verbose: process.env.VERBOSE === '1' || process.env.VERBOSE === 'true',
  }).catch((error: unknown) => {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') fail(`Port ${port} is in use: set PORT to another one`);
    throw error;
  });

  const [key, second] = stack.apiKeys;
  console.log(`
Quiz generator running locally
  Base URL:  ${stack.baseUrl}
  API root:  ${stack.apiUrl}   (assessments: /generate_assessment, /job_status, /documents, /assessments)
  Console:   ${stack.apiUrl.replace(/\/$/, '')}/console   (the web console: paste the API key below)
  API key:   ${key?.value}   (a second key, for another client: ${second?.value})
  Gemini:    ${stack.simulator ? `simulated at ${stack.simulator.url} (placeholder questions)` : 'the real Gemini API (GEMINI_API_KEY)'}
  Data:      ${dataDir}

Try:
  curl -H "x-api-key: ${key?.value}" ${stack.baseUrl}/api-status

Ctrl-C stops.`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      console.error(`\n${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    console.error(
      `\nStopping (running jobs are marked failed; a new job with the same parameters resumes them)...`,
    );
    stack.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  const verbose = process.env.VERBOSE === '1' || process.env.VERBOSE === 'true';
  if (error instanceof Error && !verbose) console.error(`${error.message}\n(VERBOSE=1 shows where)`);
  else console.error(error);
  process.exit(1);
});
