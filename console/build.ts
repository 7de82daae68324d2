/**
 * Builds the web console: one minified ES module bundle (esbuild, already the project's Lambda
 * bundler) and one stylesheet, both named by a hash of their content, and index.html naming
 * them. The console handler serves the folder as it is; hashed names let browsers keep the
 * assets for a year while index.html is fetched again each time.
 *
 * Run as `node console/build.ts <outDir>`: the console function's bundling runs it into the
 * Lambda asset, the local stack into its data folder, the bench and the browser test into a
 * temp folder.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));

export interface ConsoleBuild {
  outDir: string;
  /** File name → size in bytes, index.html included. */
  files: Record<string, number>;
}

function hashed(name: string, ext: string, content: Uint8Array | string): string {
  return `${name}-${createHash('sha256').update(content).digest('hex').slice(0, 12)}.${ext}`;
}

export async function buildConsole(outDir: string): Promise<ConsoleBuild> {
  const result = await build({
    entryPoints: [join(HERE, 'src', 'main.ts')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['chrome120', 'firefox120', 'safari17'],
    write: false,
    legalComments: 'none',
    logLevel: 'silent',
  });
  const js = result.outputFiles[0]?.contents;
  if (!js) throw new Error('console build produced no JavaScript');
  const css = readFileSync(join(HERE, 'console.css'), 'utf8');
  const jsName = hashed('app', 'js', js);
  const cssName = hashed('console', 'css', css);
  const html = readFileSync(join(HERE, 'index.html'), 'utf8')
    .replace('%APP_JS%', jsName)
    .replace('%CONSOLE_CSS%', cssName);

  // Written beside the target and renamed into place, so a server reading the folder never
  // sees half a build.
  const target = resolve(outDir);
  const staging = `${target}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  writeFileSync(join(staging, jsName), js);
  writeFileSync(join(staging, cssName), css);
  writeFileSync(join(staging, 'index.html'), html);
  mkdirSync(dirname(target), { recursive: true });
  rmSync(target, { recursive: true, force: true });
  renameSync(staging, target);
  return {
    outDir: target,
    files: {
      [jsName]: js.byteLength,
      [cssName]: Buffer.byteLength(css),
      'index.html': Buffer.byteLength(html),
    },
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outDir = process.argv[2];
  if (!outDir) {
    console.error('usage: node console/build.ts <outDir>');
    process.exit(2);
  }
  const built = await buildConsole(outDir);
  console.log(`console built in ${built.outDir}: ${JSON.stringify(built.files)}`);
}
