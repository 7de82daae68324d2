/**
 * The long fuzzing run: `node test/fuzz/run.ts [--per-route 1000] [--seed N] [--route TEXT]
 * [--concurrency 8] [--expensive-jobs] [--no-quiz-jobs] [--json report.json]`. Starts the local stack in a temp
 * folder, prepares fixtures, sends each route its generated requests, and prints the report
 * table and every failure with the request that caused it. Exits 1 on any failure.
 */
import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { failuresOf, formatReport, prepareFixtures, runFuzz, startFuzzHarness } from '../support/fuzz.ts';

const { values } = parseArgs({
  options: {
    'per-route': { type: 'string', default: '1000' },
    seed: { type: 'string' },
    route: { type: 'string' },
    concurrency: { type: 'string', default: '8' },
    'expensive-jobs': { type: 'boolean', default: false },
    'no-quiz-jobs': { type: 'boolean', default: false },
    json: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(
    'Usage: node test/fuzz/run.ts [--per-route N] [--seed N] [--route TEXT] [--concurrency N] [--expensive-jobs] [--no-quiz-jobs] [--json FILE]',
  );
  process.exit(0);
}

const positive = (name: string, text: string) => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${name} must be a whole number above 0, got ${JSON.stringify(text)}`);
    process.exit(2);
  }
  return n;
};

const perRoute = positive('per-route', values['per-route']);
const concurrency = positive('concurrency', values.concurrency);
const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 32) : Number(values.seed) >>> 0;
console.log(`fuzz seed ${seed} (replay with --seed ${seed}), ${perRoute} requests per route`);

const h = await startFuzzHarness();
let failed = true;
try {
  const started = Date.now();
  const fixtures = await prepareFixtures(h);
  console.log(`fixtures ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const report = await runFuzz(h, fixtures, {
    seed,
    perRoute,
    concurrency,
    expensiveJobs: values['expensive-jobs'],
    quizJobs: !values['no-quiz-jobs'],
    ...(values.route ? { routeFilter: values.route } : {}),
    onRoute: (r) =>
      console.log(
        `${r.route}: ${r.sent} sent in ${(r.ms / 1000).toFixed(1)} s, ${r.failures.length} failures, ${r.firewall} refused by the web ACL, serving ${r.keepsServing.ok ? 'yes' : `NO (${r.keepsServing.status})`}`,
      ),
  });
  if (report.routes.length === 0) console.error(`no route matches ${JSON.stringify(values.route)}`);
  console.log(`\n${formatReport(report)}`);
  if (values.json) await writeFile(values.json, JSON.stringify(report, null, 2));
  failed = failuresOf(report) > 0 || report.routes.length === 0;
  if (failed)
    console.log(`\nFAILED; replay with --seed ${seed}${values.route ? ` --route '${values.route}'` : ''}`);
  else console.log(`\nno failures on ${report.routes.length} routes`);
} finally {
  await h.stop();
}
process.exit(failed ? 1 : 0);
