/**
 * `npm run bench`: runs every part, each in a fresh process (the local stack runs once per
 * process), shows each part's own details as it goes, then prints one table: each figure, its
 * value, and the command that reproduces it alone. A part that fails is named in the table and
 * makes the run exit non-zero; the others still run.
 *
 * Knobs (environment): BENCH_PARTS (comma-separated, default all: full-bank, full-bank-stress,
 * fairness, chunk-overhead, bundles, api-load, ingest, console); every part's own knobs pass
 * through.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Figure, formatTable, REPO_ROOT } from './support.ts';

const PARTS = [
  'full-bank',
  'full-bank-stress',
  'fairness',
  'chunk-overhead',
  'bundles',
  'api-load',
  'ingest',
  'console',
] as const;

/**
 * Parts that run another part's script with other knobs. The stress run of the full bank sets a
 * quota high enough (900 RPM, latency scaled 1/100) that the local stack's own CPU comes close
 * to being the limit; the simulator runs in a process of its own, as Gemini is not on the
 * machine that runs the pipeline.
 */
const VARIANTS: Record<string, { script: string; env: Record<string, string> }> = {
  'full-bank-stress': {
    script: 'bench/full-bank.ts',
    env: {
      BENCH_RPM: '900',
      BENCH_CONCURRENCY: '10',
      BENCH_SCALE: '100',
      BENCH_SIMULATOR: 'process',
      BENCH_LABEL: 'full bank, stress',
    },
  },
};

const chosen = process.env.BENCH_PARTS?.split(',').map((part) => part.trim()) ?? [...PARTS];
for (const part of chosen) {
  if (!(PARTS as readonly string[]).includes(part))
    throw new Error(`BENCH_PARTS: no part ${part} (one of ${PARTS.join(', ')})`);
}

function runPart(script: string, figuresFile: string, env: Record<string, string>): Promise<number> {
  return new Promise((resolveCode, reject) => {
    const child = spawn(process.execPath, [script], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...env, BENCH_FIGURES_FILE: figuresFile },
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => resolveCode(code ?? (signal ? 128 : 1)));
  });
}

const load = () =>
  loadavg()
    .map((value) => value.toFixed(2))
    .join(' ');
const loadBefore = load();
const dir = await mkdtemp(join(tmpdir(), 'quizgen-bench-run-'));
const started = Date.now();
const timings: string[] = [];
let failed = false;
const rows: string[][] = [];
try {
  for (const part of chosen) {
    const variant = VARIANTS[part];
    const script = variant?.script ?? `bench/${part}.ts`;
    const figuresFile = join(dir, `${part}.jsonl`);
    const partStarted = Date.now();
    console.log(`\n=== ${part} (npx node ${script}) ===`);
    const code = await runPart(script, figuresFile, variant?.env ?? {});
    timings.push(`${part} ${((Date.now() - partStarted) / 1000).toFixed(0)} s`);
    const figures = existsSync(figuresFile)
      ? readFileSync(figuresFile, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((line) => JSON.parse(line) as Figure)
      : [];
    for (const figure of figures) rows.push([figure.figure, figure.value, figure.command]);
    if (code !== 0) {
      failed = true;
      rows.push([`${part}: FAILED`, `exit code ${code}; see its output above`, `npx node ${script}`]);
    }
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

const cpu = cpus();
console.log(
  `\n=== Benchmark summary: Node ${process.version} ${process.arch}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'CPU'}; ` +
    `load average ${loadBefore} before, ${load()} after; ${((Date.now() - started) / 1000).toFixed(0)} s ` +
    `(${timings.join(', ')}) ===\n`,
);
console.log(formatTable(['figure', 'value', 'command'], rows));
if (failed) process.exitCode = 1;
