/**
 * The execution quotas of Step Functions (Standard workflows) that aws-local-stepfunctions does
 * not enforce, enforced here so that a pipeline that would die in AWS dies locally too:
 *
 * - Payload: "Maximum input or output size for a task, state, or execution: 262,144 bytes of data
 *   as a UTF-8 encoded string. This quota affects tasks (activity, Lambda function, or integrated
 *   service), state or execution output, and input data when scheduling a task, entering a
 *   state, or starting an execution."
 *   https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html (task executions)
 *   Passing it is `States.DataLimitExceeded`, "a terminal error that can't be caught by the
 *   States.ALL error type" (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html),
 *   so no Retry or Catch sees it and the execution fails.
 * - History: "Maximum execution history size: 25,000 events in a single state machine execution
 *   history. If the execution history reaches this quota, the execution will fail."
 *   (service-quotas.html, state machine executions). "When an execution reaches 24,999 events,
 *   it waits for the next event to happen. If the event number 25,000 is ExecutionSucceeded, the
 *   execution finishes successfully", otherwise it fails
 *   (https://docs.aws.amazon.com/step-functions/latest/dg/bp-history-limit.html). AWS names no
 *   error for it; the failure here is an uncatchable `States.Runtime`.
 *
 * The library keeps no history, so events are counted as AWS would write them, approximately:
 * every state entered and exited is one event each; a Task adds its scheduled and started
 * events on entry (a service integration, `arn:aws:states:::…`, its submitted event too), its
 * succeeded event on exit,
 * its failed event per failure and scheduled + started again per retry; a Map adds its
 * MapStateStarted and MapStateSucceeded/Failed events; each Map iteration adds its started and
 * succeeded/failed events; the execution adds its started and ended events. A caught error adds
 * one. The count can differ from AWS's by a few events per state; it never counts fewer events
 * for a loop than AWS, which is what the quota is about.
 *
 * The library exposes no hook for this, so `StateMachine.prototype.execute` (the loop every
 * execution and every Map iteration runs) is wrapped once per process: executions started with
 * `executionLimits()` in their run options get an event logger that counts and checks.
 */
import { StateMachine } from 'aws-local-stepfunctions';

export const MAX_PAYLOAD_BYTES = 262_144;
export const MAX_HISTORY_EVENTS = 25_000;

/** The run option key the limits travel under; the library hands run options to every Map iteration. */
const LIMITS_OPTION = 'quizgenExecutionLimits';

/**
 * An error no Retry or Catch matches: the library asks `isRetryable` / `isCatchable` (its own
 * `States.Runtime` answers false to both), and AWS lets neither quota be caught.
 */
export class TerminalStatesError extends Error {
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(name: 'States.DataLimitExceeded' | 'States.Runtime', message: string) {
    super(message);
    this.name = name;
  }
}

export interface ExecutionLimits {
  events: number;
  readonly maxEvents: number;
  readonly maxPayloadBytes: number;
  /** Task states of service integrations (`arn:aws:states:::…`), which write a TaskSubmitted event. */
  readonly integrationTasks: ReadonlySet<string>;
}

export function executionLimits(
  options: { maxEvents?: number; maxPayloadBytes?: number; integrationTasks?: Iterable<string> } = {},
): ExecutionLimits {
  return {
    events: 0,
    maxEvents: options.maxEvents ?? MAX_HISTORY_EVENTS,
    maxPayloadBytes: options.maxPayloadBytes ?? MAX_PAYLOAD_BYTES,
    integrationTasks: new Set(options.integrationTasks),
  };
}

/** The run options that carry `limits` into the execution and each of its Map iterations. */
export function limitsRunOption(limits: ExecutionLimits): Record<string, unknown> {
  return { [LIMITS_OPTION]: limits };
}

