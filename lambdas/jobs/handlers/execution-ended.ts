/**
 * EventBridge "Step Functions Execution Status Change" (FAILED, TIMED_OUT, ABORTED): a job
 * whose execution ended without finalizing it must not stay `running` forever.
 */
import type { EventBridgeEvent } from 'aws-lambda';
import { kindOf } from '#kinds';
import { withPowertools } from '#platform/middleware.ts';
import { markOrphaned } from '../job-service.ts';

interface ExecutionStatusChange {
  executionArn: string;
  name: string;
  status: string;
}

export async function executionEnded(event: EventBridgeEvent<string, ExecutionStatusChange>): Promise<void> {
  await markOrphaned(event.detail.name, `The execution ended with status ${event.detail.status}`, kindOf);
}

export const handler = withPowertools(executionEnded);
