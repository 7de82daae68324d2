/**
 * Scenario 2, a worker killed mid-chunk: the local runtime crashes chosen chunk worker
 * invocations at chosen points, the way a Lambda sandbox that dies (out of memory, a runtime
 * crash) or times out leaves things: whatever it wrote stays written, nothing after that point
 * happens, its invocation fails, and SQS hands the message out again once its visibility
 * timeout has passed.
 *
 * Kill points, each just before the request named:
 * - after-answer: the model has answered; nothing of it is kept (the raw answer's S3 put);
 * - before-chunk-file: the questions are admitted to the career's bank (the chunk file's put);
 * - before-outcome: chunk file and checkpoint are written, the outcome is not recorded (the
 *   next DynamoDB call after the checkpoint's put);
 * - before-token: the outcome is recorded, the Map iteration not told (SendTaskSuccess).
 * One chunk is killed at each point on its first delivery, one on its first two deliveries, and
 * one on every delivery SQS allows, so that its message goes to the dead-letter queue.
 *
 * Each chunk killed once or twice is delivered again and completed once, in the same job: its
 * questions appear exactly once, none from a killed attempt survives in the output or the bank,
 * and the job's counters count it once. A chunk whose delivery was killed after keeping it
 * (before-outcome, before-token) is not generated again: the next delivery calls no model and
 * the output holds the chunk file that killed delivery wrote, counted with that delivery's
 * tokens, cost and quality figures. The chunk killed every time fails its job by name (the
 * dead-letter handler records it), and a new job with the same parameters generates only it.
 */
import type { OutboundRequest } from '../../local/lambda-runtime.ts';
import {
  ANSWERED,
  BOUNDS,
  type ChunkFileItem,
  endScenario,
  startJob,
  startScenarioStack,
  type WorkerInvocation,
  waitForJob,
} from './harness.ts';
import type { ScenarioOptions } from './model-faults.ts';
import { SECTORS } from './model-faults.ts';
import { emptyReport, faultsOf, type ScenarioReport } from './report.ts';
import {
  checkBounds,
  checkChunkFigures,
  checkCounters,
  sectorChunkKeys,
  verifySectorOutput,
} from './verify.ts';

export const KILL_POINTS = ['after-answer', 'before-chunk-file', 'before-outcome', 'before-token'] as const;
export type KillPoint = (typeof KILL_POINTS)[number];

interface Victim {
  chunkKey: string;
  /** Kill point by delivery (ApproximateReceiveCount). */
  kills: Map<number, KillPoint>;
  /** Killed on every delivery: dead-lettered, failed, and resumed by a new job. */
  dies: boolean;
}

/** Kill points after which the chunk is kept: the next delivery must not generate it again. */
const KEPT_BEFORE = new Set<string>(['before-outcome', 'before-token'] satisfies KillPoint[]);

/** What each invocation has done so far that a kill point depends on. */
interface Progress {
  chunkFileWritten: boolean;
  checkpointWritten: boolean;
}

const isS3Put = (request: OutboundRequest, part: string) =>
  request.via === 'http' && request.method === 'PUT' && request.path.includes(`/${part}/`);
const isDynamo = (request: OutboundRequest) => request.target?.startsWith('DynamoDB_') === true;

function reaches(point: KillPoint, request: OutboundRequest, progress: Progress): boolean {
  switch (point) {
    case 'after-answer':
      return isS3Put(request, 'raw');
    case 'before-chunk-file':
      return isS3Put(request, 'checkpoints');
    case 'before-outcome':
      return progress.checkpointWritten && isDynamo(request);
    case 'before-token':
      return request.target === 'AWSStepFunctions.SendTaskSuccess';
  }
}

function track(request: OutboundRequest, progress: Progress): void {
  if (isS3Put(request, 'checkpoints')) progress.chunkFileWritten = true;
  else if (progress.chunkFileWritten && request.target === 'DynamoDB_20120810.PutItem') {
    progress.checkpointWritten = true;
  }
}

/** A small deterministic generator, so a seed names the victims. */
function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

export function chooseVictims(keys: string[], seed: number): Victim[] {
  const next = random(seed);
  const pool = [...keys];
  const take = () => pool.splice(Math.floor(next() * pool.length), 1)[0] ?? '';
  const victims: Victim[] = KILL_POINTS.map((point) => ({
    chunkKey: take(),
    kills: new Map([[1, point]]),
    dies: false,
  }));
  victims.push({
    chunkKey: take(),
    kills: new Map<number, KillPoint>([
      [1, 'after-answer'],
      [2, 'before-outcome'],
    ]),
    dies: false,
  });
  // Never past the chunk file: a delivery that wrote it and the checkpoint would have finished the chunk.
  const everyTime: KillPoint[] = ['after-answer', 'before-chunk-file'];
  victims.push({
    chunkKey: take(),
    kills: new Map(
      Array.from({ length: BOUNDS.deliveries }, (_, i) => [i + 1, everyTime[i % 2] ?? 'after-answer']),
    ),
    dies: true,
  });
  return victims;
}

