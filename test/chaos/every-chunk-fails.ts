/**
 * Scenario 4, every chunk fails: a full bank (every sector and the soft skills) against a Gemini
 * front that refuses every generateContent with a 400 INVALID_ARGUMENT and a long message, as
 * Gemini answers a request it will not serve (its `error.message` can run to thousands of
 * characters, e.g. a schema with "too many states").
 *
 * Each chunk fails for good on its first call. The job must end `failed` with a readable,
 * bounded message that names its failed chunks, through "Finalize job", while the local Step
 * Functions enforces the 256 KiB state quota: with every chunk's whole error in the Map's
 * output, the execution died of an uncatchable States.DataLimitExceeded instead, and only the
 * execution-ended rule marked the job failed, with no word of its chunks. Every chunk's record
 * keeps its whole error.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CHUNK_RESULT_ERROR_MAX_CHARS } from '#contract/pipeline.ts';
import { chunksForJob } from '#quiz-bank/chunks.ts';
import {
  BOUNDS,
  CHAOS_SETTINGS,
  endScenario,
  scenarioDataDir,
  startChaosStack,
  startJob,
  waitForJob,
} from './harness.ts';
import type { ScenarioOptions } from './model-faults.ts';
import { emptyReport, type ScenarioReport } from './report.ts';

/** 4,000 characters: 230 of them are far more than a state can hold. */
const REFUSAL =
  `[chaos] Request contains an invalid argument: ${'The response schema has too many states for serving; reduce the number of properties, enum values or array bounds. '.repeat(35)}`
    .slice(0, 3999)
    .concat('.');

/** Bounds the job's closing message stays within (summary.ts ERROR_MESSAGE_MAX_CHARS). */
const MESSAGE_MAX_CHARS = 3000;
const SUMMARY_MAX_FAILED = 50;

/** A Gemini front answering every generateContent with the refusal, anything else 404. */
async function refusingGemini(): Promise<{ url: string; calls: () => number; close: () => Promise<void> }> {
  let calls = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const generate = req.method === 'POST' && /:generateContent$/.test(req.url?.split('?')[0] ?? '');
      if (generate) calls += 1;
      const [code, status, message] = generate
        ? [400, 'INVALID_ARGUMENT', REFUSAL]
        : [404, 'NOT_FOUND', `[chaos] ${req.method} ${req.url} is not served here`];
      res.writeHead(code, { 'content-type': 'application/json; charset=UTF-8' });
      res.end(JSON.stringify({ error: { code, message, status } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls: () => calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export async function everyChunkFails(options: ScenarioOptions): Promise<ScenarioReport> {
  const report = emptyReport('every-chunk-fails', options.run, options.seed, 'full bank');
  const problems = report.problems;
  const started = Date.now();
  const gemini = await refusingGemini();
  const dataDir = await scenarioDataDir();
  const chaos = await startChaosStack({
    dataDir,
    simulatorUrl: gemini.url,
    ...(options.verbose ? { verbose: true } : {}),
  });
  try {
    const planned = chunksForJob(
      'full',
      {},
      {
        questionsPerCareerLevel: CHAOS_SETTINGS.questionsPerCareerLevel,
        questionsPerSoftSkillsJob: CHAOS_SETTINGS.questionsPerSoftSkillsJob,
      },
    ).map((chunk) => chunk.key);
    report.chunks.planned = planned.length;
    const jobId = await startJob(chaos.api, '/generate/full/async', {});
    report.jobs = 1;
    const job = await waitForJob(chaos.api, jobId, undefined, 900_000);
    const record = await chaos.store.job(jobId);
    const chunkRecords = await chaos.store.chunkRecords(jobId);
    report.chunks.completed = record.chunks_completed;
    report.chunks.failed = record.chunks_failed;
    report.calls = gemini.calls();
    report.deliveries = chunkRecords.length;

    if (job.status !== 'failed') problems.push(`the job ended ${job.status}, not failed`);
    if (record.chunks_failed !== planned.length) {
      problems.push(`${record.chunks_failed} of ${planned.length} chunks failed`);
    }
    // The job was finished by the pipeline ("Finalize job"), not by the execution-ended rule.
    const execution = chaos.stack.stepFunctions.list().find((e) => e.name === jobId);
    if (execution?.status !== 'SUCCEEDED') {
      problems.push(`the execution ended ${execution?.status} (${execution?.error}: ${execution?.cause})`);
    }
    const message = String(job.error_message ?? '');
    if (!message.startsWith(`${planned.length} of ${planned.length} chunks failed: `)) {
      problems.push(`the job's error does not say which chunks failed: ${message.slice(0, 300)}`);
    }
    if (message.length > MESSAGE_MAX_CHARS) problems.push(`the job's error has ${message.length} characters`);
    const summary = job.result_summary as
      | { chunks_failed: number; failed_chunks: { error: string }[]; failed_chunks_omitted?: number }
      | undefined;
    if (!summary) problems.push('the failed job has no result summary');
    else {
      if (summary.failed_chunks.length > SUMMARY_MAX_FAILED) {
        problems.push(`the summary lists ${summary.failed_chunks.length} failed chunks`);
      }
      if (summary.failed_chunks.length + (summary.failed_chunks_omitted ?? 0) !== planned.length) {
        problems.push(
          `the summary accounts for ${summary.failed_chunks.length} + ${summary.failed_chunks_omitted} failed chunks`,
        );
      }
      if (summary.failed_chunks.some((f) => [...f.error].length > CHUNK_RESULT_ERROR_MAX_CHARS)) {
        problems.push('the summary keeps errors longer than CHUNK_RESULT_ERROR_MAX_CHARS');
      }
    }
    // The whole error stays where it belongs: on each chunk's record.
    const whole = chunkRecords.filter((c) => c.status === 'failed' && c.last_error?.includes(REFUSAL));
    if (whole.length !== planned.length) {
      problems.push(`${whole.length} of ${planned.length} chunk records keep the whole error`);
    }
    // One call a chunk: a refusal is not retried. A call the worker gave up on (its one-second
    // timeout, on a busy machine) is made again, and that one is refused too.
    if (report.calls < planned.length || report.calls > planned.length * BOUNDS.attemptsPerCall) {
      problems.push(`${report.calls} model calls for ${planned.length} chunks refused for good`);
    }
    if (report.calls > planned.length) {
      report.notes.push(
        `${report.calls - planned.length} calls timed out on the worker's side and were made again`,
      );
    }
    report.notes.push(`the job's error: ${message.slice(0, 160)}...`);
  } catch (error) {
    problems.push(`scenario aborted: ${(error as Error).stack ?? error}`);
  } finally {
    chaos.store.destroy();
    await chaos.stop();
    await gemini.close();
    await endScenario(report, dataDir, started);
  }
  return report;
}
