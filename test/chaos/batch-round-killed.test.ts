/**
 * Batch mode with "Run batch round" killed mid-round: the call taking in a finished batch
 * keeps a chunk (its cost settled, its chunk file and checkpoint entry written) and dies
 * before recording it or saving the rounds' state. Step Functions makes the call again, which
 * finds the batch finished once more: the chunk that call kept is recorded as it was kept, not
 * finished a second time, and its cost counts once in the job and in the month's budget.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { GeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { type InvocationHooks, outsideInvocation } from '../../local/lambda-runtime.ts';
import {
  type ChaosStack,
  type ChunkFileItem,
  startChaosStack,
  startJob,
  startSimulator,
  waitForJob,
} from './harness.ts';
import { checkChunkFigures, checkCounters, verifySectorOutput } from './verify.ts';

const SECTOR = 'education';

interface Kill {
  chunkKey: string;
  /** The chunk file as the killed call left it. */
  file: Promise<ChunkFileItem | undefined>;
}

/** Kills the first batch round call that writes a chunk's checkpoint entry, at its next DynamoDB request. */
function killAfterFirstCheckpoint(chaos: () => ChaosStack | undefined) {
  const seen = new Map<string, { chunkKey?: string; checkpointWritten: boolean }>();
  const state: { kill?: Kill } = {};
  const hooks: InvocationHooks = {
    onRequest: (request, info) => {
      if (state.kill || !/BatchRound/.test(info.logicalId ?? info.functionName)) return undefined;
      const progress = seen.get(info.requestId) ?? { checkpointWritten: false };
      seen.set(info.requestId, progress);
      const chunkFile = /\/checkpoints\/[^/]+\/([^/?]+)\.json(\?|$)/.exec(request.path);
      if (request.via === 'http' && request.method === 'PUT' && chunkFile) {
        progress.chunkKey = chunkFile[1];
      } else if (progress.chunkKey && request.target === 'DynamoDB_20120810.PutItem') {
        progress.checkpointWritten = true;
      } else if (progress.checkpointWritten && request.target?.startsWith('DynamoDB_')) {
        const stack = chaos();
        const chunkKey = progress.chunkKey ?? '';
        state.kill = {
          chunkKey,
          file: outsideInvocation(async () => stack?.store.chunkFile(stack.owner, chunkKey)),
        };
        return 'kill';
      }
      return undefined;
    },
  };
  return { hooks, state };
}

describe('batch mode, "Run batch round" killed after keeping a chunk', () => {
  let simulator: GeminiSimulator;
  let chaos: ChaosStack | undefined;
  let dataDir: string;
  const killer = killAfterFirstCheckpoint(() => chaos);

  beforeAll(async () => {
    simulator = await startSimulator({ seed: 7, batchLatencyMs: 500 });
    dataDir = await mkdtemp(join(tmpdir(), 'quizgen-chaos-batch-'));
    chaos = await startChaosStack({
      dataDir,
      simulatorUrl: simulator.url,
      hooks: killer.hooks,
      settings: { batchPollSeconds: 1 },
    });
  });

  afterAll(async () => {
    chaos?.store.destroy();
    await chaos?.stop();
    await simulator?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('records the kept chunk on the next call without finishing it again, and charges it once', async () => {
    const stack = chaos as ChaosStack;
    const jobId = await startJob(stack.api, '/generate/sector/async', {
      sector: SECTOR,
      mode: 'batch',
      max_cost_usd: 50,
    });
    const job = await waitForJob(stack.api, jobId);

    assert.equal(job.status, 'completed', job.error_message);
    const kill = killer.state.kill;
    assert.ok(kill, 'a batch round call was killed after keeping a chunk');
    const problems: string[] = [];
    const record = await stack.store.job(jobId);
    checkCounters(record, 'the job', problems);
    const output = await verifySectorOutput(stack, SECTOR, problems);
    checkChunkFigures(record, await stack.store.chunkRecords(jobId), output.chunkFiles, 'the job', problems);
    assert.deepEqual(problems, []);

    const killedFile = await kill.file;
    const finalFile = output.chunkFiles.get(kill.chunkKey);
    assert.ok(killedFile, `${kill.chunkKey}'s chunk file was there when the call was killed`);
    assert.equal(finalFile?.generated_at, killedFile.generated_at, `${kill.chunkKey} was finished again`);
    assert.deepEqual(
      finalFile?.questions.map((q) => q.id),
      killedFile.questions.map((q) => q.id),
    );

    // Settled once: what the job and the month committed is what the job cost.
    const committed = async (key: Record<string, string>) =>
      Number(
        (
          await stack.store.dynamo.send(
            new GetCommand({ TableName: stack.store.table, Key: key, ConsistentRead: true }),
          )
        ).Item?.committed_usd ?? 0,
      );
    const cost = record.cost_usd ?? 0;
    assert.ok(cost > 0);
    const month = new Date().toISOString().slice(0, 7);
    const jobCommitted = await committed({ pk: `JOB#${jobId}`, sk: 'JOB' });
    const monthCommitted = await committed({ pk: `BUDGET#${stack.owner}`, sk: `MONTH#${month}` });
    assert.ok(Math.abs(jobCommitted - cost) < 1e-9, `job committed $${jobCommitted}, cost $${cost}`);
    assert.ok(Math.abs(monthCommitted - cost) < 1e-9, `month committed $${monthCommitted}, cost $${cost}`);
  });
});
