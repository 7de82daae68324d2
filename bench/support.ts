/**
 * What the benchmark parts share: knobs read from the environment, the figures each part hands
 * to `bench/run.ts` (one JSON line per figure in the file `BENCH_FIGURES_FILE` names, when it
 * is set), the table they are printed in, percentiles, and the Gemini simulator in a process of
 * its own.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SimulatorConfig, SimulatorStats } from '../local/gemini-simulator/index.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** One line of the final table: what was measured, the result, and how to measure it again. */
export interface Figure {
  figure: string;
  value: string;
  command: string;
}

export function numberFromEnv(name: string, fallback: number, min = 0): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value < min) throw new Error(`${name} must be a number >= ${min}`);
  return value;
}

/** `MIN-MAX` (or a single number) in milliseconds. */
export function rangeFromEnv(name: string, fallback: string): { min: number; max: number } {
  const text = process.env[name] ?? fallback;
  const [min = Number.NaN, max = min] = text.split('-').map(Number);
  if (!(min >= 0 && max >= min)) throw new Error(`${name} must be MIN-MAX in milliseconds, got "${text}"`);
  return { min, max };
}

/** The command that reproduces a figure: the knobs it ran with, then the part's script. */
export function commandFor(script: string, knobs: Record<string, string | number>): string {
  const env = Object.entries(knobs).map(([name, value]) => `${name}=${value}`);
  return [...env, 'npx node', script].join(' ');
}

/** Hands the figures to `bench/run.ts` when it started this part; does nothing otherwise. */
export function recordFigures(figures: Figure[]): void {
  const file = process.env.BENCH_FIGURES_FILE;
  if (!file) return;
  appendFileSync(file, figures.map((figure) => `${JSON.stringify(figure)}\n`).join(''));
}

/** A Markdown table with aligned columns: readable in a terminal, pasteable into the README. */
export function formatTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((header, i) =>
    Math.max(header.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** Name/value lines, as each part prints its own details. */
export function formatRows(rows: [string, string][], indent = '  '): string {
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${indent}${name.padEnd(width)}  ${value}`).join('\n');
}

/** Nearest-rank percentile of values sorted ascending; NaN for none. */
const REPORT_PREFIX = 'BENCH_REPORT ';

/** Prints the report of a part's child process, for the parent's `runChildForReport`. */
export function printReport(report: unknown): void {
  process.stdout.write(`${REPORT_PREFIX}${JSON.stringify(report)}\n`);
}

/**
 * Runs `script` again in a child process with `args` (and `env` over this process's), and
 * answers the report it printed with `printReport`; rejects, with the child's output, when it
 * fails or prints none. A part measures in a fresh process what must not share this one.
 */
export function runChildForReport<T>(
  script: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<T> {
  return new Promise((resolveReport, reject) => {
    const run = spawn(process.execPath, [script, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    run.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    run.on('error', reject);
    run.on('exit', (code) => {
      const line = stdout.split('\n').find((l) => l.startsWith(REPORT_PREFIX));
      if (code !== 0 || !line) {
        return reject(new Error(`${script} ${args.join(' ')} exited ${code} without a report:\n${stdout}`));
      }
      resolveReport(JSON.parse(line.slice(REPORT_PREFIX.length)) as T);
    });
  });
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

export interface SimulatorProcess {
  url: string;
  stats(): Promise<SimulatorStats>;
  stop(): Promise<void>;
}

/**
 * The Gemini simulator in a process of its own, as Gemini is elsewhere in AWS: its CPU time for
 * making answers then does not count as the pipeline's. Configured through its admin endpoint.
 */
export async function startSimulatorProcess(
  apiKey: string,
  config: SimulatorConfig,
): Promise<SimulatorProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [join(REPO_ROOT, 'local/gemini-simulator/cli.ts'), '--port', '0', '--api-key', apiKey],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const url = await new Promise<string>((resolveUrl, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const found = /listening on (http:\/\/\S+)/.exec(output);
      if (found?.[1]) {
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        resolveUrl(found[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) =>
      reject(new Error(`The simulator exited (${code}) before listening:\n${output}`)),
    );
  });
  const answer = await fetch(`${url}/__simulator/config`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(config),
  });
  if (!answer.ok) throw new Error(`The simulator refused its configuration: ${await answer.text()}`);
  return {
    url,
    stats: async () => (await (await fetch(`${url}/__simulator/stats`)).json()) as SimulatorStats,
    stop: () =>
      new Promise<void>((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}
