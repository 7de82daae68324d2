/**
 * Jobs: the key's quiz-bank and assessment jobs (`GET /api/v1/quiz-generator/jobs`, which lists
 * both) and its content jobs (`GET /api/jobs`, the content API keeps its own list), refreshed
 * every few seconds while one runs; starting a job of each kind.
 */
import { API_ROOT, api, QUIZ, request } from './api.ts';
import { $, h, say, usd } from './dom.ts';

export interface Job {
  job_id: string;
  job_type: string;
  status: string;
  parameters?: Record<string, unknown>;
  progress_percent?: number;
  progress_message?: string;
  error_message?: string | null;
  cost_usd?: number;
  questions_generated?: number;
}

/** What a finished job opens: its questions to review and the file its export downloads. */
export interface Source {
  label: string;
  /** The job's id in the review API (`GET /questions?job_id=`). */
  jobId: string;
  /** Path (with query) of its result as a file, `format` and `review` appended. */
  exportPath?: string;
  /** A content job's result in the content API (`GET /api/jobs/{id}/content`), saved as JSON. */
  contentPath?: string;
}

/** A job as the content API lists it. */
interface ContentListItem {
  id: number | string;
  topic?: string;
  status: string;
  progressPercentage?: number;
  costUsd?: number;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);
const POLL_MS = 2000;

let timer: number | undefined;
let onOpen: (source: Source) => void = () => {};
let onRefresh: () => Promise<void> = async () => {};

export function sourceOf(job: Job): Source | undefined {
  const p = job.parameters ?? {};
  if (job.job_type === 'career_level' && p.sector && p.career && p.level) {
    const [sector, career, level] = [p.sector, p.career, p.level].map((v) => encodeURIComponent(String(v)));
    return {
      label: `${p.sector} / ${p.career} level ${p.level}`,
      jobId: job.job_id,
      exportPath: `${QUIZ.slice(API_ROOT.length)}/results/sectors/${sector}/careers/${career}/levels/${level}?`,
    };
  }
  if (job.job_type === 'assessment') {
    return {
      label: `assessment ${job.job_id.slice(0, 8)}`,
      jobId: job.job_id,
      exportPath: `/job_status?job_id=${encodeURIComponent(job.job_id)}&`,
    };
  }
  if (job.job_type === 'content') {
    // The content API numbers its jobs; the engine (and so the review API) knows a content job
    // as `content-<number>` (lambdas/content/api/job-views.ts recordIdOf).
    const id = encodeURIComponent(job.job_id);
    return {
      label: `content: ${String(p.topic ?? job.job_id)}`,
      jobId: `content-${job.job_id}`,
      contentPath: `/api/jobs/${id}/content`,
    };
  }
  return { label: `${job.job_type} ${job.job_id.slice(0, 8)}`, jobId: job.job_id };
}

function row(job: Job): HTMLTableRowElement {
  const percent = Math.round(job.progress_percent ?? 0);
  const source = job.status === 'completed' ? sourceOf(job) : undefined;
  const name = sourceOf(job)?.label ?? job.job_id;
  return h(
    'tr',
    { 'data-job-id': job.job_id, 'data-status': job.status },
    h('td', {}, name, h('br'), h('small', {}, job.job_id)),
    h('td', {}, job.status),
    h(
      'td',
      {},
      h('progress', { max: 100, value: percent, 'aria-label': `${name}: ${percent}%` }),
      ` ${percent}%`,
      h('br'),
      h('small', {}, job.progress_message ?? ''),
    ),
    h('td', {}, usd(job.cost_usd)),
    h('td', { class: 'error' }, job.error_message ?? ''),
    h(
      'td',
      {},
      source &&
        h(
          'button',
          { type: 'button', onclick: () => onOpen(source), 'aria-label': `Review ${name}` },
          'Review',
        ),
    ),
  );
}

