import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { shippedTemplates } from '#content/templates-table.ts';
import { HANDLER_ENTRIES } from '#contract/pipeline.ts';
import { questionsResponseSchema } from '#jobs/questions.ts';
import { ENV } from '#platform/config.ts';
import { priceTable } from '#platform/gemini/price-table.ts';
import { installStackTraces } from '#platform/stack-traces.ts';
import { catalog } from '#quiz-bank/catalog-table.ts';
import { openApiDocument } from '../../lambdas/api-docs/openapi-document.ts';
import { bundleOptions, ENTRY_FILE } from '../../lib/bundling.ts';
import { REPO_ROOT } from '../../lib/constructs/quizgen-function.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';

type GeminiClient = typeof import('#platform/gemini/gemini-client.ts');

let sim: GeminiSimulator;
let outdir: string;
let metafile: Metafile;
let healthDir: string;
let docsDir: string;
let docsMetafile: Metafile;
let healthMetafile: Metafile;
let priceTableDir: string;
/** Data files checked at bundle time (lib/bundling.ts, PREBUILT_MODULES), besides the price table. */
const TABLES = [
  { name: 'catalog', file: 'lambdas/quiz-bank/catalog-table.ts', exported: 'catalog', value: catalog },
  {
    name: 'templates',
    file: 'lambdas/content/templates-table.ts',
    exported: 'shippedTemplates',
    value: shippedTemplates,
  },
];
const tableBundles = new Map<string, { dir: string; metafile: Metafile }>();
const savedBaseUrl = process.env[ENV.geminiBaseUrl];

beforeAll(async () => {
  sim = await startGeminiSimulator();
  outdir = await mkdtemp(join(tmpdir(), 'quizgen-split-bundle-'));
  // The Gemini client alone, bundled as cdk synth bundles a function (lib/bundling.ts).
  const result = await build({
    ...bundleOptions(join(REPO_ROOT, 'lambdas/platform/gemini/gemini-client.ts'), outdir),
    absWorkingDir: REPO_ROOT,
    metafile: true,
  });
  metafile = result.metafile;
  // A whole function whose only HTTP user is the Powertools tracer (it imports `node:http`).
  healthDir = join(outdir, 'health');
  healthMetafile = (
    await build({
      ...bundleOptions(join(REPO_ROOT, HANDLER_ENTRIES.healthApi), healthDir),
      absWorkingDir: REPO_ROOT,
      metafile: true,
    })
  ).metafile;
  priceTableDir = join(outdir, 'price-table');
  await build({
    ...bundleOptions(join(REPO_ROOT, 'lambdas/platform/gemini/price-table.ts'), priceTableDir),
    absWorkingDir: REPO_ROOT,
  });
  for (const table of TABLES) {
    const dir = join(outdir, table.name);
    tableBundles.set(table.name, {
      dir,
      metafile: (
        await build({
          ...bundleOptions(join(REPO_ROOT, table.file), dir),
          absWorkingDir: REPO_ROOT,
          metafile: true,
        })
      ).metafile,
    });
  }
  docsDir = join(outdir, 'docs');
  docsMetafile = (
    await build({
      ...bundleOptions(join(REPO_ROOT, HANDLER_ENTRIES.docsApi), docsDir),
      absWorkingDir: REPO_ROOT,
      metafile: true,
    })
  ).metafile;
  process.env[ENV.geminiBaseUrl] = sim.url;
}, 60_000);

afterAll(async () => {
  if (savedBaseUrl === undefined) delete process.env[ENV.geminiBaseUrl];
  else process.env[ENV.geminiBaseUrl] = savedBaseUrl;
  await sim?.close();
  if (outdir) await rm(outdir, { recursive: true, force: true });
});

/** The output files a cold start loads: the entry and what it imports statically. */
function loadedAtStart(): Set<string> {
  const files = new Set<string>();
  const visit = (file: string) => {
    if (files.has(file)) return;
    files.add(file);
    for (const imported of metafile.outputs[file]?.imports ?? [])
      if (imported.kind === 'import-statement' && !imported.external) visit(imported.path);
  };
  visit(relative(REPO_ROOT, join(outdir, ENTRY_FILE)));
  return files;
}

const holdsGenai = (file: string) =>
  Object.keys(metafile.outputs[file]?.inputs ?? {}).some((input) =>
    input.includes('node_modules/@google/genai/'),
  );

