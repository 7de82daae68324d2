/**
 * Jobs in DynamoDB (`jobKey`), listed newest first through the owner indexes. The rest of the
 * job engine's store has a module each: chunk records (chunk-store.ts), the checkpoint
 * (checkpoint-store.ts), question banks (bank-store.ts) and counters (counter-store.ts).
 */
import { GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#platform/clients.ts';
import { createdSortKey, jobKey, jobListOwner, ownerIndexPk, ownerStatusIndexPk } from '#platform/keys.ts';
import {
  isConditionFailure,
  queryAll,
  queryPages,
  type TableQuery,
  tableName,
  withoutKeys,
  writeBatch,
} from '#platform/table.ts';
import { type ChunkOutcome, markChunksRequeued, writeChunkOutcome } from './chunk-store.ts';
import {
  chunkProgressPercent,
  type JobRecord,
  type JobStatus,
  type ResultSummary,
  type TokenUsage,
} from './job.ts';

const nowIso = () => new Date().toISOString();
const nowEpoch = () => Math.floor(Date.now() / 1000);

/** Expired items linger until DynamoDB's TTL sweep; they count as gone. */
function live<T extends { expires_at?: number }>(item: T | undefined): T | undefined {
  if (!item) return undefined;
  return item.expires_at !== undefined && item.expires_at <= nowEpoch() ? undefined : item;
}

/**
 * Which job list a job appears in: the owner's main one (the quiz-bank API's, with
 * assessments), or the one its kind names (`list`: the Content Generator API lists its own
 * jobs), so each index partition holds one API's jobs. Whatever writes a job's status passes
 * its kind's list.
 */
function indexKeys(
  job: Pick<JobRecord, 'owner' | 'status' | 'created_at' | 'job_id'>,
  list: string | undefined,
) {
  const owner = jobListOwner(job.owner, list);
  const sort = createdSortKey(job.created_at, job.job_id);
  return {
    gsi1pk: ownerIndexPk(owner),
    gsi1sk: sort,
    gsi2pk: ownerStatusIndexPk(owner, job.status),
    gsi2sk: sort,
  };
}

/** The record without its keys, index keys and the set of chunks counted (`recordChunkOutcome`). */
const stripKeys = (item: Record<string, unknown>) =>
  withoutKeys<JobRecord>(item, 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk', 'counted_chunks');

export async function createJob(job: JobRecord, list?: string): Promise<void> {
  await dynamo.send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...jobKey(job.job_id), ...indexKeys(job, list), ...job },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getJob(jobId: string): Promise<JobRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName(), Key: jobKey(jobId), ConsistentRead: true }),
  );
  return Item ? live(stripKeys(Item)) : undefined;
}

export interface JobPage {
  jobs: JobRecord[];
  total: number;
}

/** Newest first, through the owner (or owner + status) index: a query, never a scan. */
export async function listJobs(
  jobOwner: string,
  status: JobStatus | undefined,
  limit: number,
  offset: number,
  list?: string,
) {
  const owner = jobListOwner(jobOwner, list);
  const base: TableQuery = status
    ? {
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': ownerStatusIndexPk(owner, status) },
      }
    : {
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': ownerIndexPk(owner) },
      };
  // Expired jobs linger until DynamoDB's TTL sweep; the filter leaves them out.
  const query: TableQuery = {
    ...base,
    ScanIndexForward: false,
    FilterExpression: 'attribute_not_exists(expires_at) OR expires_at > :now',
    ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ':now': nowEpoch() },
  };
  const items: JobRecord[] = [];
  let total = 0;
  let startKey: Record<string, unknown> | undefined;
  // Full items only up to the requested page; past it, count without fetching.
  for await (const page of queryPages(query)) {
    for (const raw of page.Items ?? []) {
      if (total >= offset && items.length < limit) items.push(stripKeys(raw));
      total += 1;
    }
    startKey = page.LastEvaluatedKey;
    if (total >= offset + limit) break;
  }
  if (startKey) {
    for await (const page of queryPages({ ...query, Select: 'COUNT' }, startKey)) total += page.Count ?? 0;
  }
  return { jobs: items, total } satisfies JobPage;
}

