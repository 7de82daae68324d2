/**
 * A state machine as the local Step Functions holds it: its definition with AWS's timeouts made
 * explicit, its Task states (the places the service integrations plug in), and the records of
 * its executions.
 */

import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { isRecord } from './cloudformation.ts';
import type { Invoke } from './lambda-runtime.ts';
import type { ExecutionLimits } from './step-functions-limits.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface StateMachineSpec {
  name: string;
  /** ASL as an object or JSON text, with every CloudFormation reference already resolved. */
  definition: unknown;
}

export interface ExecutionDescription {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionRecord extends ExecutionDescription {
  abort?: () => void;
  pendingTokens: Set<string>;
  settled: Promise<void>;
  /** Its history events so far and the payload and history quotas it runs under. */
  limits: ExecutionLimits;
}

export type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

export const SQS_WAIT_FOR_TOKEN = 'arn:aws:states:::sqs:sendMessage.waitForTaskToken';
export const SQS_SEND = 'arn:aws:states:::sqs:sendMessage';
export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_INVOKE_WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
export const LAMBDA_ARN = /^arn:aws[\w-]*:lambda:[^:]+:\d+:function:([^:]+)(?::[^:]+)?$/;

/**
 * AWS waits for a Task without TimeoutSeconds as long as the execution lives (a year); the
 * library defaults to 60 s, which would fail any chunk that queues behind the LLM budget.
 * Node timers overflow above 2^31-1 ms, so this is the longest wait the library can express.
 */
export const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

/** An error whose `name` is what Retry/Catch match on (the library compares `error.name`). */
export class StatesError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

export interface TaskStateDefinition {
  Type: 'Task';
  Resource: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  [key: string]: unknown;
}

export interface LoadedStateMachine {
  name: string;
  arn: string;
  machine: StateMachine;
  tasks: Map<string, TaskStateDefinition>;
}

/** Every Task state by name, including those inside Map iterators and Parallel branches. */
function collectTaskStates(definition: unknown, found = new Map<string, TaskStateDefinition>()) {
  if (!isRecord(definition) || !isRecord(definition.States)) return found;
  for (const [name, state] of Object.entries(definition.States)) {
    if (!isRecord(state)) continue;
    if (state.Type === 'Task' && typeof state.Resource === 'string')
      found.set(name, state as TaskStateDefinition);
    collectTaskStates(state.ItemProcessor, found);
    collectTaskStates(state.Iterator, found);
    if (Array.isArray(state.Branches)) for (const branch of state.Branches) collectTaskStates(branch, found);
  }
  return found;
}

function withAwsTimeoutDefaults(definition: Record<string, unknown>): Record<string, unknown> {
  const copy = structuredClone(definition);
  if (typeof copy.TimeoutSeconds === 'number')
    copy.TimeoutSeconds = Math.min(copy.TimeoutSeconds, MAX_TIMER_SECONDS);
  for (const task of collectTaskStates(copy).values()) {
    if (task.TimeoutSecondsPath !== undefined) continue;
    task.TimeoutSeconds = Math.min(task.TimeoutSeconds ?? MAX_TIMER_SECONDS, MAX_TIMER_SECONDS);
  }
  return copy;
}

/**
 * A definition made runnable, refused at start when it uses what does not run locally (JSONata,
 * a Task resource with no local integration, a Lambda function that is not there).
 */
export function loadStateMachine(
  spec: StateMachineSpec,
  arn: string,
  findLambda: (reference: string) => Invoke,
): LoadedStateMachine {
  const parsed = typeof spec.definition === 'string' ? JSON.parse(spec.definition) : spec.definition;
  if (!isRecord(parsed)) throw new Error(`State machine ${spec.name}: definition is not an object`);
  if (parsed.QueryLanguage === 'JSONata') {
    throw new Error(`State machine ${spec.name}: JSONata is not supported by aws-local-stepfunctions`);
  }
  const definition = withAwsTimeoutDefaults(parsed);
  const tasks = collectTaskStates(definition);
  for (const [stateName, task] of tasks) {
    const resource = task.Resource;
    const known = [SQS_WAIT_FOR_TOKEN, SQS_SEND, LAMBDA_INVOKE, LAMBDA_INVOKE_WAIT_FOR_TOKEN].includes(
      resource,
    );
    if (!known && !LAMBDA_ARN.test(resource)) {
      throw new Error(
        `State machine ${spec.name}, state "${stateName}": Resource ${resource} is not supported locally`,
      );
    }
    if (LAMBDA_ARN.test(resource)) findLambda(resource);
  }
  const machine = new StateMachine(definition as unknown as StateMachineDefinition, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  return { name: spec.name, arn, machine, tasks };
}
