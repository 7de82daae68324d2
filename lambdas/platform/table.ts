/**
 * The one DynamoDB table every store shares (keys in `keys.ts`): its name, from the configuration
 * (read once per cold start), and the plumbing each store would otherwise write again: telling a
 * refused condition from a failure, taking the key attributes off an item, reading every page of
 * a query and writing batches until DynamoDB has taken every item.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { dynamo } from './clients.ts';
import { ENV, requireEnv } from './config.ts';

export const tableName = (): string => requireEnv(ENV.tableName);

/** True when a conditional write was refused: the answer the condition was there for, not an error. */
export function isConditionFailure(error: unknown): boolean {
  return (
    error instanceof ConditionalCheckFailedException ||
    (error instanceof Error && error.name === 'ConditionalCheckFailedException')
  );
}

/** The item without `pk`, `sk` and any `other` attributes (index keys, bookkeeping), as the record. */
export function withoutKeys<T>(item: Record<string, unknown>, ...other: string[]): T {
  const record = { ...item };
  for (const name of ['pk', 'sk', ...other]) delete record[name];
  return record as T;
}

export type TableQuery = Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>;
type Key = Record<string, unknown>;

/** Every page of a query on the table, from `startKey` when given; stop early by leaving the loop. */
export async function* queryPages(query: TableQuery, startKey?: Key): AsyncGenerator<QueryCommandOutput> {
  let next = startKey;
  do {
    const page = await dynamo.send(
      new QueryCommand({ ...query, TableName: tableName(), ExclusiveStartKey: next }),
    );
    yield page;
    next = page.LastEvaluatedKey;
  } while (next);
}

/** Every item a query finds, all pages read. */
export async function queryAll(query: TableQuery): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  for await (const page of queryPages(query)) items.push(...(page.Items ?? []));
  return items;
}

type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];

/** Writes up to 25 puts or deletes, retrying what DynamoDB leaves unprocessed, with backoff. */
export async function writeBatch(requests: WriteRequests): Promise<void> {
  let pending = requests;
  for (let attempt = 0; pending && pending.length > 0; attempt++) {
    if (attempt > 8) throw new Error('DynamoDB kept returning unprocessed items');
    const result = await dynamo.send(new BatchWriteCommand({ RequestItems: { [tableName()]: pending } }));
    pending = result.UnprocessedItems?.[tableName()] ?? [];
    if (pending.length > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
  }
}
