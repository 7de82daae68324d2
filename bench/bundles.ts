/**
 * Lambda bundles: each function of HANDLER_ENTRIES bundled the way `cdk synth` bundles it (the
 * esbuild options of `lib/bundling.ts`, which `lib/constructs/quizgen-function.ts` runs), with
 * its size and the time a fresh Node process takes to load it, as a proxy for the code part of
 * a cold start, each next to its budget (issue 15: API functions at most 400 KB and 100 ms,
 * the worker at most 1 MB, the ingest function no bigger than before).
 *
 * Bundles are split: what a function loads at a cold start is its `index.mjs` and the chunks
 * that file imports statically ("at load", the figure the size budget applies to); chunks
 * reached only through `import()` (the Gemini SDK, the AWS SDK's credential providers, export
 * formats) load when a request needs them ("lazy").
 *
 * Load time: a new `process.execPath` per measurement imports the bundle between two
 * `performance.now()` calls (median of BENCH_BUNDLE_RUNS, default 5); "from process start" is
 * the second reading, since performance.now() counts from the process's time origin. The
 * process gets what Lambda gives the function at load: the Powertools variables, and dummy
 * values for the resources `requireEnv` reads at module scope. Each run also loads the bundle
 * once with `NODE_OPTIONS=--enable-source-maps`, alternating, to show what the flag would cost
 * (functions map stack traces when one is read instead: `lambdas/platform/stack-traces.ts`).
 * Times depend on how busy the machine is: compare them on an idle one.
 *
 * Knobs (environment): BENCH_FUNCTIONS (comma-separated roles, default all), BENCH_BUNDLE_RUNS (5).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Metafile } from 'esbuild';
import { HANDLER_ENTRIES } from '#contract/pipeline.ts';
import { ENV } from '#platform/config.ts';
import { bundleOptions, ENTRY_FILE } from '../lib/bundling.ts';
import {
  commandFor,
  type Figure,
  formatTable,
  median,
  numberFromEnv,
  REPO_ROOT,
  recordFigures,
} from './support.ts';

const SCRIPT = 'bench/bundles.ts';
type Role = keyof typeof HANDLER_ENTRIES;

const KB = 1024;
const API_FUNCTIONS: readonly Role[] = [
  'quizGeneratorApi',
  'healthApi',
  'docsApi',
  'assessmentsApi',
  'contentApi',
  'apiAuthorizer',
];

/** Issue 15's budgets; a function without one is measured but not judged. */
interface Budget {
  /** Bytes loaded at a cold start (entry and its static chunks, minified). */
  maxBytes: number;
  maxImportMs?: number;
}
const BUDGETS: Partial<Record<Role, Budget>> = {
  ...Object.fromEntries(API_FUNCTIONS.map((role) => [role, { maxBytes: 400 * KB, maxImportMs: 100 }])),
  generateChunkWorker: { maxBytes: 1024 * KB },
  // "Unchanged or smaller": its size before the issue (3,509 KB, one file; unpdf is 1.6 MB of it).
  ingestDocument: { maxBytes: 3509 * KB },
};

interface Bundle {
  /** Output files loaded at a cold start: the entry and the chunks it imports statically. */
  atLoad: string[];
  /** Output files reached only through `import()`. */
  lazy: string[];
  /** Bytes loaded at a cold start by npm package (or `lambdas/...` folder), largest first. */
  inputs: [string, number][];
}

function packageOf(input: string): string {
  return /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/').slice(0, 2).join('/');
}

/** The entry's static import closure, then every other output of the build (`.map`s aside). */
function splitOutputs(metafile: Metafile, entry: string): { atLoad: string[]; lazy: string[] } {
  const atLoad = new Set<string>();
  const visit = (file: string) => {
    if (atLoad.has(file)) return;
    atLoad.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? [])
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(entry);
  const lazy = Object.keys(metafile.outputs).filter((file) => !file.endsWith('.map') && !atLoad.has(file));
  return { atLoad: [...atLoad], lazy };
}