/**
 * Applies `changes` to a job; with `from`, only when its status is one of them. A new status
 * moves the job within its `list`. Returns the new record.
 */
export async function updateJob(
  current: JobRecord,
  changes: Partial<JobRecord>,
  from?: readonly JobStatus[],
  list?: string,
): Promise<JobRecord | undefined> {
  const next = { ...current, ...changes, updated_at: nowIso() };
  const sets: string[] = [];
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const assign = (field: string, value: unknown) => {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  };
  for (const [field, value] of Object.entries(changes)) assign(field, value);
  assign('updated_at', next.updated_at);
  if (changes.status) {
    assign('gsi2pk', ownerStatusIndexPk(jobListOwner(current.owner, list), changes.status));
  }
  let condition = 'attribute_exists(pk)';
  if (from) {
    names['#status'] = 'status';
    const placeholders = from.map((status, i) => {
      values[`:from${i}`] = status;
      return `:from${i}`;
    });
    condition += ` AND #status IN (${placeholders.join(', ')})`;
  }
  try {
    const result = await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: jobKey(current.job_id),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes ? stripKeys(result.Attributes) : next;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/**
 * Puts a failed job back to pending for another run: its counters start again (what earlier
 * runs finished shows up as skipped), its tokens and cost keep adding up.
 */
export async function resetForRetry(
  job: JobRecord,
  message: string,
  list?: string,
): Promise<JobRecord | undefined> {
  const reset = await updateJob(
    job,
    {
      status: 'pending',
      error_message: null,
      completed_at: null,
      result_summary: null,
      progress_percent: 0,
      progress_message: message,
      chunks_completed: 0,
      chunks_failed: 0,
      chunks_skipped: 0,
      questions_generated: 0,
      stop_reason: null,
    },
    ['failed'],
    list,
  );
  if (!reset) return undefined;
  await dynamo.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: jobKey(job.job_id),
      UpdateExpression: 'REMOVE counted_chunks',
    }),
  );
  return reset;
}

/**
 * Starts another pass of a running job over some of its chunks (a content job regenerating
 * weak sections): the counters start again as for a retry, and the chunks' records are marked
 * requeued so the worker generates them instead of answering with the earlier outcome.
 */
export async function restartChunkCounts(
  job: JobRecord,
  contentStats: JobRecord['content_stats'],
  message: string,
  chunkKeys: string[],
): Promise<void> {
  await updateJob(job, {
    content_stats: contentStats,
    progress_message: message,
    chunks_completed: 0,
    chunks_failed: 0,
    chunks_skipped: 0,
    questions_generated: 0,
  });
  await dynamo.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: jobKey(job.job_id),
      UpdateExpression: 'REMOVE counted_chunks',
    }),
  );
  await markChunksRequeued(job.job_id, chunkKeys);
}

/** The section a content job is working on now, for its status views. */
export async function setCurrentSection(jobId: string, sectionId: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: jobKey(jobId),
        UpdateExpression: 'SET content_stats.current_section = :s',
        ConditionExpression: 'attribute_exists(content_stats)',
        ExpressionAttributeValues: { ':s': sectionId },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/** Adds model usage that belongs to no chunk (a content job's outline) to the job's totals. */
export async function addJobUsage(jobId: string, usage: TokenUsage, costUsd: number): Promise<void> {
  await dynamo.send(
    new UpdateCommand({
      TableName: tableName(),
      Key: jobKey(jobId),
      UpdateExpression:
        'ADD input_tokens :in, output_tokens :out, thinking_tokens :think, cached_tokens :cached, cost_usd :cost',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: {
        ':in': usage.input_tokens,
        ':out': usage.output_tokens,
        ':think': usage.thinking_tokens,
        ':cached': usage.cached_tokens,
        ':cost': costUsd,
      },
    }),
  );
}

export async function setProgressMessage(jobId: string, message: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: jobKey(jobId),
        UpdateExpression: 'SET progress_message = :m, updated_at = :now',
        ConditionExpression: 'attribute_exists(pk) AND #status = :running',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':m': message, ':now': nowIso(), ':running': 'running' },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
}

