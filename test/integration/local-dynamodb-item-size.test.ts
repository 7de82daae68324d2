/**
 * DynamoDB's 400 KB item limit in the local stack's dynalite, counted in UTF-8 bytes as
 * DynamoDB counts it (local/dynalite-item-size.ts).
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { type DynaliteProcess, startDynaliteProcess } from '../../local/dynalite-process.ts';

const TABLE = 'item-size-test';
const MAX_ITEM_BYTES = 400 * 1024;

let dataDir: string;
let dynalite: DynaliteProcess;
let dynamo: DynamoDBClient;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'quizgen-item-size-'));
  dynalite = await startDynaliteProcess({ dataDir, port: 0 });
  dynamo = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${dynalite.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await dynamo.send(
    new CreateTableCommand({
      TableName: TABLE,
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
});

afterAll(async () => {
  dynamo?.destroy();
  await dynalite?.close();
  await rm(dataDir, { recursive: true, force: true });
});

/** An item whose `text` attribute is `text`: 2 bytes of key name and value, 4 of "text". */
const item = (pk: string, text: string) => ({ pk: { S: pk }, text: { S: text } });

async function refusal(send: () => Promise<unknown>): Promise<{ name: string; message: string }> {
  try {
    await send();
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message };
  }
  assert.fail('DynamoDB would refuse this item');
}

describe('local DynamoDB item size', () => {
  it('refuses an item over 400 KB with DynamoDB’s ValidationException', async () => {
    const refused = await refusal(() =>
      dynamo.send(new PutItemCommand({ TableName: TABLE, Item: item('ascii', 'x'.repeat(MAX_ITEM_BYTES)) })),
    );
    assert.deepEqual(refused, {
      name: 'ValidationException',
      message: 'Item size has exceeded the maximum allowed size',
    });
  });

  it('counts strings in UTF-8 bytes: 250,000 "é" are 500,000 bytes, over the limit', async () => {
    // 250,000 UTF-16 code units, which plain dynalite took for 250,000 bytes and stored.
    const refused = await refusal(() =>
      dynamo.send(new PutItemCommand({ TableName: TABLE, Item: item('accents', 'é'.repeat(250_000)) })),
    );
    assert.equal(refused.name, 'ValidationException');
    assert.equal(refused.message, 'Item size has exceeded the maximum allowed size');

    const cjk = await refusal(() =>
      dynamo.send(
        new BatchWriteItemCommand({
          RequestItems: { [TABLE]: [{ PutRequest: { Item: item('cjk', '語'.repeat(140_000)) } }] },
        }),
      ),
    );
    assert.equal(cjk.name, 'ValidationException');
  });

  it('accepts an item of exactly 400 KB of UTF-8, and refuses an update that grows it past', async () => {
    // "pk" (2) + "k" (1) + "text" (4) + the value: 409,600 bytes in all.
    const text = `${'é'.repeat(204_796)}a`;
    assert.equal(2 + 1 + 4 + Buffer.byteLength(text), MAX_ITEM_BYTES);
    await dynamo.send(new PutItemCommand({ TableName: TABLE, Item: item('k', text) }));

    const refused = await refusal(() =>
      dynamo.send(
        new UpdateItemCommand({
          TableName: TABLE,
          Key: { pk: { S: 'k' } },
          UpdateExpression: 'SET more = :m',
          ExpressionAttributeValues: { ':m': { S: 'ü' } },
        }),
      ),
    );
    assert.equal(refused.name, 'ValidationException');
    assert.match(refused.message, /Item size to update has exceeded the maximum allowed size/);
  });
});