async function bundle(role: Role, outDir: string): Promise<Bundle> {
  const outdir = join(outDir, role);
  const result = await build({
    ...bundleOptions(join(REPO_ROOT, HANDLER_ENTRIES[role]), outdir),
    absWorkingDir: REPO_ROOT,
    metafile: true,
  });
  const entry = relative(REPO_ROOT, join(outdir, ENTRY_FILE));
  const { atLoad, lazy } = splitOutputs(result.metafile, entry);
  const byPackage = new Map<string, number>();
  for (const file of atLoad) {
    for (const [input, { bytesInOutput }] of Object.entries(result.metafile.outputs[file]?.inputs ?? {})) {
      const name = packageOf(input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  const absolute = (file: string) => join(REPO_ROOT, file);
  return {
    atLoad: atLoad.map(absolute),
    lazy: lazy.map(absolute),
    inputs: [...byPackage].sort((a, b) => b[1] - a[1]),
  };
}

/** What Lambda's environment holds when the module loads; resource names are dummies. */
function loadEnv(role: Role, sourceMaps: boolean): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    ...(sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    AWS_REGION: 'eu-west-1',
    AWS_DEFAULT_REGION: 'eu-west-1',
    AWS_LAMBDA_FUNCTION_NAME: `quizgen-${role}`,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    POWERTOOLS_SERVICE_NAME: 'quizgen',
    POWERTOOLS_METRICS_NAMESPACE: 'QuizGen',
    [ENV.tableName]: 'quizgen-bench-table',
    [ENV.bucketName]: 'quizgen-bench-bucket',
    [ENV.chunkQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/quizgen-bench-chunks',
    [ENV.documentQueueUrl]: 'https://sqs.eu-west-1.amazonaws.com/123456789012/quizgen-bench-documents',
    [ENV.stateMachineArn]: 'arn:aws:states:eu-west-1:123456789012:stateMachine:quizgen-bench',
    [ENV.geminiApiKeySecretArn]: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:quizgen-bench',
  };
}

const PROBE = `
const started = performance.now();
const module = await import(process.argv[2]);
const loaded = performance.now();
if (typeof module.handler !== 'function') throw new Error('the bundle exports no handler function');
process.stdout.write(JSON.stringify({ importMs: loaded - started, sinceStartMs: loaded }));
`;

interface Load {
  importMs: number;
  sinceStartMs: number;
}

function loadOnce(probe: string, file: string, env: NodeJS.ProcessEnv): Promise<Load> {
  return new Promise((resolveLoad, reject) => {
    const child = spawn(process.execPath, [probe, file], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`loading ${file} failed (${code}):\n${stderr}`));
      resolveLoad(JSON.parse(stdout) as Load);
    });
  });
}

const kb = (bytes: number) => `${(bytes / KB).toFixed(0)} KB`;

const roles = (process.env.BENCH_FUNCTIONS?.split(',') ?? Object.keys(HANDLER_ENTRIES)) as Role[];
for (const role of roles) {
  if (!(role in HANDLER_ENTRIES))
    throw new Error(
      `BENCH_FUNCTIONS: no function ${role} (one of ${Object.keys(HANDLER_ENTRIES).join(', ')})`,
    );
}
const runs = numberFromEnv('BENCH_BUNDLE_RUNS', 5, 1);

