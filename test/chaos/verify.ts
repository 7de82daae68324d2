/**
 * The checks every scenario ends with: the output is complete and holds every chunk's
 * questions exactly once, and no chunk went past the worker's retry bounds.
 */

import { isDeepStrictEqual } from 'node:util';
import { jaccard, normalizeText, shingles } from '#jobs/similarity.ts';
import { DEFAULTS } from '#platform/config.ts';
import { careersOf, LEVELS } from '#quiz-bank/catalog.ts';
import { careerLevelKey, chunkFromKey, dedupeScopeOf } from '#quiz-bank/chunks.ts';
import {
  BASE,
  BOUNDS,
  CHAOS_SETTINGS,
  type ChaosStack,
  type ChunkFileItem,
  type ChunkRecordItem,
  type JobItem,
  type Ledger,
  type RawAnswer,
} from './harness.ts';
import type { ScenarioReport } from './report.ts';

export function sectorChunkKeys(sector: string): string[] {
  return careersOf(sector).flatMap((career) =>
    LEVELS.map((level) => careerLevelKey(sector, career.id, level)),
  );
}

export interface OutputFindings {
  questions: number;
  /** Question ids seen twice, and texts seen twice within a career (the scope of its bank). */
  duplicates: number;
  /**
   * The same text in two careers of the sector. Not a failure: each career has its own bank, as
   * the quality gate promises ("no duplicate of any question already in the bank of that career").
   */
  repeatedAcrossCareers: number;
  nearDuplicates: number;
  lost: string[];
  chunkFiles: Map<string, ChunkFileItem>;
  /** Every question id of the output. */
  ids: Set<string>;
}

/**
 * The sector file as a user downloads it, against the checkpoint and the chunk files: every
 * planned chunk is there with exactly its questions, no question (by id or by text) appears
 * twice, no two questions of a career are near-duplicates, and each career's near-duplicate
 * bank holds exactly the questions of the output (none from a killed or abandoned attempt).
 */
