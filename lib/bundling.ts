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
import type { BuildOptions } from 'esbuild';

/** The handler file in the asset; the function's `handler` is `index.handler`. */
export const ENTRY_FILE = 'index.mjs';

/**
 * CommonJS dependencies inside an ESM bundle still call require(); every output file (the entry
 * and each chunk) gets its own, since each is a module of its own.
 */
export const REQUIRE_BANNER =
  "import { createRequire as __quizgenCreateRequire } from 'node:module'; const require = __quizgenCreateRequire(import.meta.url);";

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
    logLevel: 'error',
  };
}
