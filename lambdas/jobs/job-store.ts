/**
 * Jobs, chunk records, the checkpoint and the question banks in DynamoDB.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  BatchWriteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { dynamo } from '#platform/clients.ts';
import { ENV, requireEnv } from '#platform/config.ts';
import {
  bankKey,
  bankPk,
  checkpointKey,
  checkpointPk,
  chunkRecordKey,
  counterKey,
  createdSortKey,
  jobKey,
  ownerIndexPk,
  ownerStatusIndexPk,
} from '#platform/keys.ts';
import {
  chunkProgressPercent,
  type JobRecord,
  type JobStatus,
  type ResultSummary,
  type TokenUsage,
} from './job.ts';
import type { ChunkQuality } from './quality-report.ts';

const table = () => requireEnv(ENV.tableName);

function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

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
const listOwner = (owner: string, list: string | undefined) => (list ? `${owner}#${list}` : owner);

function indexKeys(
  job: Pick<JobRecord, 'owner' | 'status' | 'created_at' | 'job_id'>,
  list: string | undefined,
) {
  const owner = listOwner(job.owner, list);
  const sort = createdSortKey(job.created_at, job.job_id);
  return {
    gsi1pk: ownerIndexPk(owner),
    gsi1sk: sort,
    gsi2pk: ownerStatusIndexPk(owner, job.status),
    gsi2sk: sort,
  };
}

function stripKeys(item: Record<string, unknown>): JobRecord {
  const {
    pk: _pk,
    sk: _sk,
    gsi1pk: _g1,
    gsi1sk: _g1s,
    gsi2pk: _g2,
    gsi2sk: _g2s,
    counted_chunks: _c,
    ...rest
  } = item;
  return rest as unknown as JobRecord;
}

export async function createJob(job: JobRecord, list?: string): Promise<void> {
  await dynamo.send(
    new PutCommand({
      TableName: table(),
      Item: { ...jobKey(job.job_id), ...indexKeys(job, list), ...job },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getJob(jobId: string): Promise<JobRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: table(), Key: jobKey(jobId), ConsistentRead: true }),
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
  const owner = listOwner(jobOwner, list);
  const base: QueryCommandInput = status
    ? {
        TableName: table(),
        IndexName: 'gsi2',
        KeyConditionExpression: 'gsi2pk = :pk',
        ExpressionAttributeValues: { ':pk': ownerStatusIndexPk(owner, status) },
      }
    : {
        TableName: table(),
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': ownerIndexPk(owner) },
      };
  // Expired jobs linger until DynamoDB's TTL sweep; the filter leaves them out.
  const query: QueryCommandInput = {
    ...base,
    ScanIndexForward: false,
    FilterExpression: 'attribute_not_exists(expires_at) OR expires_at > :now',
    ExpressionAttributeValues: { ...base.ExpressionAttributeValues, ':now': nowEpoch() },
  };
  const items: JobRecord[] = [];
  let total = 0;
  let startKey: Record<string, unknown> | undefined;
  // Full items only up to the requested page; past it, count without fetching.
  do {
    const page = await dynamo.send(new QueryCommand({ ...query, ExclusiveStartKey: startKey }));
    for (const raw of page.Items ?? []) {
      if (total >= offset && items.length < limit) items.push(stripKeys(raw));
      total += 1;
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey && total < offset + limit);
  while (startKey) {
    const page = await dynamo.send(
      new QueryCommand({ ...query, Select: 'COUNT', ExclusiveStartKey: startKey }),
    );
    total += page.Count ?? 0;
    startKey = page.LastEvaluatedKey;
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
    assign('gsi2pk', ownerStatusIndexPk(listOwner(current.owner, list), changes.status));
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
        TableName: table(),
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
      TableName: table(),
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
      TableName: table(),
      Key: jobKey(job.job_id),
      UpdateExpression: 'REMOVE counted_chunks',
    }),
  );
  await Promise.all(
    chunkKeys.map((key) =>
      dynamo
        .send(
          new UpdateCommand({
            TableName: table(),
            Key: chunkRecordKey(job.job_id, key),
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

/** The section a content job is working on now, for its status views. */
export async function setCurrentSection(jobId: string, sectionId: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: table(),
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
      TableName: table(),
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

/** The next value of a named counter, from 1: atomic, so ids are never handed out twice. */
export async function nextCounter(name: string): Promise<number> {
  const result = await dynamo.send(
    new UpdateCommand({
      TableName: table(),
      Key: counterKey(name),
      UpdateExpression: 'ADD #value :one',
      ExpressionAttributeNames: { '#value': 'value' },
      ExpressionAttributeValues: { ':one': 1 },
      ReturnValues: 'UPDATED_NEW',
    }),
  );
  return Number(result.Attributes?.value);
}

export async function setProgressMessage(jobId: string, message: string): Promise<void> {
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: table(),
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
        TableName: table(),
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
  await dynamo.send(
    new UpdateCommand({
      TableName: table(),
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
        ':now': now,
        ':cost': outcome.costUsd,
        ':exp': updated.expires_at,
        ':quality': outcome.quality ?? null,
      },
    }),
  );
  const done = updated.chunks_completed + updated.chunks_failed;
  const percent = chunkProgressPercent(done, updated.chunks_planned);
  try {
    await dynamo.send(
      new UpdateCommand({
        TableName: table(),
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

/** Marks a chunk as started and returns how many attempts it has had, this one included. */
export async function startChunkAttempt(
  job: Pick<JobRecord, 'job_id' | 'expires_at'>,
  chunkKey: string,
): Promise<number> {
  const result = await dynamo.send(
    new UpdateCommand({
      TableName: table(),
      Key: chunkRecordKey(job.job_id, chunkKey),
      // Chunk records expire with their job, so DynamoDB's TTL removes both.
      UpdateExpression:
        'SET #status = :running, chunk_key = :key, started_at = if_not_exists(started_at, :now), expires_at = :exp ADD attempts :one',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':running': 'running',
        ':key': chunkKey,
        ':now': nowIso(),
        ':one': 1,
        ':exp': job.expires_at,
      },
      ReturnValues: 'ALL_NEW',
    }),
  );
  return Number(result.Attributes?.attempts ?? 1);
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

export async function getChunkRecord(jobId: string, chunkKey: string): Promise<ChunkRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: table(), Key: chunkRecordKey(jobId, chunkKey), ConsistentRead: true }),
  );
  return Item ? toChunkRecord(Item) : undefined;
}

function toChunkRecord(item: Record<string, unknown>): ChunkRecord {
  return {
    chunk_key: String(item.chunk_key ?? String(item.sk).slice('CHUNK#'.length)),
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
        TableName: table(),
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
    TableName: table(),
    KeyConditionExpression: 'pk = :pk AND begins_with(sk, :chunk)',
    ExpressionAttributeValues: { ':pk': jobKey(jobId).pk, ':chunk': 'CHUNK#' },
  });
  return items.map(toChunkRecord);
}

