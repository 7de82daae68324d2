/** What one run of a chaos scenario counted and found, and how the runner prints it. */
import type { Outcome, SimulatorStats } from '../../local/gemini-simulator/index.ts';

export type ScenarioName = 'model-faults' | 'worker-killed' | 'stack-restart' | 'every-chunk-fails';

export interface ScenarioReport {
  scenario: ScenarioName;
  run: number;
  seed: number;
  sector: string;
  seconds: number;
  /** Empty when every check held. */
  problems: string[];
  /** What happened that is worth a line: resumes, kill points, the interrupted job. */
  notes: string[];
  /** Simulator outcomes other than `ok`, by kind. */
  faults: Partial<Record<Outcome, number>>;
  /** generateContent calls the simulator received. */
  calls: number;
  /** Model answers the worker kept under `raw/`. */
  answers: number;
  /** Calls that did not answer (429, 5xx, hang, timeout), each retried or ending its delivery. */
  retries: number;
  /** Answers after the first of a delivery: replacements asked for rejected questions. */
  repairs: number;
  /** Worker invocations, and those beyond the first of a chunk's message. */
  deliveries: number;
  redeliveries: number;
  kills: number;
  /** Requests that killed invocations tried to make afterwards; none was sent. */
  blocked: number;
  jobs: number;
  chunks: { planned: number; completed: number; failed: number; resumed: number; fromCheckpoint: number };
  questions: number;
  /** Question ids twice in the output, or texts twice in one career. */
  duplicates: number;
  /** The same text in two careers: allowed (banks are per career), counted for the record. */
  repeatedAcrossCareers: number;
  nearDuplicates: number;
  lost: number;
}

export function emptyReport(
  scenario: ScenarioName,
  run: number,
  seed: number,
  sector: string,
): ScenarioReport {
  return {
    scenario,
    run,
    seed,
    sector,
    seconds: 0,
    problems: [],
    notes: [],
    faults: {},
    calls: 0,
    answers: 0,
    retries: 0,
    repairs: 0,
    deliveries: 0,
    redeliveries: 0,
    kills: 0,
    blocked: 0,
    jobs: 0,
    chunks: { planned: 0, completed: 0, failed: 0, resumed: 0, fromCheckpoint: 0 },
    questions: 0,
    duplicates: 0,
    repeatedAcrossCareers: 0,
    nearDuplicates: 0,
    lost: 0,
  };
}

export function faultsOf(stats: SimulatorStats): Partial<Record<Outcome, number>> {
  const faults: Partial<Record<Outcome, number>> = {};
  for (const [outcome, count] of Object.entries(stats.outcomes) as [Outcome, number][]) {
    if (outcome !== 'ok' && count > 0) faults[outcome] = count;
  }
  return faults;
}

const SHORT: Partial<Record<Outcome, string>> = {
  '429_injected': '429',
  '429_quota': '429q',
  '500': '500',
  '503': '503',
  hang: 'hang',
  malformed: 'malformed',
  truncated: 'truncated',
  safety: 'safety',
  bad_items: 'badItems',
  near_duplicate: 'nearDup',
  aborted: 'timeout',
};

export function formatFaults(faults: Partial<Record<Outcome, number>>): string {
  const parts = Object.entries(faults).map(([kind, n]) => `${SHORT[kind as Outcome] ?? kind}:${n}`);
  return parts.length > 0 ? parts.join(' ') : 'none';
}

/** One line per run, in words, for a test's diagnostics or the runner's log. */
export function describe(report: ScenarioReport): string {
  const c = report.chunks;
  return [
    `${report.scenario} run ${report.run} (seed ${report.seed}, ${report.sector}, ${report.seconds.toFixed(1)} s):`,
    `faults ${formatFaults(report.faults)};`,
    `calls ${report.calls}, answers ${report.answers}, retries ${report.retries}, repairs ${report.repairs},`,
    `deliveries ${report.deliveries}, redeliveries ${report.redeliveries}, kills ${report.kills} (blocked ${report.blocked});`,
    `jobs ${report.jobs}; chunks planned ${c.planned}, completed ${c.completed}, failed ${c.failed}, resumed ${c.resumed}, from checkpoint ${c.fromCheckpoint};`,
    `questions ${report.questions}, duplicates ${report.duplicates}, near-duplicates ${report.nearDuplicates}, lost chunks ${report.lost}${report.repeatedAcrossCareers > 0 ? ` (same text in two careers: ${report.repeatedAcrossCareers}, allowed)` : ''}`,
    report.problems.length === 0 ? '=> OK' : `=> ${report.problems.length} PROBLEMS`,
  ].join(' ');
}

const COLUMNS: [string, (r: ScenarioReport) => string | number][] = [
  ['run', (r) => r.run],
  ['scenario', (r) => r.scenario],
  ['seed', (r) => r.seed],
  ['sector', (r) => r.sector],
  ['s', (r) => r.seconds.toFixed(0)],
  ['calls', (r) => r.calls],
  ['faults', (r) => Object.values(r.faults).reduce((a, b) => a + (b ?? 0), 0)],
  ['retries', (r) => r.retries],
  ['repairs', (r) => r.repairs],
  ['redeliv', (r) => r.redeliveries],
  ['kills', (r) => r.kills],
  ['jobs', (r) => r.jobs],
  ['done', (r) => r.chunks.completed],
  ['failed', (r) => r.chunks.failed],
  ['resumed', (r) => r.chunks.resumed],
  ['ckpt', (r) => r.chunks.fromCheckpoint],
  ['questions', (r) => r.questions],
  ['dups', (r) => r.duplicates],
  ['xCareer', (r) => r.repeatedAcrossCareers],
  ['nearDups', (r) => r.nearDuplicates],
  ['lost', (r) => r.lost],
  ['verdict', (r) => (r.problems.length === 0 ? 'ok' : 'FAIL')],
];

export function table(reports: ScenarioReport[]): string {
  const rows = reports.map((r) => COLUMNS.map(([, cell]) => String(cell(r))));
  const header = COLUMNS.map(([name]) => name);
  const widths = header.map((name, i) => Math.max(name.length, ...rows.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) =>
        i <= 3 || i === cells.length - 1 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join('  ');
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
