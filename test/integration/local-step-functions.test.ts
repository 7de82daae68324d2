import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
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
  type SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { type ChunkResult, flatChunkResults, type PlanOutput } from '#contract/pipeline.ts';
import { createApp } from '../../lib/app.ts';
import { type CfnTemplate, functionEntries, resolveDefinition } from '../../lib/definition.ts';
import { createLocalLambda, functionArn, type Invoke } from '../../local/lambda-runtime.ts';
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

/**
 * The state machine CDK synthesizes, with each pipeline function replaced by a fixture of the same
 * role: "Plan chunks" answers the plan a test asks for, the others record their input.
 */
function synthesizedPipeline(queueUrl: string) {
  const { app, stack } = createApp({ bundle: false });
  const template = app.synth().getStackArtifact(stack.artifactId).template as CfnTemplate;
  const roles = Object.fromEntries(functionEntries(template).map((f) => [f.logicalId, f.role]));
  const definition = resolveDefinition(template, (logicalId, attribute) => {
    const type = template.Resources[logicalId]?.Type;
    if (type === 'AWS::Lambda::Function' && attribute === 'Arn') return functionArn(logicalId);
    if (type === 'AWS::SQS::Queue' && attribute === undefined) return queueUrl;
    throw new Error(`unexpected reference ${logicalId}${attribute ? `.${attribute}` : ''}`);
  });
  const plans = new Map<string, PlanOutput>();
  const inputs: Record<string, Record<string, unknown>[]> = {};
  const lambdas = Object.fromEntries(
    Object.entries(roles).map(([logicalId, role]) => {
      const fixture = createLocalLambda({ functionName: logicalId, entry: 'fixture' }, async (event) => {
        const input = event as Record<string, unknown>;
        inputs[role] = [...(inputs[role] ?? []), input];
        if (role === 'planChunks') return plans.get(String(input.job_id));
        if (role === 'assembleResults') return { files: [] };
        return { status: 'done' };
      });
      return [fixture.arn, fixture.invoke];
    }),
  );
  return { definition, lambdas, plans, inputs };
}

