/**
 * How every Lambda function's code is bundled: one table of esbuild options shared by the CDK
 * construct (`constructs/quizgen-function.ts`, through `split-bundle.ts`) and the bundle
 * benchmark (`bench/bundles.ts`), so what the benchmark measures is what `cdk synth` ships.
 *
 * The bundle is split (`splitting: true`, ESM only): a dynamic `import()` becomes a chunk file
 * of the asset that Node loads when the import runs, so code a function needs only on some
 * requests (the Gemini SDK, export formats, rare routes) is not read, parsed or run at a cold
 * start. esbuild documents splitting as "only works with the esm format", needing `outdir`
 * (https://esbuild.github.io/api/#splitting). NodejsFunction runs esbuild with `--outfile`
 * (aws-cdk-lib `aws-lambda-nodejs/lib/bundling.js`), which esbuild refuses together with
 * splitting, so the construct's `afterBundling` hook rebuilds the entry here into the same
 * output folder: `index.mjs` (the handler file Lambda loads) and its chunks beside it.
 */
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';

/** The handler file in the asset; the function's `handler` is `index.handler`. */
export const ENTRY_FILE = 'index.mjs';

/**
 * CommonJS dependencies inside an ESM bundle still call require(); every output file (the entry
 * and each chunk) gets its own, since each is a module of its own.
 */
export const REQUIRE_BANNER =
  "import { createRequire as __quizgenCreateRequire } from 'node:module'; const require = __quizgenCreateRequire(import.meta.url);";

/**
 * ESM `import ... from 'node:http'` costs a cold start about 30 ms on this machine (15 ms as
 * `require`) for nothing: Node builds a builtin's ESM facade by reading every export, and
 * `http`'s `WebSocket`, `CloseEvent` and `MessageEvent` are getters that load Node's bundled
 * undici (nodejs/node `lib/http.js`: `get() { return lazyUndici().WebSocket; }`), about 10,000
 * lines compiled and run at load. `require('node:http')` hands back the same `module.exports`
 * without the facade (checked on Node 24.21: `process.moduleLoadList` lists
 * `internal/deps/undici/undici` after the import, not after the require). The Powertools
 * tracer and the AWS SDK's HTTP handler import `node:http` from their ESM builds, so every
 * function paid it. This plugin turns those imports into a module that requires it: the
 * default export is the module object itself (so the tracer's patching of `http.request`
 * patches the real one), and the named exports are its plain values; a named import of one of
 * its getters (`globalAgent`, `maxHeaderSize`, the three above) fails the build ("No matching
 * export") rather than reading a stale copy.
 */
const HTTP_MODULE = /^(node:)?http$/;
const httpExports = Object.entries(
  Object.getOwnPropertyDescriptors(createRequire(import.meta.url)('node:http')),
)
  .filter(([name, descriptor]) => 'value' in descriptor && /^[A-Za-z_$][\w$]*$/.test(name))
  .map(([name]) => name);
export const httpWithoutUndici: Plugin = {
  name: 'http-without-undici',
  setup(build) {
    build.onResolve({ filter: HTTP_MODULE }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: 'node:http', namespace: 'http-without-undici' }
        : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'http-without-undici' }, () => ({
      // `require` is the one REQUIRE_BANNER defines in every output file.
      contents: [
        "const http = require('node:http');",
        'export default http;',
        `export const { ${httpExports.join(', ')} } = http;`,
      ].join('\n'),
      loader: 'js',
    }));
  },
};

/**
 * The tracer's X-Ray SDK requires `semver` for its `gte` alone, so it gets `semver-gte.ts`
 * (28 KB less at load, and no regular expressions compiled); see that file.
 * test/integration/split-bundle.test.ts fails if a bundle holds the package, or if the SDK
 * calls anything else of it.
 */
const SEMVER_GTE_IMPORTERS = /[\\/]node_modules[\\/]aws-xray-sdk-core[\\/]/;
export const semverGteOnly: Plugin = {
  name: 'semver-gte-only',
  setup(build) {
    build.onResolve({ filter: /^semver$/ }, (args) =>
      SEMVER_GTE_IMPORTERS.test(args.importer)
        ? { path: fileURLToPath(new URL('semver-gte.ts', import.meta.url)) }
        : undefined,
    );
  },
};

