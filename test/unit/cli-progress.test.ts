import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import {
  etaSeconds,
  formatBarLine,
  formatCost,
  formatDuration,
  formatPlainLine,
  LiveProgress,
  type ProgressSnapshot,
} from '../../cli/progress.ts';

const T0 = Date.parse('2025-01-08T10:00:00Z');

const snapshot = (overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot => ({
  status: 'running',
  percent: 50,
  chunksTotal: 10,
  chunksSkipped: 0,
  chunksCompleted: 4,
  chunksFailed: 0,
  questions: 12,
  costUsd: 0.004,
  startedAt: T0,
  endedAt: null,
  ...overrides,
});

describe('formatting', () => {
  it('formats durations and costs', () => {
    assert.equal(formatDuration(45.4), '45s');
    assert.equal(formatDuration(187), '3m07s');
    assert.equal(formatDuration(7500), '2h05m');
    assert.equal(formatCost(0.004), '$0.0040');
    assert.equal(formatCost(12.345), '$12.35');
    assert.equal(formatCost(0), '$0');
  });
});

describe('etaSeconds', () => {
  it('extrapolates the rate so far to the chunks left', () => {
    // 4 chunks in 60 s: 6 left take 90 s.
    assert.equal(etaSeconds(snapshot(), T0 + 60_000), 90);
  });

  it('leaves chunks from the checkpoint out of the rate', () => {
    // 10 chunks, 6 from the checkpoint: 2 of the 4 generated in 30 s, so 2 more take 30 s.
    assert.equal(etaSeconds(snapshot({ chunksSkipped: 6, chunksCompleted: 2 }), T0 + 30_000), 30);
  });

  it('is unknown before a chunk has finished and for a finished job', () => {
    assert.equal(etaSeconds(snapshot({ chunksCompleted: 0 }), T0 + 60_000), undefined);
    assert.equal(etaSeconds(snapshot({ status: 'completed' }), T0 + 60_000), undefined);
    assert.equal(etaSeconds(snapshot({ startedAt: null }), T0 + 60_000), undefined);
  });
});

describe('progress lines', () => {
  it('draws a bar with chunks, questions, cost, elapsed time and ETA', () => {
    const line = formatBarLine(snapshot(), T0 + 60_000, 120);
    assert.equal(
      line,
      'running   [████████████░░░░░░░░░░░░░░░░░░]  40% chunks 4/10 · 12 questions · $0.0040 · 1m00s elapsed · ETA 1m30s',
    );
  });

  it('fits a narrow terminal', () => {
    const line = formatBarLine(snapshot(), T0 + 60_000, 50);
    assert.equal(line.length, 49);
    assert.ok(line.endsWith('…'));
  });

  it('prints plain lines without a bar, naming failed and checkpointed chunks', () => {
    const line = formatPlainLine(snapshot({ chunksSkipped: 2, chunksFailed: 1 }), T0 + 60_000);
    assert.equal(
      line,
      'running 70% | chunks 6/10, 1 failed (2 from checkpoint) | 12 questions | $0.0040 | 1m00s elapsed | ETA 36s',
    );
  });

  it('uses the service percentage until chunks are planned', () => {
    assert.match(
      formatPlainLine(snapshot({ chunksTotal: 0, chunksCompleted: 0, percent: 5 }), T0),
      /^running 5% \| /,
    );
  });
});

function recorder(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 120, write: (text: string) => writes.push(text) } };
}

describe('LiveProgress', () => {
  it('redraws in place on a terminal, at most once per interval', () => {
    let now = T0;
    const { writes, stream } = recorder(true);
    const progress = new LiveProgress(stream, { tty: true, minRedrawMs: 250, now: () => now });
    progress.update(snapshot());
    now += 100;
    progress.update(snapshot({ chunksCompleted: 5 }));
    progress.tick();
    assert.equal(writes.length, 1, 'a second redraw within 250 ms waits');
    now += 200;
    progress.tick();
    assert.equal(writes.length, 2);
    const redraw = writes[1] ?? '';
    assert.ok(redraw.startsWith('\r') && redraw.endsWith('\x1b[K'), 'drawn over the line, clearing its end');
    assert.match(redraw, /chunks 5\/10/);
    progress.finish();
    assert.equal(writes.at(-1), '\n');
  });

  it('prints a plain line only when the progress changes', () => {
    let now = T0;
    const { writes, stream } = recorder(false);
    const progress = new LiveProgress(stream, { tty: false, now: () => now });
    progress.update(snapshot());
    now += 2000;
    progress.update(snapshot());
    progress.tick();
    now += 2000;
    progress.update(snapshot({ chunksCompleted: 5 }));
    progress.finish();
    assert.equal(writes.length, 2);
    assert.ok(writes.every((w) => !w.includes('\r') && w.endsWith('\n')));
  });
});
