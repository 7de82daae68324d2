/**
 * Text for people: the jobs table, one job's details, sizes and labels. Pure functions of the
 * API's bodies; `--json` output bypasses all of this.
 */
import type { ApiJob } from '#jobs/job.ts';
import { KEY_POSITIONS } from '#jobs/key-cues.ts';
import type { JobKeyCues } from '#jobs/quality-report.ts';
import { formatCost, formatDuration } from './progress.ts';

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Columns padded to their widest cell, two spaces apart; the last column is not padded. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        const last = i === columns.length - 1;
        if (c.align === 'right') return cell.padStart(widths[i] ?? 0);
        return last ? cell : cell.padEnd(widths[i] ?? 0);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n');
}

/** What a job generates, in words: `technology/FRONTEND_DEVELOPER level 1`. */
export function jobLabel(type: string, parameters: Record<string, unknown> | null | undefined): string {
  const p = parameters ?? {};
  switch (type) {
    case 'career_level':
      return `${p.sector}/${p.career} level ${p.level}`;
    case 'sector':
      return `sector ${p.sector}`;
    case 'soft_skills':
      return 'soft skills';
    case 'full':
      return p.include_soft_skills === false ? 'all sectors' : 'all sectors and soft skills';
    case 'assessment':
      return `assessment on "${p.query ?? ''}"`;
    case 'content':
      return `${p.structure_type ?? 'content'} on "${p.topic ?? ''}"`;
    case 'question_regeneration':
    case 'assessment_question_regeneration':
    case 'content_question_regeneration':
      return `the replacement of question ${p.question_id ?? ''}`;
    default:
      return type;
  }
}

/** `2025-01-08 10:00Z`: short, sortable, and the same for everyone reading a shared log. */
export function shortTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')}Z`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  if (bytes < 1_000_000) return `${(bytes / 1000).toFixed(1)} kB`;
  return `${(bytes / 1_000_000).toFixed(1)} MB`;
}

export function jobsTable(jobs: readonly ApiJob[]): string {
  return table(
    [
      { header: 'JOB' },
      { header: 'STATUS' },
      { header: 'PROGRESS', align: 'right' },
      { header: 'QUESTIONS', align: 'right' },
      { header: 'COST', align: 'right' },
      { header: 'CREATED' },
      { header: 'WHAT' },
    ],
    jobs.map((job) => [
      job.job_id,
      job.status,
      `${job.progress_percent}%`,
      String(job.questions_generated),
      formatCost(job.cost_usd),
      shortTime(job.created_at),
      jobLabel(job.job_type, job.parameters as Record<string, unknown>),
    ]),
  );
}

const MAX_FAILED_CHUNKS_SHOWN = 5;

/** `quizgen status`: one field a line. */
export function jobDetails(job: ApiJob): string {
  const rows: [string, string][] = [
    ['Job', job.job_id],
    ['What', `${jobLabel(job.job_type, job.parameters as Record<string, unknown>)} (${job.job_type})`],
    [
      'Status',
      `${job.status}, ${job.progress_percent}%${job.progress_message ? `: ${job.progress_message}` : ''}`,
    ],
  ];
  const c = job.chunks;
  if (c.total > 0) {
    rows.push([
      'Chunks',
      `${c.completed + c.skipped_from_checkpoint}/${c.total} done (${c.skipped_from_checkpoint} from checkpoint), ${c.failed} failed`,
    ]);
  }
  rows.push(['Questions', String(job.questions_generated)]);
  const t = job.tokens;
  if (t.total_tokens > 0) {
    rows.push([
      'Tokens',
      `${t.total_tokens} (input ${t.input_tokens}, output ${t.output_tokens}, thinking ${t.thinking_tokens}, cached ${t.cached_tokens})`,
    ]);
  }
  rows.push(['Cost', formatCost(job.cost_usd)], ['Model', job.model], ['Created', shortTime(job.created_at)]);
  if (job.started_at) rows.push(['Started', shortTime(job.started_at)]);
  if (job.completed_at) {
    const took =
      job.started_at !== null
        ? ` (took ${formatDuration((Date.parse(job.completed_at) - Date.parse(job.started_at)) / 1000)})`
        : '';
    rows.push(['Ended', `${shortTime(job.completed_at)}${took}`]);
  }
  if (job.error_message) rows.push(['Error', job.error_message]);
  const failedChunks = job.result_summary?.failed_chunks ?? [];
  for (const failed of failedChunks.slice(0, MAX_FAILED_CHUNKS_SHOWN)) {
    rows.push(['Failed chunk', `${failed.chunk_key}: ${failed.error}`]);
  }
  // The job lists its first failed chunks only and counts the others.
  const notShown =
    failedChunks.length + (job.result_summary?.failed_chunks_omitted ?? 0) - MAX_FAILED_CHUNKS_SHOWN;
  if (notShown > 0) {
    const listed = failedChunks.length - MAX_FAILED_CHUNKS_SHOWN;
    rows.push([
      '',
      `and ${notShown} more${listed > 0 ? ` (quizgen status --json lists ${listed} of them)` : ''}`,
    ]);
  }
  if (job.execution_console_url) rows.push(['Execution', job.execution_console_url]);
  const width = Math.max(...rows.map(([name]) => name.length));
  return rows.map(([name, value]) => `${name.padEnd(width)}  ${value}`).join('\n');
}

/**
 * The quality report's key cues as lines: where the keys sit (an even bank has 25% each) and
 * how often the key is the longest option (25% by chance). None when nothing was measured.
 */
export function keyCueLines(cues: JobKeyCues | undefined): string[] {
  if (!cues || cues.questions === 0) return [];
  const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
  const positions = KEY_POSITIONS.map(
    (p) => `${p} ${cues.positions[p].count} (${percent(cues.positions[p].share)})`,
  ).join(', ');
  return [
    `Key positions over ${cues.questions} questions: ${positions}`,
    `Key is the longest option: ${cues.longest_option.count} (${percent(cues.longest_option.share)})`,
  ];
}
