/**
 * Worker: one SQS message = one chunk of a running job, sent by the state machine's
 * "Generate chunk" state with a task token. The worker answers the token when the chunk has
 * an outcome; a transient failure goes back to the queue (with a growing delay) until its
 * last delivery, when the chunk is recorded as failed so the job can finish without it. A
 * redelivery never generates again what an earlier delivery of the job finished: it answers
 * from the chunk's recorded outcome, or records the outcome of the chunk that delivery kept.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import { generateChunk, keptByThisJob, kindOf } from '#kinds';
import { ENV, generationSettings, requireEnv } from '#platform/config.ts';
import { BudgetReached, DomainError } from '#platform/errors.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import { ModelCallError } from '#platform/gemini/gemini-client.ts';
import { withPowertools } from '#platform/middleware.ts';
import { logger, metrics } from '#platform/powertools.ts';
import { returnLater } from '#platform/queue.ts';
import { withTenant } from '#platform/tenant.ts';
import * as budgets from '../budget-store.ts';
import { chunkReserveUsd } from '../chunk-budget.ts';
import { ChunkGenerationFailed, type GeneratedChunk } from '../chunk-common.ts';
import { isTerminal, type JobRecord } from '../job.ts';
import * as jobs from '../job-store.ts';
import type { JobKind } from '../kind.ts';
import { type ChunkMessageBody, chunkMessageSchema, failTask, succeedTask } from '../task-token.ts';

const settings = generationSettings();
const queueUrl = requireEnv(ENV.chunkQueueUrl);
const processor = new BatchProcessor(EventType.SQS);
/** Time kept back from the invocation's deadline to record the outcome and answer the token. */
const DEADLINE_MARGIN_MS = 20_000;

async function handleRecord(record: SQSRecord, context?: Context): Promise<void> {
  const message = chunkMessageSchema.parse(JSON.parse(record.body));
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
  const log = { job_id: message.job_id, chunk_key: message.chunk_key, receive_count: receiveCount };
  logger.appendKeys(log);
  try {
    const job = await jobs.getJob(message.job_id);
    if (!job || isTerminal(job.status)) {
      // Cancelled or deleted: spend nothing on it. The execution was stopped, or is told now.
      logger.info('Skipping chunk of a job that is no longer running', { status: job?.status ?? 'deleted' });
      await failTask(message, 'JobNotRunning', `Job is ${job?.status ?? 'deleted'}`);
      return;
    }
    // Model calls are made for the chunk's owner: the rate limiter gives each key a fair share.
    await withTenant(message.owner, () => runChunk(job, message, receiveCount, record, context));
  } finally {
    logger.removeKeys(Object.keys(log));
  }
}

