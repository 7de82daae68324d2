/**
 * The web console: its bundle's size (what a browser downloads on a first visit, raw and
 * gzipped, as API Gateway can send it compressed) and its first render in Chromium, served by
 * the local stack's API as `npm start` serves it. Each load is a fresh page with the cache off:
 * first contentful paint, and the moment the page's script has wired up the key form
 * (`performance.mark('console-ready')`). Median and worst of BENCH_CONSOLE_LOADS loads.
 *
 * Knobs: BENCH_CONSOLE_LOADS (default 5).
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildConsole } from '../console/build.ts';
import { startLocalStack } from '../local/stack.ts';
// The browser test's launcher: the same Chromium, offline flags and fresh profile.
import { launchChromium } from '../test/support/browser.ts';
import { commandFor, formatRows, numberFromEnv, recordFigures } from './support.ts';

const loads = numberFromEnv('BENCH_CONSOLE_LOADS', 5, 1);
const command = commandFor('bench/console.ts', { BENCH_CONSOLE_LOADS: loads });

const dir = await mkdtemp(join(tmpdir(), 'quizgen-bench-console-'));
const built = await buildConsole(join(dir, 'build'));
const files = Object.entries(built.files);
const raw = files.reduce((sum, [, bytes]) => sum + bytes, 0);
const gzip = files.reduce(
  (sum, [name]) => sum + gzipSync(readFileSync(join(built.outDir, name))).byteLength,
  0,
);
const script = files.find(([name]) => name.endsWith('.js'));

const stack = await startLocalStack({
  dataDir: join(dir, 'stack'),
  port: 0,
  quiet: true,
  gemini: { simulator: {} },
});
const chromium = await launchChromium();
const paints: number[] = [];
const ready: number[] = [];
try {
  const url = `${stack.apiUrl.replace(/\/$/, '')}/console`;
  for (let i = 0; i < loads; i++) {
    const page = await chromium.browser.newPage();
    await page.setCacheEnabled(false);
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForFunction(() => performance.getEntriesByName('console-ready').length > 0);
    const timing = await page.evaluate(() => ({
      paint: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? Number.NaN,
      ready: performance.getEntriesByName('console-ready')[0]?.startTime ?? Number.NaN,
    }));
    paints.push(timing.paint);
    ready.push(timing.ready);
    await page.close();
  }
} finally {
  await chromium.close();
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)] ?? 0;
const ms = (values: number[]) =>
  `${median(values).toFixed(0)} ms median, ${Math.max(...values).toFixed(0)} ms worst`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

console.log(`\nWeb console (Chromium, ${loads} cold loads through the local API)`);
console.log(
  formatRows([
    ['bundle (html + js + css)', `${raw} bytes (${kb(raw)}), gzipped ${gzip} bytes (${kb(gzip)})`],
    ['script alone', `${script?.[1] ?? 0} bytes`],
    ['first contentful paint', ms(paints)],
    ['script ready (key form wired)', ms(ready)],
  ]),
);
console.log(`\n  command: ${command}\n`);
recordFigures([
  { figure: 'console: bundle size (html + js + css)', value: `${raw} bytes, ${gzip} bytes gzipped`, command },
  { figure: 'console: first render in Chromium (first contentful paint)', value: ms(paints), command },
  { figure: 'console: script ready in Chromium', value: ms(ready), command },
]);