/** Deletes a job and its chunk records (not its checkpoint or files, as the seed says). */
export async function deleteJob(jobId: string): Promise<void> {
  const items = await queryAll({
    TableName: table(),
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

async function writeBatch(
  requests: NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']>[string],
) {
  let pending = requests;
  for (let attempt = 0; pending && pending.length > 0; attempt++) {
    if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed items');
    const result = await dynamo.send(new BatchWriteCommand({ RequestItems: { [table()]: pending } }));
    pending = result.UnprocessedItems?.[table()] ?? [];
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
  }
}

async function queryAll(input: QueryCommandInput): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

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
    new PutCommand({ TableName: table(), Item: { ...checkpointKey(owner, entry.chunk_key), ...entry } }),
  );
}

/** The owner's checkpoint entry for one chunk, with everything it keeps. */
export async function getCheckpoint(owner: string, chunkKey: string): Promise<CheckpointEntry | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: table(), Key: checkpointKey(owner, chunkKey), ConsistentRead: true }),
  );
  if (!Item) return undefined;
  const { pk: _pk, sk: _sk, ...entry } = Item;
  return entry as CheckpointEntry;
}

/** Every completed chunk of an owner, optionally only those whose key starts with `prefix`. */
export async function listCheckpoint(owner: string, prefix?: string): Promise<CheckpointEntry[]> {
  const items = await queryAll({
    TableName: table(),
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
  for (let i = 0; i < chunkKeys.length; i += 100) {
    let keys: Record<string, unknown>[] | undefined = chunkKeys
      .slice(i, i + 100)
      .map((k) => checkpointKey(owner, k));
    for (let attempt = 0; keys && keys.length > 0; attempt++) {
      if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed keys');
      const result: BatchGetCommandOutput = await dynamo.send(
        new BatchGetCommand({ RequestItems: { [table()]: { Keys: keys, ProjectionExpression: 'sk' } } }),
      );
      for (const item of result.Responses?.[table()] ?? []) found.add(String(item.sk));
      keys = result.UnprocessedKeys?.[table()]?.Keys;
      if (keys && keys.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }
  return found;
}

/** A question kept in a bank (a career, a soft-skills topic or an assessment), and its chunk. */
export interface BankEntry {
  chunk_key: string;
  question_id: string;
  text: string;
}

/**
 * Every question of a bank, read consistently: a chunk that has just added its questions and
 * then reads the bank sees every question another chunk added before it. That order is what
 * makes the near-duplicate check safe across chunks running at once (see question-bank.ts).
 */
export async function listBank(owner: string, scope: string): Promise<BankEntry[]> {
  const items = await queryAll({
    TableName: table(),
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': bankPk(owner, scope) },
    ProjectionExpression: 'chunk_key, question_id, #text',
    ExpressionAttributeNames: { '#text': 'text' },
    ConsistentRead: true,
  });
  return items as unknown as BankEntry[];
}

export async function addToBank(
  owner: string,
  scope: string,
  chunkKey: string,
  entries: { question_id: string; text: string }[],
): Promise<void> {
  for (let i = 0; i < entries.length; i += 25) {
    await writeBatch(
      entries.slice(i, i + 25).map((entry) => ({
        PutRequest: {
          Item: { ...bankKey(owner, scope, chunkKey, entry.question_id), chunk_key: chunkKey, ...entry },
        },
      })),
    );
  }
}

export async function removeFromBank(
  owner: string,
  scope: string,
  chunkKey: string,
  questionIds: string[],
): Promise<void> {
  for (let i = 0; i < questionIds.length; i += 25) {
    await writeBatch(
      questionIds
        .slice(i, i + 25)
        .map((id) => ({ DeleteRequest: { Key: bankKey(owner, scope, chunkKey, id) } })),
    );
  }
}

export type { ResultSummary };