const outDir = await mkdtemp(join(tmpdir(), 'quizgen-bench-bundles-'));
try {
  const probe = join(outDir, 'probe.mjs');
  await writeFile(probe, PROBE);
  const started = Date.now();
  const bundles = await Promise.all(roles.map((role) => bundle(role, outDir)));
  const bundleMs = Date.now() - started;

  const rows: string[][] = [];
  const figures: Figure[] = [];
  const failures: string[] = [];
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
  for (const [i, role] of roles.entries()) {
    const { atLoad, lazy, inputs } = bundles[i] as Bundle;
    const entry = atLoad[0] as string;
    const loaded = await Promise.all(atLoad.map((file) => readFile(file)));
    const size = sum(loaded.map((bytes) => bytes.byteLength));
    const gzip = sum(loaded.map((bytes) => gzipSync(bytes).byteLength));
    const lazySize = sum(await Promise.all(lazy.map(async (file) => (await readFile(file)).byteLength)));
    const deployed: Load[] = [];
    const withFlag: Load[] = [];
    for (let run = 0; run < runs; run++) {
      deployed.push(await loadOnce(probe, entry, loadEnv(role, false)));
      withFlag.push(await loadOnce(probe, entry, loadEnv(role, true)));
    }
    const importMs = median(deployed.map((l) => l.importMs));
    const sinceStartMs = median(deployed.map((l) => l.sinceStartMs));
    const flagMs = median(withFlag.map((l) => l.importMs));
    const budget = BUDGETS[role];
    const sizeOk = budget ? size <= budget.maxBytes : undefined;
    const timeOk = budget?.maxImportMs !== undefined ? importMs <= budget.maxImportMs : undefined;
    const verdict = (ok: boolean | undefined) => (ok === undefined ? '' : ok ? ' ok' : ' OVER');
    if (sizeOk === false) failures.push(`${role} loads ${kb(size)} (budget ${kb(budget?.maxBytes ?? 0)})`);
    if (timeOk === false)
      failures.push(`${role} imports in ${importMs.toFixed(0)} ms (budget ${budget?.maxImportMs} ms)`);
    rows.push([
      role,
      `${kb(size)} (${atLoad.length} file${atLoad.length === 1 ? '' : 's'})`,
      budget ? `${kb(budget.maxBytes)}${verdict(sizeOk)}` : '-',
      kb(gzip),
      `${kb(lazySize)} (${lazy.length})`,
      `${importMs.toFixed(0)} ms`,
      budget?.maxImportMs !== undefined ? `${budget.maxImportMs} ms${verdict(timeOk)}` : '-',
      `${sinceStartMs.toFixed(0)} ms`,
      `${flagMs.toFixed(0)} ms`,
      inputs
        .slice(0, 3)
        .map(([name, bytes]) => `${name} ${kb(bytes)}`)
        .join(', '),
    ]);
    figures.push({
      figure: `bundle ${role}`,
      value:
        `${kb(size)} minified at load (${kb(gzip)} gzip; budget ${budget ? kb(budget.maxBytes) : 'none'}), ` +
        `${kb(lazySize)} lazy; load ${importMs.toFixed(0)} ms` +
        `${budget?.maxImportMs !== undefined ? ` (budget ${budget.maxImportMs} ms)` : ''}, ` +
        `${sinceStartMs.toFixed(0)} ms from process start (${flagMs.toFixed(0)} ms with --enable-source-maps)`,
      command: commandFor(SCRIPT, { BENCH_FUNCTIONS: role, BENCH_BUNDLE_RUNS: runs }),
    });
  }
  console.log(
    `\nLambda bundles (esbuild as cdk synth runs it; ${roles.length} functions bundled in ${bundleMs} ms), ` +
      `load time median of ${runs} fresh processes, Node ${process.version} ${process.arch}`,
  );
  console.log(
    formatTable(
      [
        'function',
        'minified at load',
        'budget',
        'gzip',
        'lazy chunks',
        'import (as deployed)',
        'budget',
        'from process start',
        'import with --enable-source-maps',
        'largest parts at load',
      ],
      rows,
    ),
  );
  console.log(`\n  command: ${commandFor(SCRIPT, { BENCH_BUNDLE_RUNS: runs })}`);
  console.log(
    '  A proxy for the code part of a cold start: Lambda adds fetching the code, starting the runtime and\n' +
      '  its client, on a Graviton core whose speed depends on the memory size (512 MB: about a third of a vCPU).',
  );
  console.log(
    failures.length === 0
      ? '  Every function is within its budget.'
      : `  Over budget: ${failures.join('; ')}.`,
  );
  recordFigures(figures);
} finally {
  await rm(outDir, { recursive: true, force: true });
}
