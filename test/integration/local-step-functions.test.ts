import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { createLocalLambda, functionArn } from '../../local/lambda-runtime.ts';
import { type StepFunctionsService, startStepFunctionsService } from '../../local/step-functions-service.ts';

const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const region = 'us-east-1';

interface ChunkMessage {
  task_token: string;
  job_id: string;
  chunk_key: string;
  execution: string;
}

/** A job pipeline in miniature: plan (Lambda), fan out through SQS with task tokens, finish. */
function definition(queueUrl: string, taskTimeoutSeconds: number) {
  return {
    StartAt: 'Plan chunks',
    States: {
      'Plan chunks': {
        Type: 'Task',
        Resource: functionArn('plan'),
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Job failed' }],
        Next: 'Generate chunks',
      },
      'Generate chunks': {
        Type: 'Map',
        ItemsPath: '$.chunks',
        MaxConcurrency: 2,
        ItemSelector: { 'job_id.$': '$.job_id', 'chunk_key.$': '$$.Map.Item.Value' },
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Generate chunk',
          States: {
            'Generate chunk': {
              Type: 'Task',
              Resource: 'arn:aws:states:::sqs:sendMessage.waitForTaskToken',
              Parameters: {
                QueueUrl: queueUrl,
                MessageBody: {
                  'task_token.$': '$$.Task.Token',
                  'job_id.$': '$.job_id',
                  'chunk_key.$': '$.chunk_key',
                  'execution.$': '$$.Execution.Name',
                },
              },
              TimeoutSeconds: taskTimeoutSeconds,
              Catch: [
                { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Record chunk timeout' },
                { ErrorEquals: ['States.TaskFailed'], ResultPath: '$.error', Next: 'Record chunk failure' },
              ],
              End: true,
            },
            'Record chunk failure': {
              Type: 'Pass',
              Parameters: { 'chunk_key.$': '$.chunk_key', status: 'failed', 'error.$': '$.error' },
              End: true,
            },
            'Record chunk timeout': {
              Type: 'Pass',
              Parameters: { 'chunk_key.$': '$.chunk_key', status: 'timed out', 'error.$': '$.error' },
              End: true,
            },
          },
        },
        ResultPath: '$.chunk_results',
        Next: 'Finalize job',
      },
      'Finalize job': {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: functionArn('finalize'), 'Payload.$': '$' },
        OutputPath: '$.Payload',
        End: true,
      },
      'Job failed': { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
    },
  };
}

