/**
 * The quality gate's accounting: per chunk, how many questions passed the checks the first
 * time, how many were regenerated after a rejection (with its reasons in the prompt) and then
 * passed, how many are still missing, and what the rejections were; per job, the sum, with the
 * chunks that could not be filled named. Nothing that failed is silently kept or dropped: a
 * chunk short of questions fails and is listed here with its last reasons.
 */
import { KEY_POSITIONS, type KeyCues, type KeyPosition } from './key-cues.ts';
import type { QualityCheck, Rejection } from './questions.ts';

/**
 * Bumped when the checks change, and recorded in every question's provenance. 3: the key not
 * clearly the longest option, no option named by its letter, keys balanced over positions.
 */
export const GATE_VERSION = 'quality-gate/3';

export interface ChunkQuality {
  requested: number;
  passed_first_time: number;
  repaired: number;
  missing: number;
  /** Items rejected (and answers that could not be used), over all calls. */
  rejected: number;
  by_check: Partial<Record<QualityCheck, number>>;
  /**
   * Where the kept questions' keys sit and how often the key is the longest option, measured
   * when the chunk is kept (after balancing; key-cues.ts). Absent on chunks of open questions
   * and on chunks kept before it was measured.
   */
  key_cues?: KeyCues;
}

export function chunkQualityOf(
  requested: number,
  keptCalls: number[],
  rejections: Rejection[],
): ChunkQuality {
  const byCheck: Partial<Record<QualityCheck, number>> = {};
  for (const rejection of rejections) {
    for (const check of new Set(rejection.checks)) byCheck[check] = (byCheck[check] ?? 0) + 1;
  }
  const first = keptCalls.filter((call) => call === 1).length;
  return {
    requested,
    passed_first_time: first,
    repaired: keptCalls.length - first,
    missing: Math.max(0, requested - keptCalls.length),
    rejected: rejections.length,
    by_check: byCheck,
  };
}

export interface QualityReportChunk {
  chunk_key: string;
  status: string;
  quality?: ChunkQuality;
  error?: string | null;
}

export interface JobQualityReport {
  gate_version: string;
  chunks_reported: number;
  requested: number;
  passed_first_time: number;
  repaired: number;
  failed: number;
  rejected: number;
  by_check: Partial<Record<QualityCheck, number>>;
  /** Chunks that ended without all their questions, and why. */
  failed_chunks: { chunk_key: string; missing: number; reason: string }[];
  key_cues: JobKeyCues;
}

/**
 * The key cues of the job's kept multiple-choice questions: how many keys sit at each position
 * (an even bank has a share of 0.25 each) and how many keys are the longest option (a quarter
 * by chance; a model's habit makes it more). Shares are of `questions`, 0 when there are none.
 */
export interface JobKeyCues {
  questions: number;
  positions: Record<KeyPosition, { count: number; share: number }>;
  longest_option: { count: number; share: number };
}

const shareOf = (count: number, total: number) =>
  total === 0 ? 0 : Math.round((count / total) * 10_000) / 10_000;

export function jobKeyCues(cues: readonly (KeyCues | undefined)[]): JobKeyCues {
  const counts = { a: 0, b: 0, c: 0, d: 0 };
  let questions = 0;
  let longest = 0;
  for (const c of cues) {
    if (!c) continue;
    questions += c.keys;
    longest += c.key_longest;
    for (const position of KEY_POSITIONS) counts[position] += c.key_positions[position] ?? 0;
  }
  const positions = Object.fromEntries(
    KEY_POSITIONS.map((p) => [p, { count: counts[p], share: shareOf(counts[p], questions) }]),
  ) as JobKeyCues['positions'];
  return { questions, positions, longest_option: { count: longest, share: shareOf(longest, questions) } };
}

export function jobQualityReport(chunks: QualityReportChunk[]): JobQualityReport {
  const report: JobQualityReport = {
    gate_version: GATE_VERSION,
    chunks_reported: 0,
    requested: 0,
    passed_first_time: 0,
    repaired: 0,
    failed: 0,
    rejected: 0,
    by_check: {},
    failed_chunks: [],
    key_cues: jobKeyCues(chunks.map((c) => c.quality?.key_cues)),
  };
  for (const chunk of chunks) {
    const quality = chunk.quality;
    if (quality) {
      report.chunks_reported += 1;
      report.requested += quality.requested;
      report.passed_first_time += quality.passed_first_time;
      report.repaired += quality.repaired;
      report.failed += quality.missing;
      report.rejected += quality.rejected;
      for (const [check, count] of Object.entries(quality.by_check) as [QualityCheck, number][]) {
        report.by_check[check] = (report.by_check[check] ?? 0) + count;
      }
    }
    if (chunk.status === 'failed') {
      report.failed_chunks.push({
        chunk_key: chunk.chunk_key,
        missing: quality?.missing ?? 0,
        reason: chunk.error ?? 'no reason recorded',
      });
    }
  }
  return report;
}
