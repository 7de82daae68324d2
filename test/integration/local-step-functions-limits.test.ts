/**
 * The local Step Functions refuses what AWS refuses: a state or task payload over 256 KiB
 * (States.DataLimitExceeded, which no Catch on States.ALL catches), an execution past 25,000
 * history events, and an execution past its state machine's TimeoutSeconds; and, as the API
 * does, a request whose input, output, error or cause is longer than the action takes.
 */
import assert from 'node:assert/strict';
import {
  DescribeExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, test } from 'vitest';
import { createLocalLambda, functionArn } from '../../local/lambda-runtime.ts';
import { MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES } from '../../local/step-functions-limits.ts';
import { type StepFunctionsService, startStepFunctionsService } from '../../local/step-functions-service.ts';

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const region = 'us-east-1';

/** A Map over `$.items`, each iteration a Lambda answering `$.bytes` bytes; any error caught. */
const mapOfResults = {
  StartAt: 'Fan out',
  States: {
    'Fan out': {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemSelector: { 'bytes.$': '$.bytes' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Answer',
        States: { Answer: { Type: 'Task', Resource: functionArn('answer'), End: true } },
      },
      ResultPath: '$.results',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
      Next: 'Done',
    },
    Caught: { Type: 'Task', Resource: functionArn('caught'), End: true },
    Done: { Type: 'Succeed' },
  },
};

/** One task whose result would be trimmed by its ResultSelector, had it been accepted. */
const bigTaskResult = {
  StartAt: 'Answer',
  States: {
    Answer: {
      Type: 'Task',
      Resource: functionArn('answer'),
      ResultSelector: { 'length.$': 'States.ArrayLength(States.Array($.text))' },
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
      Next: 'Done',
    },
    Caught: { Type: 'Task', Resource: functionArn('caught'), End: true },
    Done: { Type: 'Succeed' },
  },
};

/** Counts `$.n` up to `$.until` in a Pass / Choice loop (4 history events a turn), inside a caught Map. */
const countingLoop = {
  StartAt: 'Loop',
  States: {
    Loop: {
      Type: 'Map',
      ItemsPath: '$.runs',
      ItemSelector: { n: 0, 'until.$': '$.until' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Count',
        States: {
          Count: {
            Type: 'Pass',
            Parameters: { 'n.$': 'States.MathAdd($.n, 1)', 'until.$': '$.until' },
            Next: 'Enough?',
          },
          'Enough?': {
            Type: 'Choice',
            Choices: [{ Variable: '$.n', NumericLessThanPath: '$.until', Next: 'Count' }],
            Default: 'Counted',
          },
          Counted: { Type: 'Succeed' },
        },
      },
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
      End: true,
    },
    Caught: { Type: 'Task', Resource: functionArn('caught'), End: true },
  },
};

const timed = {
  TimeoutSeconds: 1,
  StartAt: 'Wait long',
  States: { 'Wait long': { Type: 'Wait', Seconds: 30, End: true } },
};

/**
 * AWS writes 14 events for this: ExecutionStarted, MapStateEntered, MapStateStarted, for each of
 * the two items MapIterationStarted, PassStateEntered, PassStateExited, MapIterationSucceeded,
 * then MapStateSucceeded, MapStateExited, ExecutionSucceeded.
 */
const mapOfTwoPasses = {
  StartAt: 'Both',
  States: {
    Both: {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Pass it',
        States: { 'Pass it': { Type: 'Pass', End: true } },
      },
      End: true,
    },
  },
};

describe('local Step Functions history count', () => {
  const runWithMaxEvents = async (maxEvents: number) => {
    const service = await startStepFunctionsService({
      stateMachines: [{ name: 'two-passes', definition: mapOfTwoPasses }],
      limits: { maxEvents },
    });
    const sfn = new SFNClient({ endpoint: service.url, region, credentials });
    try {
      const started = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: service.stateMachineArn('two-passes'),
          input: JSON.stringify({ items: [1, 2] }),
        }),
      );
      return await service.waitForExecution(started.executionArn as string);
    } finally {
      sfn.destroy();
      await service.close();
    }
  };

  test('counts the events AWS writes for a Map of two iterations; the last may be the success', async () => {
    assert.equal((await runWithMaxEvents(14)).status, 'SUCCEEDED');
    const over = await runWithMaxEvents(13);
    assert.equal(over.status, 'FAILED');
    assert.equal(over.error, 'States.Runtime');
  });
});