export async function workerKilled(options: ScenarioOptions): Promise<ScenarioReport> {
  const sector = SECTORS[(options.run + 1) % SECTORS.length] ?? 'technology';
  const report = emptyReport('worker-killed', options.run, options.seed, sector);
  const problems = report.problems;
  const started = Date.now();
  const { simulator, ledger, dataDir, chaos } = await startScenarioStack(
    { seed: options.seed, latencyMs: { min: 20, max: 60 } },
    options,
  );
  try {
    const keys = sectorChunkKeys(sector);
    report.chunks.planned = keys.length;
    const victims = chooseVictims(keys, options.seed);
    const byChunk = new Map(victims.map((v) => [v.chunkKey, v]));
    const progress = new Map<string, Progress>();
    /** Question ids a killed delivery left behind (its questions in the bank). */
    const leftBehind = new Map<string, Promise<string[]>>();
    /** The chunk file a delivery killed after keeping its chunk (before-outcome) wrote. */
    const keptAtKill = new Map<string, Promise<ChunkFileItem | undefined>>();

    ledger.killPlan = (request, invocation) => {
      const victim = byChunk.get(invocation.chunkKey);
      const point = victim?.kills.get(invocation.receiveCount);
      if (!victim || !point) return undefined;
      const state = progress.get(invocation.requestId) ?? {
        chunkFileWritten: false,
        checkpointWritten: false,
      };
      progress.set(invocation.requestId, state);
      if (!reaches(point, request, state)) {
        track(request, state);
        return undefined;
      }
      victim.kills.delete(invocation.receiveCount);
      const delivery = `${invocation.chunkKey}#${invocation.receiveCount}`;
      if (point === 'before-outcome')
        keptAtKill.set(delivery, chaos.store.chunkFile(chaos.owner, invocation.chunkKey));
      else leftBehind.set(delivery, leftovers(point, invocation));
      return point;
    };
    const leftovers = async (point: KillPoint, invocation: WorkerInvocation): Promise<string[]> => {
      if (point === 'before-chunk-file') {
        // The questions it admitted to the bank: what of this chunk is in the bank right now.
        const scope = invocation.chunkKey.split('__').slice(0, 2).join('__');
        const bank = await chaos.store.bank(chaos.owner, scope);
        return bank.filter((e) => e.chunk_key === invocation.chunkKey).map((e) => e.question_id);
      }
      return [];
    };

    const dying = victims.filter((v) => v.dies).map((v) => v.chunkKey);
    const firstId = await startJob(chaos.api, '/generate/sector/async', { sector });
    const first = await waitForJob(chaos.api, firstId);
    const firstRecord = await chaos.store.job(firstId);
    checkCounters(firstRecord, 'the first job', problems);
    if (first.status !== 'failed' || firstRecord.chunks_failed !== dying.length) {
      problems.push(
        `the first job ended ${first.status} with ${firstRecord.chunks_failed} failed chunks; expected failed with ${dying.length}`,
      );
    }
    for (const key of dying) {
      if (
        !String(first.error_message).includes(key) ||
        !/stopped without an answer/.test(first.error_message)
      ) {
        problems.push(`the first job's error does not name ${key} as dead-lettered: ${first.error_message}`);
      }
    }
    // The same request again: only the chunk that died every time is left.
    const secondId = await startJob(chaos.api, '/generate/sector/async', { sector });
    const second = await waitForJob(chaos.api, secondId);
    const secondRecord = await chaos.store.job(secondId);
    checkCounters(secondRecord, 'the resumed job', problems);
    if (second.status !== 'completed' || secondRecord.chunks_planned !== dying.length) {
      problems.push(
        `the resumed job ended ${second.status} after planning ${secondRecord.chunks_planned} chunks; expected completed with ${dying.length}`,
      );
    }
    report.jobs = 2;
    report.chunks.completed = firstRecord.chunks_completed + secondRecord.chunks_completed;
    report.chunks.failed = firstRecord.chunks_failed;
    report.chunks.resumed = secondRecord.chunks_completed;
    report.chunks.fromCheckpoint = secondRecord.chunks_skipped;
    if (ledger.deadLetters !== dying.length) {
      problems.push(
        `${ledger.deadLetters} dead-letter invocations for ${dying.length} chunks killed every time`,
      );
    }

    const output = await verifySectorOutput(chaos, sector, problems);
    report.questions = output.questions;
    report.duplicates = output.duplicates;
    report.repeatedAcrossCareers = output.repeatedAcrossCareers;
    report.nearDuplicates = output.nearDuplicates;
    report.lost = output.lost.length;

    const firstChunks = new Map((await chaos.store.chunkRecords(firstId)).map((c) => [c.chunk_key, c]));
    const secondChunks = new Map((await chaos.store.chunkRecords(secondId)).map((c) => [c.chunk_key, c]));
    const inFirst = ledger.all().filter((i) => i.jobId === firstId);
    const inSecond = ledger.all().filter((i) => i.jobId === secondId);
    for (const victim of victims) {
      const key = victim.chunkKey;
      const mine = inFirst.filter((i) => i.chunkKey === key);
      const killed = mine.filter((i) => i.end === 'killed');
      if (victim.kills.size > 0) {
        problems.push(`${key}: never reached ${[...victim.kills.values()].join(', ')}`);
      }
      const finalJob = victim.dies ? inSecond.filter((i) => i.chunkKey === key) : mine;
      const last = finalJob.at(-1);
      if (last?.end !== 'succeeded') problems.push(`${key}: its last delivery ended ${last?.end}`);
      const expectedDeliveries = victim.dies ? BOUNDS.deliveries : killed.length + 1;
      if (mine.length !== expectedDeliveries) {
        problems.push(`${key}: ${mine.length} deliveries in the first job for ${killed.length} kills`);
      }
      // A redelivery after the chunk was kept records it (before-outcome) or answers from the
      // record (before-token): no attempt, no model call.
      const keptFirst = killed.some((i) => KEPT_BEFORE.has(i.killedAt ?? ''));
      const expectedAttempts = victim.dies ? 1 : keptFirst ? killed.length : mine.length;
      const chunk = (victim.dies ? secondChunks : firstChunks).get(key);
      if (chunk?.status !== 'completed') problems.push(`${key}: chunk record ${chunk?.status}`);
      if (chunk?.attempts !== expectedAttempts) {
        problems.push(
          `${key}: ${chunk?.attempts} attempts recorded for ${expectedAttempts} generating deliveries`,
        );
      }
      if (victim.dies) {
        const dead = firstChunks.get(key);
        if (dead?.status !== 'failed' || dead.attempts !== BOUNDS.deliveries) {
          problems.push(`${key}: in the first job ${dead?.status} after ${dead?.attempts} attempts`);
        }
        if (finalJob.length !== 1) problems.push(`${key}: ${finalJob.length} deliveries in the resumed job`);
      }
      if (keptFirst && last && last.geminiCalls > 0) {
        problems.push(
          `${key}: the redelivery after the chunk was kept (${killed.at(-1)?.killedAt}) called the model ${last.geminiCalls} times`,
        );
      }
      const file = output.chunkFiles.get(key);
      for (const invocation of killed.filter((i) => i.killedAt === 'before-outcome')) {
        const kept = await keptAtKill.get(`${key}#${invocation.receiveCount}`);
        const ids = (f: ChunkFileItem | undefined) => f?.questions.map((q) => q.id).join(',');
        if (!kept) problems.push(`${key}: no chunk file when delivery ${invocation.receiveCount} was killed`);
        else if (file && (file.generated_at !== kept.generated_at || ids(file) !== ids(kept))) {
          problems.push(
            `${key}: generated again (at ${file.generated_at}) after delivery ${invocation.receiveCount} kept it (at ${kept.generated_at}) and was killed before-outcome`,
          );
        }
      }
      const attempts = new Set(file?.questions.map((q) => q.provenance?.attempt));
      if (file && (attempts.size !== 1 || !attempts.has(expectedAttempts))) {
        problems.push(
          `${key}: the kept questions come from attempts ${[...attempts].join(', ')}, not ${expectedAttempts}`,
        );
      }
      for (const invocation of killed) {
        const ids = (await leftBehind.get(`${key}#${invocation.receiveCount}`)) ?? [];
        const survivors = ids.filter((id) => output.ids.has(id));
        if (survivors.length > 0) {
          problems.push(
            `${key}: ${survivors.length} questions of the killed delivery (${invocation.killedAt}) are in the output`,
          );
        }
      }
      const how = killed.map(
        (i) => `${i.killedAt} (delivery ${i.receiveCount}, ${i.blocked} later requests refused)`,
      );
      report.notes.push(
        victim.dies
          ? `${key}: killed on every delivery, ${how.join(', ')}; dead-lettered, failed by name, completed by a new job`
          : `${key}: killed ${how.join(', ')}; completed on delivery ${last?.receiveCount}${keptFirst ? `, kept before, with ${last?.geminiCalls} model calls` : ''}`,
      );
    }
    checkChunkFigures(firstRecord, [...firstChunks.values()], output.chunkFiles, 'the first job', problems);
    checkChunkFigures(
      secondRecord,
      [...secondChunks.values()],
      output.chunkFiles,
      'the resumed job',
      problems,
    );
    for (const [key, mine] of ledger.byChunk()) {
      for (const jobId of [firstId, secondId]) {
        const count = mine.filter((i) => i.jobId === jobId).length;
        if (!byChunk.has(key) && count > 1)
          problems.push(`${key} was delivered ${count} times without a kill`);
      }
    }

    const stats = simulator.stats();
    report.faults = faultsOf(stats);
    report.calls = stats.totalCalls;
    const answered = ANSWERED.reduce((sum, outcome) => sum + stats.outcomes[outcome], 0);
    report.retries = stats.totalCalls - answered;
    const raw = [...(await chaos.store.rawAnswers(firstId)), ...(await chaos.store.rawAnswers(secondId))];
    checkBounds(ledger, raw, stats.totalCalls, problems, report);
    report.kills = ledger.all().filter((i) => i.end === 'killed').length;
    report.blocked = ledger.all().reduce((sum, i) => sum + i.blocked, 0);
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
