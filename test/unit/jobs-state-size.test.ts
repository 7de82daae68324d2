/**
 * What the state machine carries stays under Step Functions' 256 KiB state quota when every
 * chunk of the largest job fails with the longest error a worker can report, and what the job's
 * item keeps stays far under DynamoDB's 400 KB item quota.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { MAX_SECTIONS } from '#content/plan.ts';
import {
  CHUNK_RESULT_ERROR_MAX_CHARS,
  type ChunkResult,
  type FinalizeInput,
  shortError,
} from '#contract/pipeline.ts';
import type { JobRecord } from '#jobs/job.ts';
import { FAILED_CHUNKS_KEPT, failureMessage, storedSummary, summarize } from '#jobs/summary.ts';
import { DEFAULTS } from '#platform/config.ts';
import { chunksForJob } from '#quiz-bank/chunks.ts';
import { MAX_PAYLOAD_BYTES, payloadBytes } from '../../local/step-functions-limits.ts';
import { fixture } from '../support/fixtures.ts';

/** DynamoDB's item size quota: 400 KB. */
const MAX_ITEM_BYTES = 400 * 1024;

/** The worst error text for the state's size: 3-byte characters, quotes and control characters. */
const LONG_ERROR = 'Ünïcödé "quoted" €\u0001\n'.repeat(2000);

function fullBankKeys(): string[] {
  return chunksForJob(
    'full',
    {},
    {
      questionsPerCareerLevel: DEFAULTS.questionsPerCareerLevel,
      questionsPerSoftSkillsJob: DEFAULTS.questionsPerSoftSkillsJob,
    },
  ).map((chunk) => chunk.key);
}

/** The input of "Finalize job" (the largest state: plan, every result, the assembled files). */
function finalizeInput(keys: string[], results: ChunkResult[]): FinalizeInput {
  return {
    job_id: 'a1b2c3d4-e5f6-7890-abcd-ef0123456789',
    owner: 'owner-of-a-rather-long-api-key-id',
    chunks: keys,
    stages: [keys],
    skipped_from_checkpoint: 0,
    mode: 'interactive',
    chunk_results: [results],
    assembled: { files: ['results/owner/generated_sectors/technology.json'] },
  };
}

const failedAll = (keys: string[], error: string): ChunkResult[] =>
  keys.map((chunk_key) => ({ chunk_key, status: 'failed', error }));

describe('state size when every chunk fails', () => {
  it('a short error is at most CHUNK_RESULT_ERROR_MAX_CHARS characters, without control characters', () => {
    const short = shortError(LONG_ERROR);
    assert.equal([...short].length, CHUNK_RESULT_ERROR_MAX_CHARS);
    assert.ok(short.endsWith('…'));
    assert.ok(![...short].some((c) => c.charCodeAt(0) < 0x20), 'a control character is left');
    assert.equal(shortError('Only 2 of 3 questions passed'), 'Only 2 of 3 questions passed');
  });

  it('a full bank whose every chunk failed keeps the state under 256 KiB', () => {
    const keys = fullBankKeys();
    assert.ok(keys.length > 200, `a full bank has ${keys.length} chunks`);

    const bytes = payloadBytes(finalizeInput(keys, failedAll(keys, shortError(LONG_ERROR))));

    assert.ok(bytes < MAX_PAYLOAD_BYTES / 2, `${bytes} bytes`);
    // Whole errors, as the worker sent them before, would not fit.
    assert.ok(
      payloadBytes(finalizeInput(keys, failedAll(keys, LONG_ERROR.slice(0, 32_000)))) > MAX_PAYLOAD_BYTES,
    );
  });

  it('a content job of MAX_SECTIONS sections whose every section failed keeps the state under 256 KiB', () => {
    const keys = Array.from({ length: MAX_SECTIONS }, (_, i) => `module-${i}__lesson-with-a-long-name-${i}`);

    const bytes = payloadBytes(finalizeInput(keys, failedAll(keys, shortError(LONG_ERROR))));

    assert.ok(bytes < MAX_PAYLOAD_BYTES / 2, `${bytes} bytes`);
  });
});

describe('the job item when every chunk fails', () => {
  const job = (): JobRecord => fixture<JobRecord>('job-record.json');

  it('keeps the first FAILED_CHUNKS_KEPT failed chunks with short errors and counts the others', () => {
    const keys = fullBankKeys();
    const summary = summarize(job(), failedAll(keys, LONG_ERROR), [], new Date());

    const stored = storedSummary(summary);

    assert.equal(stored.chunks_failed, keys.length);
    assert.equal(stored.failed_chunks.length, FAILED_CHUNKS_KEPT);
    assert.equal(stored.failed_chunks_omitted, keys.length - FAILED_CHUNKS_KEPT);
    assert.deepEqual(
      stored.failed_chunks.map((f) => f.chunk_key),
      keys.slice(0, FAILED_CHUNKS_KEPT),
    );
    assert.ok(stored.failed_chunks.every((f) => [...f.error].length <= CHUNK_RESULT_ERROR_MAX_CHARS));
    const item = { ...job(), result_summary: stored, error_message: failureMessage(summary) };
    assert.ok(payloadBytes(item) < MAX_ITEM_BYTES / 10, `${payloadBytes(item)} bytes`);
    assert.match(
      failureMessage(summary),
      new RegExp(`^${keys.length} of \\d+ chunks failed: .*and ${keys.length - 10} more`),
    );
  });

  it('keeps a summary with few failures as it is', () => {
    const results: ChunkResult[] = [{ chunk_key: 'a', status: 'failed', error: 'boom' }];
    const summary = summarize(job(), results, [], new Date());

    assert.deepEqual(storedSummary(summary), summary);
  });
});
