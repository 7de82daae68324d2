/**
 * A local Step Functions: an HTTP server speaking the AWS JSON 1.0 subset the application
 * uses, so `@aws-sdk/client-sfn` works against it unchanged, executing the state machine
 * definition CDK synthesized with `aws-local-stepfunctions`.
 *
 * That library runs the states (Map concurrency, Retry, Catch, paths) but knows nothing of
 * service integrations. This service supplies them as Task overrides:
 * - `sqs:sendMessage.waitForTaskToken`: mint a real task token, send a real SQS message, wait
 *   for SendTaskSuccess / SendTaskFailure / heartbeat and task timeouts;
 * - `sqs:sendMessage`, `lambda:invoke` (+ `.waitForTaskToken`) and bare function ARNs: call the
 *   in-process handlers of `lambda-runtime.ts`.
 *
 * Executions live in memory, as in a Step Functions service that lost its state: a restart of
 * the local stack forgets running executions and the application has to cope, as it must in
 * AWS when an execution is stopped behind its back.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { isRecord, LOCAL_ACCOUNT_ID, LOCAL_REGION } from './cloudformation.ts';
import { type Invoke, LambdaInvocationError } from './lambda-runtime.ts';

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

export interface StepFunctionsServiceOptions {
  stateMachines: StateMachineSpec[];
  /** Lambda functions by ARN (unqualified); Task states reach them by ARN or by name. */
  lambdas?: Record<string, Invoke>;
  /** Client for the local SQS server, used by the `sqs:sendMessage*` integrations. */
  sqs?: SQSClient;
  port?: number;
  host?: string;
  region?: string;
  accountId?: string;
  /** Called when an execution starts and when it ends (EventBridge's "Execution Status Change"). */
  onStatusChange?: (execution: ExecutionDescription) => void;
  log?: (line: string) => void;
}

export interface StepFunctionsService {
  readonly url: string;
  readonly port: number;
  stateMachineArn(name: string): string;
  describe(executionArn: string): ExecutionDescription | undefined;
  list(): ExecutionDescription[];
  /** Resolves when the execution has left RUNNING. */
  waitForExecution(executionArn: string, timeoutMs?: number): Promise<ExecutionDescription>;
  /** Task tokens handed out and not yet answered. */
  pendingTaskCount(): number;
  /** Stops accepting requests and aborts every running execution. */
  close(): Promise<void>;
}

const SQS_WAIT_FOR_TOKEN = 'arn:aws:states:::sqs:sendMessage.waitForTaskToken';
const SQS_SEND = 'arn:aws:states:::sqs:sendMessage';
const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
const LAMBDA_INVOKE_WAIT_FOR_TOKEN = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const LAMBDA_ARN = /^arn:aws[\w-]*:lambda:[^:]+:\d+:function:([^:]+)(?::[^:]+)?$/;

/**
 * AWS waits for a Task without TimeoutSeconds as long as the execution lives (a year); the
 * library defaults to 60 s, which would fail any chunk that queues behind the LLM budget.
 * Node timers overflow above 2^31-1 ms, so this is the longest wait the library can express.
 */
const MAX_TIMER_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const TOKEN_PREFIX = 'AQB';
const CLOSED_TOKENS_KEPT = 10_000;
/** Characters Step Functions refuses in execution names. */
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;

type JSONValue = null | boolean | number | string | JSONValue[] | { [key: string]: JSONValue };

class ServiceError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

/** An error whose `name` is what Retry/Catch match on (the library compares `error.name`). */
class StatesError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

interface TaskStateDefinition {
  Type: 'Task';
  Resource: string;
  TimeoutSeconds?: number;
  TimeoutSecondsPath?: string;
  HeartbeatSeconds?: number;
  [key: string]: unknown;
}

interface LoadedStateMachine {
  name: string;
  arn: string;
  machine: StateMachine;
  tasks: Map<string, TaskStateDefinition>;
}

