import assert from 'node:assert/strict';
import { QueryCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { JobRecord, JobStatus } from '#jobs/job.ts';
import { newJob, uniqueOwner } from '../support/jobs.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type JobStore = typeof import('#jobs/job-store.ts');

let aws: LocalAws;
let store: JobStore;

beforeAll(async () => {
  aws = await startLocalAws();
  store = await import('#jobs/job-store.ts');
});

afterAll(async () => {
  await aws?.stop();
});

/** Created at a given minute of one day, so "newest first" has a known answer. */
const at = (minute: number) => new Date(Date.UTC(2025, 11, 19, 10, minute)).toISOString();

async function createJobs(
  owner: string,
  specs: { minute: number; status?: JobStatus }[],
): Promise<JobRecord[]> {
  const created: JobRecord[] = [];
  for (const spec of specs) {
    const job = newJob(owner, { created_at: at(spec.minute), status: spec.status ?? 'pending' });
    await store.createJob(job);
    created.push(job);
  }
  return created;
}

const outcome = (
  jobId: string,
  chunkKey: string,
  overrides: Partial<Parameters<JobStore['recordChunkOutcome']>[0]> = {},
) => ({
  jobId,
  chunkKey,
  status: 'completed' as const,
  questions: 5,
  costUsd: 0.001,
  input_tokens: 100,
  output_tokens: 200,
  thinking_tokens: 30,
  cached_tokens: 10,
  message: `Generated ${chunkKey}`,
  ...overrides,
});

describe('job store', () => {
  describe('createJob / getJob', () => {
    it('reads back exactly the job it stored, without the table keys', async () => {
      const job = newJob(uniqueOwner('create'));

      await store.createJob(job);
      const read = await store.getJob(job.job_id);

      assert.deepEqual(read, job);
    });

    it('refuses to create a job whose id exists', async () => {
      const job = newJob(uniqueOwner('create-twice'));
      await store.createJob(job);

      await assert.rejects(store.createJob({ ...job, status: 'running' }), {
        name: 'ConditionalCheckFailedException',
      });
      assert.equal((await store.getJob(job.job_id))?.status, 'pending');
    });

    it('gives undefined for a job that does not exist', async () => {
      assert.equal(await store.getJob('00000000-0000-4000-8000-000000000000'), undefined);
    });
  });

  describe('listJobs', () => {
    it("lists an owner's jobs newest first, whatever order they were created in", async () => {
      const owner = uniqueOwner('list');
      const jobs = await createJobs(owner, [
        { minute: 3 },
        { minute: 1 },
        { minute: 5 },
        { minute: 2 },
        { minute: 4 },
      ]);

      const page = await store.listJobs(owner, undefined, 50, 0);

      assert.equal(page.total, 5);
      assert.deepEqual(
        page.jobs.map((j) => j.created_at),
        [5, 4, 3, 2, 1].map(at),
      );
      assert.deepEqual(new Set(page.jobs.map((j) => j.job_id)), new Set(jobs.map((j) => j.job_id)));
      assert.ok(page.jobs.every((j) => !('gsi1pk' in j) && !('pk' in j)));
    });

    it('does not list the jobs of another owner', async () => {
      const owner = uniqueOwner('mine');
      await createJobs(owner, [{ minute: 1 }]);
      await createJobs(uniqueOwner('theirs'), [{ minute: 2 }, { minute: 3 }]);

      const page = await store.listJobs(owner, undefined, 50, 0);

      assert.equal(page.total, 1);
      assert.equal(page.jobs.length, 1);
    });

    it('filters by status, newest first, with the total of that status', async () => {
      const owner = uniqueOwner('status');
      await createJobs(owner, [
        { minute: 1, status: 'failed' },
        { minute: 2, status: 'completed' },
        { minute: 3, status: 'failed' },
        { minute: 4, status: 'running' },
        { minute: 5, status: 'failed' },
      ]);

      const failed = await store.listJobs(owner, 'failed', 50, 0);
      const cancelled = await store.listJobs(owner, 'cancelled', 50, 0);

      assert.equal(failed.total, 3);
      assert.deepEqual(
        failed.jobs.map((j) => [j.created_at, j.status]),
        [5, 3, 1].map((m) => [at(m), 'failed']),
      );
      assert.deepEqual(cancelled, { jobs: [], total: 0 });
    });

    it('pages with limit and offset and always reports the full total', async () => {
      const owner = uniqueOwner('page');
      await createJobs(
        owner,
        [1, 2, 3, 4, 5, 6, 7].map((minute) => ({ minute })),
      );

      const first = await store.listJobs(owner, undefined, 3, 0);
      const second = await store.listJobs(owner, undefined, 3, 3);
      const last = await store.listJobs(owner, undefined, 3, 6);
      const beyond = await store.listJobs(owner, undefined, 3, 10);

      assert.deepEqual(
        first.jobs.map((j) => j.created_at),
        [7, 6, 5].map(at),
      );
      assert.deepEqual(
        second.jobs.map((j) => j.created_at),
        [4, 3, 2].map(at),
      );
      assert.deepEqual(
        last.jobs.map((j) => j.created_at),
        [at(1)],
      );
      assert.deepEqual(beyond.jobs, []);
      for (const page of [first, second, last, beyond]) assert.equal(page.total, 7);
    });
  });

  describe('updateJob', () => {
    it('moves a job from one status list to the other when its status changes', async () => {
      const owner = uniqueOwner('move');
      const [job] = await createJobs(owner, [{ minute: 1, status: 'pending' }]);
      assert.ok(job);

      const updated = await store.updateJob(job, { status: 'running', progress_percent: 5 });

      assert.equal(updated?.status, 'running');
      assert.equal(updated?.progress_percent, 5);
      assert.deepEqual(await store.listJobs(owner, 'pending', 50, 0), { jobs: [], total: 0 });
      const running = await store.listJobs(owner, 'running', 50, 0);
      assert.deepEqual(
        running.jobs.map((j) => j.job_id),
        [job.job_id],
      );
      assert.equal((await store.getJob(job.job_id))?.status, 'running');
    });

    it('returns the stored record after the change, without table keys', async () => {
      const [job] = await createJobs(uniqueOwner('returns'), [{ minute: 1 }]);
      assert.ok(job);

      const updated = await store.updateJob(job, { progress_message: 'Planning' });

      assert.deepEqual(updated, await store.getJob(job.job_id));
      assert.ok(updated && !('pk' in updated) && !('gsi2pk' in updated));
      assert.notEqual(updated?.updated_at, job.updated_at);
    });

    it('with `from`, refuses to change a job in a terminal status and leaves it as it was', async () => {
      const [job] = await createJobs(uniqueOwner('terminal'), [{ minute: 1, status: 'completed' }]);
      assert.ok(job);

      const result = await store.updateJob(
        job,
        { status: 'cancelled', progress_message: 'Cancelled by request' },
        ['pending', 'running'],
      );

      assert.equal(result, undefined);
      const stored = await store.getJob(job.job_id);
      assert.equal(stored?.status, 'completed');
      assert.equal(stored?.progress_message, job.progress_message);
    });

    it('with `from`, changes a job whose status is listed', async () => {
      const [job] = await createJobs(uniqueOwner('from-ok'), [{ minute: 1, status: 'running' }]);
      assert.ok(job);

      const result = await store.updateJob(job, { status: 'cancelled' }, ['pending', 'running']);

      assert.equal(result?.status, 'cancelled');
    });

    it('does not bring a deleted job back', async () => {
      const job = newJob(uniqueOwner('ghost'));

      const result = await store.updateJob(job, { status: 'failed' });

      assert.equal(result, undefined);
      assert.equal(await store.getJob(job.job_id), undefined);
    });
  });

  describe('expiry', () => {
    it('hides a job whose expires_at has passed from get and list, before the TTL sweep removes it', async () => {
      const owner = uniqueOwner('expired');
      const past = Math.floor(Date.now() / 1000) - 60;
      const expired = newJob(owner, { created_at: at(2), expires_at: past, status: 'failed' });
      const live = newJob(owner, { created_at: at(1), status: 'failed' });
      await store.createJob(expired);
      await store.createJob(live);

      assert.equal(await store.getJob(expired.job_id), undefined);
      const all = await store.listJobs(owner, undefined, 50, 0);
      const failed = await store.listJobs(owner, 'failed', 50, 0);
      assert.deepEqual(
        all.jobs.map((j) => j.job_id),
        [live.job_id],
      );
      assert.equal(all.total, 1);
      assert.deepEqual(
        failed.jobs.map((j) => j.job_id),
        [live.job_id],
      );
      assert.equal(failed.total, 1);
    });
  });

  describe('recordChunkOutcome', () => {
    it('adds 20 concurrent outcomes to the counters exactly, and ends at 95 % with 20/20 chunks', async () => {
      const job = newJob(uniqueOwner('concurrent'), {
        status: 'running',
        chunks_planned: 20,
        progress_percent: 5,
      });
      await store.createJob(job);
      const outcomes = Array.from({ length: 20 }, (_, i) =>
        outcome(
          job.job_id,
          `technology__CAREER_${i}__1`,
          i < 15 ? {} : { status: 'failed', questions: 0, error: 'x' },
        ),
      );

      await Promise.all(outcomes.map((o) => store.recordChunkOutcome(o)));

      const stored = await store.getJob(job.job_id);
      assert.ok(stored);
      assert.equal(stored.chunks_completed, 15);
      assert.equal(stored.chunks_failed, 5);
      assert.equal(stored.questions_generated, 75);
      assert.equal(stored.input_tokens, 2000);
      assert.equal(stored.output_tokens, 4000);
      assert.equal(stored.thinking_tokens, 600);
      assert.equal(stored.cached_tokens, 200);
      assert.ok(Math.abs(stored.cost_usd - 0.02) < 1e-9, String(stored.cost_usd));
      assert.equal(stored.progress_percent, 95);
      assert.match(stored.progress_message ?? '', /\(20\/20 chunks\)$/);
      const records = await store.listChunkRecords(job.job_id);
      assert.equal(records.length, 20);
      assert.equal(records.filter((r) => r.status === 'completed').length, 15);
      assert.equal(records.filter((r) => r.status === 'failed').length, 5);
    });

    it('counts a chunk once when its outcome is recorded twice (an SQS redelivery)', async () => {
      const job = newJob(uniqueOwner('redelivery'), {
        status: 'running',
        chunks_planned: 2,
        progress_percent: 5,
      });
      await store.createJob(job);
      const done = outcome(job.job_id, 'technology__FRONTEND_DEVELOPER__1');

      await store.recordChunkOutcome(done);
      await store.recordChunkOutcome(done);

      const stored = await store.getJob(job.job_id);
      assert.equal(stored?.chunks_completed, 1);
      assert.equal(stored?.questions_generated, 5);
      assert.equal(stored?.progress_percent, 50);
    });

    it('never moves progress backward', async () => {
      const job = newJob(uniqueOwner('forward'), {
        status: 'running',
        chunks_planned: 10,
        progress_percent: 80,
      });
      await store.createJob(job);

      const updated = await store.recordChunkOutcome(
        outcome(job.job_id, 'technology__FRONTEND_DEVELOPER__1'),
      );

      assert.equal(updated?.chunks_completed, 1);
      const stored = await store.getJob(job.job_id);
      assert.equal(stored?.progress_percent, 80);
      assert.equal(stored?.chunks_completed, 1);
    });

    it('moves progress forward as outcomes arrive', async () => {
      const job = newJob(uniqueOwner('progress'), {
        status: 'running',
        chunks_planned: 2,
        progress_percent: 5,
      });
      await store.createJob(job);

      await store.recordChunkOutcome(outcome(job.job_id, 'technology__FRONTEND_DEVELOPER__1'));
      const half = await store.getJob(job.job_id);

      assert.equal(half?.progress_percent, 50);
      assert.equal(half?.progress_message, 'Generated technology__FRONTEND_DEVELOPER__1 (1/2 chunks)');
    });

    it('does not touch the progress of a job that is no longer running', async () => {
      const job = newJob(uniqueOwner('cancelled'), {
        status: 'cancelled',
        chunks_planned: 2,
        progress_percent: 30,
      });
      await store.createJob(job);

      await store.recordChunkOutcome(outcome(job.job_id, 'technology__FRONTEND_DEVELOPER__1'));

      assert.equal((await store.getJob(job.job_id))?.progress_percent, 30);
    });

    it('returns undefined, and creates no job, for a job that was deleted', async () => {
      const job = newJob(uniqueOwner('deleted'));

      const result = await store.recordChunkOutcome(outcome(job.job_id, 'technology__FRONTEND_DEVELOPER__1'));

      assert.equal(result, undefined);
      assert.equal(await store.getJob(job.job_id), undefined);
    });

    it('leaves no chunk record behind for a job that was deleted (nothing would ever remove it)', async () => {
      const job = newJob(uniqueOwner('orphan'), { status: 'running', chunks_planned: 1 });
      await store.createJob(job);
      await store.deleteJob(job.job_id);

      await store.recordChunkOutcome(outcome(job.job_id, 'technology__FRONTEND_DEVELOPER__1'));

      assert.deepEqual(await store.listChunkRecords(job.job_id), []);
    });

    it("gives chunk records an expiry no earlier than the job's, so DynamoDB's TTL removes them too", async () => {
      const job = newJob(uniqueOwner('ttl'), { status: 'running', chunks_planned: 2 });
      await store.createJob(job);

      await store.startChunkAttempt(job, 'technology__FRONTEND_DEVELOPER__1');
      await store.recordChunkOutcome(outcome(job.job_id, 'technology__FRONTEND_DEVELOPER__2'));

      const { Items = [] } = await aws.dynamoClient.send(
        new QueryCommand({
          TableName: aws.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: `JOB#${job.job_id}` } },
        }),
      );
      assert.equal(Items.length, 3);
      for (const item of Items) {
        const expiresAt = Number(item.expires_at?.N);
        assert.ok(
          Number.isInteger(expiresAt) && expiresAt >= job.expires_at,
          `${item.sk?.S} expires at ${item.expires_at?.N}`,
        );
      }
    });
  });

  describe('startChunkAttempt', () => {
    it('counts the attempts of a chunk', async () => {
      const job = newJob(uniqueOwner('attempts'));
      await store.createJob(job);

      const first = await store.startChunkAttempt(job, 'technology__FRONTEND_DEVELOPER__1');
      const second = await store.startChunkAttempt(job, 'technology__FRONTEND_DEVELOPER__1');

      assert.deepEqual([first, second], [1, 2]);
      const [record] = await store.listChunkRecords(job.job_id);
      assert.deepEqual(
        { key: record?.chunk_key, status: record?.status, attempts: record?.attempts },
        { key: 'technology__FRONTEND_DEVELOPER__1', status: 'running', attempts: 2 },
      );
    });
  });

  describe('checkpoint', () => {
    const entry = (chunkKey: string, jobId = 'job-1') => ({
      chunk_key: chunkKey,
      s3_key: `checkpoints/owner/${chunkKey}.json`,
      questions: 25,
      job_id: jobId,
      completed_at: '2025-12-19T10:00:00.000Z',
    });

    it('lists what was put, per owner', async () => {
      const owner = uniqueOwner('ckpt');
      const keys = [
        'technology__FRONTEND_DEVELOPER__1',
        'technology__FRONTEND_DEVELOPER__2',
        'soft_skills__COMMUNICATION',
      ];
      for (const key of keys) await store.putCheckpoint(owner, entry(key));
      await store.putCheckpoint(uniqueOwner('other'), entry('finance__ACCOUNTANT__1'));

      const listed = await store.listCheckpoint(owner);

      assert.deepEqual(
        listed.sort((a, b) => a.chunk_key.localeCompare(b.chunk_key)),
        keys.map((k) => entry(k)).sort((a, b) => a.chunk_key.localeCompare(b.chunk_key)),
      );
    });

    it('lists only the keys that start with a prefix', async () => {
      const owner = uniqueOwner('prefix');
      for (const key of [
        'technology__FRONTEND_DEVELOPER__1',
        'technology__FRONTEND_DEVELOPER__3',
        'technology__FULLSTACK_DEVELOPER__1',
        'technology__BACKEND_DEVELOPER__1',
      ]) {
        await store.putCheckpoint(owner, entry(key));
      }

      const listed = await store.listCheckpoint(owner, 'technology__FRONTEND_DEVELOPER__');

      assert.deepEqual(listed.map((e) => e.chunk_key).sort(), [
        'technology__FRONTEND_DEVELOPER__1',
        'technology__FRONTEND_DEVELOPER__3',
      ]);
    });

    it('replaces the entry of a chunk generated again', async () => {
      const owner = uniqueOwner('replace');
      await store.putCheckpoint(owner, entry('technology__FRONTEND_DEVELOPER__1', 'job-1'));

      await store.putCheckpoint(owner, entry('technology__FRONTEND_DEVELOPER__1', 'job-2'));

      assert.deepEqual(
        (await store.listCheckpoint(owner)).map((e) => e.job_id),
        ['job-2'],
      );
    });

    it('tells which of more than 100 keys are checkpointed', async () => {
      const owner = uniqueOwner('many');
      const stored = Array.from({ length: 130 }, (_, i) => `sector__CAREER_${i}__1`);
      await Promise.all(stored.map((key) => store.putCheckpoint(owner, entry(key))));
      const missing = Array.from({ length: 120 }, (_, i) => `sector__CAREER_${i}__2`);
      const asked = [...missing.slice(0, 60), ...stored, ...missing.slice(60)];

      const found = await store.checkpointedKeys(owner, asked);

      assert.equal(found.size, 130);
      assert.deepEqual([...found].sort(), [...stored].sort());
    });

    it('finds nothing for an owner without a checkpoint, or for no keys', async () => {
      assert.equal(
        (await store.checkpointedKeys(uniqueOwner('empty'), ['technology__FRONTEND_DEVELOPER__1'])).size,
        0,
      );
      assert.equal((await store.checkpointedKeys(uniqueOwner('empty'), [])).size, 0);
    });
  });

  describe('question banks', () => {
    const scope = 'technology__FRONTEND_DEVELOPER';

    it("lists what every chunk added, with its chunk, and removes a chunk's own entries", async () => {
      const owner = uniqueOwner('bank');
      await store.addToBank(owner, scope, 'technology__FRONTEND_DEVELOPER__1', [
        { question_id: 'q1', text: 'What is a closure?' },
        { question_id: 'q2', text: 'What does CSS stand for?' },
      ]);
      await store.addToBank(owner, scope, 'technology__FRONTEND_DEVELOPER__2', [
        { question_id: 'q3', text: 'What is the DOM?' },
      ]);

      await store.removeFromBank(owner, scope, 'technology__FRONTEND_DEVELOPER__1', ['q2']);

      const entries = await store.listBank(owner, scope);
      assert.deepEqual(entries.map((e) => [e.chunk_key, e.question_id, e.text]).sort(), [
        ['technology__FRONTEND_DEVELOPER__1', 'q1', 'What is a closure?'],
        ['technology__FRONTEND_DEVELOPER__2', 'q3', 'What is the DOM?'],
      ]);
    });

    it('keeps banks apart per scope and per owner', async () => {
      const owner = uniqueOwner('bank-scopes');
      await store.addToBank(owner, scope, 'technology__FRONTEND_DEVELOPER__1', [
        { question_id: 'q', text: 'A?' },
      ]);

      assert.equal((await store.listBank(owner, 'technology__BACKEND_DEVELOPER')).length, 0);
      assert.equal((await store.listBank(uniqueOwner('other'), scope)).length, 0);
      assert.equal((await store.listBank(owner, scope)).length, 1);
    });

    it('writes and reads more than one batch (25) of entries', async () => {
      const owner = uniqueOwner('bank-many');
      const entries = Array.from({ length: 60 }, (_, i) => ({
        question_id: `q${i}`,
        text: `Question ${i}?`,
      }));
      await store.addToBank(owner, scope, 'technology__FRONTEND_DEVELOPER__1', entries);

      assert.equal((await store.listBank(owner, scope)).length, 60);
    });
  });

  describe('deleteJob', () => {
    it('removes the job and all its chunk records but keeps the checkpoint', async () => {
      const owner = uniqueOwner('delete');
      const job = newJob(owner, { status: 'running', chunks_planned: 30 });
      await store.createJob(job);
      const keys = Array.from({ length: 30 }, (_, i) => `construction__CAREER_${i}__1`);
      await Promise.all(keys.map((key) => store.startChunkAttempt(job, key)));
      await store.putCheckpoint(owner, {
        chunk_key: 'construction__CAREER_0__1',
        s3_key: 'checkpoints/x.json',
        questions: 5,
        job_id: job.job_id,
        completed_at: '2025-12-19T10:00:00.000Z',
      });
      assert.equal((await store.listChunkRecords(job.job_id)).length, 30);

      await store.deleteJob(job.job_id);

      assert.equal(await store.getJob(job.job_id), undefined);
      assert.deepEqual(await store.listChunkRecords(job.job_id), []);
      assert.deepEqual(await store.listJobs(owner, undefined, 50, 0), { jobs: [], total: 0 });
      assert.deepEqual(
        (await store.listCheckpoint(owner)).map((e) => e.chunk_key),
        ['construction__CAREER_0__1'],
      );
    });

    it('does not touch other jobs', async () => {
      const owner = uniqueOwner('delete-one');
      const [kept, removed] = await createJobs(owner, [{ minute: 1 }, { minute: 2 }]);
      assert.ok(kept && removed);

      await store.deleteJob(removed.job_id);

      assert.deepEqual(await store.getJob(kept.job_id), kept);
    });
  });
});
