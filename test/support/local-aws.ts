/**
 * Real local stand-ins for DynamoDB (dynalite, in memory) and S3 (s3rver, in a temp directory),
 * on loopback ports chosen by the OS. `startLocalAws` sets the environment the handlers read,
 * so a test must import the modules under test (dynamically) only after it resolves: they
 * build their SDK clients at module scope. `startLocalSqs` starts the local stack's SQS alone.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import dynalite from 'dynalite';
import { createAtomicS3rver } from '../../local/atomic-s3-store.ts';
import { enforceUtf8ItemSize } from '../../local/dynalite-item-size.ts';
import { createStrictSqsServer } from '../../local/sqs-server.ts';

const HOST = '127.0.0.1';
/** s3rver's fixed credentials; dynalite accepts any. */
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;
const REGION = 'us-east-1';

export interface LocalAws {
  tableName: string;
  bucketName: string;
  dynamoEndpoint: string;
  s3Endpoint: string;
  /** Clients of the test's own, for arranging and inspecting state behind the code under test. */
  dynamoClient: DynamoDBClient;
  s3Client: S3Client;
  stop(): Promise<void>;
}

export interface LocalAwsOptions {
  tableName?: string;
  bucketName?: string;
  /** Extra variables set with the others, before the modules under test are imported. */
  env?: Record<string, string>;
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections?.();
    server.close(() => resolve());
  });
}

/** The table exactly as `lib/constructs/storage.ts` defines it. */
async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  const index = (name: string) => ({
    IndexName: name,
    KeySchema: [
      { AttributeName: `${name}pk`, KeyType: 'HASH' as const },
      { AttributeName: `${name}sk`, KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'ALL' as const },
  });
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk', 'gsi2pk', 'gsi2sk'].map((name) => ({
        AttributeName: name,
        AttributeType: 'S' as const,
      })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [index('gsi1'), index('gsi2')],
    }),
  );
}

export async function startLocalAws(options: LocalAwsOptions = {}): Promise<LocalAws> {
  const tableName = options.tableName ?? 'quizgen-test';
  const bucketName = options.bucketName ?? 'quizgen-test-results';

  // DynamoDB's 400 KB item limit in UTF-8 bytes, as in local mode.
  enforceUtf8ItemSize();
  const dynamoServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoPort = await listen(dynamoServer);
  const directory = await mkdtemp(join(tmpdir(), 'quizgen-s3rver-'));
  const s3rver = createAtomicS3rver({ address: HOST, port: 0, silent: true, directory, resetOnClose: true });
  const s3Port = (await s3rver.run()).port;

  const dynamoEndpoint = `http://${HOST}:${dynamoPort}`;
  const s3Endpoint = `http://${HOST}:${s3Port}`;
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    TABLE_NAME: tableName,
    BUCKET_NAME: bucketName,
    POWERTOOLS_TRACE_ENABLED: 'false',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_DEV: 'false',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    ...options.env,
  });
  // A session token left in the environment would be signed into requests for no reason.
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;

  const dynamoClient = new DynamoDBClient({
    endpoint: dynamoEndpoint,
    region: REGION,
    credentials: CREDENTIALS,
  });
  const s3Client = new S3Client({
    endpoint: s3Endpoint,
    region: REGION,
    credentials: CREDENTIALS,
    forcePathStyle: true,
  });
  await createTable(dynamoClient, tableName);
  await s3Client.send(new CreateBucketCommand({ Bucket: bucketName }));

  return {
    tableName,
    bucketName,
    dynamoEndpoint,
    s3Endpoint,
    dynamoClient,
    s3Client,
    async stop() {
      dynamoClient.destroy();
      s3Client.destroy();
      await s3rver.close();
      await closeServer(dynamoServer);
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * The local stack's strict SQS (local/sqs-server.ts) alone, on a loopback port, with a client
 * of the test's own; queues are created at once, as the tests want them.
 */
export async function startLocalSqs(): Promise<{ sqs: SQSClient; stop(): Promise<void> }> {
  const server = await createStrictSqsServer({
    port: 0,
    hostname: HOST,
    emulateQueueCreationLifecycle: false,
  });
  const { port } = server.address() as AddressInfo;
  const sqs = new SQSClient({ endpoint: `http://${HOST}:${port}`, region: REGION, credentials: CREDENTIALS });
  return {
    sqs,
    async stop() {
      sqs.destroy();
      await closeServer(server);
    },
  };
}