/**
 * Modules whose exports are the same on every cold start, computed at bundle time: the plugin
 * imports the source module in the bundling process and puts its results in the module's place,
 * as JSON text (`JSON.parse` reads a large literal faster than JavaScript parses one: V8's "The
 * cost of JavaScript in 2019", https://v8.dev/blog/cost-of-javascript-2019#json), so the bundle
 * carries neither the code nor the dependencies that computed them.
 *
 * - `/openapi.json` depends on the route tables and their zod schemas, never on the environment
 *   (only its `servers` entry, which the docs function sets per request). Built at a cold start
 *   it loaded every product's schemas (and through them the AWS SDK) and converted them to JSON
 *   Schema: about 110 ms and 690 KB of the docs function.
 * - The price table is `data/pricing.json` checked by its zod schema; the check ran at every
 *   cold start of every function, and was the only reason the health function loaded zod. At
 *   bundle time a table that fails it fails the build instead.
 * - The catalog is `data/catalog.json` checked the same way (`quiz-bank/catalog-table.ts`); zod
 *   compiled and ran its parser over every sector at every cold start of every function that
 *   plans, assembles or serves quiz banks.
 * - The content prompt templates (`data/templates.json`, `content/templates-table.ts`), likewise.
 *
 * test/integration/split-bundle.test.ts checks that the bundles answer what the sources do.
 */
/** A module whose exports `names` are plain data: each as JSON text the bundle parses. */
const asData =
  (...names: string[]) =>
  (source: Record<string, unknown>) =>
    names.map(
      (name) => `export const ${name} = JSON.parse(${JSON.stringify(JSON.stringify(source[name]))});`,
    );

const PREBUILT_MODULES: { file: RegExp; contents: (source: Record<string, unknown>) => string[] }[] = [
  {
    file: /[\\/]lambdas[\\/]api-docs[\\/]openapi-document\.ts$/,
    contents: (source) => [
      `const DOCUMENT = ${JSON.stringify(JSON.stringify((source.openApiDocument as () => unknown)()))};`,
      // The source's signature: `server` is where the API is mounted.
      "export function openApiDocument(server = '/') {",
      '  return { ...JSON.parse(DOCUMENT), servers: [{ url: server }] };',
      '}',
    ],
  },
  { file: /[\\/]lambdas[\\/]content[\\/]templates-table\.ts$/, contents: asData('shippedTemplates') },
  { file: /[\\/]lambdas[\\/]quiz-bank[\\/]catalog-table\.ts$/, contents: asData('catalog') },
  { file: /[\\/]lambdas[\\/]platform[\\/]gemini[\\/]price-table\.ts$/, contents: asData('priceTable') },
];
export const prebuiltModules: Plugin = {
  name: 'prebuilt-modules',
  setup(build) {
    for (const { file, contents } of PREBUILT_MODULES) {
      build.onLoad({ filter: file }, async (args) => {
        const source = (await import(pathToFileURL(args.path).href)) as Record<string, unknown>;
        return { contents: contents(source).join('\n'), loader: 'js' };
      });
    }
  },
};

/** The options NodejsFunction's `bundling` props stand for, plus splitting into `outdir`. */
export function bundleOptions(entry: string, outdir: string): BuildOptions {
  return {
    entryPoints: { index: entry },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    outExtension: { '.js': '.mjs' },
    chunkNames: 'chunks/[name]-[hash]',
    target: 'node24',
    platform: 'node',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    mainFields: ['module', 'main'],
    // Bundle the AWS SDK too, so deployed code runs the SDK versions the tests ran against
    // rather than whichever copy the Lambda runtime ships.
    external: [],
    banner: { js: REQUIRE_BANNER },
    plugins: [httpWithoutUndici, semverGteOnly, prebuiltModules],
    logLevel: 'error',
  };
}