export async function verifySectorOutput(
  chaos: ChaosStack,
  sector: string,
  problems: string[],
): Promise<OutputFindings> {
  const perLevel = CHAOS_SETTINGS.questionsPerCareerLevel;
  const response = await chaos.api('GET', `${BASE}/results/sectors/${sector}`);
  if (response.status !== 200) problems.push(`GET the ${sector} sector file answered ${response.status}`);
  const file = (response.status === 200 ? response.body : {}) as Record<
    string,
    Record<string, { quiz_pool: { id: string; question: string }[] }>
  >;
  const checkpoint = await chaos.store.checkpoint(chaos.owner);
  const findings: OutputFindings = {
    questions: 0,
    duplicates: 0,
    repeatedAcrossCareers: 0,
    nearDuplicates: 0,
    lost: [],
    chunkFiles: new Map(),
    ids: new Set(),
  };
  const sectorTexts = new Set<string>();
  const expected = new Set(sectorChunkKeys(sector));

  for (const career of careersOf(sector)) {
    const careerQuestions: { id: string; question: string }[] = [];
    const texts = new Set<string>();
    for (const level of LEVELS) {
      const key = careerLevelKey(sector, career.id, level);
      const pool = file[career.id]?.[`level_${level}`]?.quiz_pool;
      const chunkFile = await chaos.store.chunkFile(chaos.owner, key);
      if (!checkpoint.has(key) || !chunkFile || !pool) {
        findings.lost.push(key);
        problems.push(
          `lost chunk ${key}: checkpoint ${checkpoint.has(key) ? 'yes' : 'no'}, chunk file ${chunkFile ? 'yes' : 'no'}, in the sector file ${pool ? 'yes' : 'no'}`,
        );
        continue;
      }
      findings.chunkFiles.set(key, chunkFile);
      if (pool.length !== perLevel)
        problems.push(`${key}: ${pool.length} questions in the sector file, not ${perLevel}`);
      if (chunkFile.questions.length !== perLevel || chunkFile.question_count !== perLevel) {
        problems.push(
          `${key}: the chunk file holds ${chunkFile.questions.length} questions, not ${perLevel}`,
        );
      }
      const poolIds = pool.map((q) => q.id).join(',');
      const fileIds = chunkFile.questions.map((q) => q.id).join(',');
      if (poolIds !== fileIds) problems.push(`${key}: the sector file's questions are not the chunk file's`);
      for (const question of pool) {
        findings.questions += 1;
        careerQuestions.push(question);
        if (findings.ids.has(question.id)) {
          findings.duplicates += 1;
          problems.push(`question id ${question.id} appears twice (again in ${key})`);
        }
        findings.ids.add(question.id);
        const text = normalizeText(question.question);
        if (texts.has(text)) {
          findings.duplicates += 1;
          problems.push(
            `question text appears twice in ${career.id} (again in ${key}): ${question.question.slice(0, 80)}`,
          );
        } else if (sectorTexts.has(text)) findings.repeatedAcrossCareers += 1;
        texts.add(text);
        sectorTexts.add(text);
      }
    }
    const grams = careerQuestions.map((q) => shingles(q.question));
    for (let i = 0; i < grams.length; i++) {
      for (let j = i + 1; j < grams.length; j++) {
        const a = grams[i];
        const b = grams[j];
        if (a && b && jaccard(a, b) >= DEFAULTS.nearDuplicateThreshold) {
          findings.nearDuplicates += 1;
          problems.push(`near-duplicates in ${career.id}: "${careerQuestions[j]?.question.slice(0, 60)}…"`);
        }
      }
    }
    const scope = dedupeScopeOf(chunkFromKey(careerLevelKey(sector, career.id, 1), CHAOS_SETTINGS), '');
    const bank = new Set((await chaos.store.bank(chaos.owner, scope)).map((e) => e.question_id));
    const output = new Set(careerQuestions.map((q) => q.id));
    const phantom = [...bank].filter((id) => !output.has(id));
    const missing = [...output].filter((id) => !bank.has(id));
    if (phantom.length > 0)
      problems.push(`${scope}: ${phantom.length} questions in the bank are not in the output`);
    if (missing.length > 0)
      problems.push(`${scope}: ${missing.length} output questions are missing from the bank`);
  }
  for (const career of Object.keys(file)) {
    for (const level of Object.keys(file[career] ?? {})) {
      const key = careerLevelKey(sector, career, Number(level.replace('level_', '')));
      if (!expected.has(key)) problems.push(`the sector file has a pool nobody planned: ${key}`);
    }
  }
  return findings;
}

/**
 * A finished job counted each of its chunks once: as many chunks counted as planned, and
 * questions_generated is exactly the questions of its completed chunks.
 */
export function checkCounters(job: JobItem, label: string, problems: string[]): void {
  const perLevel = CHAOS_SETTINGS.questionsPerCareerLevel;
  const counted = job.counted_chunks?.size ?? 0;
  if (job.chunks_completed + job.chunks_failed !== job.chunks_planned) {
    problems.push(
      `${label}: ${job.chunks_completed} completed + ${job.chunks_failed} failed of ${job.chunks_planned} planned chunks`,
    );
  }
  if (counted !== job.chunks_completed + job.chunks_failed) {
    problems.push(
      `${label}: counted ${counted} chunks for ${job.chunks_completed + job.chunks_failed} outcomes`,
    );
  }
  if (job.questions_generated !== job.chunks_completed * perLevel) {
    problems.push(
      `${label}: questions_generated ${job.questions_generated} for ${job.chunks_completed} chunks of ${perLevel} (double counted?)`,
    );
  }
}

const TOKEN_FIELDS = ['input_tokens', 'output_tokens', 'thinking_tokens', 'cached_tokens'] as const;

/**
 * A job's tokens and cost are those of the chunk files its completed chunks kept, and each
 * completed chunk's record carries its file's cost and quality: a chunk recorded by a later
 * delivery than the one that generated it counts what that one used. (A killed delivery's
 * model calls that kept nothing are spent but counted nowhere, nor are dead-lettered chunks.)
 */