export async function refreshJobs(): Promise<void> {
  window.clearTimeout(timer);
  try {
    const quiz = await api<{ jobs: Job[] }>('GET', `${QUIZ.slice(API_ROOT.length)}/jobs?limit=20`);
    const content = await api<{ data?: { jobs?: ContentListItem[] } }>('GET', '/api/jobs?limit=20').catch(
      () => ({}) as { data?: { jobs?: ContentListItem[] } },
    );
    // The content API's list items (lambdas/content/api/job-views.ts listItem) in the quiz
    // API's field names, so one table shows both.
    const contentJobs = (content.data?.jobs ?? []).map((j: ContentListItem) => ({
      job_id: String(j.id),
      job_type: 'content',
      status: j.status === 'processing' ? 'running' : j.status,
      parameters: { topic: j.topic },
      progress_percent: j.progressPercentage,
      cost_usd: j.costUsd,
    }));
    const jobs = [...quiz.jobs, ...contentJobs];
    // Spend moves with the jobs: the budget is read again with them.
    await onRefresh();
    const body = $('jobs').querySelector('tbody');
    body?.replaceChildren(...jobs.map(row));
    if (jobs.some((j) => !TERMINAL.has(j.status))) timer = window.setTimeout(refreshJobs, POLL_MS);
  } catch (error) {
    say(`Could not list jobs: ${(error as Error).message}`, true);
  }
}

async function waitForDocument(id: string): Promise<void> {
  for (;;) {
    const doc = await api<{ status: string; error?: string }>('GET', `/documents/${encodeURIComponent(id)}`);
    if (doc.status === 'ready') return;
    if (doc.status !== 'ingesting')
      throw new Error(`the document could not be read: ${doc.error ?? doc.status}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function start(form: HTMLFormElement): Promise<void> {
  const data = new FormData(form);
  const kind = data.get('kind');
  if (kind === 'quiz') {
    const started = await api<{ job_id: string }>(
      'POST',
      `${QUIZ.slice(API_ROOT.length)}/generate/career-level/async`,
      {
        sector: String(data.get('sector')),
        career: String(data.get('career')),
        level: Number(data.get('level')),
      },
    );
    say(`Quiz-bank job ${started.job_id} started.`);
  } else if (kind === 'assessment') {
    const file = $<HTMLInputElement>('document').files?.[0];
    if (!file) throw new Error('choose a document to ground the assessment in');
    const upload = new FormData();
    upload.append('file', file, file.name);
    say(`Uploading ${file.name}…`);
    const doc = await api<{ document_id: string }>('POST', '/documents', upload);
    await waitForDocument(doc.document_id);
    const started = await api<{ job_id: string }>('POST', '/generate_assessment', {
      query: file.name.replace(/\.[^.]+$/, ''),
      document_id: doc.document_id,
      bloom_mix: String(data.get('mix')),
    });
    say(`Assessment job ${started.job_id} started.`);
  } else {
    await request('POST', '/api/execute', {
      action: 'generate',
      // The Content Generator's request (test/fixtures/content-request-curl.json): an empty
      // structure is outlined first; the word count sizes the course.
      input: {
        topic: String(data.get('topic')),
        structureType: 'course',
        structure: {},
        wordCountEstimates: { total: Number(data.get('words')), bySection: {}, byPriority: {} },
        contentMetadata: {},
      },
    });
    say('Content job finished.');
  }
  await refreshJobs();
}

export function initJobs(open: (source: Source) => void, refreshed: () => Promise<void>): void {
  onOpen = open;
  onRefresh = refreshed;
  const form = $<HTMLFormElement>('start-form');
  form.addEventListener('change', () => {
    const kind = new FormData(form).get('kind');
    for (const part of form.querySelectorAll<HTMLElement>('[data-kind]'))
      part.hidden = part.dataset.kind !== kind;
  });
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const button = form.querySelector('button[type=submit]') as HTMLButtonElement;
    button.disabled = true;
    start(form)
      .catch((error: Error) => say(`Could not start the job: ${error.message}`, true))
      .finally(() => {
        button.disabled = false;
      });
  });
  $('refresh-jobs').addEventListener('click', () => void refreshJobs());
}
