/**
 * The Step Functions API actions the application calls, answered with the errors (`__type`)
 * and validation AWS gives: StartExecution (idempotent by name and input while running),
 * DescribeExecution, StopExecution, ListExecutions, and the task token answers.
 */

import { randomUUID } from 'node:crypto';
import type { Executions } from './step-functions-executions.ts';
import { MAX_PAYLOAD_BYTES } from './step-functions-limits.ts';
import {
  type ExecutionRecord,
  type JSONValue,
  type LoadedStateMachine,
  StatesError,
} from './step-functions-machine.ts';
import { isWellFormedToken, type PendingTask, type TaskTokens } from './step-functions-tasks.ts';

/** Characters Step Functions refuses in execution names. */
const INVALID_NAME_CHARACTER = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\p{Cc}]/u;

export class ServiceError extends Error {
  readonly type: string;
  readonly status: number;
  constructor(type: string, message: string, status = 400) {
    super(message);
    this.type = type;
    this.status = status;
  }
}

export type Operation = (body: Record<string, unknown>) => unknown;

function epochSeconds(date: Date | undefined): number | undefined {
  return date === undefined ? undefined : date.getTime() / 1000;
}

function summary(record: ExecutionRecord) {
  return {
    executionArn: record.executionArn,
    stateMachineArn: record.stateMachineArn,
    name: record.name,
    status: record.status,
    startDate: epochSeconds(record.startDate),
    stopDate: epochSeconds(record.stopDate),
  };
}

/**
 * The request members' length constraints the code could pass (Step Functions API Reference,
 * "Length Constraints" of StartExecution, SendTaskSuccess, SendTaskFailure, StopExecution). AWS
 * checks them before anything else and answers `ValidationException` with the model's wording,
 * as SendTaskFailure answers a longer cause: "1 validation error detected: Value at 'cause'
 * failed to satisfy constraint: Member must have length less than or equal to 32768"
 * (irothschild/stefuna#8, a worker whose task then hung until its timeout). Payloads count
 * UTF-8 bytes ("Length constraints apply to the payload size, and are expressed as bytes in
 * UTF-8 encoding"); other strings count characters.
 */
const PAYLOAD = { max: MAX_PAYLOAD_BYTES, bytes: true } as const;
const FAILURE = { error: { max: 256 }, cause: { max: 32_768 } } as const;
const MEMBER_LIMITS: Record<string, Record<string, { max: number; bytes?: boolean }>> = {
  StartExecution: { input: PAYLOAD },
  SendTaskSuccess: { output: PAYLOAD },
  SendTaskFailure: FAILURE,
  StopExecution: FAILURE,
};

function checkMemberLimits(action: string, body: Record<string, unknown>): void {
  const problems = Object.entries(MEMBER_LIMITS[action] ?? {}).flatMap(([member, { max, bytes }]) => {
    const value = body[member];
    if (typeof value !== 'string') return [];
    const length = bytes ? Buffer.byteLength(value, 'utf8') : [...value].length;
    return length > max
      ? [
          `Value at '${member}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
        ]
      : [];
  });
  if (problems.length > 0) {
    const count = `${problems.length} validation error${problems.length > 1 ? 's' : ''} detected`;
    throw new ServiceError('ValidationException', `${count}: ${problems.join('; ')}`);
  }
}

/** The actions by name, as the `X-Amz-Target` header names them after `AWSStepFunctions.`. */
export function operations(
  machines: Map<string, LoadedStateMachine>,
  executions: Executions,
  tokens: TaskTokens,
): Record<string, Operation> {
  const requireExecution = (arn: unknown): ExecutionRecord => {
    if (typeof arn !== 'string') throw new ServiceError('ValidationException', 'executionArn is required');
    const record = executions.records.get(arn);
    if (!record) throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return record;
  };

  const requirePendingTask = (token: unknown): PendingTask => {
    if (!isWellFormedToken(token)) throw new ServiceError('InvalidToken', 'Invalid Token');
    const task = tokens.pending.get(token);
    if (task) return task;
    if (tokens.wasClosed(token))
      throw new ServiceError('TaskTimedOut', 'Provided task does not exist anymore');
    throw new ServiceError('TaskDoesNotExist', 'Task Does Not Exist');
  };

  const actions: Record<string, Operation> = {
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
      const existing = executions.records.get(executions.arn(loaded.name, name));
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
      const record = executions.start(loaded, name, input);
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
        executions.finish(record, 'ABORTED', {
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
      const all = [...executions.records.values()]
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
      tokens.close(task.token, 'Task completed');
      task.resolve(output);
      return {};
    },
    SendTaskFailure(body) {
      const task = requirePendingTask(body.taskToken);
      tokens.close(task.token, 'Task failed');
      task.reject(
        new StatesError(
          typeof body.error === 'string' ? body.error : '',
          typeof body.cause === 'string' ? body.cause : '',
        ),
      );
      return {};
    },
    SendTaskHeartbeat(body) {
      tokens.armHeartbeat(requirePendingTask(body.taskToken));
      return {};
    },
  };
  return Object.fromEntries(
    Object.entries(actions).map(([action, operation]) => [
      action,
      (body: Record<string, unknown>) => {
        checkMemberLimits(action, body);
        return operation(body);
      },
    ]),
  );
}
