import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import type { ChunkResult } from '#contract/pipeline.ts';
import {
  chunkProgressPercent,
  executionConsoleUrl,
  type JobRecord,
  type ResultSummary,
  toApiJob,
} from '#jobs/job.ts';
import { failureMessage, readableCause, summarize } from '#jobs/summary.ts';
import { fixture } from '../support/fixtures.ts';

const job = (): JobRecord => fixture<JobRecord>('job-record.json');

const SEED_JOB_FIELDS = [
  'job_id',
  'job_type',
  'status',
  'parameters',
  'progress_percent',
  'progress_message',
  'result_summary',
  'error_message',
  'created_at',
  'started_at',
  'completed_at',
];

const results: ChunkResult[] = [
  { chunk_key: 'technology__FRONTEND_DEVELOPER__1', status: 'completed', questions: 25 },
  {
    chunk_key: 'technology__FRONTEND_DEVELOPER__2',
    status: 'failed',
    error: 'Only 3 of 25 questions passed',
  },
  { chunk_key: 'technology__FRONTEND_DEVELOPER__3', status: 'completed', questions: 25 },
  { chunk_key: 'technology__FRONTEND_DEVELOPER__4', status: 'failed' },
];

describe('summarize', () => {
  it('counts completed, skipped and failed chunks and lists the failed ones with their errors', () => {
    const now = new Date('2025-12-19T10:12:35.000Z');

    const summary = summarize(job(), results, ['results/default/generated_sectors/technology.json'], now);

    assert.equal(summary.chunks_total, 5);
    assert.equal(summary.chunks_completed, 2);
    assert.equal(summary.chunks_skipped_from_checkpoint, 1);
    assert.equal(summary.chunks_failed, 2);
    assert.deepEqual(summary.failed_chunks, [
      { chunk_key: 'technology__FRONTEND_DEVELOPER__2', error: 'Only 3 of 25 questions passed' },
      { chunk_key: 'technology__FRONTEND_DEVELOPER__4', error: 'unknown error' },
    ]);
    assert.equal(summary.questions_generated, 50);
    assert.deepEqual(summary.files, ['results/default/generated_sectors/technology.json']);
    assert.equal(summary.model, 'gemini-3.8-flash');
    assert.equal(summary.duration_seconds, 754);
  });

  it('totals tokens (input + output + thinking) and rounds the cost to micro-dollars', () => {
    const summary = summarize(job(), results, [], new Date());

    assert.deepEqual(summary.tokens, {
      input_tokens: 1000,
      output_tokens: 2000,
      thinking_tokens: 300,
      cached_tokens: 100,
      total_tokens: 3300,
    });
    assert.equal(summary.cost_usd, 0.012346);
  });

  it('has no duration for a job that never started', () => {
    const summary = summarize({ ...job(), started_at: null }, [], [], new Date());

    assert.equal(summary.duration_seconds, null);
  });
});

describe('failureMessage', () => {
  it('names each failed chunk with its error and says how to resume', () => {
    const summary = summarize(job(), results, [], new Date());

    const message = failureMessage(summary);

    assert.match(message, /^2 of 5 chunks failed: /);
    assert.ok(message.includes('technology__FRONTEND_DEVELOPER__2 (Only 3 of 25 questions passed)'));
    assert.ok(message.includes('technology__FRONTEND_DEVELOPER__4 (unknown error)'));
    assert.match(message, /start a new job with the same parameters/);
  });

  it("says which Gemini quota stopped the job and when it resets, without Gemini's own message", () => {
    const quotaError =
      'Gemini quota exhausted: the daily Gemini quota GenerateRequestsPerDayPerProjectPerModel for gemini-3.8-flash ran out; it resets at midnight Pacific time (2026-12-06T08:00:00.000Z). 429 RESOURCE_EXHAUSTED: You exceeded your current quota.';
    const stopped: ChunkResult[] = [
      results[0] as ChunkResult,
      { chunk_key: 'technology__FRONTEND_DEVELOPER__2', status: 'failed', error: quotaError },
      { chunk_key: 'technology__FRONTEND_DEVELOPER__3', status: 'failed', error: quotaError },
      {
        chunk_key: 'technology__FRONTEND_DEVELOPER__4',
        status: 'failed',
        error: 'Only 3 of 25 questions passed',
      },
    ];

    const message = failureMessage(summarize(job(), stopped, [], new Date()));

    assert.equal(
      message,
      'Stopped: the daily Gemini quota GenerateRequestsPerDayPerProjectPerModel for gemini-3.8-flash ran out; it resets at midnight Pacific time (2026-12-06T08:00:00.000Z). 2 of 5 chunks were not generated and 1 failed; finished chunks are kept. Start the same generation after the reset to generate only the rest.',
    );
  });

  it('names the first ten failed chunks and counts the rest', () => {
    const failed = Array.from({ length: 13 }, (_, i) => ({ chunk_key: `chunk_${i}`, error: 'boom' }));
    const summary: ResultSummary = {
      ...summarize(job(), [], [], new Date()),
      chunks_total: 20,
      chunks_failed: 13,
      failed_chunks: failed,
    };

    const message = failureMessage(summary);

    assert.ok(message.includes('chunk_9 (boom)'));
    assert.ok(!message.includes('chunk_10 '));
    assert.match(message, /and 3 more/);
  });
});

