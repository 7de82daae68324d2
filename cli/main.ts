/**
 * `quizgen`: parses the command line, finds the service and key, runs the command and prints
 * its result, for people (tables, a progress bar) or, with `--json`, as one JSON document.
 * Every expected failure ends here as a message and an exit code, never a stack trace.
 */
import { readFileSync } from 'node:fs';
import type { ApiJob } from '#jobs/job.ts';
import type { DryRun } from '#jobs/job-service.ts';
import type { JobKeyCues } from '#jobs/quality-report.ts';
import { type Invocation, parseCommandLine } from './args.ts';
import { type Client, createClient } from './client.ts';
import {
  type AssessRequest,
  budget,
  type CostControl,
  cancelJob,
  download,
  dryRunGeneration,
  type GenerateRequest,
  getJob,
  getSectors,
  listJobs,
  pollAssessment,
  pollJob,
  qualityReport,
  resumePlanOf,
  saveAssessment,
  startAssessment,
  startGeneration,
} from './commands.ts';
import { configPath, connectionOf, readConfig, resolveSettings, type StoredConfig } from './config.ts';
import { configureCommand } from './configure.ts';
import { ApiError, CliError, EXIT, UsageError } from './errors.ts';
import type { Io } from './io.ts';
import { formatCost, formatDuration, LiveProgress } from './progress.ts';
import { formatBytes, jobDetails, jobLabel, jobsTable, keyCueLines } from './render.ts';
import { decide, idsOf, listQuestions, questionsTable, regenerate } from './review.ts';
import type { OptionValues } from './spec.ts';
import { exitCodeOf, type JobStatusBody, type WatchedJob, WatchInterrupted, watch } from './watch.ts';

export function processIo(): Io {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    env: process.env,
    onInterrupt(handler) {
      process.once('SIGINT', handler);
      return () => process.off('SIGINT', handler);
    },
  };
}

export const VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();

const DEFAULT_INTERVAL_SECONDS = 2;

interface Context {
  io: Io;
  client: Client;
  json: boolean;
  values: OptionValues;
  args: string[];
}

/** Runs one command line; answers the exit code. */
export async function run(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const json = argv.includes('--json');
  try {
    const parsed = parseCommandLine(argv);
    if (parsed.kind === 'help') {
      io.stdout.write(parsed.text);
      return EXIT.ok;
    }
    if (parsed.kind === 'version') {
      io.stdout.write(json ? `${JSON.stringify({ version: VERSION })}\n` : `quizgen ${VERSION}\n`);
      return EXIT.ok;
    }
    return await execute(parsed.invocation, io);
  } catch (error) {
    return report(error, io, json);
  }
}

/** The entry `bin/quizgen.js` calls. */
export async function runCli(): Promise<void> {
  // `quizgen jobs | head` closes the pipe early: not an error worth a message.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
  process.exitCode = await run(process.argv.slice(2));
}

function report(error: unknown, io: Io, json: boolean): number {
  if (!(error instanceof CliError)) {
    const err = error as Error;
    io.stderr.write(`quizgen: unexpected error: ${err?.message ?? String(error)}\n`);
    if (io.env.QUIZGEN_DEBUG) io.stderr.write(`${err?.stack ?? ''}\n`);
    else io.stderr.write('Set QUIZGEN_DEBUG=1 to see where it happened.\n');
    return EXIT.internal;
  }
  const lines = [`quizgen: ${error.message}`];
  if (error instanceof UsageError) {
    lines.push(`Usage: ${error.usage}`);
    lines.push(
      error.command
        ? `Run 'quizgen ${error.command} --help' for details.`
        : "Run 'quizgen help' for the commands.",
    );
  }
  io.stderr.write(`${lines.join('\n')}\n`);
  if (json) {
    const detail: Record<string, unknown> = { message: error.message, exit_code: error.exitCode };
    if (error instanceof ApiError) detail.status = error.status;
    io.stdout.write(`${JSON.stringify({ error: detail })}\n`);
  }
  return error.exitCode;
}

