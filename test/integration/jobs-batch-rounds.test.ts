/**
 * "Run batch round" and the paths that end a job, against dynalite, s3rver and the Gemini
 * simulator: a round past the inline size limit goes as several batches; a batch that fails or
 * expires as a whole gives its chunks another round and none is lost; and a job that ends with
 * a batch in flight (failed, orphaned, timed out, cancelled, deleted) has that batch cancelled,
 * so Gemini stops it and bills nothing more, even when the cancel itself fails.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import type { PlanOutput } from '#contract/pipeline.ts';
import type { JobRecord } from '#jobs/job.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { resetSimulator } from '../support/gemini.ts';
import { newJob, uniqueOwner } from '../support/jobs.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

const KEY = 'test-key';
const CHUNKS = [1, 2, 3].flatMap((level) => [
  `technology__FRONTEND_DEVELOPER__${level}`,
  `technology__BACKEND_DEVELOPER__${level}`,
]);

let sim: GeminiSimulator;
let aws: LocalAws;
let round: typeof import('#jobs/handlers/batch-round.ts');
let markFailed: typeof import('#jobs/handlers/mark-job-failed.ts');
let service: typeof import('#jobs/job-service.ts');
let store: typeof import('#jobs/job-store.ts');
let batchState: typeof import('#jobs/batch-state.ts');

/** Called when a batch submission reaches Gemini, before Gemini has it. */
let onBatchSubmitted: (() => Promise<unknown>) | undefined;

/** Gemini for the code under test: the simulator, behind a proxy that can act on a submission. */
const proxy = createServer(async (req, res) => {
  if (req.method === 'POST' && req.url?.endsWith(':batchGenerateContent')) await onBatchSubmitted?.();
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const key = req.headers['x-goog-api-key'];
  if (typeof key === 'string') headers['x-goog-api-key'] = key;
  const answer = await fetch(`${sim.url}${req.url}`, {
    method: req.method ?? 'GET',
    headers,
    ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
  });
  res.writeHead(answer.status, { 'content-type': 'application/json' }).end(await answer.text());
});

beforeAll(async () => {
  sim = await startGeminiSimulator({ apiKey: KEY });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const geminiUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  aws = await startLocalAws({ env: { GEMINI_BASE_URL: geminiUrl, GEMINI_API_KEY: KEY } });
  round = await import('#jobs/handlers/batch-round.ts');
  markFailed = await import('#jobs/handlers/mark-job-failed.ts');
  service = await import('#jobs/job-service.ts');
  store = await import('#jobs/job-store.ts');
  batchState = await import('#jobs/batch-state.ts');
});

afterAll(async () => {
  proxy.closeAllConnections();
  proxy.close();
  await sim?.close();
  await aws?.stop();
});

beforeEach(() => {
  resetSimulator(sim);
  sim.configure({
    apiKey: KEY,
    batchLatencyMs: 0,
    failFirstBatches: 0,
    expireFirstBatches: 0,
    batchExpiryMs: undefined,
  });
});

/** A running batch-mode job of a new owner, and the plan "Run batch round" is called with. */
async function batchJob(label: string, overrides: Partial<JobRecord> = {}) {
  const job = newJob(uniqueOwner(label), { status: 'running', mode: 'batch', ...overrides });
  await store.createJob(job);
  const plan: PlanOutput = {
    job_id: job.job_id,
    owner: job.owner,
    chunks: CHUNKS,
    stages: [CHUNKS],
    skipped_from_checkpoint: 0,
    mode: 'batch',
  };
  return { job, plan };
}

