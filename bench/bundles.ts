/**
 * Lambda bundles: each function of HANDLER_ENTRIES bundled the way `cdk synth` bundles it (the
 * esbuild options of `lib/constructs/quizgen-function.ts`), with its minified size and the time a
 * fresh Node process takes to load it, as a proxy for the code part of a cold start.
 *
 * Load time: a new `process.execPath` per measurement imports the bundle between two
 * `performance.now()` calls (median of BENCH_BUNDLE_RUNS, default 5); "from process start" is
 * the second reading, since performance.now() counts from the process's time origin. The
 * process gets what Lambda gives the function at load: `NODE_OPTIONS=--enable-source-maps`, the
 * Powertools variables, and dummy values for the resources `requireEnv` reads at module scope.
 * Each run also loads the bundle once without `--enable-source-maps`, alternating, to show
 * what the flag costs.
 *
 * Knobs (environment): BENCH_FUNCTIONS (comma-separated roles, default all), BENCH_BUNDLE_RUNS (5).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { HANDLER_ENTRIES } from '#contract/pipeline.ts';
import { ENV } from '#platform/config.ts';
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

/**
 * What QuizgenFunction's `bundling` props make `cdk synth` run: `esbuild --bundle <entry>
 * --target=node24 --platform=node --format=esm --outfile=index.mjs --minify --sourcemap
 * --sources-content=false --banner:js=... --main-fields=module,main`, nothing external.
 * Keep in step with lib/constructs/quizgen-function.ts.
 */
const BANNER =
  "import { createRequire as __quizgenCreateRequire } from 'node:module'; const require = __quizgenCreateRequire(import.meta.url);";

interface Bundle {
  file: string;
  /** Bytes in the output by npm package (or `lambdas/...` folder), largest first. */
  inputs: [string, number][];
}

async function bundle(role: Role, outDir: string): Promise<Bundle> {
  const outfile = join(outDir, role, 'index.mjs');
  const result = await build({
    entryPoints: [join(REPO_ROOT, HANDLER_ENTRIES[role])],
    absWorkingDir: REPO_ROOT,
    bundle: true,
    target: 'node24',
    platform: 'node',
    format: 'esm',
    outfile,
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    external: [],
    banner: { js: BANNER },
    mainFields: ['module', 'main'],
    logLevel: 'error',
    metafile: true,
  });
  const byPackage = new Map<string, number>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name =
        /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1] ?? input.split('/').slice(0, 2).join('/');
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
  }
  return { file: outfile, inputs: [...byPackage].sort((a, b) => b[1] - a[1]) };
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

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KB`;

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
  for (const [i, role] of roles.entries()) {
    const { file, inputs } = bundles[i] as Bundle;
    const size = (await stat(file)).size;
    const gzip = gzipSync(await readFile(file)).byteLength;
    const map = (await stat(`${file}.map`)).size;
    const withMaps: Load[] = [];
    const withoutMaps: Load[] = [];
    for (let run = 0; run < runs; run++) {
      withMaps.push(await loadOnce(probe, file, loadEnv(role, true)));
      withoutMaps.push(await loadOnce(probe, file, loadEnv(role, false)));
    }
    const importMs = median(withMaps.map((l) => l.importMs));
    const sinceStartMs = median(withMaps.map((l) => l.sinceStartMs));
    const plainMs = median(withoutMaps.map((l) => l.importMs));
    rows.push([
      role,
      kb(size),
      kb(gzip),
      kb(map),
      `${importMs.toFixed(0)} ms`,
      `${sinceStartMs.toFixed(0)} ms`,
      `${plainMs.toFixed(0)} ms`,
      inputs
        .slice(0, 3)
        .map(([name, bytes]) => `${name} ${kb(bytes)}`)
        .join(', '),
    ]);
    figures.push({
      figure: `bundle ${role}`,
      value:
        `${kb(size)} minified (${kb(gzip)} gzip); load ${importMs.toFixed(0)} ms, ` +
        `${sinceStartMs.toFixed(0)} ms from process start (${plainMs.toFixed(0)} ms without source maps)`,
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
        'minified',
        'gzip',
        'source map',
        'import (--enable-source-maps, as deployed)',
        'from process start',
        'import without the flag',
        'largest parts',
      ],
      rows,
    ),
  );
  console.log(`\n  command: ${commandFor(SCRIPT, { BENCH_BUNDLE_RUNS: runs })}`);
  console.log(
    '  A proxy for the code part of a cold start: Lambda adds fetching the code, starting the runtime and\n' +
      '  its client, on a Graviton core whose speed depends on the memory size (512 MB: about a third of a vCPU).',
  );
  recordFigures(figures);
} finally {
  await rm(outDir, { recursive: true, force: true });
}
