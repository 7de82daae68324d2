import assert from 'node:assert/strict';
import aslValidator from 'asl-validator';
import { describe, it } from 'vitest';
import { STATE_NAMES } from '#contract/pipeline.ts';
import {
  type AslDefinition,
  type AslState,
  functionEntries,
  resolveDefinition,
  resolveIntrinsics,
  TemplateError,
} from '../../lib/definition.ts';
import { CUSTOM_SETTINGS, synthesize } from './fixtures.ts';

const { json } = synthesize();

/** Stand-ins a local runtime would use: a function ARN per logical id, a queue URL per queue. */
const fakeResolver = (logicalId: string, attribute?: string): string => {
  const type = json.Resources[logicalId]?.Type;
  if (type === 'AWS::Lambda::Function' && attribute === 'Arn') {
    return `arn:aws:lambda:us-east-1:000000000000:function:${logicalId}`;
  }
  if (type === 'AWS::SQS::Queue' && attribute === undefined) {
    return `http://localhost:9324/000000000000/${logicalId}`;
  }
  throw new Error(`unexpected reference ${logicalId}${attribute ? `.${attribute}` : ''}`);
};

const definition = resolveDefinition(json, fakeResolver);
const states = definition.States;
const state = (name: string): AslState => {
  const found = states[name];
  assert.ok(found, `state "${name}"`);
  return found;
};
const stages = state(STATE_NAMES.stages);
const stageIteration = stages.ItemProcessor as AslDefinition;
const map = stageIteration.States[STATE_NAMES.map];
assert.ok(map, `"${STATE_NAMES.map}" inside "${STATE_NAMES.stages}"`);
const iteration = (map.ItemProcessor as AslDefinition).States;
const generate = iteration[STATE_NAMES.generate];
assert.ok(generate);

const functionArnOf = (role: string) => {
  const fn = functionEntries(json).find((f) => f.role === role);
  assert.ok(fn, role);
  return `arn:aws:lambda:us-east-1:000000000000:function:${fn.logicalId}`;
};

