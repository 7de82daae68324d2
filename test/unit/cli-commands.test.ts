import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'vitest';
import type { ApiJob } from '#jobs/job.ts';
import type { Client } from '../../cli/client.ts';
import {
  defaultFileName,
  downloadTarget,
  generationCall,
  listJobs,
  resumePlanOf,
  startAssessment,
  startGeneration,
} from '../../cli/commands.ts';
import { ApiError, CliError, EXIT } from '../../cli/errors.ts';
import type { Io } from '../../cli/io.ts';
import { run } from '../../cli/main.ts';
import { jobsTable } from '../../cli/render.ts';
import { exitCodeOf, snapshotOfJobStatus, type WatchedJob, watch } from '../../cli/watch.ts';

const apiJob = (overrides: Partial<ApiJob> = {}): ApiJob => ({
  job_id: '6f1c2a9e-0000-4000-8000-000000000001',
  job_type: 'career_level',
  status: 'failed',
  parameters: { sector: 'technology', career: 'FRONTEND_DEVELOPER', level: 2, regenerate: true },
  progress_percent: 50,
  progress_message: 'Failed',
  result_summary: null,
  error_message: 'chunk x failed',
  created_at: '2025-01-08T10:00:00.000Z',
  started_at: '2025-01-08T10:00:01.000Z',
  completed_at: '2025-01-08T10:01:00.000Z',
  chunks: { total: 1, skipped_from_checkpoint: 0, completed: 0, failed: 1 },
  questions_generated: 0,
  tokens: { input_tokens: 0, output_tokens: 0, thinking_tokens: 0, cached_tokens: 0, total_tokens: 0 },
  cost_usd: 0.0012,
  model: 'gemini-2.5-flash',
  execution_arn: null,
  execution_console_url: null,
  ...overrides,
});

/** A client whose answers are given per "METHOD path", recording the requests. */
function fakeClient(answers: Record<string, unknown>) {
  const requests: { method: string; path: string; options: unknown }[] = [];
  const client: Client = {
    url: 'http://test',
    async json<T>(method: string, path: string, options?: unknown) {
      requests.push({ method, path, options });
      const answer = answers[`${method} ${path}`];
      if (answer instanceof Error) throw answer;
      return answer as T;
    },
    async download() {
      throw new Error('not used');
    },
  };
  return { client, requests };
}

describe('generation requests', () => {
  it('posts each kind to its async route', async () => {
    const { client, requests } = fakeClient({
      'POST /api/v1/quiz-generator/generate/career-level/async': { job_id: 'j' },
    });
    await startGeneration(client, { kind: 'career-level', sector: 's', career: 'C', level: 3 });
    assert.deepEqual(requests[0], {
      method: 'POST',
      path: '/api/v1/quiz-generator/generate/career-level/async',
      options: { body: { sector: 's', career: 'C', level: 3 } },
    });
    assert.deepEqual(generationCall({ kind: 'full', includeSoftSkills: false, regenerate: true }), {
      path: '/api/v1/quiz-generator/generate/full/async',
      body: { include_soft_skills: false, regenerate: true },
    });
    assert.deepEqual(generationCall({ kind: 'soft-skills' }).body, {});
  });

  it('passes --language on to every generation and --open as subjective_count to an assessment', async () => {
    assert.deepEqual(generationCall({ kind: 'sector', sector: 'finance', language: 'fr' }).body, {
      sector: 'finance',
      language: 'fr',
    });
    const { client, requests } = fakeClient({ 'POST /generate_assessment': { job_id: 'j' } });
    await startAssessment(client, { query: 'cells', mix: 'remember:3', openCount: 1, language: 'es' });
    assert.deepEqual(requests[0]?.options, {
      body: { query: 'cells', bloom_mix: 'remember:3', subjective_count: 1, language: 'es' },
    });
  });

  it('lists jobs with only the filters given', async () => {
    const { client, requests } = fakeClient({ 'GET /api/v1/quiz-generator/jobs': { jobs: [], total: 0 } });
    await listJobs(client, { status: 'failed' });
    assert.deepEqual(requests[0]?.options, {
      query: { status: 'failed', limit: undefined, offset: undefined },
    });
  });
});

