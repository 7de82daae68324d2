/**
 * Scenario 1, model faults: a whole sector against a simulator that answers a set share of
 * calls with 429s, 500s, 503s, malformed or truncated JSON, safety stops, hangs (cut by the
 * worker's one-second timeout), invalid questions and near-duplicates of earlier answers.
 *
 * The job completes; or, when a chunk legitimately ran out of its calls (four unusable answers
 * in one delivery, or transient failures on its last delivery), the job fails naming it, and a
 * new job with the same parameters generates only the failed chunks, until complete. Every
 * planned chunk is in the output exactly once, and no chunk went past the worker's bounds.
 */
import type { FaultKind } from '../../local/gemini-simulator/index.ts';
import {
  ANSWERED,
  BOUNDS,
  endScenario,
  type Ledger,
  type RawAnswer,
  startJob,
  startScenarioStack,
  waitForJob,
} from './harness.ts';
import { emptyReport, faultsOf, type ScenarioReport } from './report.ts';
import { checkBounds, checkCounters, sectorChunkKeys, verifySectorOutput } from './verify.ts';

export const SECTORS = ['finance', 'technology', 'construction', 'education', 'health_social_care'];

/** About a third of all calls go wrong, each kind several times in a sector's ~70 calls. */
export const MODEL_FAULTS: Partial<Record<FaultKind, number>> = {
  error429: 0.05,
  error500: 0.04,
  error503: 0.04,
  hang: 0.02,
  malformedJson: 0.04,
  truncated: 0.04,
  safety: 0.03,
  badItems: 0.06,
  nearDuplicate: 0.06,
};

/**
 * A quota storm in the middle of the first job: for a second every call answers 429 (with a
 * short RetryInfo delay), so the chunks calling then use up their attempts and go back to the
 * queue, to be delivered again after the worker's back-off (15 s on a first delivery).
 */
const STORM = { afterChunks: 10, ms: 1500 };

/** New jobs started for chunks that ran out of calls, before the scenario gives up. */
const MAX_RESUMES = 3;

export interface ScenarioOptions {
  run: number;
  seed: number;
  verbose?: boolean;
}