interface PendingTask {
  token: string;
  executionArn: string;
  stateName: string;
  heartbeatSeconds?: number;
  heartbeatTimer?: NodeJS.Timeout;
  timeoutTimer?: NodeJS.Timeout;
  resolve: (output: JSONValue) => void;
  reject: (error: Error) => void;
}

interface ExecutionRecord extends ExecutionDescription {
  abort?: () => void;
  pendingTokens: Set<string>;
  settled: Promise<void>;
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

function mintToken(): string {
  return TOKEN_PREFIX + randomBytes(120).toString('base64');
}

function isWellFormedToken(token: unknown): token is string {
  return (
    typeof token === 'string' && token.startsWith(TOKEN_PREFIX) && token.length === TOKEN_PREFIX.length + 160
  );
}

/** Replaces the context placeholder wherever `$$.Task.Token` was used (also inside States.Format). */
function injectToken(value: unknown, placeholder: string, token: string): { value: unknown; found: boolean } {
  let found = false;
  const walk = (inner: unknown): unknown => {
    if (typeof inner === 'string') {
      if (!inner.includes(placeholder)) return inner;
      found = true;
      return inner.replaceAll(placeholder, token);
    }
    if (Array.isArray(inner)) return inner.map(walk);
    if (isRecord(inner)) return Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, walk(v)]));
    return inner;
  };
  const replaced = walk(value);
  return { value: replaced, found };
}

function epochSeconds(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : date.getTime() / 1000;
}

function sdkMetadata(requestId: string) {
  return {
    SdkHttpMetadata: {
      AllHttpHeaders: { 'x-amzn-RequestId': [requestId] },
      HttpHeaders: { 'x-amzn-RequestId': requestId },
      HttpStatusCode: 200,
    },
    SdkResponseMetadata: { RequestId: requestId },
  };
}

function lambdaErrorToStatesError(error: unknown): Error {
  if (error instanceof LambdaInvocationError) {
    return new StatesError(error.payload.errorType, JSON.stringify(error.payload));
  }
  return error instanceof Error ? error : new Error(String(error));
}