async function runChunk(
  job: JobRecord,
  message: ChunkMessageBody,
  receiveCount: number,
  record: SQSRecord,
  context?: Context,
): Promise<void> {
  const kind = kindOf(job.job_type);
  const label = await kind.chunkLabel(job, message.chunk_key, settings);
  if (!label) {
    // Not this job's chunk (a message from a changed deployment): nothing to generate, ever.
    await failTask(message, 'ChunkFailed', `Chunk ${message.chunk_key} is not part of job ${job.job_id}`);
    return;
  }
  const previous = await jobs.getChunkRecord(message.job_id, message.chunk_key);
  if (previous?.status === 'completed') {
    // A redelivery after the outcome was recorded (the answer to the token was lost): answer again.
    await succeedTask(message, previous.questions ?? 0);
    return;
  }
  const kept = await keptByThisJob(job, message.chunk_key, previous);
  if (kept) {
    // An earlier delivery kept the chunk and stopped before recording it: record what it
    // generated, at what it cost. That cost was settled before the chunk was kept, so this
    // delivery reserves nothing and settles nothing.
    logger.info('Chunk already kept by this job; recording it without generating it again', {
      s3_key: kept.s3Key,
      model_calls: kept.calls,
    });
    metrics.addMetric('ChunksReused', MetricUnit.Count, 1);
    await completeChunk(message, label, kept, kind);
    return;
  }
  const attempt = await jobs.startChunkAttempt(job, message.chunk_key);
  await jobs.setProgressMessage(message.job_id, `Generating ${label}...`);
  await kind.chunkStarted?.(job, message.chunk_key);
  const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 600_000) - DEADLINE_MARGIN_MS;
  let reservation: budgets.Reservation | undefined;
  /** Replaces the chunk's reservation by what it really cost, once. */
  const settle = async (costUsd: number) => {
    if (!reservation) return;
    const held = reservation;
    reservation = undefined;
    await budgets.settle(job.job_id, job.owner, held, costUsd);
  };
  try {
    const apiKey = await geminiApiKey();
    if (!apiKey) throw new ChunkGenerationFailed('GEMINI_API_KEY not configured', zeroUsage());
    const reserved = await budgets.reserve(
      job,
      chunkReserveUsd(job, message.chunk_key, settings, kind),
      job.monthly_budget_usd ?? null,
    );
    if (!reserved.ok) throw new BudgetReached(reserved.reason);
    reservation = reserved.reservation;
    const generated = await generateChunk({
      jobId: message.job_id,
      owner: message.owner,
      chunkKey: message.chunk_key,
      attempt,
      apiKey,
      settings,
      deadline,
      job,
      settleCost: settle,
    });
    await settle(generated.costUsd);
    await completeChunk(message, label, generated, kind);
  } catch (error) {
    // Bad answers and refusals would come out the same next time, and an exhausted daily quota
    // for hours (its message ends the job: see summary.ts); anything else (the model's 429s and
    // 5xx past this run's retries, a DynamoDB or S3 hiccup) is worth another delivery.
    const retryable = !(
      error instanceof ChunkGenerationFailed ||
      error instanceof DomainError ||
      (error instanceof ModelCallError && (error.kind === 'permanent' || error.kind === 'quota_exhausted'))
    );
    const usage = error instanceof ChunkGenerationFailed ? error.usage : zeroUsage();
    const costUsd = error instanceof ChunkGenerationFailed ? error.costUsd : 0;
    await settle(costUsd);
    if (retryable && receiveCount < settings.chunkMaxReceives) {
      await returnLater(record, {
        queueUrl,
        receiveCount,
        message: 'Chunk failed transiently; returning it to the queue',
        error: (error as Error).message,
      });
      throw error;
    }
    const reason = error instanceof Error ? error.message : String(error);
    if (error instanceof BudgetReached) logger.warn('Chunk not generated: budget reached', { reason });
    else if (error instanceof ModelCallError && error.kind === 'quota_exhausted')
      logger.warn('Chunk not generated: Gemini quota exhausted', { reason });
    else logger.error('Chunk failed', { error: reason, attempts: attempt });
    await jobs.recordChunkOutcome({
      jobId: message.job_id,
      chunkKey: message.chunk_key,
      status: 'failed',
      questions: 0,
      costUsd,
      error: reason,
      message: `Failed ${label}`,
      ...(error instanceof ChunkGenerationFailed && error.quality ? { quality: error.quality } : {}),
      ...usage,
    });
    metrics.addMetric('ChunksFailed', MetricUnit.Count, 1);
    await failTask(message, 'ChunkFailed', reason);
  }
}

/** Records a generated chunk's outcome on the job and answers the token with success. */
async function completeChunk(
  message: ChunkMessageBody,
  label: string,
  generated: GeneratedChunk,
  kind: JobKind,
) {
  const counted = await jobs.recordChunkOutcome({
    jobId: message.job_id,
    chunkKey: message.chunk_key,
    status: 'completed',
    questions: generated.questions,
    costUsd: generated.costUsd,
    s3Key: generated.s3Key,
    message: `Generated ${label}`,
    ...(generated.quality ? { quality: generated.quality } : {}),
    ...generated.usage,
  });
  if (counted) await kind.chunkCompleted?.(counted, message.chunk_key);
  metrics.addMetric('ChunksCompleted', MetricUnit.Count, 1);
  metrics.addMetric('QuestionsGenerated', MetricUnit.Count, generated.questions);
  await succeedTask(message, generated.questions);
}

function zeroUsage() {
  return { input_tokens: 0, output_tokens: 0, thinking_tokens: 0, cached_tokens: 0 };
}

export const handler = withPowertools(async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, handleRecord, processor, { context, throwOnFullBatchFailure: false }),
);