describe('the synthesized state machine definition', () => {
  it('is valid Amazon States Language', () => {
    const result = aslValidator(definition);
    assert.ok(result.isValid, result.errorsText('\n'));
  });

  it('uses the contract state names, top level and inside both Maps', () => {
    assert.deepEqual(
      Object.keys(states).sort(),
      [
        STATE_NAMES.plan,
        STATE_NAMES.batchMode,
        STATE_NAMES.batchRound,
        STATE_NAMES.batchDone,
        STATE_NAMES.batchWait,
        STATE_NAMES.batchResults,
        STATE_NAMES.stages,
        STATE_NAMES.assemble,
        STATE_NAMES.qualityCheck,
        STATE_NAMES.finalize,
        STATE_NAMES.markFailed,
        STATE_NAMES.fail,
      ].sort(),
    );
    assert.deepEqual(Object.keys(stageIteration.States), [STATE_NAMES.map]);
    assert.deepEqual(Object.keys(iteration).sort(), [STATE_NAMES.generate, STATE_NAMES.chunkFailed].sort());
  });

  it('runs Plan chunks, Generate stages, Assemble results, Quality met?, Finalize job in order', () => {
    assert.equal(definition.StartAt, STATE_NAMES.plan);
    assert.equal(state(STATE_NAMES.plan).Next, STATE_NAMES.batchMode);
    const byMode = state(STATE_NAMES.batchMode) as any;
    assert.equal(byMode.Default, STATE_NAMES.stages, 'interactive jobs go through the chunk queue');
    assert.equal(stages.Next, STATE_NAMES.assemble);
    assert.equal(state(STATE_NAMES.assemble).Next, STATE_NAMES.qualityCheck);
    assert.equal(state(STATE_NAMES.finalize).End, true);
  });

  it('runs batch-mode jobs in rounds of "Run batch round" and "Wait for batch", then assembles their results', () => {
    const byMode = state(STATE_NAMES.batchMode) as any;
    assert.deepEqual(byMode.Choices, [
      { Variable: '$.mode', StringEquals: 'batch', Next: STATE_NAMES.batchRound },
    ]);
    const round = state(STATE_NAMES.batchRound);
    assert.equal(round.Resource, functionArnOf('batchRound'));
    assert.equal(round.ResultPath, '$.batch');
    assert.equal(round.Next, STATE_NAMES.batchDone);
    assert.ok((round.Catch as any[]).some((c) => c.Next === STATE_NAMES.markFailed));
    const done = state(STATE_NAMES.batchDone) as any;
    assert.deepEqual(done.Choices, [
      { Variable: '$.batch.done', BooleanEquals: true, Next: STATE_NAMES.batchResults },
    ]);
    assert.equal(done.Default, STATE_NAMES.batchWait);
    const wait = state(STATE_NAMES.batchWait) as any;
    assert.equal(wait.SecondsPath, '$.batch.wait_seconds');
    assert.equal(wait.Next, STATE_NAMES.batchRound);
    const collect = state(STATE_NAMES.batchResults) as any;
    assert.equal(collect.InputPath, '$.batch.chunk_results');
    assert.equal(collect.ResultPath, '$.chunk_results');
    assert.equal(collect.Next, STATE_NAMES.assemble);
  });

  it('loops back to Plan chunks only when assembling asks for a regeneration round', () => {
    const choice = state(STATE_NAMES.qualityCheck) as any;
    assert.equal(choice.Type, 'Choice');
    assert.equal(choice.Default, STATE_NAMES.finalize);
    assert.equal(choice.Choices.length, 1);
    const [rule] = choice.Choices;
    assert.equal(rule.Next, STATE_NAMES.plan);
    // The flag is tested for presence first: a Choice on a missing path fails the execution.
    assert.deepEqual(rule.And, [
      { Variable: '$.assembled.regenerate', IsPresent: true },
      { Variable: '$.assembled.regenerate', BooleanEquals: true },
    ]);
  });

  it('calls each pipeline function by its ARN directly, so the task result is the payload', () => {
    const expected = {
      [STATE_NAMES.plan]: 'planChunks',
      [STATE_NAMES.assemble]: 'assembleResults',
      [STATE_NAMES.finalize]: 'finalizeJob',
      [STATE_NAMES.markFailed]: 'markJobFailed',
    };
    for (const [name, role] of Object.entries(expected)) {
      const task = state(name);
      assert.equal(task.Type, 'Task');
      assert.equal(task.Resource, functionArnOf(role), name);
      assert.equal(task.Parameters, undefined, `${name} passes its whole input`);
    }
    assert.equal(state(STATE_NAMES.assemble).ResultPath, '$.assembled');
    assert.equal(state(STATE_NAMES.finalize).ResultPath, '$.finalized');
  });

  it('runs the stages one at a time, in order, collecting one list of results per stage in $.chunk_results', () => {
    assert.equal(stages.Type, 'Map');
    assert.equal(stages.MaxConcurrency, 1);
    assert.equal(stages.ItemsPath, '$.stages');
    assert.equal(stages.ResultPath, '$.chunk_results');
    assert.deepEqual(stages.ItemSelector, {
      'job_id.$': '$.job_id',
      'owner.$': '$.owner',
      'stage.$': '$$.Map.Item.Index',
      'chunks.$': '$$.Map.Item.Value',
    });
    assert.equal(stageIteration.StartAt, STATE_NAMES.map);
    assert.equal(stages.ToleratedFailurePercentage, undefined, 'a failed stage fails the job');
  });

  it("fans a stage's chunks out with the configured MaxConcurrency; the iteration's output is their results", () => {
    assert.equal(map.Type, 'Map');
    assert.equal(map.MaxConcurrency, CUSTOM_SETTINGS.mapMaxConcurrency);
    assert.equal(map.ItemsPath, '$.chunks');
    assert.equal(map.ResultPath, undefined);
    assert.equal(map.End, true);
    assert.deepEqual(map.ItemSelector, {
      'job_id.$': '$.job_id',
      'owner.$': '$.owner',
      'chunk_key.$': '$$.Map.Item.Value',
    });
    assert.equal(map.Catch, undefined, 'a chunk failure is recorded inside its iteration');
  });

  it('sends each chunk to the chunk queue with a task token and waits at most chunkTimeoutSeconds', () => {
    assert.equal(generate.Resource, 'arn:aws:states:::sqs:sendMessage.waitForTaskToken');
    assert.equal(generate.TimeoutSeconds, CUSTOM_SETTINGS.chunkTimeoutSeconds);
    const parameters = generate.Parameters as { QueueUrl: string; MessageBody: Record<string, string> };
    const [chunkQueue] = Object.entries(json.Resources).filter(
      ([, r]) => r.Type === 'AWS::SQS::Queue' && JSON.stringify(r.Properties).includes('RedrivePolicy'),
    );
    assert.ok(chunkQueue);
    assert.equal(parameters.QueueUrl, fakeResolver(chunkQueue[0]));
    assert.deepEqual(parameters.MessageBody, {
      'task_token.$': '$$.Task.Token',
      'job_id.$': '$.job_id',
      'owner.$': '$.owner',
      'chunk_key.$': '$.chunk_key',
    });
  });

  it("names the job's owner as the chunk message's group on a standard queue: SQS fair queues' tenant", () => {
    const parameters = generate.Parameters as Record<string, unknown>;
    assert.equal(parameters['MessageGroupId.$'], '$.owner');
    const [, chunkQueue] =
      Object.entries(json.Resources).find(
        ([, r]) => r.Type === 'AWS::SQS::Queue' && JSON.stringify(r.Properties).includes('RedrivePolicy'),
      ) ?? [];
    assert.ok(chunkQueue);
    // A FIFO queue would deliver one message per group at a time: a lone job would run serially.
    assert.equal((chunkQueue.Properties as Record<string, unknown>).FifoQueue, undefined);
  });

  it('records a failed chunk as a result instead of failing the job', () => {
    assert.deepEqual(generate.Catch, [
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE_NAMES.chunkFailed },
    ]);
    const recordFailure = iteration[STATE_NAMES.chunkFailed];
    assert.equal(recordFailure?.Type, 'Pass');
    assert.equal(recordFailure?.End, true);
    assert.deepEqual(recordFailure?.Parameters, {
      'chunk_key.$': '$.chunk_key',
      status: 'failed',
      'error.$': '$.error.Cause',
    });
  });

  it('routes a failure of any job step to Mark job failed, then Job failed with the error', () => {
    for (const name of [STATE_NAMES.plan, STATE_NAMES.stages, STATE_NAMES.assemble, STATE_NAMES.finalize]) {
      assert.deepEqual(
        state(name).Catch,
        [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: STATE_NAMES.markFailed }],
        name,
      );
    }
    const markFailed = state(STATE_NAMES.markFailed);
    assert.equal(
      markFailed.Catch,
      undefined,
      'a failing Mark job failed ends the execution (executionEnded)',
    );
    assert.equal(markFailed.Next, STATE_NAMES.fail);
    const fail = state(STATE_NAMES.fail);
    assert.equal(fail.Type, 'Fail');
    assert.equal(fail.ErrorPath, '$.error.Error');
    assert.equal(fail.CausePath, '$.error.Cause');
  });

  it('retries Lambda service errors and throttling on every Lambda task', () => {
    for (const name of [
      STATE_NAMES.plan,
      STATE_NAMES.assemble,
      STATE_NAMES.finalize,
      STATE_NAMES.markFailed,
    ]) {
      const errors = (state(name).Retry as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
      for (const error of ['Lambda.ServiceException', 'Lambda.TooManyRequestsException']) {
        assert.ok(errors.includes(error), `${name} retries ${error}`);
      }
    }
  });
});