describe('readableCause', () => {
  it("unwraps the errorMessage of a caught Lambda error's JSON cause", () => {
    const { Cause } = fixture<{ Cause: string }>('sfn-lambda-error.json');

    assert.equal(readableCause(Cause), 'Only 3 of 5 questions passed the checks after 4 model calls');
  });

  it('returns a cause that is not JSON unchanged', () => {
    assert.equal(readableCause('States.Timeout: the task timed out'), 'States.Timeout: the task timed out');
  });

  it('returns JSON without an errorMessage unchanged', () => {
    assert.equal(readableCause('{"errorType":"Error"}'), '{"errorType":"Error"}');
  });

  it('says the pipeline failed without a message when there is no cause', () => {
    assert.equal(readableCause(undefined), 'The pipeline failed without a message');
    assert.equal(readableCause(''), 'The pipeline failed without a message');
  });
});

describe('chunkProgressPercent', () => {
  it('starts at 5 % and reaches 95 % when every planned chunk has an outcome', () => {
    assert.equal(chunkProgressPercent(0, 10), 5);
    assert.equal(chunkProgressPercent(5, 10), 50);
    assert.equal(chunkProgressPercent(10, 10), 95);
  });

  it('never exceeds 95 %, even with more outcomes than planned (redeliveries)', () => {
    assert.equal(chunkProgressPercent(12, 10), 95);
  });

  it('is 95 % when nothing had to be planned', () => {
    assert.equal(chunkProgressPercent(0, 0), 95);
  });

  it('never goes down as chunks finish', () => {
    let previous = 0;
    for (let done = 0; done <= 37; done++) {
      const percent = chunkProgressPercent(done, 37);
      assert.ok(percent >= previous && percent >= 5 && percent <= 95, `${done}: ${percent}`);
      previous = percent;
    }
  });
});

describe('executionConsoleUrl', () => {
  it("points at the Step Functions console in the execution's own region", () => {
    const arn = 'arn:aws:states:eu-west-2:123456789012:execution:quizgen-pipeline:abc';

    const url = executionConsoleUrl(arn);

    assert.equal(
      url,
      `https://eu-west-2.console.aws.amazon.com/states/home?region=eu-west-2#/v2/executions/details/${arn}`,
    );
  });
});

describe('toApiJob', () => {
  it("has every field of the seed's job, with the record's values", () => {
    const record = job();

    const api = toApiJob(record);

    for (const field of SEED_JOB_FIELDS) {
      assert.ok(field in api, field);
      assert.deepEqual(api[field as keyof typeof api], record[field as keyof JobRecord], field);
    }
    assert.deepEqual(Object.keys(api).slice(0, SEED_JOB_FIELDS.length), SEED_JOB_FIELDS);
  });

  it('adds the execution ARN and its console URL', () => {
    const record = job();

    const api = toApiJob(record);

    assert.equal(api.execution_arn, record.execution_arn);
    assert.equal(api.execution_console_url, executionConsoleUrl(record.execution_arn ?? ''));
    assert.match(api.execution_console_url ?? '', /^https:\/\/eu-west-2\.console\.aws\.amazon\.com\//);
  });

  it('has no console URL before the execution starts', () => {
    const api = toApiJob({ ...job(), execution_arn: null });

    assert.equal(api.execution_arn, null);
    assert.equal(api.execution_console_url, null);
  });

  it('does not expose the owner or the TTL', () => {
    const api = toApiJob(job());

    assert.ok(!('owner' in api));
    assert.ok(!('expires_at' in api));
  });

  it('reports chunk counts, tokens and the rounded cost', () => {
    const api = toApiJob(job());

    assert.deepEqual(api.chunks, { total: 5, skipped_from_checkpoint: 1, completed: 2, failed: 1 });
    assert.equal(api.tokens.total_tokens, 3300);
    assert.equal(api.cost_usd, 0.012346);
  });
});