export async function modelFaults(options: ScenarioOptions): Promise<ScenarioReport> {
  const sector = SECTORS[(options.run - 1) % SECTORS.length] ?? 'finance';
  const report = emptyReport('model-faults', options.run, options.seed, sector);
  const problems = report.problems;
  const started = Date.now();
  const { simulator, ledger, dataDir, chaos } = await startScenarioStack(
    {
      seed: options.seed,
      latencyMs: { min: 5, max: 40 },
      hangMs: 3000,
      injected429DelayMs: 50,
      faults: MODEL_FAULTS,
    },
    options,
  );
  try {
    const all = sectorChunkKeys(sector);
    report.chunks.planned = all.length;
    let toResume: string[] = [];
    let completed = false;
    const raw: RawAnswer[] = [];
    for (let round = 0; round <= MAX_RESUMES && !completed; round++) {
      const jobId = await startJob(chaos.api, '/generate/sector/async', { sector });
      report.jobs += 1;
      if (round === 0) {
        await waitForJob(
          chaos.api,
          jobId,
          (j) =>
            j.chunks.completed >= STORM.afterChunks || (j.status !== 'running' && j.status !== 'pending'),
        );
        simulator.configure({ faults: { ...MODEL_FAULTS, error429: 1 } });
        await new Promise((resolve) => setTimeout(resolve, STORM.ms));
        simulator.configure({ faults: MODEL_FAULTS });
      }
      const job = await waitForJob(chaos.api, jobId);
      const record = await chaos.store.job(jobId);
      const chunkRecords = await chaos.store.chunkRecords(jobId);
      const answers = await chaos.store.rawAnswers(jobId);
      raw.push(...answers);
      const label = `job ${report.jobs}`;
      checkCounters(record, label, problems);
      if (round > 0) {
        // A resumed job plans exactly the chunks the last one could not finish.
        if (
          record.chunks_planned !== toResume.length ||
          record.chunks_skipped !== all.length - toResume.length
        ) {
          problems.push(
            `${label} planned ${record.chunks_planned} chunks (skipped ${record.chunks_skipped}) to resume ${toResume.length}`,
          );
        }
        report.chunks.resumed += record.chunks_completed;
      }
      report.chunks.completed += record.chunks_completed;
      report.chunks.failed += record.chunks_failed;
      if (job.status === 'completed') {
        completed = true;
        break;
      }
      if (job.status !== 'failed') {
        problems.push(`${label} ended ${job.status}`);
        break;
      }
      const failed = chunkRecords.filter((c) => c.status === 'failed');
      if (failed.length === 0) problems.push(`${label} failed with no failed chunk: ${job.error_message}`);
      if (!failed.slice(0, 10).some((c) => String(job.error_message).includes(c.chunk_key))) {
        problems.push(`${label}'s error names none of its failed chunks: ${job.error_message}`);
      }
      for (const chunk of failed) {
        const why = legitimateFailure(chunk.chunk_key, chunk.last_error ?? '', jobId, answers, ledger);
        if (why === undefined) {
          problems.push(`${chunk.chunk_key} failed within its bounds: ${chunk.last_error}`);
        } else {
          report.notes.push(`${label}: ${chunk.chunk_key} ${why}; a new job resumed it`);
        }
        // The error message names the first ten; the summary lists them all.
        if (
          !job.result_summary?.failed_chunks?.some(
            (f: { chunk_key: string }) => f.chunk_key === chunk.chunk_key,
          )
        ) {
          problems.push(`${label}'s summary does not list its failed chunk ${chunk.chunk_key}`);
        }
      }
      toResume = failed.map((c) => c.chunk_key);
    }
    if (!completed) problems.push(`no job completed the sector in ${report.jobs} jobs`);

    const output = await verifySectorOutput(chaos, sector, problems);
    report.questions = output.questions;
    report.duplicates = output.duplicates;
    report.repeatedAcrossCareers = output.repeatedAcrossCareers;
    report.nearDuplicates = output.nearDuplicates;
    report.lost = output.lost.length;

    const stats = simulator.stats();
    report.faults = faultsOf(stats);
    report.calls = stats.totalCalls;
    const answered = ANSWERED.reduce((sum, outcome) => sum + stats.outcomes[outcome], 0);
    report.retries = stats.totalCalls - answered;
    checkBounds(ledger, raw, stats.totalCalls, problems, report);
    if (raw.length !== answered)
      problems.push(`the simulator answered ${answered} calls, the worker kept ${raw.length}`);
    const perMessage = new Map<string, number>();
    for (const i of ledger.all())
      perMessage.set(`${i.jobId}/${i.chunkKey}`, (perMessage.get(`${i.jobId}/${i.chunkKey}`) ?? 0) + 1);
    const requeued = [...perMessage.values()].filter((deliveries) => deliveries > 1).length;
    report.notes.push(
      `${requeued} chunk messages went back to the queue after using up a call's attempts (a ${STORM.ms} ms storm of 429s did most of it) and were delivered again`,
    );
    for (const kind of ['500', '503', 'hang', 'malformed', 'truncated', 'safety'] as const) {
      if (stats.outcomes[kind] === 0) report.notes.push(`no ${kind} fault happened to be drawn`);
    }
    if (ledger.deadLetters > 0)
      problems.push(`${ledger.deadLetters} dead-letter invocations (no worker crashed)`);
  } catch (error) {
    problems.push(`scenario aborted: ${(error as Error).stack ?? error}`);
  } finally {
    chaos.store.destroy();
    await chaos.stop();
    await simulator.close();
    await endScenario(report, dataDir, started);
  }
  return report;
}

/**
 * Why a failed chunk was entitled to fail, or undefined when it was not: it used up its model
 * calls in its last delivery, or its last delivery was its last allowed one.
 */
function legitimateFailure(
  chunkKey: string,
  error: string,
  jobId: string,
  answers: RawAnswer[],
  ledger: Ledger,
): string | undefined {
  const mine = answers.filter((a) => a.chunkKey === chunkKey);
  const lastAttempt = Math.max(0, ...mine.map((a) => a.attempt));
  const lastAnswers = mine.filter((a) => a.attempt === lastAttempt).length;
  if (/after \d+ model calls/.test(error) && lastAnswers === BOUNDS.answersPerDelivery) {
    return `used all ${BOUNDS.answersPerDelivery} model calls of a delivery without enough valid questions`;
  }
  // Gemini refused every answer of the delivery (the simulator's safety stops, drawn twice in a
  // row): the chunk is not asked again for the same refusal, by design (refusals.ts).
  const lastRefusals = mine.filter((a) => a.attempt === lastAttempt && a.refusal).map((a) => a.refusal);
  if (
    lastAnswers > 0 &&
    lastRefusals.length === lastAnswers &&
    /^Gemini (stopped the answer|blocked the prompt)/.test(error)
  ) {
    return `Gemini refused each of its ${lastAnswers} answers (${lastRefusals.join(', ')}), so it was not asked again`;
  }
  const deliveries = ledger.all().filter((i) => i.jobId === jobId && i.chunkKey === chunkKey);
  const last = deliveries.at(-1);
  if (last && last.receiveCount === BOUNDS.deliveries) {
    return `failed transiently on its last allowed delivery (${BOUNDS.deliveries})`;
  }
  return undefined;
}