describe('Lambda bundles split into chunks', () => {
  it('leave the Gemini SDK out of what a cold start loads, in a chunk of its own', () => {
    const atStart = loadedAtStart();
    assert.ok(atStart.size > 0);
    for (const file of atStart) assert.equal(holdsGenai(file), false, `${file} holds @google/genai`);
    const lazy = Object.keys(metafile.outputs).filter((file) => !atStart.has(file) && holdsGenai(file));
    assert.equal(lazy.length, 1, 'one lazily loaded chunk holds the SDK');
  });

  it('load that chunk on the first model call, which then answers from the simulator', async () => {
    const client = (await import(pathToFileURL(join(outdir, ENTRY_FILE)).href)) as GeminiClient;
    const answer = await client.callModel({
      apiKey: 'test-key',
      model: 'gemini-3.8-flash',
      systemInstruction: 'You write multiple-choice questions.',
      prompt: 'Write exactly 2 questions about CSS.',
      responseSchema: questionsResponseSchema(2),
      timeoutMs: 10_000,
    });
    assert.equal(answer.finishReason, 'STOP');
    const parsed = JSON.parse(answer.text) as { questions: unknown[] };
    assert.equal(parsed.questions.length, 2);
  });
});

/** Loads a bundle in a fresh Node process with tracing on, as in Lambda, and reports on `node:http`. */
const PROBE = `
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const original = require('node:http').request;
const module = await import(process.argv[1]);
process.stdout.write(JSON.stringify({
  handler: typeof module.handler,
  undiciLoaded: process.moduleLoadList.some((name) => name.includes('internal/deps/undici')),
  httpPatched: require('node:http').request !== original,
}));
`;

describe('Lambda bundles import node:http', () => {
  it("without loading Node's undici at a cold start, the tracer still patching the real http module", async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '--eval', PROBE, pathToFileURL(join(healthDir, ENTRY_FILE)).href],
      {
        env: {
          PATH: process.env.PATH,
          AWS_REGION: 'eu-west-1',
          AWS_LAMBDA_FUNCTION_NAME: 'quizgen-health',
          AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
          POWERTOOLS_SERVICE_NAME: 'quizgen',
        },
      },
    );
    const loaded = JSON.parse(stdout) as { handler: string; undiciLoaded: boolean; httpPatched: boolean };
    assert.equal(loaded.handler, 'function');
    assert.equal(loaded.undiciLoaded, false, 'an ESM import of node:http loads undici (lib/bundling.ts)');
    assert.equal(
      loaded.httpPatched,
      true,
      'the X-Ray capture of http.request patches the module requests use',
    );
  });
});

