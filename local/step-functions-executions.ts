/**
 * Executions in memory, as in a Step Functions service that lost its state: a restart of the
 * local stack forgets running executions and the application has to cope, as it must in AWS
 * when an execution is stopped behind its back.
 */

import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
} from 'aws-local-stepfunctions';
import { executionLimits, limitsRunOption } from './step-functions-limits.ts';
import type {
  ExecutionDescription,
  ExecutionRecord,
  ExecutionStatus,
  JSONValue,
  LoadedStateMachine,
} from './step-functions-machine.ts';
import { type Integrations, taskOverrides } from './step-functions-tasks.ts';

export interface ExecutionsOptions {
  region: string;
  accountId: string;
  integrations: Integrations;
  /** Called when an execution starts and when it ends (EventBridge's "Execution Status Change"). */
  onStatusChange?: (execution: ExecutionDescription) => void;
  log: (line: string) => void;
  /** Lower quotas than AWS's, for tests that cannot afford 25,000 events. */
  limits?: { maxEvents?: number; maxPayloadBytes?: number };
}

export function describe(record: ExecutionRecord): ExecutionDescription {
  return {
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
  };
}

export class Executions {
  readonly records = new Map<string, ExecutionRecord>();
  private readonly options: ExecutionsOptions;

  constructor(options: ExecutionsOptions) {
    this.options = options;
  }

  arn(machine: string, name: string): string {
    return `arn:aws:states:${this.options.region}:${this.options.accountId}:execution:${machine}:${name}`;
  }

  private notify(record: ExecutionRecord): void {
    try {
      this.options.onStatusChange?.(describe(record));
    } catch (error) {
      this.options.log(`status change listener failed: ${String(error)}`);
    }
  }

  /** Ends a running execution (once): its pending tasks are closed and listeners told. */
  finish(record: ExecutionRecord, status: ExecutionStatus, fields: Partial<ExecutionDescription>): void {
    if (record.status !== 'RUNNING') return;
    Object.assign(record, fields, { status, stopDate: new Date() });
    this.options.integrations.tokens.closeAllOf(record);
    this.options.log(`${record.name}: ${status}${record.error ? ` (${record.error})` : ''}`);
    this.notify(record);
  }

  start(loaded: LoadedStateMachine, name: string, input: string): ExecutionRecord {
    const { accountId, integrations, log } = this.options;
    const arn = this.arn(loaded.name, name);
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
      limits: executionLimits({
        ...this.options.limits,
        integrationTasks: [...loaded.tasks].flatMap(([name, task]) =>
          task.Resource.startsWith('arn:aws:states:::') ? [name] : [],
        ),
      }),
    };
    this.records.set(arn, record);
    const run = loaded.machine.run(JSON.parse(input) as JSONValue, {
      // Every Map iteration inherits the run options, so one count covers the whole execution.
      ...(limitsRunOption(record.limits) as RunOptions),
      overrides: { taskResourceLocalHandlers: taskOverrides(loaded, record, integrations) },
      context: {
        Execution: {
          Id: arn,
          Name: name,
          RoleArn: `arn:aws:iam::${accountId}:role/local-state-machine-role`,
          StartTime: startDate.toISOString(),
        },
        StateMachine: { Id: loaded.arn, Name: loaded.name },
        Task: { Token: integrations.tokenPlaceholder },
      },
    });
    record.abort = run.abort;
    record.settled = run.result.then(
      (output) => this.finish(record, 'SUCCEEDED', { output: JSON.stringify(output) }),
      (error: unknown) => {
        if (error instanceof ExecutionAbortedError) return this.finish(record, 'ABORTED', {});
        if (error instanceof ExecutionTimeoutError) {
          return this.finish(record, 'TIMED_OUT', { error: 'States.Timeout', cause: 'Execution timed out' });
        }
        const cause = error instanceof ExecutionError ? error.cause : error;
        const failure = cause instanceof Error ? cause : new Error(String(cause));
        this.finish(record, 'FAILED', { error: failure.name, cause: failure.message });
      },
    );
    // Draining the event log keeps its queue from growing for the execution's lifetime.
    void (async () => {
      for await (const event of run.eventLogs) {
        if (event.type === 'StateEntered') log(`${name}: entered "${event.state.name}"`);
      }
    })();
    log(`${name}: started`);
    this.notify(record);
    return record;
  }

  /** Stops every running execution, as a stopped service would, and waits for them to settle. */
  async abortAll(): Promise<void> {
    for (const record of this.records.values()) {
      if (record.status !== 'RUNNING') continue;
      this.finish(record, 'ABORTED', { error: 'States.Aborted', cause: 'Local stack stopped' });
      record.abort?.();
    }
    await Promise.allSettled([...this.records.values()].map((record) => record.settled));
  }
}
