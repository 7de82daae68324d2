/**
 * Dead-letter handler: a chunk message lands in the DLQ only when the worker died (crash,
 * timeout) on every delivery, so nobody answered its task token. Record the chunk as failed
 * and answer the token, so the job finishes now instead of waiting for the task timeout.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { withPowertools } from '#platform/middleware.ts';
import { logger } from '#platform/powertools.ts';
import * as jobs from '../job-store.ts';
import { chunkMessageSchema, failTask } from '../task-token.ts';

const processor = new BatchProcessor(EventType.SQS);

async function handleRecord(record: SQSRecord): Promise<void> {
  const parsed = chunkMessageSchema.safeParse(safeJson(record.body));
  if (!parsed.success) {
    logger.error('Unreadable message in the chunk DLQ; dropping it', { message_id: record.messageId });
    return;
  }
  const message = parsed.data;
  const reason = `The worker stopped without an answer on each of ${record.attributes.ApproximateReceiveCount ?? 'several'} deliveries (crash or timeout)`;
  const job = await jobs.getJob(message.job_id);
  if (job && job.status === 'running') {
    await jobs.recordChunkOutcome({
      jobId: message.job_id,
      chunkKey: message.chunk_key,
      status: 'failed',
      questions: 0,
      costUsd: 0,
      error: reason,
      message: `Failed ${message.chunk_key}`,
      input_tokens: 0,
      output_tokens: 0,
      thinking_tokens: 0,
      cached_tokens: 0,
    });
  }
  await failTask(message, 'ChunkFailed', reason);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export const handler = withPowertools(async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false }),
);
