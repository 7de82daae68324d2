/**
 * The `quizgen` command end to end: the real executable as a subprocess against the local
 * stack, configured through its environment the way a user's shell would.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { FAST_SETTINGS, type Harness, startHarness } from '../support/e2e.ts';
import { runQuizgen } from '../support/quizgen.ts';

let h: Harness;
let home: string;

beforeAll(async () => {
  h = await startHarness();
  home = await mkdtemp(join(tmpdir(), 'quizgen-cli-'));
});

afterAll(async () => {
  await h?.stop();
  if (home) await rm(home, { recursive: true, force: true });
});

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `quizgen` with the harness's URL and key in the environment unless `env` says otherwise. */
function quizgen(args: string[], env: Record<string, string | undefined> = {}, cwd = home): Promise<Result> {
  return runQuizgen(args, { url: h.url, key: h.key, home, env, cwd });
}

function parse(result: Result): any {
  assert.equal(result.code, 0, `quizgen failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  assert.ok(address && typeof address === 'object');
  return address.port;
}

describe('quizgen configure', () => {
  it('stores the URL and key in a 0600 file and shows them with the key masked', async () => {
    const unset = { QUIZGEN_URL: undefined, QUIZGEN_API_KEY: undefined };
    const saved = await quizgen(['configure', '--url', `${h.url}/`, '--key', h.key], unset);
    assert.equal(saved.code, 0, saved.stderr);
    const path = join(home, 'quizgen', 'config.json');
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(path, 'utf8')), { url: h.url, key: h.key });

    const shown = parse(await quizgen(['configure', '--show', '--json'], unset));
    assert.deepEqual(shown.url, { value: h.url, source: 'file' });
    assert.equal(shown.key.source, 'file');
    assert.notEqual(shown.key.value, h.key);
    assert.ok(shown.key.value.startsWith(h.key.slice(0, 4)) && shown.key.value.includes('*'));

    // The stored settings are enough to talk to the service.
    const jobs = await quizgen(['jobs', '--json'], unset);
    assert.equal(jobs.code, 0, jobs.stderr);
  });
});

describe('quizgen cost control', () => {
  it('prints a dry run without starting a job, and reads, sets and clears the monthly budget', async () => {
    const before = (await h.call('GET', '/api/v1/quiz-generator/jobs')).body.total;
    const dry = parse(
      await quizgen(['generate', 'sector', '--sector', 'finance', '--dry-run', '--batch', '--json']),
    );
    assert.equal(dry.dry_run, true);
    assert.equal(dry.chunks_total, 45);
    assert.match(dry.estimate.basis, /batch mode/);
    assert.equal((await h.call('GET', '/api/v1/quiz-generator/jobs')).body.total, before, 'no job started');

    const text = await quizgen(['generate', 'sector', '--sector', 'finance', '--dry-run']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Would generate 45 of 45 chunks/);

    assert.equal(parse(await quizgen(['budget', '--set', '12.5', '--json'])).monthly_usd, 12.5);
    assert.match((await quizgen(['budget'])).stdout, /Monthly budget \$12\.50 for \d{4}-\d{2}/);
    assert.equal(parse(await quizgen(['budget', '--clear', '--json'])).monthly_usd, null);
    const both = await quizgen(['budget', '--set', '1', '--clear']);
    assert.equal(both.code, 64);
    assert.match(both.stderr, /--set or --clear, not both/);
  });
});

describe('a career level from start to download', () => {
  let jobId: string;

  it('generates it and watches it to the end, printing only the final job with --json', async () => {
    const result = await quizgen([
      'generate',
      'career-level',
      '--sector',
      'technology',
      '--career',
      'FRONTEND_DEVELOPER',
      '--level',
      '1',
      '--interval',
      '0.2',
      '--json',
    ]);
    const job = parse(result);
    assert.equal(job.status, 'completed');
    assert.equal(job.questions_generated, FAST_SETTINGS.questionsPerCareerLevel);
    assert.deepEqual(job.parameters, {
      sector: 'technology',
      career: 'FRONTEND_DEVELOPER',
      level: 1,
      language: 'en',
    });
    jobId = job.job_id;
  });

  it('lists the job, as JSON and as a table', async () => {
    const list = parse(await quizgen(['jobs', '--json']));
    assert.ok(list.jobs.some((j: any) => j.job_id === jobId));
    const table = await quizgen(['jobs', '--status', 'completed']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^JOB\s+STATUS/);
    assert.match(table.stdout, new RegExp(`${jobId}\\s+completed\\s+100%\\s+3`));
  });

  it("shows the job's quality report", async () => {
    const report = parse(await quizgen(['quality', jobId, '--json']));
    assert.equal(report.job_id, jobId);
    assert.equal(report.passed_first_time + report.repaired, FAST_SETTINGS.questionsPerCareerLevel);
    const text = await quizgen(['quality', jobId]);
    assert.match(text.stdout, /^Quality gate \(quality-gate\/\d+\) over 1 chunks: 3 questions asked for/);
    assert.equal(report.key_cues.questions, 3);
    assert.match(
      text.stdout,
      /^Key positions over 3 questions: a \d \([\d.]+%\), b \d .*, d \d \([\d.]+%\)$/m,
    );
    assert.match(text.stdout, /^Key is the longest option: \d \([\d.]+%\)$/m);
  });

  it('watches a finished job in plain lines when stdout is not a terminal, exit 0', async () => {
    const result = await quizgen(['watch', jobId, '--interval', '0.2']);
    assert.equal(result.code, 0, result.stderr);
    assert.doesNotMatch(result.stdout, /\r/);
    assert.match(result.stdout, /^completed 100% \| chunks 1\/1 \| 3 questions/m);
    assert.match(
      result.stdout,
      /Download: quizgen download --sector technology --career FRONTEND_DEVELOPER --level 1/,
    );
  });

  it('downloads the level as JSON with all its questions', async () => {
    const result = await quizgen([
      'download',
      '--sector',
      'technology',
      '--career',
      'FRONTEND_DEVELOPER',
      '--level',
      '1',
    ]);
    assert.equal(result.code, 0, result.stderr);
    const file = join(home, 'technology-FRONTEND_DEVELOPER-level-1.json');
    assert.match(result.stdout, /^Saved technology-FRONTEND_DEVELOPER-level-1\.json/);
    const level = JSON.parse(await readFile(file, 'utf8'));
    assert.equal(level.quiz_pool.length, FAST_SETTINGS.questionsPerCareerLevel);

    const piped = await quizgen(['download', '--sector', 'technology', '-o', '-']);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(JSON.parse(piped.stdout).FRONTEND_DEVELOPER.level_1.quiz_pool.length, 3);
  });
});

describe('errors', () => {
  it("cancelling an unknown job exits 1 with the server's message", async () => {
    const id = randomUUID();
    const result = await quizgen(['cancel', id]);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `quizgen: Job not found: ${id}\n`);
    assert.equal(result.stdout, '');
  });

  it('a wrong key exits 2 and says how to fix it', async () => {
    const result = await quizgen(['jobs'], { QUIZGEN_API_KEY: 'not-a-key' });
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      new RegExp(`^quizgen: The API key was refused by ${h.url} \\(40[13] .*\\); check QUIZGEN_API_KEY`),
    );
    const flag = await quizgen(['status', randomUUID(), '--key', 'nope']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /; check --key\n$/);
  });

  it('an unreachable URL exits 3', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const result = await quizgen(['jobs'], { QUIZGEN_URL: url });
    assert.equal(result.code, 3);
    assert.match(
      result.stderr,
      new RegExp(`^quizgen: Cannot reach ${url}: connection refused \\(ECONNREFUSED\\); check QUIZGEN_URL`),
    );
    assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace');
  });

  it('a bad argument exits 64 with the usage line', async () => {
    const result = await quizgen([
      'generate',
      'career-level',
      '--sector',
      'technology',
      '--career',
      'X',
      '--level',
      'one',
    ]);
    assert.equal(result.code, 64);
    assert.match(result.stderr, /--level must be a whole number, not 'one'/);
    assert.match(
      result.stderr,
      /Usage: quizgen generate career-level --sector S --career C --level N \[options\]/,
    );
  });

  it('an API validation error exits 1 with the reason', async () => {
    const result = await quizgen([
      'generate',
      'career-level',
      '--sector',
      'technology',
      '--career',
      'NOBODY',
      '--level',
      '1',
    ]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /^quizgen: Unknown career for sector 'technology': NOBODY\. Valid careers: /);
  });
});
