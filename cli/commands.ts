/**
 * The commands: plain async functions of a `Client` and their options that answer the API's
 * data. Printing, progress and exit codes are `main`'s; these can be tested with a fake client.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable, Transform, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import type { ApiJob } from '#jobs/job.ts';
import type { DryRun } from '#jobs/job-service.ts';
import { type Client, QUIZ_API, type Query } from './client.ts';
import { normalizeUrl, readConfig, type StoredConfig, writeConfig } from './config.ts';
import { CliError, EXIT } from './errors.ts';
import { type JobStatusBody, snapshotOfJob, snapshotOfJobStatus, type WatchedJob } from './watch.ts';

/** Cost control a generate request may carry (see the README's "Cost control"). */
export interface CostControl {
  dryRun?: boolean;
  maxCostUsd?: number;
  batch?: boolean;
}

export type GenerateRequest = (
  | { kind: 'career-level'; sector: string; career: string; level: number; regenerate?: boolean }
  | { kind: 'sector'; sector: string; regenerate?: boolean }
  | { kind: 'soft-skills'; regenerate?: boolean }
  | { kind: 'full'; includeSoftSkills: boolean; regenerate?: boolean }
) & {
  cost?: CostControl;
  /** ISO 639-1 code of the questions' language; the service's default (en) when absent. */
  language?: string;
};

export interface AssessRequest {
  query: string;
  /** The seed's string ("5 remember, 3 apply", "remember:5,apply:5") or counts per level. */
  mix: string | Record<string, number>;
  documentId?: string;
  title?: string;
  /** How many of the mix's questions are open ones (`subjective_count`). */
  openCount?: number;
  language?: string;
}

/** `202` of the quiz API's async routes. */
export interface StartedJob {
  message: string;
  job_id: string;
  job_type: string;
  status: string;
}

/** `202` of `POST /generate_assessment`. */
export interface StartedAssessment {
  job_id: string;
  status: string;
  total_questions: number;
  bloom_mix: Record<string, number>;
}

export interface JobList {
  jobs: ApiJob[];
  total: number;
}

const jobPath = (id: string) => `${QUIZ_API}/jobs/${encodeURIComponent(id)}`;

/** The route and body that start a generation. */
export function generationCall(request: GenerateRequest): { path: string; body: Record<string, unknown> } {
  const cost = request.cost ?? {};
  const regenerate = {
    ...(request.regenerate ? { regenerate: true } : {}),
    ...(cost.dryRun ? { dry_run: true } : {}),
    ...(cost.maxCostUsd !== undefined ? { max_cost_usd: cost.maxCostUsd } : {}),
    ...(cost.batch ? { mode: 'batch' } : {}),
    ...(request.language ? { language: request.language } : {}),
  };
  switch (request.kind) {
    case 'career-level':
      return {
        path: `${QUIZ_API}/generate/career-level/async`,
        body: { sector: request.sector, career: request.career, level: request.level, ...regenerate },
      };
    case 'sector':
      return { path: `${QUIZ_API}/generate/sector/async`, body: { sector: request.sector, ...regenerate } };
    case 'soft-skills':
      return { path: `${QUIZ_API}/generate/soft-skills/async`, body: { ...regenerate } };
    case 'full':
      return {
        path: `${QUIZ_API}/generate/full/async`,
        body: { include_soft_skills: request.includeSoftSkills, ...regenerate },
      };
  }
}

export async function startGeneration(client: Client, request: GenerateRequest): Promise<StartedJob> {
  const { path, body } = generationCall(request);
  return client.json<StartedJob>('POST', path, { body });
}

export async function startAssessment(client: Client, request: AssessRequest): Promise<StartedAssessment> {
  return client.json<StartedAssessment>('POST', '/generate_assessment', {
    body: {
      query: request.query,
      bloom_mix: request.mix,
      ...(request.documentId ? { document_id: request.documentId } : {}),
      ...(request.title ? { title: request.title } : {}),
      ...(request.openCount ? { subjective_count: request.openCount } : {}),
      ...(request.language ? { language: request.language } : {}),
    },
  });
}