export function payloadBytes(value: unknown): number {
  return value === undefined ? 0 : Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/**
 * Fails with States.DataLimitExceeded when `value` is over the payload quota. `what` names the
 * payload as AWS's cause does ("The state/task '<name>' returned a result with a size exceeding
 * the maximum number of bytes service limit.").
 */
export function checkPayload(limits: ExecutionLimits | undefined, value: unknown, what: string): void {
  if (!limits) return;
  const bytes = payloadBytes(value);
  if (bytes <= limits.maxPayloadBytes) return;
  throw new TerminalStatesError(
    'States.DataLimitExceeded',
    `${what} has a size exceeding the maximum number of bytes service limit (${bytes} > ${limits.maxPayloadBytes} bytes)`,
  );
}

function countEvents(limits: ExecutionLimits, count: number, endsExecution = false): void {
  limits.events += count;
  // The 25,000th event may only be the execution's success.
  if (limits.events < limits.maxEvents || (endsExecution && limits.events === limits.maxEvents)) return;
  throw new TerminalStatesError(
    'States.Runtime',
    `The execution reached the maximum execution history size of ${limits.maxEvents} events`,
  );
}

/** Events a Task writes when it is entered beyond TaskStateEntered: scheduled, started (submitted). */
const TASK_ENTRY_EVENTS = 2;

type Dispatch = (...args: unknown[]) => void;
interface EventLogger {
  [method: string]: unknown;
}

/** The execution's event logger, counting history events and checking state payloads as they pass. */
function guardedLogger(logger: EventLogger, limits: ExecutionLimits): EventLogger {
  const call = (method: string, args: unknown[]) => (logger[method] as Dispatch).apply(logger, args);
  const extra = (type: unknown, task: number, map: number) =>
    type === 'Task' ? task : type === 'Map' ? map : 0;
  const wrappers: Record<string, Dispatch> = {
    // In a Map iteration these stand for MapIterationStarted / Succeeded / Failed: one event each too.
    dispatchExecutionStartedEvent: (...args) => {
      countEvents(limits, 1);
      call('dispatchExecutionStartedEvent', args);
    },
    dispatchExecutionSucceededEvent: (...args) => {
      countEvents(limits, 1, true);
      call('dispatchExecutionSucceededEvent', args);
    },
    dispatchExecutionFailedEvent: (...args) => {
      countEvents(limits, 1);
      call('dispatchExecutionFailedEvent', args);
    },
    dispatchStateEnteredEvent: (name, type, input) => {
      const submitted = limits.integrationTasks.has(String(name)) ? 1 : 0;
      countEvents(limits, 1 + extra(type, TASK_ENTRY_EVENTS + submitted, 1));
      checkPayload(limits, input, `The input of state '${String(name)}'`);
      call('dispatchStateEnteredEvent', [name, type, input]);
    },
    dispatchStateExitedEvent: (name, type, input, output) => {
      countEvents(limits, 1 + extra(type, 1, 1));
      checkPayload(limits, output, `The state/task '${String(name)}' returned a result that`);
      call('dispatchStateExitedEvent', [name, type, input, output]);
    },
    dispatchStateFailedEvent: (...args) => {
      countEvents(limits, extra(args[1], 1, 1));
      call('dispatchStateFailedEvent', args);
    },
    dispatchStateRetriedEvent: (...args) => {
      countEvents(limits, extra(args[1], TASK_ENTRY_EVENTS, 1));
      call('dispatchStateRetriedEvent', args);
    },
    dispatchStateCaughtEvent: (...args) => {
      countEvents(limits, 1);
      call('dispatchStateCaughtEvent', args);
    },
  };
  return new Proxy(logger, {
    get(target, property, receiver) {
      if (typeof property === 'string' && property in wrappers) return wrappers[property];
      return Reflect.get(target, property, receiver);
    },
  });
}

interface ExecuteOptions {
  runOptions?: Record<string, unknown>;
  eventLogger: EventLogger;
  [key: string]: unknown;
}
type Execute = (input: unknown, options: ExecuteOptions, cleanup: () => void) => Promise<unknown>;

const prototype = StateMachine.prototype as unknown as { execute: Execute; quizgenLimited?: true };
if (!prototype.quizgenLimited) {
  const execute = prototype.execute;
  prototype.execute = function limitedExecute(this: StateMachine, input, options, cleanup) {
    const limits = options.runOptions?.[LIMITS_OPTION] as ExecutionLimits | undefined;
    const guarded = limits
      ? { ...options, eventLogger: guardedLogger(options.eventLogger, limits) }
      : options;
    return execute.call(this, input, guarded, cleanup);
  };
  prototype.quizgenLimited = true;
}