describe('resolveIntrinsics', () => {
  const resolver = (id: string, attribute?: string) => (attribute ? `${id}#${attribute}` : `ref:${id}`);

  it('resolves Ref, both Fn::GetAtt forms, Fn::Join, Fn::Sub, Fn::Select and Fn::Split', () => {
    const value = {
      a: { Ref: 'Queue' },
      b: { 'Fn::GetAtt': ['Fn', 'Arn'] },
      c: { 'Fn::GetAtt': 'Table.StreamArn' },
      d: { 'Fn::Join': ['-', ['x', { Ref: 'AWS::Region' }, 'y']] },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      e: { 'Fn::Sub': 'arn:${AWS::Partition}:x:${Fn.Arn}:${Queue}:${!Literal}' },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub syntax
      f: { 'Fn::Sub': ['${Name}-${AWS::AccountId}', { Name: { Ref: 'Bucket' } }] },
      g: { 'Fn::Select': [1, { 'Fn::Split': [':', 'a:b:c'] }] },
      nested: [{ plain: true, n: 3 }],
    };
    assert.deepEqual(
      resolveIntrinsics(value, resolver, { pseudoParameters: { 'AWS::Region': 'eu-west-3' } }),
      {
        a: 'ref:Queue',
        b: 'Fn#Arn',
        c: 'Table#StreamArn',
        d: 'x-eu-west-3-y',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${!Literal} resolves to a literal ${Literal}
        e: 'arn:aws:x:Fn#Arn:ref:Queue:${Literal}',
        f: 'ref:Bucket-000000000000',
        g: 'b',
        nested: [{ plain: true, n: 3 }],
      },
    );
  });

  it('refuses intrinsics it cannot evaluate locally', () => {
    assert.throws(() => resolveIntrinsics({ 'Fn::If': ['Cond', 'a', 'b'] }, resolver), TemplateError);
  });
});
