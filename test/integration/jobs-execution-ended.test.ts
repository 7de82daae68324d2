/**
 * "Execution ended" (the EventBridge rule's function) fails the job whose execution failed, timed
 * out or was aborted, whichever run of the job it was: a retried job runs as `<job_id>-retry-<n>`.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { EventBridgeEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ExecutionStatusChange } from '#jobs/handlers/execution-ended.ts';
import type { JobRecord } from '#jobs/job.ts';
import { newJob, uniqueOwner } from '../support/jobs.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';

type Handler = typeof import('#jobs/handlers/execution-ended.ts');
type JobStore = typeof import('#jobs/job-store.ts');
type RateLimits = typeof import('#content/api/rate-limits.ts');

let aws: LocalAws;
let handler: Handler;
let store: JobStore;
let slots: RateLimits;
let receiver: Server;
let webhookUrl: string;
/** Bodies of the webhook calls received, as JSON. */
const webhooks: Record<string, unknown>[] = [];

const ARN_PREFIX = 'arn:aws:states:us-east-1:000000000000:execution:Pipeline';

beforeAll(async () => {
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      webhooks.push(JSON.parse(body) as Record<string, unknown>);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  webhookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  aws = await startLocalAws({
    env: {
      WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
      WEBHOOK_SIGNING_SECRET: 'a-test-signing-secret-of-at-least-32-chars',
    },
  });
  handler = await import('#jobs/handlers/execution-ended.ts');
  store = await import('#jobs/job-store.ts');
  slots = await import('#content/api/rate-limits.ts');
});

afterAll(async () => {
  await aws?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

/** The event as EventBridge delivers it (cw-events.html), for one run of `job`. */
function statusChange(
  job: JobRecord,
  executionName: string,
  overrides: Partial<ExecutionStatusChange> = {},
): EventBridgeEvent<string, ExecutionStatusChange> {
  const executionArn = `${ARN_PREFIX}:${executionName}`;
  return {
    version: '0',
    id: 'c0ffee00-0000-4000-8000-000000000000',
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    account: '000000000000',
    time: '2026-12-06T01:00:00Z',
    region: 'us-east-1',
    resources: [executionArn],
    detail: {
      executionArn,
      name: executionName,
      status: 'FAILED',
      input: JSON.stringify({ job_id: job.job_id, owner: job.owner }),
      ...overrides,
    },
  };
}

/** A running content job on its `run`-th execution, holding one of its owner's job slots. */
async function runningContentJob(executionName: (jobId: string) => string): Promise<JobRecord> {
  const owner = uniqueOwner('ended');
  const job = newJob(owner, { job_type: 'content', status: 'running', parameters: { topic: 'Tides' } });
  job.execution_arn = `${ARN_PREFIX}:${executionName(job.job_id)}`;
  await store.createJob(job, 'content');
  assert.ok((await slots.acquireJobSlot(owner, job.job_id, 1)).allowed);
  // The request as the Content Generator API keeps it: what its end hook reads the webhook from.
  const request = { config: { progressCallbackUrl: webhookUrl, callbackHeaders: {}, callbackRetries: 0 } };
  await aws.s3Client.send(
    new PutObjectCommand({
      Bucket: aws.bucketName,
      Key: `content/${owner}/${job.job_id}/request.json`,
      Body: JSON.stringify(request),
    }),
  );
  return job;
}

const slotFree = async (owner: string) => (await slots.acquireJobSlot(owner, 'another-job', 1)).allowed;

describe('execution ended', () => {
  it('fails a retried job whose retry failed, and its end releases its job slot', async () => {
    const job = await runningContentJob((id) => `${id}-retry-1`);

    await handler.executionEnded(statusChange(job, `${job.job_id}-retry-1`));

    const ended = await store.getJob(job.job_id);
    assert.equal(ended?.status, 'failed');
    assert.match(ended?.error_message ?? '', /^The execution ended with status FAILED/);
    assert.equal(await slotFree(job.owner), true, "the content kind's end hook did not release the slot");
    assert.ok(
      webhooks.some((hook) => JSON.stringify(hook).includes('failed')),
      `no failure webhook among ${JSON.stringify(webhooks)}`,
    );
  });

  it('finds the job by the execution name without its retry suffix when the input is not included', async () => {
    const job = await runningContentJob((id) => `${id}-retry-2`);

    await handler.executionEnded(
      statusChange(job, `${job.job_id}-retry-2`, { status: 'TIMED_OUT', input: null }),
    );

    assert.equal((await store.getJob(job.job_id))?.status, 'failed');
  });

  it('leaves a job alone when an earlier run of it ends after its retry started', async () => {
    const job = await runningContentJob((id) => `${id}-retry-1`);

    await handler.executionEnded(statusChange(job, job.job_id, { status: 'ABORTED' }));

    assert.equal((await store.getJob(job.job_id))?.status, 'running');
    assert.equal(await slotFree(job.owner), false);
  });

  it('fails a job on its first run, named after the job', async () => {
    const job = await runningContentJob((id) => id);

    await handler.executionEnded(statusChange(job, job.job_id, { error: 'States.DataLimitExceeded' }));

    const ended = await store.getJob(job.job_id);
    assert.equal(ended?.status, 'failed');
    assert.match(ended?.error_message ?? '', /FAILED \(States\.DataLimitExceeded\)/);
  });
});