describe('local Step Functions quotas', () => {
  let service: StepFunctionsService;
  let sfn: SFNClient;
  const caught: unknown[] = [];

  beforeAll(async () => {
    const answer = createLocalLambda({ functionName: 'answer', entry: 'fixture' }, async (event) => ({
      text: 'x'.repeat((event as { bytes: number }).bytes),
    }));
    const caughtFn = createLocalLambda({ functionName: 'caught', entry: 'fixture' }, async (event) => {
      caught.push(event);
      return { caught: true };
    });
    service = await startStepFunctionsService({
      stateMachines: [
        { name: 'map-of-results', definition: mapOfResults },
        { name: 'big-task-result', definition: bigTaskResult },
        { name: 'counting-loop', definition: countingLoop },
        { name: 'timed', definition: timed },
      ],
      lambdas: { [answer.arn]: answer.invoke, [caughtFn.arn]: caughtFn.invoke },
    });
    sfn = new SFNClient({ endpoint: service.url, region, credentials });
  });

  afterAll(async () => {
    await service.close();
    sfn.destroy();
  });

  const run = async (machine: string, name: string, input: unknown, timeoutMs = 30_000) => {
    const started = await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: service.stateMachineArn(machine),
        name,
        input: JSON.stringify(input),
      }),
    );
    await service.waitForExecution(started.executionArn as string, timeoutMs);
    return sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
  };

  test('a Map whose results together pass 256 KiB fails the execution; Catch on States.ALL does not catch it', async () => {
    caught.length = 0;
    // Each result is well under the quota, four of them are not.
    const execution = await run('map-of-results', 'map-over', { items: [1, 2, 3, 4], bytes: 80_000 });
    assert.equal(execution.status, 'FAILED');
    assert.equal(execution.error, 'States.DataLimitExceeded');
    assert.match(execution.cause ?? '', /'Fan out'.*exceeding the maximum number of bytes/);
    assert.deepEqual(caught, [], 'the Catch state ran');
  });

  test('the same Map with results under 256 KiB succeeds', async () => {
    const execution = await run('map-of-results', 'map-under', { items: [1, 2, 3], bytes: 80_000 });
    assert.equal(execution.status, 'SUCCEEDED');
  });

  test('a task result over 256 KiB fails the execution even when its ResultSelector would trim it', async () => {
    caught.length = 0;
    const execution = await run('big-task-result', 'task-over', { bytes: MAX_PAYLOAD_BYTES });
    assert.equal(execution.status, 'FAILED');
    assert.equal(execution.error, 'States.DataLimitExceeded');
    assert.match(execution.cause ?? '', /'Answer' returned a result/);
    assert.deepEqual(caught, []);
    const under = await run('big-task-result', 'task-under', { bytes: 1000 });
    assert.equal(under.status, 'SUCCEEDED');
  });

  test('an execution fails when its history reaches 25,000 events; Catch on States.ALL does not catch it', async () => {
    caught.length = 0;
    // 4 events a turn: 10,000 turns would write 40,000.
    const execution = await run('counting-loop', 'loop-over', { runs: [1], until: 10_000 }, 120_000);
    assert.equal(execution.status, 'FAILED');
    assert.equal(execution.error, 'States.Runtime');
    assert.match(execution.cause ?? '', new RegExp(`history size of ${MAX_HISTORY_EVENTS} events`));
    assert.deepEqual(caught, []);
    // 5,000 turns write about 20,000 events: under the quota.
    const under = await run('counting-loop', 'loop-under', { runs: [1], until: 5000 }, 120_000);
    assert.equal(under.status, 'SUCCEEDED');
  });

  /** What the API answers `send`: the error's name and message, or `ok`. */
  const answer = async (send: () => Promise<unknown>) => {
    try {
      await send();
      return { name: 'ok', message: '' };
    } catch (error) {
      return { name: (error as Error).name, message: (error as Error).message };
    }
  };
  const tooLong = (member: string, max: number) =>
    `1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`;

  test('StartExecution refuses an input over 256 KiB in UTF-8 bytes with a ValidationException, and takes one of exactly 256 KiB', async () => {
    const start = (input: string, name: string) =>
      answer(() =>
        sfn.send(
          new StartExecutionCommand({
            stateMachineArn: service.stateMachineArn('big-task-result'),
            name,
            input,
          }),
        ),
      );
    const padded = (bytes: number, char: string) => {
      const shell = JSON.stringify({ bytes: 1, pad: '' });
      return JSON.stringify({ bytes: 1, pad: char.repeat((bytes - shell.length) / Buffer.byteLength(char)) });
    };
    // Two bytes a character: under the limit in characters, over it in bytes.
    const over = padded(MAX_PAYLOAD_BYTES + 2, 'é');
    assert.ok(over.length < MAX_PAYLOAD_BYTES);
    assert.deepEqual(await start(over, 'input-over'), {
      name: 'ValidationException',
      message: tooLong('input', 262_144),
    });
    const exact = padded(MAX_PAYLOAD_BYTES, 'x');
    assert.equal(Buffer.byteLength(exact), MAX_PAYLOAD_BYTES);
    assert.equal((await start(exact, 'input-exact')).name, 'ok');
  });

  test('SendTaskFailure refuses a cause over 32,768 characters or an error over 256 before it looks at the token', async () => {
    const fail = (error: string, cause: string) =>
      answer(() => sfn.send(new SendTaskFailureCommand({ taskToken: 'no-such-token', error, cause })));
    assert.deepEqual(await fail('ChunkFailed', 'x'.repeat(32_769)), {
      name: 'ValidationException',
      message: tooLong('cause', 32_768),
    });
    assert.deepEqual(await fail('E'.repeat(257), 'why'), {
      name: 'ValidationException',
      message: tooLong('error', 256),
    });
    const both = await fail('E'.repeat(257), 'x'.repeat(32_769));
    assert.match(both.message, /^2 validation errors detected: Value at 'error'.*; Value at 'cause'/);
    // At the limits the request is valid, and the token is what is wrong.
    assert.equal((await fail('E'.repeat(256), '€'.repeat(32_768))).name, 'InvalidToken');
  });

  test('SendTaskSuccess refuses an output over 256 KiB, and StopExecution an error or cause over its limit', async () => {
    const output = JSON.stringify({ text: 'x'.repeat(MAX_PAYLOAD_BYTES) });
    assert.deepEqual(
      await answer(() => sfn.send(new SendTaskSuccessCommand({ taskToken: 'no-such-token', output }))),
      { name: 'ValidationException', message: tooLong('output', 262_144) },
    );
    const executionArn = `${service.stateMachineArn('timed').replace(':stateMachine:', ':execution:')}:none`;
    assert.deepEqual(
      await answer(() => sfn.send(new StopExecutionCommand({ executionArn, cause: 'x'.repeat(32_769) }))),
      { name: 'ValidationException', message: tooLong('cause', 32_768) },
    );
    assert.equal(
      (await answer(() => sfn.send(new StopExecutionCommand({ executionArn, cause: 'x'.repeat(32_768) }))))
        .name,
      'ExecutionDoesNotExist',
    );
  });

  test("an execution that outlives its state machine's TimeoutSeconds ends TIMED_OUT", async () => {
    const startedAt = Date.now();
    const execution = await run('timed', 'timed-out', {}, 10_000);
    assert.equal(execution.status, 'TIMED_OUT');
    assert.equal(execution.error, 'States.Timeout');
    assert.ok(Date.now() - startedAt < 5000, 'the 30 s Wait was cut at 1 s');
  });
});