describe('resumePlanOf', () => {
  it('starts the same generation without regenerate, so the checkpoint is used', () => {
    assert.deepEqual(resumePlanOf(apiJob()), {
      kind: 'generate',
      request: { kind: 'career-level', sector: 'technology', career: 'FRONTEND_DEVELOPER', level: 2 },
    });
    assert.deepEqual(resumePlanOf(apiJob({ job_type: 'full', parameters: { include_soft_skills: false } })), {
      kind: 'generate',
      request: { kind: 'full', includeSoftSkills: false },
    });
  });

  it('starts an assessment again with its query, mix and document', () => {
    const plan = resumePlanOf(
      apiJob({
        job_type: 'assessment',
        status: 'cancelled',
        parameters: { query: 'cells', bloom_mix: { remember: 2 }, document_id: 'd' },
      }),
    );
    assert.deepEqual(plan, {
      kind: 'assess',
      request: { query: 'cells', mix: { remember: 2 }, documentId: 'd' },
    });
  });

  it('keeps the language and the open questions of the job it starts again', () => {
    assert.deepEqual(
      resumePlanOf(apiJob({ job_type: 'sector', parameters: { sector: 'finance', language: 'de' } })),
      {
        kind: 'generate',
        request: { kind: 'sector', sector: 'finance', language: 'de' },
      },
    );
    const plan = resumePlanOf(
      apiJob({
        job_type: 'assessment',
        status: 'failed',
        parameters: {
          query: 'cells',
          bloom_mix: { remember: 2, apply: 1 },
          subjective_mix: { apply: 1, create: 1 },
          language: 'fr',
        },
      }),
    );
    assert.deepEqual(plan, {
      kind: 'assess',
      request: { query: 'cells', mix: { remember: 2, apply: 2, create: 1 }, openCount: 2, language: 'fr' },
    });
  });

  it('refuses a job that is still running and content jobs', () => {
    assert.throws(
      () => resumePlanOf(apiJob({ status: 'running' })),
      /still running; follow it with quizgen watch/,
    );
    assert.throws(
      () => resumePlanOf(apiJob({ job_type: 'content' })),
      /resumes quiz-bank and assessment jobs only/,
    );
  });
});

describe('downloads', () => {
  it('builds the results route, the format query and a file name', () => {
    const level = downloadTarget({ sector: 'technology', career: 'DATA_ANALYST', level: 1 });
    assert.deepEqual(level, {
      path: '/api/v1/quiz-generator/results/sectors/technology/careers/DATA_ANALYST/levels/1',
      baseName: 'technology-DATA_ANALYST-level-1',
    });
    const sector = downloadTarget({ sector: 'finance', format: 'moodle' });
    assert.deepEqual(sector.query, { format: 'moodle' });
    assert.equal(defaultFileName(sector, 'moodle', new Headers()), 'finance.moodle.xml');
    const saved = downloadTarget({ assessment: 'a1', format: 'json' });
    assert.deepEqual(saved, { path: '/assessments/a1', baseName: 'assessment-a1' });
    assert.equal(defaultFileName(saved, 'json', new Headers()), 'assessment-a1.json');
  });

  it("downloads a content job's content from the content API, with review= when asked", () => {
    const target = downloadTarget({ content: 17, review: 'approved' });
    assert.deepEqual(target, {
      path: '/api/jobs/17/content',
      query: { review: 'approved' },
      baseName: 'content-17',
    });
    assert.equal(defaultFileName(target, 'json', new Headers()), 'content-17.json');
    assert.deepEqual(downloadTarget({ content: 3 }), { path: '/api/jobs/3/content', baseName: 'content-3' });
  });

  it("prefers the server's file name, but never a path", () => {
    const target = downloadTarget({ combined: true, format: 'qti21' });
    const headers = new Headers({ 'content-disposition': 'attachment; filename="../../etc/bank.zip"' });
    assert.equal(defaultFileName(target, 'qti21', headers), 'bank.zip');
  });
});