export async function dryRunGeneration(client: Client, request: GenerateRequest): Promise<DryRun> {
  const { path, body } = generationCall({ ...request, cost: { ...request.cost, dryRun: true } });
  return client.json<DryRun>('POST', path, { body });
}

export async function qualityReport(client: Client, jobId: string): Promise<Record<string, unknown>> {
  return client.json('GET', `${jobPath(jobId)}/quality`);
}

export interface Budget {
  monthly_usd: number | null;
  month: string;
  spent_usd: number;
  remaining_usd: number | null;
}

export async function budget(client: Client, change?: { monthlyUsd: number | null }): Promise<Budget> {
  if (!change) return client.json<Budget>('GET', `${QUIZ_API}/budget`);
  return client.json<Budget>('PUT', `${QUIZ_API}/budget`, { body: { monthly_usd: change.monthlyUsd } });
}

export async function getJob(client: Client, jobId: string): Promise<ApiJob> {
  return client.json<ApiJob>('GET', jobPath(jobId));
}

export async function listJobs(
  client: Client,
  options: { status?: string; limit?: number; offset?: number },
): Promise<JobList> {
  return client.json<JobList>('GET', `${QUIZ_API}/jobs`, {
    query: { status: options.status, limit: options.limit, offset: options.offset },
  });
}

export async function cancelJob(client: Client, jobId: string): Promise<ApiJob> {
  return client.json<ApiJob>('POST', `${jobPath(jobId)}/cancel`);
}

export interface SectorsBody {
  sectors: string[];
  sector_details: Record<string, Record<string, string[]>>;
  soft_skills_topics: string[];
  levels: Record<string, string>;
}

export async function getSectors(client: Client): Promise<SectorsBody> {
  return client.json<SectorsBody>('GET', `${QUIZ_API}/sectors`);
}

export async function jobStatus(client: Client, jobId: string): Promise<JobStatusBody> {
  return client.json<JobStatusBody>('GET', '/job_status', { query: { job_id: jobId } });
}

export interface SavedAssessment {
  assessment_id: string;
  title: string;
  mcqs: unknown[];
}

export async function saveAssessment(
  client: Client,
  jobId: string,
  title?: string,
): Promise<SavedAssessment> {
  return client.json<SavedAssessment>('POST', '/assessments', {
    body: { job_id: jobId, ...(title ? { title } : {}) },
  });
}

// --- watching ------------------------------------------------------------------------------

export function pollJob(client: Client, jobId: string): () => Promise<WatchedJob> {
  return async () => snapshotOfJob(await getJob(client, jobId));
}

/**
 * Polls `/job_status`, the assessment API's own status, and `/jobs/{id}` beside it for the
 * chunk counts and cost; the second is a nicety, so its failure is ignored.
 */
export function pollAssessment(client: Client, jobId: string): () => Promise<WatchedJob> {
  return async () => {
    const [status, job] = await Promise.all([
      jobStatus(client, jobId),
      getJob(client, jobId).catch(() => undefined),
    ]);
    return snapshotOfJobStatus(jobId, status, job);
  };
}

// --- resume --------------------------------------------------------------------------------

export type ResumePlan =
  | { kind: 'generate'; request: GenerateRequest }
  | { kind: 'assess'; request: AssessRequest };

/**
 * The request that starts a job's generation again. Never with `regenerate`: the point is that
 * the checkpoint makes the new job generate only what the old one did not.
 */