describe('local Step Functions service', () => {
  let sqsServer: Server;
  let sqs: SQSClient;
  let sfn: SFNClient;
  let service: StepFunctionsService;
  let shortService: StepFunctionsService;
  let queueUrl: string;
  let shortQueueUrl: string;
  const events: string[] = [];

  before(async () => {
    sqsServer = await createSqsServer({ port: 0, hostname: '127.0.0.1', accountId: '000000000000' });
    const sqsPort = (sqsServer.address() as AddressInfo).port;
    sqs = new SQSClient({ endpoint: `http://127.0.0.1:${sqsPort}`, region, credentials });
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'chunks' }))).QueueUrl as string;
    shortQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'short-chunks' })))
      .QueueUrl as string;

    class PlanRejected extends Error {
      override name = 'PlanRejected';
    }
    const plan = createLocalLambda({ functionName: 'plan', entry: 'fixture' }, async (event) => {
      const input = event as { job_id: string; chunks: string[] };
      if (input.chunks.length === 0) throw new PlanRejected(`job ${input.job_id} has no chunks`);
      return input;
    });
    const finalize = createLocalLambda({ functionName: 'finalize', entry: 'fixture' }, async (event) => {
      const input = event as { job_id: string; chunk_results: { status: string }[] };
      return { job_id: input.job_id, statuses: input.chunk_results.map((result) => result.status) };
    });
    const lambdas = { [plan.arn]: plan.invoke, [finalize.arn]: finalize.invoke };
    service = await startStepFunctionsService({
      stateMachines: [{ name: 'pipeline', definition: definition(queueUrl, 20) }],
      lambdas,
      sqs,
      onStatusChange: (execution) => events.push(`${execution.name}:${execution.status}`),
    });
    shortService = await startStepFunctionsService({
      stateMachines: [{ name: 'pipeline', definition: JSON.stringify(definition(shortQueueUrl, 1)) }],
      lambdas,
      sqs,
    });
    sfn = new SFNClient({ endpoint: service.url, region, credentials });
  });

  after(async () => {
    await service.close();
    await shortService.close();
    sqs.destroy();
    sfn.destroy();
    await new Promise((resolve) => sqsServer.close(resolve));
  });

  const receive = async (
    url: string,
    count: number,
    withinMs = 5000,
  ): Promise<{ body: ChunkMessage; receipt: string }[]> => {
    const received: { body: ChunkMessage; receipt: string }[] = [];
    const deadline = Date.now() + withinMs;
    while (received.length < count && Date.now() < deadline) {
      const response = await sqs.send(
        new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }),
      );
      if (!response.Messages?.length) await new Promise((resolve) => setTimeout(resolve, 50));
      for (const message of response.Messages ?? []) {
        received.push({ body: JSON.parse(message.Body ?? '{}'), receipt: message.ReceiptHandle ?? '' });
        await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
      }
    }
    return received;
  };

  const start = (name: string, input: unknown) =>
    sfn.send(
      new StartExecutionCommand({
        stateMachineArn: service.stateMachineArn('pipeline'),
        name,
        input: JSON.stringify(input),
      }),
    );

  test('a waitForTaskToken task round-trips through SQS and SendTaskSuccess / SendTaskFailure', async () => {
    const input = { job_id: 'job-1', chunks: ['a', 'b', 'bad'] };
    const started = await start('job-1', input);
    assert.equal(started.executionArn, 'arn:aws:states:us-east-1:000000000000:execution:pipeline:job-1');

    // Map MaxConcurrency 2: only two chunks are out until one is answered.
    const firstTwo = await receive(queueUrl, 2);
    assert.equal(firstTwo.length, 2);
    assert.equal(service.pendingTaskCount(), 2);
    const [first, second] = firstTwo;
    assert.ok(first && second);
    assert.notEqual(first.body.task_token, second.body.task_token);
    assert.equal(first.body.job_id, 'job-1');
    assert.equal(first.body.execution, 'job-1');

    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: first.body.task_token }));
    for (const message of firstTwo) {
      await sfn.send(
        new SendTaskSuccessCommand({
          taskToken: message.body.task_token,
          output: JSON.stringify({ chunk_key: message.body.chunk_key, status: 'completed' }),
        }),
      );
    }
    const [third] = await receive(queueUrl, 1);
    assert.equal(third?.body.chunk_key, 'bad');
    await sfn.send(
      new SendTaskFailureCommand({ taskToken: third.body.task_token, error: 'ChunkFailed', cause: 'boom' }),
    );

    const finished = await service.waitForExecution(started.executionArn as string);
    assert.equal(finished.status, 'SUCCEEDED');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    assert.equal(described.status, 'SUCCEEDED');
    assert.ok(described.startDate instanceof Date && described.stopDate instanceof Date);
    assert.deepEqual(JSON.parse(described.input ?? ''), input);
    assert.deepEqual(JSON.parse(described.output ?? ''), {
      job_id: 'job-1',
      statuses: ['completed', 'completed', 'failed'],
    });

    // An answered token is gone; a made-up one is not a token at all.
    await assert.rejects(
      sfn.send(new SendTaskSuccessCommand({ taskToken: first.body.task_token, output: '{}' })),
      { name: 'TaskTimedOut' },
    );
    await assert.rejects(sfn.send(new SendTaskSuccessCommand({ taskToken: 'nonsense', output: '{}' })), {
      name: 'InvalidToken',
    });
    assert.deepEqual(
      events.filter((e) => e.startsWith('job-1:')),
      ['job-1:RUNNING', 'job-1:SUCCEEDED'],
    );
  });

  test('the Catch of a failed chunk sees the SendTaskFailure error and cause', async () => {
    const started = await start('job-2', { job_id: 'job-2', chunks: ['only'] });
    const [message] = await receive(queueUrl, 1);
    assert.ok(message);
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: message.body.task_token,
        error: 'ChunkFailed',
        cause: 'model said no',
      }),
    );
    const finished = await service.waitForExecution(started.executionArn as string);
    assert.equal(finished.status, 'SUCCEEDED');
    const machine = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    assert.deepEqual(JSON.parse(machine.output ?? '').statuses, ['failed']);
  });

  test('a Lambda error fails the execution through Catch and a Fail state, named by its error type', async () => {
    const started = await start('job-3', { job_id: 'job-3', chunks: [] });
    const finished = await service.waitForExecution(started.executionArn as string);
    assert.equal(finished.status, 'FAILED');
    assert.equal(finished.error, 'PlanRejected');
    const cause = JSON.parse(finished.cause ?? '{}');
    assert.equal(cause.errorType, 'PlanRejected');
    assert.equal(cause.errorMessage, 'job job-3 has no chunks');
  });

  test('StopExecution aborts the run and retires its pending task tokens', async () => {
    const started = await start('job-4', { job_id: 'job-4', chunks: ['x', 'y', 'z'] });
    const out = await receive(queueUrl, 2);
    assert.equal(out.length, 2);
    await sfn.send(
      new StopExecutionCommand({ executionArn: started.executionArn, error: 'Cancelled', cause: 'by user' }),
    );
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    assert.equal(described.status, 'ABORTED');
    assert.equal(described.error, 'Cancelled');
    assert.equal(service.pendingTaskCount(), 0);
    await assert.rejects(
      sfn.send(new SendTaskSuccessCommand({ taskToken: out[0]?.body.task_token, output: '{}' })),
      { name: 'TaskTimedOut' },
    );
    // The third chunk never leaves: the Map stopped with the execution.
    assert.deepEqual(await receive(queueUrl, 1, 1000), []);
  });

  test('a task that gets no answer within TimeoutSeconds fails with States.Timeout', async () => {
    const client = new SFNClient({ endpoint: shortService.url, region, credentials });
    const started = await client.send(
      new StartExecutionCommand({
        stateMachineArn: shortService.stateMachineArn('pipeline'),
        name: 'job-5',
        input: JSON.stringify({ job_id: 'job-5', chunks: ['slow'] }),
      }),
    );
    const [message] = await receive(shortQueueUrl, 1);
    const finished = await shortService.waitForExecution(started.executionArn as string);
    assert.equal(finished.status, 'SUCCEEDED');
    // States.TaskFailed does not match a timeout; the States.Timeout catcher does.
    assert.deepEqual(JSON.parse(finished.output ?? '').statuses, ['timed out']);
    await assert.rejects(
      client.send(new SendTaskSuccessCommand({ taskToken: message?.body.task_token, output: '{}' })),
      { name: 'TaskTimedOut' },
    );
    client.destroy();
  });

  test('execution names are unique per state machine, and errors are AWS-shaped', async () => {
    const input = { job_id: 'job-6', chunks: ['k'] };
    const first = await start('job-6', input);
    // Same name and input while running: idempotent, as for Standard workflows.
    const again = await start('job-6', input);
    assert.equal(again.executionArn, first.executionArn);
    await assert.rejects(start('job-6', { ...input, chunks: ['other'] }), { name: 'ExecutionAlreadyExists' });
    await assert.rejects(
      sfn.send(new DescribeExecutionCommand({ executionArn: `${service.stateMachineArn('pipeline')}-nope` })),
      { name: 'ExecutionDoesNotExist' },
    );
    await assert.rejects(start('bad name', input), { name: 'InvalidName' });

    const listed = await sfn.send(
      new ListExecutionsCommand({
        stateMachineArn: service.stateMachineArn('pipeline'),
        statusFilter: 'RUNNING',
      }),
    );
    assert.deepEqual(
      listed.executions?.map((execution) => execution.name),
      ['job-6'],
    );
    await sfn.send(new StopExecutionCommand({ executionArn: first.executionArn }));
    await receive(queueUrl, 1);
  });
});