describe('watch', () => {
  const state = (status: WatchedJob['status']): WatchedJob => ({
    jobId: 'j',
    status,
    percent: null,
    chunksTotal: 0,
    chunksSkipped: 0,
    chunksCompleted: 0,
    chunksFailed: 0,
    questions: null,
    costUsd: null,
    startedAt: null,
    endedAt: null,
    error: null,
    body: {},
  });

  it('polls to a final status and retries passing failures', async () => {
    const answers: (WatchedJob | Error)[] = [
      state('pending'),
      new ApiError('The service failed (502)', 502, ''),
      new CliError('Cannot reach x', EXIT.unreachable),
      state('running'),
      state('completed'),
    ];
    const seen: string[] = [];
    const retries: number[] = [];
    const end = await watch(
      async () => {
        const next = answers.shift();
        if (next instanceof Error) throw next;
        return next as WatchedJob;
      },
      {
        intervalMs: 1,
        sleep: async () => {},
        onUpdate: (job) => seen.push(job.status),
        onRetry: (_e, attempt) => retries.push(attempt),
      },
    );
    assert.equal(end.status, 'completed');
    assert.deepEqual(seen, ['pending', 'running', 'completed']);
    assert.deepEqual(retries, [1, 2]);
  });

  it('stops at once on a refused key', async () => {
    const refused = new ApiError('refused', 403, '', EXIT.keyRefused);
    await assert.rejects(
      watch(
        async () => {
          throw refused;
        },
        { intervalMs: 1, sleep: async () => {} },
      ),
      refused,
    );
  });

  it("maps the assessment API's statuses and ends to exit codes", () => {
    const done = snapshotOfJobStatus('j', { status: 'finished', result: { mcqs: [{}, {}] } });
    assert.equal(done.status, 'completed');
    assert.equal(done.questions, 2);
    assert.equal(
      snapshotOfJobStatus('j', { status: 'canceled', error: 'The job was cancelled' }).status,
      'cancelled',
    );
    assert.throws(() => snapshotOfJobStatus('j', { status: null }), /Job not found: j/);
    assert.deepEqual(
      ['completed', 'failed', 'cancelled'].map((s) => exitCodeOf(s as WatchedJob['status'])),
      [EXIT.ok, EXIT.jobFailed, EXIT.jobCancelled],
    );
  });
});

describe('jobsTable', () => {
  it('lines up a row per job', () => {
    const text = jobsTable([apiJob()]);
    const [header, row] = text.split('\n');
    assert.match(header ?? '', /^JOB\s+STATUS\s+PROGRESS\s+QUESTIONS\s+COST\s+CREATED\s+WHAT$/);
    assert.match(
      row ?? '',
      /failed\s+50%\s+0\s+\$0\.0012\s+2025-01-08 10:00Z\s+technology\/FRONTEND_DEVELOPER level 2$/,
    );
  });
});

function memoryIo(env: Record<string, string> = {}) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const io: Io = {
    stdout,
    stderr,
    stdin: new PassThrough(),
    env,
    onInterrupt: () => () => {},
  };
  return { io, out: () => out, err: () => err };
}

describe('run', () => {
  it('prints the usage line of the command for a bad argument, exit 64', async () => {
    const m = memoryIo();
    const code = await run(['jobs', '--limit', 'many'], m.io);
    assert.equal(code, EXIT.usage);
    assert.equal(m.out(), '');
    assert.match(
      m.err(),
      /^quizgen: --limit must be a whole number, not 'many'\nUsage: quizgen jobs \[--status S\]/,
    );
    assert.doesNotMatch(m.err(), /at .*\.ts:\d+/, 'no stack trace');
  });

  it('with --json, prints the error as one JSON document too', async () => {
    const m = memoryIo({ XDG_CONFIG_HOME: '/nonexistent-quizgen-test' });
    const code = await run(['jobs', '--json'], m.io);
    assert.equal(code, EXIT.unreachable);
    assert.deepEqual(JSON.parse(m.out()), {
      error: {
        message: 'No service URL: run quizgen configure --url URL (or set QUIZGEN_URL, or pass --url)',
        exit_code: 3,
      },
    });
  });
});