/** Calls "Run batch round" as the state machine's loop does, until it says done. */
async function runRounds(plan: PlanOutput, options: { inlineTargetBytes?: number } = {}) {
  for (let call = 0; call < 200; call++) {
    const output = await round.runBatchRound(plan, undefined, options);
    if (output.done) return output;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the batch rounds never ended');
}

async function stateOf(job: JobRecord) {
  const state = await batchState.loadBatchState(job);
  assert.ok(state, 'the rounds state is in S3');
  return state;
}

/** A job with its first round submitted and still running at Gemini. */
async function jobWithBatchInFlight(label: string, overrides: Partial<JobRecord> = {}) {
  sim.configure({ batchLatencyMs: 60_000 });
  const { job, plan } = await batchJob(label, overrides);
  const first = await round.runBatchRound(plan);
  assert.equal(first.done, false);
  const state = await stateOf(job);
  assert.equal(state.batches.length, 1);
  assert.equal(sim.stats().batches.created, 1);
  return { job, plan, batch: state.batches[0]?.name ?? '' };
}

/** The batch was cancelled at Gemini, answered nothing, and the job no longer lists it. */
async function assertCancelled(job: JobRecord, reason: RegExp) {
  const { batches } = sim.stats();
  assert.equal(batches.cancelled, 1, 'the batch was cancelled');
  assert.equal(batches.answered, 0, 'none of its requests was answered');
  assert.equal(batches.promptTokens + batches.candidatesTokens, 0, 'nothing was billed');
  const state = await stateOf(job);
  assert.deepEqual(state.batches, []);
  assert.equal(state.cancel?.cancelled.length, 1);
  assert.deepEqual(state.cancel?.failed, []);
  assert.match(state.cancel?.reason ?? '', reason);
}

describe('batch rounds', () => {
  it('sends a round past the inline size limit as several batches, and takes in all of them', async () => {
    const { job, plan } = await batchJob('split');
    // A limit that fits two of these requests (about 2.6 kB each): six chunks make three batches.
    const output = await runRounds(plan, { inlineTargetBytes: 6_000 });

    assert.ok(sim.stats().batches.created >= 3, `batches created: ${sim.stats().batches.created}`);
    assert.equal(output.chunk_results?.length, CHUNKS.length);
    assert.deepEqual(
      output.chunk_results?.filter((r) => r.status !== 'completed'),
      [],
      'every chunk completed',
    );
    const record = await store.getJob(job.job_id);
    assert.equal(record?.chunks_completed, CHUNKS.length);
  });

  it('refuses to send one batch past the inline size limit', async () => {
    const { plan } = await batchJob('one-too-big');
    await assert.rejects(round.runBatchRound(plan, undefined, { inlineTargetBytes: 100 }), /inline requests/);
    assert.equal(sim.stats().batches.created, 0);
  });

  it('reads rounds state saved with one batch_name as that batch, carrying the open chunks', async () => {
    const { job } = await batchJob('legacy-state');
    const results = await import('#jobs/results-store.ts');
    const { s3Keys } = await import('#platform/keys.ts');
    const open = { status: 'open', repair: { kept: [] }, failed_requests: 0 };
    await results.putJson(s3Keys.batchState(job.owner, job.job_id), {
      job_id: job.job_id,
      round: 1,
      batch_name: 'batches/legacy',
      submitted_at: new Date().toISOString(),
      chunks: { a: open, b: { ...open, status: 'completed' }, c: open },
    });
    const state = await stateOf(job);
    assert.deepEqual(state.batches, [{ name: 'batches/legacy', keys: ['a', 'c'] }]);
    assert.equal(state.batch_name, undefined);
  });

  for (const [ending, config, counter] of [
    ['fails', { failFirstBatches: 1 }, 'failedBatches'],
    ['expires', { expireFirstBatches: 1, batchExpiryMs: 50 }, 'expired'],
  ] as const) {
    it(`gives the chunks of a batch that ${ending} another round, losing none`, async () => {
      sim.configure(config);
      const { job, plan } = await batchJob(`batch-${ending}`);
      const output = await runRounds(plan);

      assert.equal(sim.stats().batches[counter], 1);
      assert.equal(sim.stats().batches.created, 2, 'round 2 asked again for every chunk');
      assert.deepEqual(
        output.chunk_results?.map((r) => r.status),
        CHUNKS.map(() => 'completed'),
      );
      const record = await store.getJob(job.job_id);
      assert.equal(record?.chunks_completed, CHUNKS.length);
      assert.equal(record?.chunks_failed, 0);
    });
  }
});

describe('a job ending with a batch in flight', () => {
  it('cancels the batch when the job fails ("Mark job failed")', async () => {
    const { job } = await jobWithBatchInFlight('mark-failed');
    await markFailed.markJobFailed({
      job_id: job.job_id,
      owner: job.owner,
      error: { Error: 'States.TaskFailed', Cause: 'Assemble results failed' },
    });
    assert.equal((await store.getJob(job.job_id))?.status, 'failed');
    await assertCancelled(job, /failed/);
  });

  it('cancels the batch when the execution ended without finalizing the job', async () => {
    const { job } = await jobWithBatchInFlight('orphaned');
    await service.markOrphaned(job.job_id, 'The execution ended with status TIMED_OUT');
    await assertCancelled(job, /TIMED_OUT/);
  });

  it('cancels the batch when the job passes its time limit', async () => {
    const { job } = await jobWithBatchInFlight('timed-out');
    const current = (await store.getJob(job.job_id)) as JobRecord;
    await service.timeOut({ ...current, deadline_at: new Date(Date.now() - 1000).toISOString() });
    await assertCancelled(job, /timed out/);
  });

  it('cancels the batch when the job is cancelled, and a later round call submits nothing', async () => {
    const { job, plan } = await jobWithBatchInFlight('cancelled');
    const cancelled = await service.cancelJob(job.owner, job.job_id);
    assert.equal(cancelled.status, 'cancelled');
    await assertCancelled(job, /cancelled/);

    const after = await round.runBatchRound(plan);
    assert.equal(after.done, true);
    assert.equal(sim.stats().batches.created, 1);
  });

  it('cancels the batch when the job is deleted', async () => {
    const { job } = await jobWithBatchInFlight('deleted');
    await service.deleteJob(job.owner, job.job_id);
    await assertCancelled(job, /deleted/);
  });

  it('cancels a batch submitted by a round that ran while the job was being cancelled', async () => {
    sim.configure({ batchLatencyMs: 60_000 });
    const { job, plan } = await batchJob('race');
    // The job is cancelled (finding no batch to cancel yet) just as the round submits its batch.
    onBatchSubmitted = () => store.updateJob(job, { status: 'cancelled' }, ['running']);
    try {
      const output = await round.runBatchRound(plan);
      assert.equal(output.done, true);
    } finally {
      onBatchSubmitted = undefined;
    }
    assert.equal((await store.getJob(job.job_id))?.status, 'cancelled');
    await assertCancelled(job, /cancelled/);
  });

  it('ends the job even when Gemini refuses the cancel, and records why', async () => {
    const { job } = await jobWithBatchInFlight('cancel-refused');
    sim.configure({ apiKey: 'another-key' });
    await markFailed.markJobFailed({
      job_id: job.job_id,
      owner: job.owner,
      error: { Error: 'Boom', Cause: 'x' },
    });

    assert.equal((await store.getJob(job.job_id))?.status, 'failed');
    const state = await stateOf(job);
    assert.equal(state.cancel?.failed.length, 1);
    assert.match(state.cancel?.failed[0]?.error ?? '', /API key not valid/);
    assert.equal(sim.stats().batches.cancelled, 0);
  });

  it('does nothing for a job not in batch mode', async () => {
    const job = newJob(uniqueOwner('interactive'), { status: 'running' });
    await store.createJob(job);
    assert.equal(await batchState.cancelJobBatches(job, 'test'), undefined);
  });
});
