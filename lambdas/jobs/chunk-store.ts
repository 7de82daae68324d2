/**
 * Chunk records: one per chunk of a job, in the job's partition (`chunkRecordKey`), with its
 * status, attempts, outcome and what an attempt kept. They expire with their job.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#platform/clients.ts';
import { CHUNK_SK_PREFIX, chunkRecordKey, jobKey } from '#platform/keys.ts';
import { isConditionFailure, queryAll, tableName } from '#platform/table.ts';
import type { JobRecord, TokenUsage } from './job.ts';
import type { ChunkQuality } from './quality-report.ts';

/**
 * What generating a chunk produced and cost, kept with the chunk when it is kept: a redelivery
 * of the same job whose earlier delivery stopped before recording the outcome records it from
 * these instead of generating the chunk again.
 */
export interface KeptChunk {
  s3_key: string;
  questions: number;
  usage: TokenUsage;
  cost_usd: number;
  quality?: ChunkQuality;
  calls: number;
}

export interface ChunkRecord {
  chunk_key: string;
  status: string;
  attempts: number;
  questions?: number;
  last_error?: string | null;
  s3_key?: string | null;
  quality?: ChunkQuality | null;
  /** A chunk kept by an attempt whose outcome is not recorded yet (chunks without a checkpoint). */
  kept?: KeptChunk | null;
}

/** Marks a chunk as started and returns how many attempts it has had, this one included. */
export async function startChunkAttempt(
  job: Pick<JobRecord, 'job_id' | 'expires_at'>,
  chunkKey: string,
): Promise<number> {
  const result = await dynamo.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: chunkRecordKey(job.job_id, chunkKey),
      // Chunk records expire with their job, so DynamoDB's TTL removes both.
      UpdateExpression:
        'SET #status = :running, chunk_key = :key, started_at = if_not_exists(started_at, :now), expires_at = :exp ADD attempts :one',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'running',
        ':key': chunkKey,
        ':now': new Date().toISOString(),
        ':one': 1,
        ':exp': job.expires_at,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return Number(result.Attributes?.attempts ?? 1);
}

export interface ChunkOutcome extends TokenUsage {
  jobId: string;
  chunkKey: string;
  status: 'completed' | 'failed';
  questions: number;
  costUsd: number;
  error?: string;
  s3Key?: string;
  message: string;
  /** The quality gate's counts, for chunks of questions. */
  quality?: ChunkQuality;
}

/** A chunk's outcome on its record, once its job has counted it (`recordChunkOutcome`). */
export async function writeChunkOutcome(
  outcome: ChunkOutcome,
  finishedAt: string,
  expiresAt: JobRecord['expires_at'],
): Promise<void> {
  await dynamo.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: chunkRecordKey(outcome.jobId, outcome.chunkKey),
      UpdateExpression:
        'SET #status = :status, chunk_key = :key, questions = :q, last_error = :err, s3_key = :s3, finished_at = :now, cost_usd = :cost, expires_at = :exp, quality = :quality',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': outcome.status,
        ':key': outcome.chunkKey,
        ':q': outcome.questions,
        ':err': outcome.error ?? null,
        ':s3': outcome.s3Key ?? null,
        ':now': finishedAt,
        ':cost': outcome.costUsd,
        ':exp': expiresAt,
        ':quality': outcome.quality ?? null,
      },
    }),
  );
}

/**
 * Marks existing chunk records requeued, so the worker generates those chunks again instead of
 * answering with their earlier outcome. A record that does not exist is left alone.
 */
export async function markChunksRequeued(jobId: string, chunkKeys: string[]): Promise<void> {
  await Promise.all(
    chunkKeys.map((key) =>
      dynamo
        .send(
          new UpdateCommand({
            TableName: tableName(),
            Key: chunkRecordKey(jobId, key),
            UpdateExpression: 'SET #status = :requeued',
            ConditionExpression: 'attribute_exists(pk)',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':requeued': 'requeued' },
          }),
        )
        .catch((error: unknown) => {
          if (!isConditionFailure(error)) throw error;
        }),
    ),
  );
}

export async function getChunkRecord(jobId: string, chunkKey: string): Promise<ChunkRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName(), Key: chunkRecordKey(jobId, chunkKey), ConsistentRead: true }),
  );
  return Item ? toChunkRecord(Item) : undefined;
}

function toChunkRecord(item: Record<string, unknown>): ChunkRecord {
  return {
    chunk_key: String(item.chunk_key ?? String(item.sk).slice(CHUNK_SK_PREFIX.length)),
    status: String(item.status),
    attempts: Number(item.attempts ?? 0),
    questions: item.questions as number | undefined,
    last_error: item.last_error as string | null | undefined,
    s3_key: item.s3_key as string | null | undefined,
    quality: item.quality as ChunkQuality | null | undefined,
    kept: item.kept as KeptChunk | null | undefined,
  };
}

/**
 * Notes on the chunk's record that an attempt kept the chunk, for chunks that have no
 * checkpoint entry to say so (assessments). A record that does not exist is left alone.
 */
export async function noteChunkKept(jobId: string, chunkKey: string, kept: KeptChunk): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: chunkRecordKey(jobId, chunkKey),
        UpdateExpression: 'SET kept = :kept',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':kept': kept },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

export async function listChunkRecords(jobId: string): Promise<ChunkRecord[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chunk)',
    ExpressionAttributeValues: { ':pk': jobKey(jobId).pk, ':chunk': CHUNK_SK_PREFIX },
  });
  return items.map(toChunkRecord);
}
