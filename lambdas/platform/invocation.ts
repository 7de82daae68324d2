/**
 * The running invocation's deadline, for work that must stop before Lambda ends the function:
 * a function that times out is retried by its caller (Step Functions, EventBridge, SQS) and does
 * everything again. Lambda runs one invocation at a time per execution environment, so one
 * value per process is the current invocation's. `withPowertools` records it before each call.
 */
import type { Context } from 'aws-lambda';

let deadlineAt: number | undefined;

/** Records `context`'s deadline (`getRemainingTimeInMillis` from now). */
export function startInvocation(context: Pick<Context, 'getRemainingTimeInMillis'> | undefined): void {
  const remaining = context?.getRemainingTimeInMillis?.();
  deadlineAt =
    typeof remaining === 'number' && Number.isFinite(remaining) ? Date.now() + remaining : undefined;
}

/** When the current invocation ends (epoch ms), minus `marginMs`; undefined outside Lambda. */
export function invocationDeadline(marginMs = 0): number | undefined {
  return deadlineAt === undefined ? undefined : deadlineAt - marginMs;
}
