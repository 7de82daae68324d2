/**
 * A chunk kept by one delivery and found again by the next, against dynalite, s3rver and the
 * Gemini simulator: the cost is settled before anything of the chunk is kept, and what
 * generating it returned comes back from the checkpoint (quiz banks) or the chunk's record
 * (assessments) for the same job only, without a model call.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import type { GenerationSettings } from '#platform/config.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { fixture } from '../support/fixtures.ts';
import { resetSimulator } from '../support/gemini.ts';
import { uniqueOwner } from '../support/jobs.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type Generator = typeof import('#kinds');
type JobStore = typeof import('#jobs/job-store.ts');

let sim: GeminiSimulator;
let aws: LocalAws;
let generator: Generator;
let store: JobStore;

beforeAll(async () => {
  sim = await startGeminiSimulator();
  aws = await startLocalAws({ env: { GEMINI_BASE_URL: sim.url } });
  generator = await import('#kinds');
  store = await import('#jobs/job-store.ts');
});

afterAll(async () => {
  await sim?.close();
  await aws?.stop();
});

beforeEach(() => resetSimulator(sim));

const CHUNK = 'technology__FRONTEND_DEVELOPER__1';
/** The chunk's record as an attempt leaves it until its outcome is recorded. */
const RUNNING = { chunk_key: CHUNK, status: 'running', attempts: 1 };
const ASSESSMENT_CHUNK = 'assessment__apply__1';
const ASSESSMENT = {
  job_type: 'assessment' as const,
  parameters: { query: 'HTTP caching', bloom_mix: { apply: 2 } },
};

function input(owner: string, overrides: Partial<Parameters<Generator['generateChunk']>[0]> = {}) {
  return {
    jobId: randomUUID(),
    owner,
    chunkKey: CHUNK,
    attempt: 1,
    apiKey: 'test-key',
    settings: fixture<GenerationSettings>('generation-settings.json'),
    deadline: Date.now() + 60_000,
    ...overrides,
  };
}

async function exists(key: string): Promise<boolean> {
  try {
    await aws.s3Client.send(new HeadObjectCommand({ Bucket: aws.bucketName, Key: key }));
    return true;
  } catch {
    return false;
  }
}

describe('a quiz chunk kept by its job', () => {
  it('settles its cost before the chunk file and the checkpoint entry are written', async () => {
    const owner = uniqueOwner('settle-first');
    const settled: { costUsd: number; fileThere: boolean; entryThere: boolean }[] = [];

    const result = await generator.generateChunk(
      input(owner, {
        settleCost: async (costUsd) => {
          settled.push({
            costUsd,
            fileThere: await exists(`checkpoints/${owner}/${CHUNK}.json`),
            entryThere: (await store.getCheckpoint(owner, CHUNK)) !== undefined,
          });
        },
      }),
    );

    assert.deepEqual(settled, [{ costUsd: result.costUsd, fileThere: false, entryThere: false }]);
    assert.ok(result.costUsd > 0);
  });

  it('is found again by the same job with what generating it returned, without a model call', async () => {
    const owner = uniqueOwner('kept');
    const run = input(owner);
    const generated = await generator.generateChunk(run);
    const calls = sim.stats().totalCalls;

    const kept = await generator.keptByThisJob(
      { job_id: run.jobId, owner, job_type: 'career_level' },
      CHUNK,
      RUNNING,
    );

    assert.deepEqual(kept, { ...generated, calls: 1 });
    assert.ok(kept?.quality, 'the quality figures come back');
    assert.equal(sim.stats().totalCalls, calls);
  });

  it('is not looked for on a first delivery: without a chunk record no worker can have kept it', async () => {
    const owner = uniqueOwner('first-delivery');
    const run = input(owner);
    await generator.generateChunk(run);
    const job = { job_id: run.jobId, owner, job_type: 'career_level' as const };

    assert.equal(await generator.keptByThisJob(job, CHUNK, undefined), undefined);
    assert.ok(
      await generator.keptByThisJob({ ...job, mode: 'batch' }, CHUNK, undefined),
      'a batch round can have',
    );
  });

  it("is not another job's: a checkpoint entry of an earlier job is generated again", async () => {
    const owner = uniqueOwner('other-job');
    await generator.generateChunk(input(owner));

    const kept = await generator.keptByThisJob(
      { job_id: randomUUID(), owner, job_type: 'career_level' },
      CHUNK,
      RUNNING,
    );

    assert.equal(kept, undefined);
  });

  it('is not found from an entry written before entries kept their figures', async () => {
    const owner = uniqueOwner('old-entry');
    const jobId = randomUUID();
    await store.putCheckpoint(owner, {
      chunk_key: CHUNK,
      s3_key: `checkpoints/${owner}/${CHUNK}.json`,
      questions: 5,
      job_id: jobId,
      completed_at: new Date().toISOString(),
    });

    const kept = await generator.keptByThisJob({ job_id: jobId, owner, job_type: 'sector' }, CHUNK, RUNNING);

    assert.equal(kept, undefined);
    assert.deepEqual(
      (await store.listCheckpoint(owner)).map((e) => [e.chunk_key, e.job_id, e.questions]),
      [[CHUNK, jobId, 5]],
    );
  });
});

describe('an assessment chunk kept by its job', () => {
  it("is noted on the chunk's record after its file, and found again from the record", async () => {
    const owner = uniqueOwner('assessment-kept');
    const jobId = randomUUID();
    const expiresAt = Math.floor(Date.now() / 1000) + 3600;
    await store.startChunkAttempt({ job_id: jobId, expires_at: expiresAt }, ASSESSMENT_CHUNK);
    let settledWithFile: boolean | undefined;

    const generated = await generator.generateChunk(
      input(owner, {
        jobId,
        chunkKey: ASSESSMENT_CHUNK,
        job: ASSESSMENT,
        settleCost: async () => {
          settledWithFile = await exists(`assessments/${owner}/${jobId}/chunks/${ASSESSMENT_CHUNK}.json`);
        },
      }),
    );
    const calls = sim.stats().totalCalls;
    const record = await store.getChunkRecord(jobId, ASSESSMENT_CHUNK);

    assert.equal(settledWithFile, false);
    assert.equal(generated.questions, 2);
    const kept = await generator.keptByThisJob(
      { job_id: jobId, owner, job_type: 'assessment' },
      ASSESSMENT_CHUNK,
      record,
    );
    assert.deepEqual(kept, { ...generated, calls });
    assert.equal(sim.stats().totalCalls, calls);
  });

  it('has nothing to be found by before a delivery keeps it', async () => {
    const owner = uniqueOwner('assessment-none');
    const jobId = randomUUID();
    await store.startChunkAttempt({ job_id: jobId, expires_at: 0 }, ASSESSMENT_CHUNK);

    const record = await store.getChunkRecord(jobId, ASSESSMENT_CHUNK);
    const kept = await generator.keptByThisJob(
      { job_id: jobId, owner, job_type: 'assessment' },
      ASSESSMENT_CHUNK,
      record,
    );

    assert.equal(kept, undefined);
  });
});
