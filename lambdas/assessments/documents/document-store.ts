/**
 * Uploaded documents: their records in DynamoDB and their objects in S3.
 *
 * DynamoDB: DOC#<owner> / <document_id>
 * S3:       documents/<owner>/<document_id>/source         the uploaded file
 *           documents/<owner>/<document_id>/passages.json  passages with page numbers
 *           documents/<owner>/<document_id>/vectors.f32    their embeddings, Float32, row-major
 */
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { dynamo, s3 } from '#platform/clients.ts';
import { ENV, requireEnv } from '#platform/config.ts';
import { documentKey, documentPk } from '#platform/keys.ts';
import { isConditionFailure, queryAll, tableName, withoutKeys } from '#platform/table.ts';

export const DOCUMENT_STATUSES = ['awaiting_upload', 'ingesting', 'ready', 'failed'] as const;
export type DocumentStatus = (typeof DOCUMENT_STATUSES)[number];

export const SUPPORTED_TYPES = {
  'application/pdf': '.pdf',
  'text/markdown': '.md',
  'text/plain': '.txt',
} as const;
export type SupportedType = keyof typeof SUPPORTED_TYPES;

export interface DocumentRecord {
  document_id: string;
  owner: string;
  filename: string;
  content_type: SupportedType;
  size_bytes: number;
  status: DocumentStatus;
  error: string | null;
  pages: number | null;
  passages: number | null;
  characters: number | null;
  embedding_model: string | null;
  created_at: string;
  updated_at: string;
  ingest_started_at: string | null;
  ingested_at: string | null;
}

export const documentKeys = {
  prefix: (owner: string, id: string) => `documents/${owner}/${id}/`,
  source: (owner: string, id: string) => `documents/${owner}/${id}/source`,
  passages: (owner: string, id: string) => `documents/${owner}/${id}/passages.json`,
  vectors: (owner: string, id: string) => `documents/${owner}/${id}/vectors.f32`,
};

const bucket = () => requireEnv(ENV.bucketName);
const strip = (item: Record<string, unknown>) => withoutKeys<DocumentRecord>(item);

export async function createDocument(record: DocumentRecord): Promise<void> {
  await dynamo.send(
    new PutCommand({
      TableName: tableName(),
      Item: { ...documentKey(record.owner, record.document_id), ...record },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}

export async function getDocument(owner: string, id: string): Promise<DocumentRecord | undefined> {
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName(), Key: documentKey(owner, id), ConsistentRead: true }),
  );
  return Item ? strip(Item) : undefined;
}

/** The owner's documents, newest first. */
export async function listDocuments(owner: string): Promise<DocumentRecord[]> {
  const items = await queryAll({
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': documentPk(owner) },
  });
  return items.map(strip).sort((a, b) => b.created_at.localeCompare(a.created_at));
}

/** Applies `changes`; with `from`, only when the status is one of them. Returns the new record. */
export async function updateDocument(
  owner: string,
  id: string,
  changes: Partial<DocumentRecord>,
  from?: readonly DocumentStatus[],
): Promise<DocumentRecord | undefined> {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = {};
  const sets: string[] = [];
  for (const [field, value] of Object.entries({ ...changes, updated_at: new Date().toISOString() })) {
    names[`#${field}`] = field;
    values[`:${field}`] = value;
    sets.push(`#${field} = :${field}`);
  }
  let condition = 'attribute_exists(pk)';
  if (from) {
    names['#st'] = 'status';
    condition += ` AND #st IN (${from
      .map((status, i) => {
        values[`:from${i}`] = status;
        return `:from${i}`;
      })
      .join(', ')})`;
  }
  try {
    const result = await dynamo.send(
      new UpdateCommand({
        TableName: tableName(),
        Key: documentKey(owner, id),
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: condition,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result.Attributes ? strip(result.Attributes) : undefined;
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
}

/** Deletes the record and every object of the document. */
export async function deleteDocument(owner: string, id: string): Promise<void> {
  await dynamo.send(new DeleteCommand({ TableName: tableName(), Key: documentKey(owner, id) }));
  const { client, sdk } = await s3();
  let token: string | undefined;
  do {
    const listed = await client.send(
      new sdk.ListObjectsV2Command({
        Bucket: bucket(),
        Prefix: documentKeys.prefix(owner, id),
        ContinuationToken: token,
      }),
    );
    const objects = (listed.Contents ?? []).flatMap((o) => (o.Key ? [{ Key: o.Key }] : []));
    if (objects.length > 0) {
      await client.send(
        new sdk.DeleteObjectsCommand({ Bucket: bucket(), Delete: { Objects: objects, Quiet: true } }),
      );
    }
    token = listed.IsTruncated ? listed.NextContinuationToken : undefined;
  } while (token);
}
