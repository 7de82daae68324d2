/**
 * The checkpoint: an owner's completed chunks (`checkpointKey`), each with the S3 key of its
 * validated questions, so a new job resumes where an old one stopped.
 */
import { BatchGetCommand, type BatchGetCommandOutput, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#platform/clients.ts';
import { checkpointKey, checkpointPk } from '#platform/keys.ts';
import { queryAll, tableName, withoutKeys } from '#platform/table.ts';
import type { TokenUsage } from './job.ts';
import type { ChunkQuality } from './quality-report.ts';

export interface CheckpointEntry {
  chunk_key: string;
  s3_key: string;
  questions: number;
  job_id: string;
  completed_at: string;
  /** The rest of KeptChunk; absent on entries written before they were kept. */
  usage?: TokenUsage;
  cost_usd?: number;
  quality?: ChunkQuality;
  calls?: number;
}

export async function putCheckpoint(owner: string, entry: CheckpointEntry): Promise<void> {
  await dynamo.send(
    new PutCommand({ TableName: tableName(), Item: { ...checkpointKey(owner, entry.chunk_key), ...entry } }),
  );
}

/** The owner's checkpoint entry for one chunk, with everything it keeps. */
export async function getCheckpoint(owner: string, chunkKey: string): Promise<CheckpointEntry | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName(), Key: checkpointKey(owner, chunkKey), ConsistentRead: true }),
  );
  return Item ? withoutKeys<CheckpointEntry>(Item) : undefined;
}

/** Every completed chunk of an owner, optionally only those whose key starts with `prefix`. */
export async function listCheckpoint(owner: string, prefix?: string): Promise<CheckpointEntry[]> {
  const items = await queryAll({
    KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
    ExpressionAttributeValues: prefix
      ? { ':pk': checkpointPk(owner), ':prefix': prefix }
      : { ':pk': checkpointPk(owner) },
  });
  return items.map((item) => ({
    chunk_key: String(item.chunk_key),
    s3_key: String(item.s3_key),
    questions: Number(item.questions),
    job_id: String(item.job_id),
    completed_at: String(item.completed_at),
  }));
}

/** Which of `chunkKeys` are already in the owner's checkpoint. */
export async function checkpointedKeys(owner: string, chunkKeys: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  const table = tableName();
  for (let i = 0; i < chunkKeys.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = chunkKeys
      .slice(i, i + 100)
      .map((k) => checkpointKey(owner, k));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed keys');
      const result: BatchGetCommandOutput = await dynamo.send(
        new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ProjectionExpression: 'sk' } } }),
      );
      for (const item of result.Responses?.[table] ?? []) found.add(String(item.sk));
      keys = result.UnprocessedKeys?.[table]?.Keys;
      if (keys && keys.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }
  return found;
}
