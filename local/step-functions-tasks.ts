/**
 * The service integrations the state machine's Task states use, which aws-local-stepfunctions
 * leaves to its caller, and the task tokens they hand out:
 * - `sqs:sendMessage.waitForTaskToken`: mint a real task token, send a real SQS message, wait
 *   for SendTaskSuccess / SendTaskFailure / heartbeat and task timeouts;
 * - `sqs:sendMessage`, `lambda:invoke` (+ `.waitForTaskToken`) and bare function ARNs: call the
 *   in-process handlers of `lambda-runtime.ts`.
 */

import { randomBytes, randomUUID } from 'node:crypto';
import { type MessageAttributeValue, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { isRecord } from './cloudformation.ts';
import { type Invoke, LambdaInvocationError } from './lambda-runtime.ts';
import { checkPayload } from './step-functions-limits.ts';
import {
  type ExecutionRecord,
  type JSONValue,
  LAMBDA_ARN,
  LAMBDA_INVOKE,
  LAMBDA_INVOKE_WAIT_FOR_TOKEN,
  type LoadedStateMachine,
  MAX_TIMER_SECONDS,
  SQS_SEND,
  SQS_WAIT_FOR_TOKEN,
  StatesError,
  type TaskStateDefinition,
} from './step-functions-machine.ts';

const TOKEN_PREFIX = 'AQB';
const CLOSED_TOKENS_KEPT = 10_000;

export interface PendingTask {
  token: string;
  execution: ExecutionRecord;
  stateName: string;
  heartbeatSeconds?: number;
  heartbeatTimer?: NodeJS.Timeout;
  timeoutTimer?: NodeJS.Timeout;
  resolve: (output: JSONValue) => void;
  reject: (error: Error) => void;
}

export function isWellFormedToken(token: unknown): token is string {
  return (
    typeof token === 'string' && token.startsWith(TOKEN_PREFIX) && token.length === TOKEN_PREFIX.length + 160
  );
}

/**
 * Task tokens handed out and not yet answered, and those closed lately: an answer to a closed
 * one is told the task timed out rather than that it never existed, as in AWS.
 */
export class TaskTokens {
  readonly pending = new Map<string, PendingTask>();
  private readonly closed = new Map<string, string>();

  mint(): string {
    return TOKEN_PREFIX + randomBytes(120).toString('base64');
  }

  wasClosed(token: string): boolean {
    return this.closed.has(token);
  }

  close(token: string, reason: string): void {
    const task = this.pending.get(token);
    if (task) {
      clearTimeout(task.heartbeatTimer);
      clearTimeout(task.timeoutTimer);
      this.pending.delete(token);
      task.execution.pendingTokens.delete(token);
    }
    this.closed.set(token, reason);
    if (this.closed.size > CLOSED_TOKENS_KEPT) {
      const oldest = this.closed.keys().next().value;
      if (oldest !== undefined) this.closed.delete(oldest);
    }
  }

  armHeartbeat(task: PendingTask): void {
    if (task.heartbeatSeconds === undefined) return;
    clearTimeout(task.heartbeatTimer);
    task.heartbeatTimer = setTimeout(() => {
      this.close(task.token, 'Task timed out (heartbeat)');
      task.reject(new StatesError('States.HeartbeatTimeout', `No heartbeat for ${task.heartbeatSeconds} s`));
    }, task.heartbeatSeconds * 1000);
    task.heartbeatTimer.unref();
  }

  /** Registers a token before its message leaves, so a fast worker cannot answer too early. */
  await(
    record: ExecutionRecord,
    stateName: string,
    state: TaskStateDefinition,
    token: string,
  ): Promise<JSONValue> {
    const { promise, resolve, reject } = Promise.withResolvers<JSONValue>();
    const task: PendingTask = {
      token,
      execution: record,
      stateName,
      heartbeatSeconds: state.HeartbeatSeconds,
      resolve,
      reject,
    };
    this.pending.set(token, task);
    record.pendingTokens.add(token);
    this.armHeartbeat(task);
    // The library raises States.Timeout itself (with the error class Catch rules expect);
    // this timer only retires the token a moment later so late answers get TaskTimedOut.
    const timeoutSeconds =
      typeof state.TimeoutSeconds === 'number' ? state.TimeoutSeconds : MAX_TIMER_SECONDS;
    task.timeoutTimer = setTimeout(
      () => {
        this.close(token, 'Task timed out');
        reject(new StatesError('States.Timeout', 'Task timed out'));
      },
      Math.min(timeoutSeconds * 1000 + 100, 2 ** 31 - 1),
    );
    task.timeoutTimer.unref();
    // The caller awaits this only once its message is sent; an execution stopped meanwhile
    // rejects it first, which must not count as an unhandled rejection. The caller still sees it.
    promise.catch(() => {});
    return promise;
  }

  /** Ends the tasks an execution still waits for: it has stopped. */
  closeAllOf(record: ExecutionRecord): void {
    for (const token of [...record.pendingTokens]) {
      const task = this.pending.get(token);
      this.close(token, 'Execution is closed');
      task?.reject(new StatesError('States.Runtime', 'Execution is closed'));
    }
  }
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

/** Finds a function by ARN (qualified or not) or by name, as Task states name them. */
export function lambdaFinder(byArn: Record<string, Invoke>): (reference: string) => Invoke {
  const lambdas = new Map<string, Invoke>();
  for (const [arn, invoke] of Object.entries(byArn)) {
    lambdas.set(arn, invoke);
    const name = LAMBDA_ARN.exec(arn)?.[1];
    if (name) lambdas.set(name, invoke);
  }
  return (reference) => {
    const name = LAMBDA_ARN.exec(reference)?.[1] ?? reference.split(':')[0] ?? reference;
    const invoke = lambdas.get(reference) ?? lambdas.get(name);
    if (!invoke)
      throw new StatesError('Lambda.ResourceNotFoundException', `Function not found: ${reference}`);
    return invoke;
  };
}

export interface Integrations {
  tokens: TaskTokens;
  findLambda: (reference: string) => Invoke;
  sqs: SQSClient | undefined;
  /** The value `$$.Task.Token` resolves to in the context; each task's own token replaces it. */
  tokenPlaceholder: string;
  log: (line: string) => void;
}

function assertRunning(record: ExecutionRecord): void {
  // The library re-enters a retried state even after an abort; nothing may leave then.
  if (record.status !== 'RUNNING') throw new StatesError('States.Runtime', 'Execution is no longer running');
}

/** One execution's Task overrides: what each Task state does when the library reaches it. */
export function taskOverrides(
  loaded: LoadedStateMachine,
  record: ExecutionRecord,
  integrations: Integrations,
): Record<string, (input: JSONValue) => Promise<JSONValue>> {
  const { tokens, findLambda, tokenPlaceholder, log } = integrations;
  const overrides: Record<string, (input: JSONValue) => Promise<JSONValue>> = {};
  for (const [stateName, state] of loaded.tasks) {
    const resource = state.Resource;
    // The library hands overrides the state's effective input: InputPath and Parameters
    // are already applied, `$$.Task.Token` resolved to the placeholder from the context.
    const run = async (input: JSONValue): Promise<JSONValue> => {
      assertRunning(record);
      if (resource === SQS_WAIT_FOR_TOKEN || resource === SQS_SEND) {
        const sqs = integrations.sqs;
        if (!sqs) throw new StatesError('States.Runtime', 'No SQS client configured');
        const token = resource === SQS_WAIT_FOR_TOKEN ? tokens.mint() : undefined;
        let params: unknown = input;
        if (token !== undefined) {
          const injected = injectToken(input, tokenPlaceholder, token);
          if (!injected.found) {
            throw new StatesError('States.Runtime', `State "${stateName}" does not pass $$.Task.Token`);
          }
          params = injected.value;
        }
        const answer = token === undefined ? undefined : tokens.await(record, stateName, state, token);
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
          if (token !== undefined) tokens.close(token, 'Message could not be sent');
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
        const token = tokens.mint();
        const injected = injectToken(input.Payload, tokenPlaceholder, token);
        const answer = tokens.await(record, stateName, state, token);
        await invoke(injected.value).catch((error: unknown) => {
          tokens.close(token, 'Invocation failed');
          throw lambdaErrorToStatesError(error);
        });
        return answer;
      }
      const result = await findLambda(resource)(input).catch((error: unknown) => {
        throw lambdaErrorToStatesError(error);
      });
      return result as JSONValue;
    };
    // The quota covers "input data when scheduling a task" and what the task returns, before
    // ResultSelector or ResultPath make it smaller (service-quotas.html, task executions).
    overrides[stateName] = async (input) => {
      checkPayload(record.limits, input, `The parameters of task '${stateName}'`);
      const result = await run(input);
      checkPayload(record.limits, result, `The state/task '${stateName}' returned a result that`);
      return result;
    };
  }
  return overrides;
}