/**
 * Adds a chunk's outcome to the job's counters, once: the job keeps the set of chunks it has
 * counted, so a redelivered message cannot count a chunk twice, and a deleted job is not
 * brought back. Then records the outcome on the chunk's record and moves the progress forward
 * (never backward: chunks finish in any order). Returns undefined when nothing was counted.
 */
export async function recordChunkOutcome(outcome: ChunkOutcome): Promise<JobRecord | undefined> {
  const now = nowIso();
  const counter = outcome.status === 'completed' ? 'chunks_completed' : 'chunks_failed';
  let updated: JobRecord;
  try {
    const result = await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: jobKey(outcome.jobId),
        UpdateExpression: `ADD ${counter} :one, questions_generated :q, input_tokens :in, output_tokens :out, thinking_tokens :think, cached_tokens :cached, cost_usd :cost, counted_chunks :chunk SET updated_at = :now`,
        ConditionExpression: 'attribute_exists(pk) AND NOT contains(counted_chunks, :key)',
        ExpressionAttributeValues: {
          ':one': 1,
          ':q': outcome.status === 'completed' ? outcome.questions : 0,
          ':in': outcome.input_tokens,
          ':out': outcome.output_tokens,
          ':think': outcome.thinking_tokens,
          ':cached': outcome.cached_tokens,
          ':cost': outcome.costUsd,
          ':chunk': new Set([outcome.chunkKey]),
          ':key': outcome.chunkKey,
          ':now': now,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    updated = stripKeys(result.Attributes ?? {});
  } catch (error) {
    if (isConditionFailure(error)) return undefined; // counted before, or the job was deleted
    throw error;
  }
  await writeChunkOutcome(outcome, now, updated.expires_at);
  const done = updated.chunks_completed + updated.chunks_failed;
  const percent = chunkProgressPercent(done, updated.chunks_planned);
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: jobKey(outcome.jobId),
        UpdateExpression: 'SET progress_percent = :p, progress_message = :m',
        ConditionExpression: 'attribute_exists(pk) AND #status = :running AND progress_percent < :p',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':p': percent,
          ':m': `${outcome.message} (${done}/${updated.chunks_planned} chunks)`,
          ':running': 'running',
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
  }
  return updated;
}

/** Deletes a job and its chunk records (not its checkpoint or files, as the seed says). */
export async function deleteJob(jobId: string): Promise<void> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': jobKey(jobId).pk },
    ProjectionExpression: 'pk, sk',
  });
  for (let i = 0; i < items.length; i += 25) {
    const batch = items
      .slice(i, i + 25)
      .map((item) => ({ DeleteRequest: { Key: { pk: item.pk, sk: item.sk } } }));
    await writeBatch(batch);
  }
}

// The engine and the products use the job store as one namespace (`jobs.putCheckpoint`); new
// code imports the part it needs from its own module.
export { addToBank, type BankEntry, listBank, removeFromBank } from './bank-store.ts';
export {
  type CheckpointEntry,
  checkpointedKeys,
  getCheckpoint,
  listCheckpoint,
  putCheckpoint,
} from './checkpoint-store.ts';
export {
  type ChunkOutcome,
  type ChunkRecord,
  getChunkRecord,
  type KeptChunk,
  listChunkRecords,
  noteChunkKept,
  startChunkAttempt,
} from './chunk-store.ts';
export { nextCounter } from './counter-store.ts';
export type { ResultSummary };
