/**
 * Vitest: one project per test layer.
 *
 * - unit: plain functions, in-process fakes and servers on port 0; its files run in parallel.
 * - integration, infra, e2e, browser, chaos: local stacks, servers, child processes and killed processes;
 *   their files run one at a time (fileParallelism: false), layer after layer once the unit
 *   files are done (sequence.groupOrder), never beside another file of any layer, as they did
 *   under Node's runner (--test-concurrency=1).
 * - paced: the few stack-layer files (PACED below) that spend a minute waiting on a per-minute
 *   quota, shown to share nothing with a unit file: they run beside the unit files instead.
 *
 * Every file runs in a child process of its own (pool 'forks', isolate), as under Node's
 * runner: the code under test sets process.env and installs signal handlers, and the suites
 * spawn, signal and kill processes, none of which should reach another file.
 *
 * Node's runner had no timeouts; the long ones here only stop a hung file. The slowest test (the
 * chaos scenarios, a killed `npm start`) takes under a minute on a 2-core machine.
 */
import { globSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import CiSummaryReporter from './test/support/ci-summary-reporter.ts';

const UNIT = 'test/unit/**/*.test.ts';
const STACK_LAYERS = {
  integration: 'test/integration/**/*.test.ts',
  infra: 'test/infra/**/*.test.ts',
  e2e: 'test/e2e/**/*.test.ts',
  // The web console in a real Chromium against the local stack.
  browser: 'test/browser/**/*.test.ts',
  chaos: 'test/chaos/*.test.ts',
};

/**
 * Stack-layer files whose time is a per-minute quota window, spent waiting: they run in the unit
 * group, one of its workers, instead of holding their layer's single file slot for that minute.
 * Each must share nothing with a unit file running beside it, as checked for these:
 * - assessments-embeddings-pacing: dynalite, s3rver and the simulator run inside its own worker
 *   process (pool forks), on ports the OS picks (port 0), s3rver in an mkdtemp folder; the
 *   environment it sets is that process's; it spawns and signals no process. It needs a minute
 *   of wall time, not of CPU, and asserts a lower bound (the last text goes after the first
 *   minute), which unit files beside it cannot make false.
 * Unit files use in-process fakes and port-0 servers, and signal only children of their own.
 */
const PACED = ['test/integration/assessments-embeddings-pacing.test.ts'];
const STACK_TIMEOUTS = { testTimeout: 10 * 60_000, hookTimeout: 5 * 60_000 };

// Node's compile cache, on for the workers and every process they spawn (they inherit the env):
// each stack-layer file and each `npm start` the tests run loads aws-cdk-lib, the AWS SDK and
// the handlers again, and the cache spares compiling them anew each time (about a second of CPU
// per `npm start`). Node's docs (https://nodejs.org/api/module.html#module-compile-cache): it
// covers CommonJS, ES and TypeScript modules, is reused only while a module's contents are
// unchanged, and belongs under os.tmpdir(). A directory the user set wins; Vitest turns the
// cache off itself under v8 coverage, which needs the source positions it drops.
process.env.NODE_COMPILE_CACHE ??= join(tmpdir(), 'quizgen-node-compile-cache');

// A test file in no layer would never run: refuse to start instead.
const layers = [UNIT, ...Object.values(STACK_LAYERS)];
const inLayers = new Set(layers.flatMap((pattern) => globSync(pattern, { cwd: import.meta.dirname })));
const outside = globSync('test/**/*.test.ts', { cwd: import.meta.dirname }).filter((f) => !inLayers.has(f));
if (outside.length > 0) {
  throw new Error(`vitest.config.ts: no project includes ${outside.join(', ')}; add its folder to a layer`);
}

export default defineConfig({
  test: {
    pool: 'forks',
    isolate: true,
    reporters: ['default', new CiSummaryReporter()],
    coverage: {
      provider: 'v8',
      reporter: ['text-summary'],
      exclude: ['test/**', 'bench/**'],
    },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [UNIT],
          // Vitest's default is one worker per core less one: a single worker on 2 cores.
          maxWorkers: '100%',
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          // Sorts before 'unit': Vitest starts a group's projects in name order, so these
          // minute-long files start first and the unit files share the other worker meanwhile.
          name: 'paced',
          include: PACED,
          // In the unit group (0), whose projects must all have the same maxWorkers.
          maxWorkers: '100%',
          ...STACK_TIMEOUTS,
        },
      },
      ...Object.entries(STACK_LAYERS).map(([name, pattern], i) => ({
        extends: true,
        test: {
          name,
          include: [pattern],
          exclude: [...configDefaults.exclude, ...PACED],
          fileParallelism: false,
          // Projects run side by side unless their group orders differ: a group of its own per
          // layer, after the unit group (0), so no two of these files ever run at once.
          sequence: { groupOrder: i + 1 },
          ...STACK_TIMEOUTS,
        },
      })),
    ],
  },
});
