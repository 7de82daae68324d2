/**
 * A job's progress as a line: a bar, chunks done of total, questions, cost, elapsed time and
 * an ETA from the rate so far. `LiveProgress` draws it in place on a terminal (at most four
 * times a second) and as one plain line per change anywhere else (a log, a pipe, CI).
 */

export type WatchedStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled' | 'unknown';

/** What a progress line needs to know of a job, whichever API reported it. */
export interface ProgressSnapshot {
  status: WatchedStatus;
  /** The service's own percentage, used until chunk counts are known. */
  percent: number | null;
  chunksTotal: number;
  /** Chunks the checkpoint already had: done before this job began. */
  chunksSkipped: number;
  chunksCompleted: number;
  chunksFailed: number;
  questions: number | null;
  costUsd: number | null;
  /** Epoch ms; when the job started running (or was created). */
  startedAt: number | null;
  /** Epoch ms; when it ended, for a finished job. */
  endedAt: number | null;
}

export function isFinished(status: WatchedStatus): boolean {
  return status === 'completed' || status === 'failed' || status === 'cancelled';
}

/** `45s`, `3m07s`, `2h05m`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** `$0.0042` below a dollar (Gemini calls cost fractions of a cent), `$12.35` above. */
export function formatCost(usd: number): string {
  if (usd === 0) return '$0';
  if (usd < 1) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

/** Of everything the job covers, how much is done (0..1). */
export function fractionDone(s: ProgressSnapshot): number {
  if (s.status === 'completed') return 1;
  if (s.chunksTotal > 0) {
    return Math.min(1, (s.chunksSkipped + s.chunksCompleted + s.chunksFailed) / s.chunksTotal);
  }
  return Math.min(1, Math.max(0, (s.percent ?? 0) / 100));
}

export function elapsedSeconds(s: ProgressSnapshot, nowMs: number): number | undefined {
  if (s.startedAt === null) return undefined;
  return Math.max(0, ((s.endedAt ?? nowMs) - s.startedAt) / 1000);
}

/**
 * Seconds left at the rate chunks have finished so far; undefined until the first one has
 * (no rate yet) and for a finished job. Chunks from the checkpoint took no time, so they count
 * neither as work done nor as work left.
 */
export function etaSeconds(s: ProgressSnapshot, nowMs: number): number | undefined {
  if (isFinished(s.status)) return undefined;
  const elapsed = elapsedSeconds(s, nowMs);
  const planned = s.chunksTotal - s.chunksSkipped;
  const done = s.chunksCompleted + s.chunksFailed;
  if (elapsed === undefined || elapsed <= 0 || planned <= 0 || done <= 0) return undefined;
  const remaining = Math.max(0, planned - done);
  return (remaining * elapsed) / done;
}

export function progressBar(fraction: number, width: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `${'█'.repeat(filled)}${'░'.repeat(width - filled)}`;
}

/** The parts after the bar: `chunks 4/10 · 12 questions · $0.0040 · 1m05s · ETA 1m30s`. */
export function progressDetails(s: ProgressSnapshot, nowMs: number): string[] {
  const parts: string[] = [];
  if (s.chunksTotal > 0) {
    const done = s.chunksSkipped + s.chunksCompleted;
    let chunks = `chunks ${done}/${s.chunksTotal}`;
    if (s.chunksFailed > 0) chunks += `, ${s.chunksFailed} failed`;
    if (s.chunksSkipped > 0) chunks += ` (${s.chunksSkipped} from checkpoint)`;
    parts.push(chunks);
  }
  if (s.questions !== null) parts.push(`${s.questions} question${s.questions === 1 ? '' : 's'}`);
  if (s.costUsd !== null && (s.costUsd > 0 || isFinished(s.status))) parts.push(formatCost(s.costUsd));
  const elapsed = elapsedSeconds(s, nowMs);
  if (elapsed !== undefined) parts.push(`${formatDuration(elapsed)} elapsed`);
  const eta = etaSeconds(s, nowMs);
  // No chunk left to run: what remains is assembling the files.
  if (eta !== undefined) parts.push(eta === 0 ? 'finishing' : `ETA ${formatDuration(Math.max(1, eta))}`);
  return parts;
}

export function percentText(s: ProgressSnapshot): string {
  return `${Math.floor(fractionDone(s) * 100)}%`.padStart(4);
}

/** The line drawn on a terminal: `running   [████░░░░]  40% chunks 4/10 · …`, within `width`. */
export function formatBarLine(s: ProgressSnapshot, nowMs: number, width: number): string {
  const head = s.status.padEnd(9);
  const details = progressDetails(s, nowMs).join(' · ');
  // The bar takes what the words leave, between 10 and 30 cells; a narrow terminal cuts the end.
  const room = width - 1 - head.length - percentText(s).length - details.length - 5;
  const barWidth = Math.min(30, Math.max(10, room));
  const line = [head, `[${progressBar(fractionDone(s), barWidth)}]`, percentText(s), details].join(' ');
  return truncate(line, Math.max(20, width - 1));
}

/** The line printed when output is not a terminal: no bar, nothing redrawn, ASCII only. */
export function formatPlainLine(s: ProgressSnapshot, nowMs: number): string {
  return [`${s.status} ${percentText(s).trim()}`, ...progressDetails(s, nowMs)].join(' | ');
}

function truncate(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface LiveProgressOptions {
  /** Redraw in place (a terminal) or print plain lines. */
  tty: boolean;
  /** At most one redraw per this many ms on a terminal. */
  minRedrawMs?: number;
  /** Without a change, a plain line is repeated after this long, so a log shows the job is alive. */
  heartbeatMs?: number;
  now?: () => number;
}

/**
 * Draws a job's progress. `update` with each new snapshot, `tick` between polls (the elapsed
 * time moves on), `finish` before printing anything else. On a terminal, a redraw sooner than
 * `minRedrawMs` after the last is left to the next tick.
 */
export class LiveProgress {
  private readonly stream: ProgressStream;
  private readonly tty: boolean;
  private readonly minRedrawMs: number;
  private readonly heartbeatMs: number;
  private readonly now: () => number;
  private snapshot: ProgressSnapshot | undefined;
  private lastDrawAt = 0;
  private lastPlain = '';
  private drawn = false;

  constructor(stream: ProgressStream, options: LiveProgressOptions) {
    this.stream = stream;
    this.tty = options.tty;
    this.minRedrawMs = options.minRedrawMs ?? 250;
    this.heartbeatMs = options.heartbeatMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  update(snapshot: ProgressSnapshot): void {
    this.snapshot = snapshot;
    this.draw(false);
  }

  tick(): void {
    this.draw(false);
  }

  /** Ends the live line so that what follows starts on a fresh one. */
  finish(): void {
    if (this.tty && this.drawn) {
      this.draw(true);
      this.stream.write('\n');
    }
    this.drawn = false;
  }

  private draw(force: boolean): void {
    const s = this.snapshot;
    if (!s) return;
    const now = this.now();
    if (this.tty) {
      if (!force && now - this.lastDrawAt < this.minRedrawMs) return;
      this.stream.write(`\r${formatBarLine(s, now, this.stream.columns ?? 80)}\x1b[K`);
      this.lastDrawAt = now;
      this.drawn = true;
      return;
    }
    // Compare without the clock-driven parts, so only real progress prints a line.
    const key = formatPlainLine({ ...s, startedAt: null }, now);
    if (key === this.lastPlain && now - this.lastDrawAt < this.heartbeatMs) return;
    this.stream.write(`${formatPlainLine(s, now)}\n`);
    this.lastPlain = key;
    this.lastDrawAt = now;
  }
}