async function execute(invocation: Invocation, io: Io): Promise<number> {
  const { command, global } = invocation;
  if (command.name === 'configure') return configureCommand(invocation, io);
  const flags: StoredConfig = {
    ...(global.url ? { url: global.url } : {}),
    ...(global.key ? { key: global.key } : {}),
  };
  // The file is read only when flags and environment leave something open.
  const needsFile = !(flags.url || io.env.QUIZGEN_URL) || !(flags.key || io.env.QUIZGEN_API_KEY);
  const file = needsFile ? await readConfig(configPath(io.env)) : {};
  const connection = connectionOf(resolveSettings(flags, io.env, file));
  const client = createClient(connection, { userAgent: `quizgen-cli/${VERSION}` });
  const context: Context = {
    io,
    client,
    json: global.json,
    values: invocation.values,
    args: invocation.positionals,
  };
  const handler = HANDLERS[command.name];
  if (!handler) throw new CliError(`no handler for ${command.name}`, EXIT.internal);
  return handler(context);
}

// --- output --------------------------------------------------------------------------------

/** `--json`: the data; otherwise the text. */
function emit(ctx: Context, data: unknown, text: string): number {
  if (ctx.json) ctx.io.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else if (text) ctx.io.stdout.write(`${text}\n`);
  return EXIT.ok;
}

/** Human messages that are not the result: on stdout, and left out under `--json`. */
function say(ctx: Context, text: string): void {
  if (!ctx.json) ctx.io.stdout.write(`${text}\n`);
}

const str = (v: OptionValues, name: string) => v[name] as string;
const optStr = (v: OptionValues, name: string) => v[name] as string | undefined;
const optNum = (v: OptionValues, name: string) => v[name] as number | undefined;

// --- watching ------------------------------------------------------------------------------

/**
 * Polls a job to its end with live progress: on stdout normally; under `--json` on stderr, and
 * only when that is a terminal (stdout carries the JSON alone).
 */
async function follow(ctx: Context, jobId: string, poll: () => Promise<WatchedJob>): Promise<WatchedJob> {
  const stream = ctx.json ? ctx.io.stderr : ctx.io.stdout;
  const tty = Boolean(stream.isTTY);
  const progress = !ctx.json || tty ? new LiveProgress(stream, { tty }) : undefined;
  const controller = new AbortController();
  const stopListening = ctx.io.onInterrupt(() => controller.abort());
  const ticker = progress && tty ? setInterval(() => progress.tick(), 250) : undefined;
  try {
    return await watch(poll, {
      intervalMs: (optNum(ctx.values, 'interval') ?? DEFAULT_INTERVAL_SECONDS) * 1000,
      signal: controller.signal,
      onUpdate: (job) => progress?.update(job),
      onRetry: (error, attempt) => {
        progress?.finish();
        ctx.io.stderr.write(`quizgen: ${error.message}; trying again (${attempt})\n`);
      },
    });
  } catch (error) {
    if (error instanceof WatchInterrupted) {
      progress?.finish();
      throw new CliError(
        `Stopped watching job ${jobId}; it goes on. Follow it again with quizgen watch ${jobId}`,
        EXIT.interrupted,
      );
    }
    throw error;
  } finally {
    if (ticker) clearInterval(ticker);
    progress?.finish();
    stopListening();
  }
}

function downloadHint(job: ApiJob): string | undefined {
  const p = job.parameters;
  switch (job.job_type) {
    case 'career_level':
      return `quizgen download --sector ${p.sector} --career ${p.career} --level ${p.level}`;
    case 'sector':
      return `quizgen download --sector ${p.sector}`;
    case 'soft_skills':
      return 'quizgen download --soft-skills';
    case 'full':
      return 'quizgen download --combined';
    default:
      return undefined;
  }
}

/** Prints how a watched quiz job ended; answers the exit code. */
function reportJobEnd(ctx: Context, end: WatchedJob): number {
  const job = end.body as ApiJob;
  const label = jobLabel(job.job_type, job.parameters as Record<string, unknown>);
  const code = exitCodeOf(end.status);
  if (end.status === 'completed') {
    const took =
      end.startedAt !== null && end.endedAt !== null
        ? ` in ${formatDuration((end.endedAt - end.startedAt) / 1000)}`
        : '';
    const hint = downloadHint(job);
    emit(
      ctx,
      job,
      `Completed ${label}: ${job.questions_generated} questions${took}, ${formatCost(job.cost_usd)}.` +
        (hint ? `\nDownload: ${hint}` : ''),
    );
    return code;
  }
  emit(ctx, job, '');
  const what = end.status === 'cancelled' ? 'was cancelled' : `failed: ${end.error ?? 'no details'}`;
  ctx.io.stderr.write(
    `Job ${end.jobId} (${label}) ${what}\nResume it (only what is missing is generated): quizgen resume ${end.jobId}\n`,
  );
  return code;
}

// --- commands --------------------------------------------------------------------------------