export function resumePlanOf(job: ApiJob): ResumePlan {
  const p = job.parameters;
  const language = p.language && p.language !== 'en' ? { language: p.language } : {};
  if (job.status === 'pending' || job.status === 'running') {
    throw new CliError(
      `Job ${job.job_id} is still ${job.status}; follow it with quizgen watch ${job.job_id}`,
      EXIT.apiError,
    );
  }
  switch (job.job_type) {
    case 'career_level':
      return {
        kind: 'generate',
        request: {
          kind: 'career-level',
          sector: p.sector ?? '',
          career: p.career ?? '',
          level: p.level ?? 0,
          ...language,
        },
      };
    case 'sector':
      return { kind: 'generate', request: { kind: 'sector', sector: p.sector ?? '', ...language } };
    case 'soft_skills':
      return { kind: 'generate', request: { kind: 'soft-skills', ...language } };
    case 'full':
      return {
        kind: 'generate',
        request: { kind: 'full', includeSoftSkills: p.include_soft_skills !== false, ...language },
      };
    case 'assessment': {
      // The MCQs' and the open questions' mixes together, and how many of them are open: the
      // service splits that sum as it split it the first time (bloom.ts splitMix).
      const mcq = (p.bloom_mix ?? {}) as Record<string, number>;
      const open = (p.subjective_mix ?? {}) as Record<string, number>;
      const mix: Record<string, number> = { ...mcq };
      for (const [level, n] of Object.entries(open)) mix[level] = (mix[level] ?? 0) + n;
      const openCount = Object.values(open).reduce((sum, n) => sum + n, 0);
      return {
        kind: 'assess',
        request: {
          query: p.query ?? '',
          mix,
          ...(p.document_id ? { documentId: p.document_id } : {}),
          ...(p.title ? { title: p.title } : {}),
          ...(openCount > 0 ? { openCount } : {}),
          ...language,
        },
      };
    }
    default:
      throw new CliError(
        `Job ${job.job_id} is a ${job.job_type} job; quizgen resumes quiz-bank and assessment jobs only (retry content jobs with POST /api/jobs/{id}/retry)`,
        EXIT.apiError,
      );
  }
}

// --- downloads -----------------------------------------------------------------------------

export interface DownloadOptions {
  sector?: string;
  career?: string;
  level?: number;
  softSkills?: boolean;
  combined?: boolean;
  assessment?: string;
  /** A content job, by the content API's numeric id (GET /api/jobs/{id}/content). */
  content?: number;
  format?: string;
  /** Only the questions in this review state (`review=` of the results routes). */
  review?: string;
}

export interface DownloadTarget {
  path: string;
  query?: Query;
  /** The file name without extension, when `-o` is not given. */
  baseName: string;
}

/** Extensions for the default file name; the server's Content-Disposition name wins when given. */
const EXTENSIONS: Record<string, string> = {
  json: 'json',
  csv: 'csv',
  gift: 'gift.txt',
  aiken: 'aiken.txt',
  moodle: 'moodle.xml',
  qti21: 'qti21.zip',
  qti30: 'qti30.zip',
};

export function downloadTarget(options: DownloadOptions): DownloadTarget {
  const format = options.format && options.format !== 'json' ? options.format : undefined;
  const wanted = { ...(format ? { format } : {}), ...(options.review ? { review: options.review } : {}) };
  const query = Object.keys(wanted).length > 0 ? { query: wanted } : {};
  const e = encodeURIComponent;
  if (options.assessment !== undefined) {
    if (options.review) {
      throw new CliError(
        '--review filters generated questions; a saved assessment is your own copy (review its job with quizgen review list --assessment JOB)',
        EXIT.usage,
      );
    }
    return {
      path: `/assessments/${e(options.assessment)}`,
      ...query,
      baseName: `assessment-${options.assessment}`,
    };
  }
  if (options.content !== undefined) {
    // The content API's one answer, JSON in its envelope; review= keeps the questions in a state.
    return {
      path: `/api/jobs/${options.content}/content`,
      ...(options.review ? { query: { review: options.review } } : {}),
      baseName: `content-${options.content}`,
    };
  }
  if (options.softSkills)
    return { path: `${QUIZ_API}/results/soft-skills`, ...query, baseName: 'soft-skills' };
  if (options.combined) return { path: `${QUIZ_API}/results/combined`, ...query, baseName: 'combined' };
  if (options.sector === undefined)
    throw new Error('downloadTarget needs a sector, soft skills, combined, an assessment or a content job');
  if (options.career !== undefined && options.level !== undefined) {
    return {
      path: `${QUIZ_API}/results/sectors/${e(options.sector)}/careers/${e(options.career)}/levels/${options.level}`,
      ...query,
      baseName: `${options.sector}-${options.career}-level-${options.level}`,
    };
  }
  return { path: `${QUIZ_API}/results/sectors/${e(options.sector)}`, ...query, baseName: options.sector };
}

