/**
 * A Vitest reporter that ends the run with one line, `tests: N passed, N failed` (and
 * `, N skipped` when any test was skipped): the closing line CI reads, which Vitest's own summary
 * is not. It runs beside the default reporter and prints nothing else.
 *
 * The line never claims more than the run showed. A test counts as passed only if it passed.
 * Failed counts the failed tests, plus each failure outside a test that fails the run too: a
 * file that could not be loaded, a failing beforeAll/afterAll hook (its suite's tests then show
 * as skipped), an unhandled error, a test that never finished. An interrupted run (Ctrl-C,
 * --bail) prints no line.
 */
import type { Reporter, SerializedError, TestModule, TestRunEndReason } from 'vitest/node';

export interface RunTotals {
  passed: number;
  failed: number;
  skipped: number;
}

export function runTotals(
  testModules: ReadonlyArray<TestModule>,
  unhandledErrors: ReadonlyArray<SerializedError>,
  reason: TestRunEndReason,
): RunTotals {
  const totals = { passed: 0, failed: unhandledErrors.length, skipped: 0 };
  for (const testModule of testModules) {
    if (testModule.errors().length > 0) totals.failed++;
    for (const suite of testModule.children.allSuites()) if (suite.errors().length > 0) totals.failed++;
    for (const test of testModule.children.allTests()) {
      const { state } = test.result();
      if (state === 'passed') totals.passed++;
      else if (state === 'skipped') totals.skipped++;
      else totals.failed++; // failed, or still pending when the run ended
    }
  }
  // Vitest failed the run for a reason none of the above shows: never print "0 failed" then.
  if (reason === 'failed' && totals.failed === 0) totals.failed = 1;
  return totals;
}

export function summaryLine({ passed, failed, skipped }: RunTotals): string {
  return `tests: ${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`;
}

export default class CiSummaryReporter implements Reporter {
  onTestRunEnd(
    testModules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
    reason: TestRunEndReason,
  ): void {
    if (reason === 'interrupted') return;
    process.stdout.write(`${summaryLine(runTotals(testModules, unhandledErrors, reason))}\n`);
  }
}