export function checkChunkFigures(
  job: JobItem,
  records: ChunkRecordItem[],
  files: Map<string, ChunkFileItem>,
  label: string,
  problems: string[],
): void {
  const tokens = { input_tokens: 0, output_tokens: 0, thinking_tokens: 0, cached_tokens: 0 };
  let cost = 0;
  for (const record of records.filter((r) => r.status === 'completed')) {
    const file = files.get(record.chunk_key);
    if (file?.job_id !== job.job_id) {
      problems.push(`${label}: ${record.chunk_key} completed, its chunk file is of job ${file?.job_id}`);
      continue;
    }
    const fileCost = file.cost_usd;
    for (const field of TOKEN_FIELDS) tokens[field] += file.usage[field];
    cost += fileCost;
    if (Math.abs((record.cost_usd ?? 0) - fileCost) > 1e-12) {
      problems.push(
        `${label}: ${record.chunk_key} recorded at $${record.cost_usd}, its file cost $${fileCost}`,
      );
    }
    if (!isDeepStrictEqual(record.quality ?? null, file.quality ?? null)) {
      problems.push(`${label}: ${record.chunk_key}'s recorded quality is not its file's`);
    }
  }
  for (const field of TOKEN_FIELDS) {
    if ((job[field] ?? 0) !== tokens[field]) {
      problems.push(`${label}: ${job[field]} ${field}, its chunk files ${tokens[field]}`);
    }
  }
  if (Math.abs((job.cost_usd ?? 0) - cost) > 1e-9) {
    problems.push(`${label}: cost $${job.cost_usd}, its chunk files $${cost}`);
  }
}

/**
 * The worker's bounds, per chunk message of a job: at most BOUNDS.deliveries deliveries; per
 * delivery at most BOUNDS.answersPerDelivery answers and BOUNDS.attemptsPerCall HTTP calls per
 * model call (so at most attemptsPerCall × (answers + 1), the last call of a delivery may fail
 * every attempt); and the accounts close: every call the simulator saw was made by a worker
 * delivery of these jobs.
 */
export function checkBounds(
  ledger: Ledger,
  raw: RawAnswer[],
  simulatorCalls: number,
  problems: string[],
  report: ScenarioReport,
): void {
  const answers = new Map<string, number>();
  for (const answer of raw) {
    const key = `${answer.jobId}/${answer.chunkKey}/${answer.attempt}`;
    answers.set(key, (answers.get(key) ?? 0) + 1);
  }
  for (const [key, count] of answers) {
    if (count > BOUNDS.answersPerDelivery) {
      problems.push(
        `${key}: ${count} model answers in one delivery, over the bound ${BOUNDS.answersPerDelivery}`,
      );
    }
    report.repairs += count - 1;
  }
  const byMessage = new Map<string, { deliveries: number; calls: number; answers: number }>();
  for (const invocation of ledger.all()) {
    const key = `${invocation.jobId}/${invocation.chunkKey}`;
    const entry = byMessage.get(key) ?? { deliveries: 0, calls: 0, answers: 0 };
    entry.deliveries += 1;
    entry.calls += invocation.geminiCalls;
    byMessage.set(key, entry);
    if (invocation.receiveCount > BOUNDS.deliveries) {
      problems.push(
        `${key}: delivered a ${invocation.receiveCount}th time, over the bound ${BOUNDS.deliveries}`,
      );
    }
    if (invocation.geminiCalls > BOUNDS.answersPerDelivery * BOUNDS.attemptsPerCall) {
      problems.push(`${key}: ${invocation.geminiCalls} model calls in one delivery`);
    }
  }
  for (const answer of raw) {
    const entry = byMessage.get(`${answer.jobId}/${answer.chunkKey}`);
    if (entry) entry.answers += 1;
    else problems.push(`a raw answer of ${answer.jobId}/${answer.chunkKey} that no delivery made`);
  }
  for (const [key, entry] of byMessage) {
    if (entry.deliveries > BOUNDS.deliveries) {
      problems.push(`${key}: ${entry.deliveries} deliveries, over the bound ${BOUNDS.deliveries}`);
    }
    const bound = BOUNDS.attemptsPerCall * (entry.answers + entry.deliveries);
    if (entry.calls > bound)
      problems.push(`${key}: ${entry.calls} model calls for ${entry.answers} answers, over ${bound}`);
  }
  report.deliveries = ledger.all().length;
  report.redeliveries = report.deliveries - byMessage.size;
  report.answers = raw.length;
  const observed = ledger.geminiCalls();
  if (observed !== simulatorCalls) {
    problems.push(`the simulator saw ${simulatorCalls} calls, the worker deliveries made ${observed}`);
  }
}