function toSendMessageInput(params: unknown) {
  if (!isRecord(params) || typeof params.QueueUrl !== 'string') {
    throw new StatesError('States.Runtime', 'sqs:sendMessage needs a QueueUrl');
  }
  const body = params.MessageBody;
  return {
    QueueUrl: params.QueueUrl,
    // Step Functions serializes a JSON MessageBody to text, as the SQS API needs a string.
    MessageBody: typeof body === 'string' ? body : JSON.stringify(body),
    DelaySeconds: typeof params.DelaySeconds === 'number' ? params.DelaySeconds : undefined,
    MessageAttributes: isRecord(params.MessageAttributes)
      ? (params.MessageAttributes as Record<string, MessageAttributeValue>)
      : undefined,
    MessageGroupId: typeof params.MessageGroupId === 'string' ? params.MessageGroupId : undefined,
    MessageDeduplicationId:
      typeof params.MessageDeduplicationId === 'string' ? params.MessageDeduplicationId : undefined,
  };
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startStepFunctionsService(
  options: StepFunctionsServiceOptions,
): Promise<StepFunctionsService> {
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const log = options.log ?? (() => {});
  const lambdas = new Map<string, Invoke>();
  for (const [arn, invoke] of Object.entries(options.lambdas ?? {})) {
    lambdas.set(arn, invoke);
    const name = LAMBDA_ARN.exec(arn)?.[1];
    if (name) lambdas.set(name, invoke);
  }
  // A value no definition contains; replaced by a fresh token in each task's parameters.
  const tokenPlaceholder = `local-task-token-placeholder-${randomUUID()}`;
  const machines = new Map<string, LoadedStateMachine>();
  const executions = new Map<string, ExecutionRecord>();
  const pending = new Map<string, PendingTask>();
  const closedTokens = new Map<string, string>();

  const stateMachineArn = (name: string) => `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
  const executionArn = (machine: string, name: string) =>
    `arn:aws:states:${region}:${accountId}:execution:${machine}:${name}`;

  const findLambda = (reference: string): Invoke => {
    const name = LAMBDA_ARN.exec(reference)?.[1] ?? reference.split(':')[0] ?? reference;
    const invoke = lambdas.get(reference) ?? lambdas.get(name);
    if (!invoke)
      throw new StatesError('Lambda.ResourceNotFoundException', `Function not found: ${reference}`);
    return invoke;
  };

  for (const spec of options.stateMachines) {
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
    machines.set(stateMachineArn(spec.name), {
      name: spec.name,
      arn: stateMachineArn(spec.name),
      machine,
      tasks,
    });
  }

  const describe = (record: ExecutionRecord): ExecutionDescription => ({
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: record.startDate,
    stopDate: record.stopDate,
    input: record.input,
    output: record.output,
    error: record.error,
    cause: record.cause,
  });

  const notify = (record: ExecutionRecord) => {
    try {
      options.onStatusChange?.(describe(record));
    } catch (error) {
      log(`status change listener failed: ${String(error)}`);
    }
  };

  const closeToken = (token: string, reason: string) => {
    const task = pending.get(token);
    if (task) {
      clearTimeout(task.heartbeatTimer);
      clearTimeout(task.timeoutTimer);
      pending.delete(token);
      executions.get(task.executionArn)?.pendingTokens.delete(token);
    }
    closedTokens.set(token, reason);
    if (closedTokens.size > CLOSED_TOKENS_KEPT) {
      const oldest = closedTokens.keys().next().value;
      if (oldest !== undefined) closedTokens.delete(oldest);
    }
  };

  const armHeartbeat = (task: PendingTask) => {
    if (task.heartbeatSeconds === undefined) return;
    clearTimeout(task.heartbeatTimer);
    task.heartbeatTimer = setTimeout(() => {
      closeToken(task.token, 'Task timed out (heartbeat)');
      task.reject(new StatesError('States.HeartbeatTimeout', `No heartbeat for ${task.heartbeatSeconds} s`));
    }, task.heartbeatSeconds * 1000);
    task.heartbeatTimer.unref();
  };

  /** Registers a token before its message leaves, so a fast worker cannot answer too early. */
  const awaitToken = (
    record: ExecutionRecord,
    stateName: string,
    state: TaskStateDefinition,
    token: string,
  ) => {
    const { promise, resolve, reject } = Promise.withResolvers<JSONValue>();
    const task: PendingTask = {
      token,
      executionArn: record.executionArn,
      stateName,
      heartbeatSeconds: state.HeartbeatSeconds,
      resolve,
      reject,
    };
    pending.set(token, task);
    record.pendingTokens.add(token);
    armHeartbeat(task);
    // The library raises States.Timeout itself (with the error class Catch rules expect);
    // this timer only retires the token a moment later so late answers get TaskTimedOut.
    const timeoutSeconds =
      typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : MAX_TIMER_SECONDS;
    task.timeoutTimer = setTimeout(
      () => {
        closeToken(token, 'Task timed out');
        reject(new StatesError('States.Timeout', 'Task timed out'));
      },
      Math.min(timeoutSeconds * 1000 + 100, 2 ** 31 - 1),
    );
    task.timeoutTimer.unref();
    // The caller awaits this only once its message is sent; an execution stopped meanwhile
    // rejects it first, which must not count as an unhandled rejection. The caller still sees it.
    promise.catch(() => {});
    return promise;
  };

  const assertRunning = (record: ExecutionRecord) => {
    // The library re-enters a retried state even after an abort; nothing may leave then.
    if (record.status !== 'RUNNING')
      throw new StatesError('States.Runtime', 'Execution is no longer running');
  };

  const buildOverrides = (loaded: LoadedStateMachine, record: ExecutionRecord) => {
    const overrides: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
    for (const [stateName, state] of loaded.tasks) {
      const resource = state.Resource;
      // The library hands overrides the state's effective input: InputPath and Parameters
      // are already applied, `$$.Task.Token` resolved to the placeholder from the context.
      overrides[stateName] = async (input) => {
        assertRunning(record);
        if (resource === SQS_WAIT_FOR_TOKEN || resource === SQS_SEND) {
          const sqs = options.sqs;
          if (!sqs) throw new StatesError('States.Runtime', 'No SQS client configured');
          const token = resource === SQS_WAIT_FOR_TOKEN ? mintToken() : undefined;
          let params: unknown = input;
          if (token !== undefined) {
            const injected = injectToken(input, tokenPlaceholder, token);
            if (!injected.found) {
              throw new StatesError('States.Runtime', `State "${stateName}" does not pass $$.Task.Token`);
            }
            params = injected.value;
          }
          const answer = token === undefined ? undefined : awaitToken(record, stateName, state, token);
          try {
            const sent = await sqs.send(new SendMessageCommand(toSendMessageInput(params)));
            if (answer === undefined) {
              const requestId = sent.$metadata.requestId ?? randomUUID();
              return {
                MD5OfMessageBody: sent.MD5OfMessageBody ?? '',
                MessageId: sent.MessageId ?? '',
                ...sdkMetadata(requestId),
              };
            }
          } catch (error) {
            if (token !== undefined) closeToken(token, 'Message could not be sent');
            if (error instanceof StatesError) throw error;
            throw new StatesError(`SQS.${(error as Error).name}`, (error as Error).message);
          }
          log(`${record.name}: "${stateName}" waiting for its task token`);
          return answer;
        }
        if (resource === LAMBDA_INVOKE || resource === LAMBDA_INVOKE_WAIT_FOR_TOKEN) {
          if (!isRecord(input) || typeof input.FunctionName !== 'string') {
            throw new StatesError('States.Runtime', `State "${stateName}" needs Parameters.FunctionName`);
          }
          const invoke = findLambda(input.FunctionName);
          if (resource === LAMBDA_INVOKE) {
            const payload = await invoke(input.Payload ?? null).catch((error: unknown) => {
              throw lambdaErrorToStatesError(error);
            });
            return {
              ExecutedVersion: '$LATEST',
              Payload: payload as JSONValue,
              StatusCode: 200,
              ...sdkMetadata(randomUUID()),
            };
          }
          const token = mintToken();
          const injected = injectToken(input.Payload, tokenPlaceholder, token);
          const answer = awaitToken(record, stateName, state, token);
          await invoke(injected.value).catch((error: unknown) => {
            closeToken(token, 'Invocation failed');
            throw lambdaErrorToStatesError(error);
          });
          return answer;
        }
        const result = await findLambda(resource)(input).catch((error: unknown) => {
          throw lambdaErrorToStatesError(error);
        });
        return result as JSONValue;
      };
    }
    return overrides;
  };

  const finish = (
    record: ExecutionRecord,
    status: ExecutionStatus,
    fields: Partial<ExecutionDescription>,
  ) => {
    if (record.status !== 'RUNNING') return;
    Object.assign(record, fields, { status, stopDate: new Date() });
    for (const token of [...record.pendingTokens]) {
      const task = pending.get(token);
      closeToken(token, 'Execution is closed');
      task?.reject(new StatesError('States.Runtime', 'Execution is closed'));
    }
    log(`${record.name}: ${status}${record.error ? ` (${record.error})` : ''}`);
    notify(record);
  };

  const startExecution = (loaded: LoadedStateMachine, name: string, input: string): ExecutionRecord => {
    const arn = executionArn(loaded.name, name);
    const startDate = new Date();
    const record: ExecutionRecord = {
      executionArn: arn,
      stateMachineArn: loaded.arn,
      name,
      status: 'RUNNING',
      startDate,
      input,
      pendingTokens: new Set(),
      settled: Promise.resolve(),
    };
    executions.set(arn, record);
    const run = loaded.machine.run(JSON.parse(input) as JSONValue, {
      overrides: { taskResourceLocalHandlers: buildOverrides(loaded, record) },
      context: {
        Execution: {
          Id: arn,
          Name: name,
          RoleArn: `arn:aws:iam::${accountId}:role/local-state-machine-role`,
          StartTime: startDate.toISOString(),
        },
        StateMachine: { Id: loaded.arn, Name: loaded.name },
        Task: { Token: tokenPlaceholder },
      },
    });
    record.abort = run.abort;
    record.settled = run.result.then(
      (output) => finish(record, 'SUCCEEDED', { output: JSON.stringify(output) }),
      (error: unknown) => {
        if (error instanceof ExecutionAbortedError) return finish(record, 'ABORTED', {});
        if (error instanceof ExecutionTimeoutError) {
          return finish(record, 'TIMED_OUT', { error: 'States.Timeout', cause: 'Execution timed out' });
        }
        const cause = error instanceof ExecutionError ? error.cause : error;
        const failure = cause instanceof Error ? cause : new Error(String(cause));
        finish(record, 'FAILED', { error: failure.name, cause: failure.message });
      },
    );
    // Draining the event log keeps its queue from growing for the execution's lifetime.
    void (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered') log(`${name}: entered "${event.state.name}"`);
      }
    })();
    log(`${name}: started`);
    notify(record);
    return record;
  };

  const requireExecution = (arn: unknown): ExecutionRecord => {
    if (typeof arn !== 'string') throw new ServiceError('ValidationException', 'executionArn is required');
    const record = executions.get(arn);
    if (!record) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  };

  const requirePendingTask = (token: unknown): PendingTask => {
    if (!isWellFormedToken(token)) throw new ServiceError('InvalidToken', 'Invalid Token');
    const task = pending.get(token);
    if (task) return task;
    if (closedTokens.has(token))
      throw new ServiceError('TaskTimedOut', 'Provided task does not exist anymore');
    throw new ServiceError('TaskDoesNotExist', 'Task Does Not Exist');
  };

  const summary = (record: ExecutionRecord) => ({
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    stopDate: epochSeconds(record.stopDate),
  });

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    StartExecution(body) {
      const loaded =
        typeof body.stateMachineArn === 'string' ? machines.get(body.stateMachineArn) : undefined;
      if (!loaded)
        throw new ServiceError(
          'StateMachineDoesNotExist',
          `State Machine Does Not Exist: '${body.stateMachineArn}'`,
        );
      const name = body.name === undefined ? randomUUID() : body.name;
      if (
        typeof name !== 'string' ||
        name.length === 0 ||
        name.length > 80 ||
        INVALID_NAME_CHARACTER.test(name)
      ) {
        throw new ServiceError('InvalidName', `Invalid Name: '${String(name)}'`);
      }
      const input = body.input === undefined ? '{}' : body.input;
      if (typeof input !== 'string')
        throw new ServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input');
      try {
        JSON.parse(input);
      } catch {
        throw new ServiceError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not JSON');
      }
      const existing = executions.get(executionArn(loaded.name, name));
      if (existing) {
        // Standard workflows: same name and input while running is idempotent, anything else is not.
        if (existing.status === 'RUNNING' && existing.input === input) {
          return { executionArn: existing.executionArn, startDate: epochSeconds(existing.startDate) };
        }
        throw new ServiceError(
          'ExecutionAlreadyExists',
          `Execution Already Exists: '${existing.executionArn}'`,
        );
      }
      const record = startExecution(loaded, name, input);
      return { executionArn: record.executionArn, startDate: epochSeconds(record.startDate) };
    },
    DescribeExecution(body) {
      const record = requireExecution(body.executionArn);
      return {
        ...summary(record),
        input: record.input,
        inputDetails: { included: true },
        ...(record.output === undefined ? {} : { output: record.output, outputDetails: { included: true } }),
        ...(record.error === undefined ? {} : { error: record.error }),
        ...(record.cause === undefined ? {} : { cause: record.cause }),
      };
    },
    StopExecution(body) {
      const record = requireExecution(body.executionArn);
      if (record.status === 'RUNNING') {
        finish(record, 'ABORTED', {
          error: typeof body.error === 'string' ? body.error : undefined,
          cause: typeof body.cause === 'string' ? body.cause : undefined,
        });
        record.abort?.();
      }
      return { stopDate: epochSeconds(record.stopDate) };
    },
    ListExecutions(body) {
      const arn = body.stateMachineArn;
      if (typeof arn !== 'string' || !machines.has(arn)) {
        throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${String(arn)}'`);
      }
      const all = [...executions.values()]
        .filter((record) => record.stateMachineArn === arn)
        .filter((record) => body.statusFilter === undefined || record.status === body.statusFilter)
        .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
      const offset =
        typeof body.nextToken === 'string' ? Number(Buffer.from(body.nextToken, 'base64').toString()) : 0;
      const limit = typeof body.maxResults === 'number' && body.maxResults > 0 ? body.maxResults : 100;
      const page = all.slice(offset, offset + limit);
      const next =
        offset + limit < all.length ? Buffer.from(String(offset + limit)).toString('base64') : undefined;
      return { executions: page.map(summary), ...(next ? { nextToken: next } : {}) };
    },
    SendTaskSuccess(body) {
      const task = requirePendingTask(body.taskToken);
      let output: JSONValue;
      try {
        output = JSON.parse(String(body.output));
      } catch {
        throw new ServiceError('InvalidOutput', 'Invalid Output: not JSON');
      }
      closeToken(task.token, 'Task completed');
      task.resolve(output);
      return {};
    },
    SendTaskFailure(body) {
      const task = requirePendingTask(body.taskToken);
      closeToken(task.token, 'Task failed');
      task.reject(
        new StatesError(
          typeof body.error === 'string' ? body.error : '',
          typeof body.cause === 'string' ? body.cause : '',
        ),
      );
      return {};
    },
    SendTaskHeartbeat(body) {
      armHeartbeat(requirePendingTask(body.taskToken));
      return {};
    },
  };

  const respond = (res: ServerResponse, status: number, payload: unknown) => {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
    });
    res.end(JSON.stringify(payload));
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AWSStepFunctions.') ? operations[target.slice(17)] : undefined;
      try {
        const text = await readBody(req);
        if (!operation)
          throw new ServiceError('UnknownOperationException', `Unsupported operation: ${target}`);
        const body = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        respond(res, 200, operation(body));
      } catch (error) {
        if (error instanceof ServiceError) {
          respond(res, error.status, { __type: error.type, message: error.message });
        } else {
          log(`internal error in ${target}: ${(error as Error).stack ?? String(error)}`);
          respond(res, 500, { __type: 'InternalFailure', message: 'Internal failure' });
        }
      }
    })();
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    stateMachineArn,
    describe: (arn) => {
      const record = executions.get(arn);
      return record && describe(record);
    },
    list: () => [...executions.values()].map(describe),
    async waitForExecution(arn, timeoutMs = 30_000) {
      const record = executions.get(arn);
      if (!record) throw new Error(`No execution ${arn}`);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Execution ${arn} still running after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([record.settled, expired]);
      } finally {
        clearTimeout(timer);
      }
      return describe(record);
    },
    pendingTaskCount: () => pending.size,
    async close() {
      await new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
      for (const record of executions.values()) {
        if (record.status !== 'RUNNING') continue;
        finish(record, 'ABORTED', { error: 'States.Aborted', cause: 'Local stack stopped' });
        record.abort?.();
      }
      await Promise.allSettled([...executions.values()].map((record) => record.settled));
    },
  };
}