describe('local Step Functions service', () => {
  let sqsServer: Server;
  let sqs: SQSClient;
  let sfn: SFNClient;
  let service: StepFunctionsService;
  let shortService: StepFunctionsService;
  let stagedService: StepFunctionsService;
  let staged: ReturnType<typeof synthesizedPipeline>;
  let queueUrl: string;
  let shortQueueUrl: string;
  let stagedQueueUrl: string;
  let miniLambdas: Record<string, Invoke>;
  const events: string[] = [];

  beforeAll(async () => {
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
    miniLambdas = lambdas;
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

    stagedQueueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'staged-chunks' })))
      .QueueUrl as string;
    staged = synthesizedPipeline(stagedQueueUrl);
    stagedService = await startStepFunctionsService({
      stateMachines: [{ name: 'pipeline', definition: staged.definition }],
      lambdas: staged.lambdas,
      sqs,
    });
  });

  afterAll(async () => {
    await service.close();
    await shortService.close();
    await stagedService.close();
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

  test('an execution stopped while a chunk message is still being sent leaves no unhandled rejection', async () => {
    // An SQS client whose sends wait at a gate, so the stop lands between token and message.
    const { promise: gate, resolve: open } = Promise.withResolvers<void>();
    let sending = 0;
    const slowSqs = {
      send: async (command: unknown) => {
        sending++;
        await gate;
        return sqs.send(command as SendMessageCommand);
      },
    } as unknown as SQSClient;
    const slow = await startStepFunctionsService({
      stateMachines: [{ name: 'pipeline', definition: definition(queueUrl, 20) }],
      lambdas: miniLambdas,
      sqs: slowSqs,
    });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const client = new SFNClient({ endpoint: slow.url, region, credentials });
    try {
      const started = await client.send(
        new StartExecutionCommand({
          stateMachineArn: slow.stateMachineArn('pipeline'),
          name: 'job-7',
          input: JSON.stringify({ job_id: 'job-7', chunks: ['a', 'b'] }),
        }),
      );
      for (let i = 0; i < 100 && sending < 2; i++) await sleep(10);
      assert.equal(sending, 2);
      await client.send(new StopExecutionCommand({ executionArn: started.executionArn }));
      open();
      await slow.waitForExecution(started.executionArn as string);
      await sleep(50);
      assert.deepEqual(unhandled, []);
      assert.equal(slow.describe(started.executionArn as string)?.status, 'ABORTED');
    } finally {
      process.off('unhandledRejection', onUnhandled);
      client.destroy();
      await slow.close();
      await receive(queueUrl, 2, 500);
    }
  });

  describe('running the synthesized pipeline, stage after stage', () => {
    const client = () => new SFNClient({ endpoint: stagedService.url, region, credentials });
    const plan = (jobId: string, stages: string[][]): PlanOutput => ({
      job_id: jobId,
      owner: 'owner-1',
      chunks: stages.flat(),
      stages,
      skipped_from_checkpoint: 0,
      mode: 'interactive',
    });
    const run = async (sfnClient: SFNClient, jobId: string, stages: string[][]) => {
      staged.plans.set(jobId, plan(jobId, stages));
      const started = await sfnClient.send(
        new StartExecutionCommand({
          stateMachineArn: stagedService.stateMachineArn('pipeline'),
          name: jobId,
          input: JSON.stringify({ job_id: jobId, owner: 'owner-1' }),
        }),
      );
      return started.executionArn as string;
    };
    const answer = (sfnClient: SFNClient, message: { body: ChunkMessage }) =>
      sfnClient.send(
        new SendTaskSuccessCommand({
          taskToken: message.body.task_token,
          output: JSON.stringify({ chunk_key: message.body.chunk_key, status: 'completed', questions: 1 }),
        }),
      );
    const assembled = (jobId: string) =>
      staged.inputs.assembleResults?.find((input) => input.job_id === jobId) as
        | { chunk_results: ChunkResult[][] }
        | undefined;

    test("sends a stage's chunks only after every chunk of the stage before has its answer", async () => {
      const sfnClient = client();
      const arn = await run(sfnClient, 'course-1', [['overview'], ['lesson_1', 'lesson_2', 'lesson_3']]);

      const [overview, ...early] = await receive(stagedQueueUrl, 4, 1500);
      assert.equal(overview?.body.chunk_key, 'overview');
      assert.deepEqual(early, [], 'no lesson leaves before the overview is answered');
      assert.equal(stagedService.pendingTaskCount(), 1);
      assert.equal(overview.body.job_id, 'course-1');
      assert.equal((overview.body as unknown as { owner: string }).owner, 'owner-1');

      await answer(sfnClient, overview);
      const lessons = await receive(stagedQueueUrl, 3);
      assert.deepEqual(lessons.map((m) => m.body.chunk_key).sort(), ['lesson_1', 'lesson_2', 'lesson_3']);
      assert.equal(stagedService.pendingTaskCount(), 3, 'the chunks of a stage run in parallel');
      const [first, second, third] = lessons;
      assert.ok(first && second && third);
      await answer(sfnClient, first);
      await answer(sfnClient, second);
      await sfnClient.send(
        new SendTaskFailureCommand({ taskToken: third.body.task_token, error: 'ChunkFailed', cause: 'no' }),
      );

      const finished = await stagedService.waitForExecution(arn);
      assert.equal(finished.status, 'SUCCEEDED', finished.cause);
      const input = assembled('course-1');
      assert.ok(input);
      assert.deepEqual(
        input.chunk_results.map((stage) => stage.map((r) => r.chunk_key).sort()),
        [['overview'], ['lesson_1', 'lesson_2', 'lesson_3']],
        'one list of results per stage, in stage order',
      );
      const flat = flatChunkResults(input.chunk_results);
      assert.equal(flat.length, 4);
      assert.deepEqual(
        flat.find((r) => r.chunk_key === third.body.chunk_key),
        {
          chunk_key: third.body.chunk_key,
          status: 'failed',
          error: 'no',
        },
      );
      assert.equal(
        staged.inputs.finalizeJob?.filter((i) => i.job_id === 'course-1').length,
        1,
        'Finalize job runs once, after the last stage',
      );
      sfnClient.destroy();
    });

    test('finishes a job with nothing left to generate, as one empty stage or none', async () => {
      const sfnClient = client();
      for (const [jobId, stages] of [
        ['resumed-1', [[]]],
        ['resumed-2', []],
      ] as const) {
        const arn = await run(sfnClient, jobId, stages as unknown as string[][]);
        const finished = await stagedService.waitForExecution(arn);
        assert.equal(finished.status, 'SUCCEEDED', `${jobId}: ${finished.cause}`);
        assert.deepEqual(assembled(jobId)?.chunk_results, stages);
        assert.deepEqual(flatChunkResults(assembled(jobId)?.chunk_results ?? []), []);
      }
      sfnClient.destroy();
    });
  });
});
