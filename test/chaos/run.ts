/**
 * The chaos suite, long form: every scenario, run after run, each run with its own seed (so
 * other faults, other victims, another sector), then a table and a verdict. Exits 1 when any
 * run lost a chunk, duplicated a question or broke another check.
 *
 *   node test/chaos/run.ts [--runs 10] [--seed 1000] [--scenario model-faults,worker-killed,stack-restart] [--verbose]
 *
 * The short form (one run of each) is test/e2e/chaos.test.ts, part of `npm test`.
 */
import { parseArgs } from 'node:util';
import { describe, formatFaults, type ScenarioName, type ScenarioReport, table } from './report.ts';
import { SCENARIO_NAMES, SCENARIOS } from './scenarios.ts';

const HELP = `Usage: node test/chaos/run.ts [--runs N] [--seed S] [--scenario a,b] [--verbose]
  --runs N        consecutive runs of every scenario (default 10)
  --seed S        seed of run 1; run i uses S + i - 1 (default: from the clock, printed)
  --scenario a,b  only these (${SCENARIO_NAMES.join(', ')})
  --verbose       the stack's progress lines and the handlers' warnings`;

function options() {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '10' },
      seed: { type: 'string' },
      scenario: { type: 'string' },
      verbose: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    process.exit(0);
  }
  const runs = Number(values.runs);
  const seed = values.seed === undefined ? Date.now() % 100_000 : Number(values.seed);
  const scenarios = (values.scenario?.split(',') ?? SCENARIO_NAMES) as ScenarioName[];
  const unknown = scenarios.filter((name) => !SCENARIO_NAMES.includes(name));
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(seed) || unknown.length > 0) {
    console.error(`${unknown.length > 0 ? `unknown scenario ${unknown.join(', ')}\n` : ''}${HELP}`);
    process.exit(64);
  }
  return { runs, seed, scenarios, verbose: values.verbose };
}

function sum(reports: ScenarioReport[], pick: (r: ScenarioReport) => number): number {
  return reports.reduce((total, r) => total + pick(r), 0);
}

async function main() {
  const { runs, seed, scenarios, verbose } = options();
  console.log(`Chaos suite: ${runs} runs of ${scenarios.join(', ')}; seeds ${seed}..${seed + runs - 1}\n`);
  const reports: ScenarioReport[] = [];
  const started = Date.now();
  for (let run = 1; run <= runs; run++) {
    for (const name of scenarios) {
      const report = await SCENARIOS[name]({ run, seed: seed + run - 1, verbose });
      reports.push(report);
      console.log(describe(report));
      for (const note of report.notes) console.log(`    ${note}`);
      for (const problem of report.problems) console.log(`    PROBLEM: ${problem}`);
    }
  }
  const failed = reports.filter((r) => r.problems.length > 0);
  const faults: Record<string, number> = {};
  for (const report of reports) {
    for (const [kind, n] of Object.entries(report.faults)) faults[kind] = (faults[kind] ?? 0) + (n ?? 0);
  }
  const minutes = ((Date.now() - started) / 60_000).toFixed(1);
  console.log(`\n${table(reports)}\n`);
  console.log(`Totals over ${reports.length} scenario runs in ${minutes} min:`);
  console.log(`  faults injected: ${formatFaults(faults)}`);
  console.log(
    `  model calls ${sum(reports, (r) => r.calls)}, answers ${sum(reports, (r) => r.answers)}, retries ${sum(reports, (r) => r.retries)}, repairs ${sum(reports, (r) => r.repairs)}`,
  );
  console.log(
    `  deliveries ${sum(reports, (r) => r.deliveries)}, redeliveries ${sum(reports, (r) => r.redeliveries)}, workers killed ${sum(reports, (r) => r.kills)} (their ${sum(reports, (r) => r.blocked)} later requests refused), stacks killed ${reports.filter((r) => r.scenario === 'stack-restart').length}`,
  );
  console.log(
    `  jobs ${sum(reports, (r) => r.jobs)}; chunks completed ${sum(reports, (r) => r.chunks.completed)} of ${sum(reports, (r) => r.chunks.planned)} planned, failed ${sum(reports, (r) => r.chunks.failed)}, resumed by a new job ${sum(reports, (r) => r.chunks.resumed)}, kept from a checkpoint ${sum(reports, (r) => r.chunks.fromCheckpoint)}`,
  );
  console.log(
    `  questions ${sum(reports, (r) => r.questions)}, duplicates ${sum(reports, (r) => r.duplicates)}, near-duplicates ${sum(reports, (r) => r.nearDuplicates)}, lost chunks ${sum(reports, (r) => r.lost)} (xCareer: the same text in two careers, ${sum(reports, (r) => r.repeatedAcrossCareers)}; allowed, each career has its own bank)`,
  );
  if (failed.length === 0) {
    console.log(
      `\nVERDICT: PASS: ${runs} consecutive runs of ${scenarios.length} scenarios lost nothing and duplicated nothing.`,
    );
  } else {
    console.log(
      `\nVERDICT: FAIL: ${failed.length} of ${reports.length} scenario runs broke a check: ${failed.map((r) => `${r.scenario} run ${r.run} (seed ${r.seed})`).join(', ')}.`,
    );
    process.exitCode = 1;
  }
}

await main();