/** The cost-control flags of a generate command. */
function costOf(values: Context['values']): CostControl {
  return {
    ...(values['dry-run'] === true ? { dryRun: true } : {}),
    ...(typeof values['max-cost'] === 'number' ? { maxCostUsd: values['max-cost'] } : {}),
    ...(values.batch === true ? { batch: true } : {}),
  };
}

/** `--language`: passed on as given; the service says what is wrong with a code it refuses. */
function languageOf(values: Context['values']): { language?: string } {
  const language = optStr(values, 'language');
  return language ? { language } : {};
}

function dryRunText(answer: DryRun): string {
  const e = answer.estimate;
  const lines = [
    `Would generate ${e.chunks} of ${answer.chunks_total} chunks (${answer.chunks_from_checkpoint} already in the checkpoint): ${e.questions} questions`,
    `  ${e.calls} model calls, ${e.input_tokens} input and ${e.output_tokens} output tokens with ${e.model}`,
    `  about ${formatCost(e.cost_usd)}; at least ${formatDuration(e.minimum_seconds)} at the configured quota`,
    `  (${e.basis})`,
  ];
  const b = answer.monthly_budget;
  if (b.monthly_usd !== null) {
    lines.push(
      `Monthly budget ${formatCost(b.monthly_usd)} for ${b.month}: ${formatCost(b.spent_usd)} spent`,
    );
  }
  if (answer.chunks_within_budget < e.chunks) {
    lines.push(`Only about ${answer.chunks_within_budget} chunks fit the budget; the job would stop there.`);
  }
  return lines.join('\n');
}

async function generateCommand(ctx: Context, request: GenerateRequest, intro?: string): Promise<number> {
  if (request.cost?.dryRun) {
    const answer = await dryRunGeneration(ctx.client, request);
    return emit(ctx, answer, dryRunText(answer));
  }
  const started = await startGeneration(ctx.client, request);
  if (ctx.values.watch === false) {
    if (ctx.json) return emit(ctx, started, '');
    ctx.io.stdout.write(`${started.job_id}\n`);
    ctx.io.stderr.write(`${started.message}; follow it with quizgen watch ${started.job_id}\n`);
    return EXIT.ok;
  }
  say(ctx, `${intro ?? started.message} (job ${started.job_id})`);
  return reportJobEnd(ctx, await follow(ctx, started.job_id, pollJob(ctx.client, started.job_id)));
}

async function assessCommand(
  ctx: Context,
  request: AssessRequest,
  save: boolean,
  intro?: string,
): Promise<number> {
  const started = await startAssessment(ctx.client, request);
  const id = started.job_id;
  if (ctx.values.watch === false) {
    if (ctx.json) return emit(ctx, started, '');
    ctx.io.stdout.write(`${id}\n`);
    ctx.io.stderr.write(
      `Assessment of ${started.total_questions} questions started; follow it with quizgen watch ${id}\n`,
    );
    return EXIT.ok;
  }
  say(ctx, `${intro ?? `Generating ${started.total_questions} questions on "${request.query}"`} (job ${id})`);
  const end = await follow(ctx, id, pollAssessment(ctx.client, id));
  const body = end.body as JobStatusBody;
  if (end.status !== 'completed') {
    emit(ctx, { job_id: id, ...body }, '');
    const what = end.status === 'cancelled' ? 'was cancelled' : `failed: ${end.error ?? 'no details'}`;
    ctx.io.stderr.write(`Assessment job ${id} ${what}\n`);
    return exitCodeOf(end.status);
  }
  const saved = save ? await saveAssessment(ctx.client, id, request.title) : undefined;
  const mcqs = body.result?.mcqs?.length ?? 0;
  const open = body.result?.subjective_questions?.length ?? 0;
  const count =
    open > 0 ? `${mcqs + open} questions (${mcqs} multiple-choice, ${open} open)` : `${mcqs} questions`;
  const next = saved
    ? `Saved as assessment ${saved.assessment_id}. Download: quizgen download --assessment ${saved.assessment_id}`
    : `Not saved; the result expires with the job (GET /job_status?job_id=${id}).`;
  return emit(
    ctx,
    { job_id: id, ...body, ...(saved ? { assessment_id: saved.assessment_id } : {}) },
    `Completed the assessment on "${request.query}": ${count}.\n${next}`,
  );
}

type Handler = (ctx: Context) => Promise<number>;