/** The file a download is written to without `-o`: the server's name, else ours with the format's extension. */
export function defaultFileName(target: DownloadTarget, format: string, headers: Headers): string {
  const disposition = headers.get('content-disposition') ?? '';
  const fromServer =
    /filename\*=UTF-8''([^;]+)/i.exec(disposition)?.[1] ?? /filename="?([^";]+)"?/i.exec(disposition)?.[1];
  if (fromServer) {
    let decoded = fromServer;
    try {
      decoded = decodeURIComponent(fromServer);
    } catch {
      // keep it as sent
    }
    // A name only: never a path the server chose.
    const safe = basename(decoded.replaceAll('\\', '/')).replace(/^\.+/, '');
    if (safe) return safe;
  }
  const zip = (headers.get('content-type') ?? '').includes('zip');
  const extension = EXTENSIONS[format] ?? (zip ? `${format}.zip` : format);
  return `${target.baseName}.${extension}`;
}

export interface Downloaded {
  /** The file written, or `-` for stdout. */
  file: string;
  bytes: number;
  content_type: string | null;
}

/**
 * Downloads a result and writes its bytes as received, to `output` or stdout (`-`). A file is
 * written beside its final name and renamed, so a failed download leaves no half file.
 */
export async function download(
  client: Client,
  options: DownloadOptions,
  output: string | undefined,
  stdout: Writable,
): Promise<Downloaded> {
  const target = downloadTarget(options);
  const response = await client.download(target.path, target.query);
  const contentType = response.headers.get('content-type');
  const file = output ?? defaultFileName(target, options.format ?? 'json', response.headers);
  if (!response.body) throw new CliError(`${client.url} answered the download without a body`, EXIT.apiError);
  const counted = countBytes();
  const body = Readable.fromWeb(response.body as NodeReadableStream<Uint8Array>);
  try {
    if (file === '-') {
      await pipeline(body, counted.stream, stdout, { end: false });
      return { file, bytes: counted.bytes(), content_type: contentType };
    }
    const partial = `${file}.part`;
    try {
      await pipeline(body, counted.stream, createWriteStream(partial));
      await rename(partial, file);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    return { file, bytes: counted.bytes(), content_type: contentType };
  } catch (error) {
    const { syscall, message } = error as NodeJS.ErrnoException;
    // Errors with a syscall are the file's (no such folder, disk full); the others the network's.
    if (syscall) throw new CliError(`Cannot write ${file}: ${message}`, EXIT.apiError);
    throw new CliError(`The download from ${client.url} broke off: ${message}`, EXIT.unreachable);
  }
}

function countBytes(): { stream: Transform; bytes: () => number } {
  let total = 0;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.byteLength;
      callback(null, chunk);
    },
  });
  return { stream, bytes: () => total };
}

// --- configure -----------------------------------------------------------------------------

/** Stores the given URL and/or key, keeping the other as it was; answers what is now stored. */
export async function configure(path: string, update: StoredConfig): Promise<StoredConfig> {
  const next: StoredConfig = { ...(await readConfig(path)) };
  if (update.url !== undefined) next.url = normalizeUrl(update.url);
  if (update.key !== undefined) next.key = update.key.trim();
  await writeConfig(path, next);
  return next;
}