describe("The tracer's X-Ray SDK in a bundle", () => {
  it('carries semver-gte in place of semver, its importers calling nothing but gte', async () => {
    const inputs = Object.entries(healthMetafile.inputs);
    assert.equal(
      inputs.some(([input]) => /node_modules\/(.*\/)?semver\//.test(input)),
      false,
      'the health bundle holds the semver package',
    );
    const importers = inputs
      .filter(([, input]) => input.imports.some((imported) => imported.original === 'semver'))
      .map(([file]) => file);
    assert.deepEqual(
      importers.map((file) => /node_modules\/([^/]+)\//.exec(file)?.[1]),
      ['aws-xray-sdk-core'],
    );
    for (const file of importers) {
      const calls = new Set(
        [...(await readFile(join(REPO_ROOT, file), 'utf8')).matchAll(/\bsemver\.(\w+)/g)].map((m) => m[1]),
      );
      assert.deepEqual(
        [...calls],
        ['gte'],
        `${file} calls semver.${[...calls].join(', semver.')} (lib/semver-gte.ts has only gte)`,
      );
    }
  });
});

describe('The docs function bundle', () => {
  it('answers /openapi.json with the document the source builds, for the stage it is mounted under', async () => {
    const bundled = (await import(pathToFileURL(join(docsDir, ENTRY_FILE)).href)) as {
      route: (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;
    };
    const answer = await bundled.route({
      httpMethod: 'GET',
      resource: '/openapi.json',
      path: '/openapi.json',
      headers: {},
      queryStringParameters: null,
      pathParameters: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { path: '/prod/openapi.json' },
    } as unknown as APIGatewayProxyEvent);
    assert.equal(answer.statusCode, 200);
    assert.equal(answer.body, JSON.stringify(openApiDocument('/prod')));
  });

  it('carries the document built at bundle time, not the schemas and SDK clients it is built from', () => {
    const inputs = Object.values(docsMetafile.outputs).flatMap((output) => Object.keys(output.inputs));
    for (const heavy of [
      'node_modules/zod/',
      'node_modules/@aws-sdk/',
      'lambdas/quiz-bank/',
      'lambdas/content/',
    ])
      assert.equal(
        inputs.some((input) => input.includes(heavy)),
        false,
        `the docs bundle holds ${heavy}`,
      );
  });
});

describe('The price table in a bundle', () => {
  it('is the table the source checks and builds', async () => {
    const bundled = (await import(pathToFileURL(join(priceTableDir, ENTRY_FILE)).href)) as {
      priceTable: unknown;
    };
    assert.deepEqual(bundled.priceTable, priceTable);
  });

  it('costs the health function no zod', () => {
    const inputs = Object.values(healthMetafile.outputs).flatMap((output) => Object.keys(output.inputs));
    assert.equal(
      inputs.some((input) => input.includes('node_modules/zod/')),
      false,
      'the health bundle holds zod',
    );
  });
});

describe('Data checked at bundle time', () => {
  for (const table of TABLES) {
    it(`${table.file} is what the source checks, carried as data: no zod, no parse at a cold start`, async () => {
      const { dir, metafile: tableMetafile } = tableBundles.get(table.name) as {
        dir: string;
        metafile: Metafile;
      };
      const bundled = (await import(pathToFileURL(join(dir, ENTRY_FILE)).href)) as Record<string, unknown>;
      assert.deepEqual(bundled[table.exported], table.value);
      const inputs = Object.values(tableMetafile.outputs).flatMap((output) => Object.keys(output.inputs));
      assert.equal(
        inputs.some((input) => input.includes('node_modules/zod/')),
        false,
        `the ${table.name} bundle holds zod`,
      );
    });
  }
});

/**
 * Loads a bundle in a fresh Node and prints the stack `probe()` returns. With `node` as its
 * argument it puts back the `Error.prepareStackTrace` Node had before the bundle loaded, so the
 * trace is what `--enable-source-maps` makes of it.
 */
const STACK_PROBE = `
const nodes = Error.prepareStackTrace;
const bundle = await import(process.argv[1]);
if (process.argv[2] === 'node') Error.prepareStackTrace = nodes;
console.log(JSON.stringify(await bundle.probe()));
`;

describe('Stack traces in a bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(outdir, 'stack-traces');
    const entry = join(dir, 'probe.ts');
    await mkdir(dir, { recursive: true });
    // A function of the product that throws, reached through a bundle as a handler would be.
    await writeFile(
      entry,
      [
        `import { requireEnv } from '${join(REPO_ROOT, 'lambdas/platform/config.ts')}';`,
        `import '${join(REPO_ROOT, 'lambdas/platform/powertools.ts')}';`,
        'export async function probe() {',
        '  await Promise.resolve();',
        "  try { requireEnv('TABLE_NAME'); } catch (error) { return { stack: error.stack }; }",
        '}',
      ].join('\n'),
    );
    await build({ ...bundleOptions(entry, join(dir, 'out')), absWorkingDir: REPO_ROOT });
  }, 30_000);

  const stackOf = async (nodeArgs: string[], probeArgs: string[] = []) => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        ...nodeArgs,
        '--input-type=module',
        '--eval',
        STACK_PROBE,
        pathToFileURL(join(dir, 'out', ENTRY_FILE)).href,
        ...probeArgs,
      ],
      { env: { PATH: process.env.PATH, POWERTOOLS_SERVICE_NAME: 'quizgen' } },
    );
    return (JSON.parse(stdout) as { stack: string }).stack;
  };

  it('name the TypeScript source, as --enable-source-maps would, without the flag', async () => {
    const stack = await stackOf([]);
    const [header, first, second] = stack.split('\n');
    assert.equal(header, 'Error: Missing required environment variable TABLE_NAME');
    const configTs = join(REPO_ROOT, 'lambdas/platform/config.ts');
    const throwLine =
      (await readFile(configTs, 'utf8'))
        .split('\n')
        .findIndex((l) => l.includes('throw new Error(`Missing required')) + 1;
    assert.match(
      first ?? '',
      new RegExp(`^    at requireEnv \\(${escapeRegExp(configTs)}:${throwLine}:\\d+\\)$`),
    );
    assert.match(second ?? '', new RegExp(`^    at .+ \\(${escapeRegExp(join(dir, 'probe.ts'))}:5:\\d+\\)$`));
    assert.equal(
      stack,
      await stackOf(['--enable-source-maps'], ['node']),
      "Node's own mapping writes the same",
    );
  });

  it('stay as V8 writes them when run from source (no map beside the module)', () => {
    assert.equal(
      installStackTraces(pathToFileURL(join(REPO_ROOT, 'lambdas/platform/stack-traces.ts')).href),
      false,
    );
  });
});

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