async function decideCommand(ctx: Context, review: 'approved' | 'rejected'): Promise<number> {
  const note = optStr(ctx.values, 'note');
  const ids = idsOf(optStr(ctx.values, 'ids') ?? '');
  const done = await decide(ctx.client, { ids, review, ...(note !== undefined ? { note } : {}) });
  return emit(
    ctx,
    done,
    `${review === 'approved' ? 'Approved' : 'Rejected'} ${done.questions.length} question(s).`,
  );
}

const HANDLERS: Record<string, Handler> = {
  sectors: async (ctx) => {
    const body = await getSectors(ctx.client);
    const lines: string[] = [];
    for (const sector of body.sectors) {
      lines.push(sector);
      for (const [family, careers] of Object.entries(body.sector_details[sector] ?? {})) {
        lines.push(`  ${family}: ${careers.join(', ')}`);
      }
    }
    lines.push('', `Soft-skills topics: ${body.soft_skills_topics.join(', ')}`, '', 'Levels:');
    for (const [level, meaning] of Object.entries(body.levels)) lines.push(`  ${level}  ${meaning}`);
    return emit(ctx, body, lines.join('\n'));
  },
  'generate career-level': (ctx) =>
    generateCommand(ctx, {
      kind: 'career-level',
      sector: str(ctx.values, 'sector'),
      career: str(ctx.values, 'career'),
      level: ctx.values.level as number,
      regenerate: ctx.values.regenerate === true,
      cost: costOf(ctx.values),
      ...languageOf(ctx.values),
    }),
  'generate sector': (ctx) =>
    generateCommand(ctx, {
      kind: 'sector',
      sector: str(ctx.values, 'sector'),
      regenerate: ctx.values.regenerate === true,
      cost: costOf(ctx.values),
      ...languageOf(ctx.values),
    }),
  'generate soft-skills': (ctx) =>
    generateCommand(ctx, {
      kind: 'soft-skills',
      regenerate: ctx.values.regenerate === true,
      cost: costOf(ctx.values),
      ...languageOf(ctx.values),
    }),
  'generate full': (ctx) =>
    generateCommand(ctx, {
      kind: 'full',
      includeSoftSkills: ctx.values['soft-skills'] !== false,
      regenerate: ctx.values.regenerate === true,
      cost: costOf(ctx.values),
      ...languageOf(ctx.values),
    }),
  quality: async (ctx) => {
    const report = await qualityReport(ctx.client, ctx.args[0] ?? '');
    const byCheck = Object.entries((report.by_check ?? {}) as Record<string, number>)
      .sort((a, b) => b[1] - a[1])
      .map(([check, count]) => `  ${check}: ${count}`);
    const failed = (report.failed_chunks ?? []) as { chunk_key: string; reason: string }[];
    const review = report.review as { pending: number; approved: number; rejected: number } | undefined;
    const text = [
      `Quality gate (${report.gate_version}) over ${report.chunks_reported} chunks: ${report.requested} questions asked for`,
      `  passed first time ${report.passed_first_time}, repaired ${report.repaired}, failed ${report.failed}; ${report.rejected} items rejected`,
      ...keyCueLines(report.key_cues as JobKeyCues | undefined),
      ...(byCheck.length > 0 ? ['Rejections by check:', ...byCheck] : []),
      ...(failed.length > 0 ? ['Failed chunks:', ...failed.map((f) => `  ${f.chunk_key}: ${f.reason}`)] : []),
      ...(review
        ? [`Review: ${review.pending} pending, ${review.approved} approved, ${review.rejected} rejected`]
        : []),
    ].join('\n');
    return emit(ctx, report, text);
  },
  'review list': async (ctx) => {
    const v = ctx.values;
    const page = await listQuestions(ctx.client, {
      job_id: optStr(v, 'job'),
      assessment_id: optStr(v, 'assessment'),
      review: optStr(v, 'state'),
      sector: optStr(v, 'sector'),
      career: optStr(v, 'career'),
      level: optNum(v, 'level'),
      limit: optNum(v, 'limit'),
      cursor: optStr(v, 'cursor'),
    });
    return emit(ctx, page, page.questions.length === 0 ? 'No questions.' : questionsTable(page));
  },
  'review approve': (ctx) => decideCommand(ctx, 'approved'),
  'review reject': (ctx) => decideCommand(ctx, 'rejected'),
  'review regenerate': async (ctx) => {
    const id = ctx.args[0] ?? '';
    const instructions = optStr(ctx.values, 'instructions');
    const started = await regenerate(ctx.client, id, instructions !== undefined ? { instructions } : {});
    if (ctx.values.watch === false) {
      if (ctx.json) return emit(ctx, started, '');
      ctx.io.stdout.write(`${started.job_id}\n`);
      ctx.io.stderr.write(`Regenerating question ${id}; follow it with quizgen watch ${started.job_id}\n`);
      return EXIT.ok;
    }
    say(ctx, `Regenerating question ${id} (job ${started.job_id})`);
    return reportJobEnd(ctx, await follow(ctx, started.job_id, pollJob(ctx.client, started.job_id)));
  },
  budget: async (ctx) => {
    const v = ctx.values;
    const change =
      v.clear === true ? { monthlyUsd: null } : typeof v.set === 'number' ? { monthlyUsd: v.set } : undefined;
    const b = await budget(ctx.client, change);
    const text =
      b.monthly_usd === null
        ? `No monthly budget; ${formatCost(b.spent_usd)} spent in ${b.month}.`
        : `Monthly budget ${formatCost(b.monthly_usd)} for ${b.month}: ${formatCost(b.spent_usd)} spent, ${formatCost(b.remaining_usd ?? 0)} left.`;
    return emit(ctx, b, text);
  },
  assess: (ctx) => {
    const v = ctx.values;
    const title = optStr(v, 'title');
    const document = optStr(v, 'document');
    return assessCommand(
      ctx,
      {
        query: optStr(v, 'query') ?? str(v, 'topic'),
        mix: str(v, 'mix'),
        ...(document ? { documentId: document } : {}),
        ...(title ? { title } : {}),
        ...(typeof v.open === 'number' && v.open > 0 ? { openCount: v.open } : {}),
        ...languageOf(v),
      },
      v.save !== false,
    );
  },
  jobs: async (ctx) => {
    const page = await listJobs(ctx.client, {
      status: optStr(ctx.values, 'status'),
      limit: optNum(ctx.values, 'limit'),
      offset: optNum(ctx.values, 'offset'),
    });
    if (page.jobs.length === 0) return emit(ctx, page, 'No jobs.');
    const more =
      page.total > page.jobs.length
        ? `\n${page.jobs.length} of ${page.total} jobs; --limit and --offset show others.`
        : '';
    return emit(ctx, page, `${jobsTable(page.jobs)}${more}`);
  },
  status: async (ctx) => {
    const job = await getJob(ctx.client, ctx.args[0] ?? '');
    return emit(ctx, job, jobDetails(job));
  },
  watch: async (ctx) => {
    const id = ctx.args[0] ?? '';
    const job = await getJob(ctx.client, id);
    say(ctx, `Watching job ${id}: ${jobLabel(job.job_type, job.parameters as Record<string, unknown>)}`);
    return reportJobEnd(ctx, await follow(ctx, id, pollJob(ctx.client, id)));
  },
  cancel: async (ctx) => {
    const job = await cancelJob(ctx.client, ctx.args[0] ?? '');
    const label = jobLabel(job.job_type, job.parameters as Record<string, unknown>);
    return emit(
      ctx,
      job,
      `Cancelled job ${job.job_id} (${label}). Finished chunks stay in the checkpoint; quizgen resume ${job.job_id} continues it.`,
    );
  },
  resume: async (ctx) => {
    const previous = await getJob(ctx.client, ctx.args[0] ?? '');
    const plan = resumePlanOf(previous);
    const label = jobLabel(previous.job_type, previous.parameters as Record<string, unknown>);
    const intro = `Resuming ${label} of job ${previous.job_id}; chunks already generated are skipped`;
    if (plan.kind === 'generate') return generateCommand(ctx, plan.request, intro);
    return assessCommand(ctx, plan.request, true, `Generating ${label} again`);
  },
  download: async (ctx) => {
    const v = ctx.values;
    const result = await download(
      ctx.client,
      {
        sector: optStr(v, 'sector'),
        career: optStr(v, 'career'),
        level: optNum(v, 'level'),
        softSkills: v['soft-skills'] === true,
        combined: v.combined === true,
        assessment: optStr(v, 'assessment'),
        content: optNum(v, 'content'),
        format: optStr(v, 'format'),
        review: optStr(v, 'review'),
      },
      optStr(v, 'output'),
      ctx.io.stdout,
    );
    // With `-o -` the bytes were the output.
    if (result.file === '-') return EXIT.ok;
    return emit(ctx, result, `Saved ${result.file} (${formatBytes(result.bytes)})`);
  },
};
