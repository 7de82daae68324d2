import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, describe, test } from 'vitest';
import { functionEntries } from '../../lib/definition.ts';
import { ROUTES } from '../../lib/routes.ts';
import { apiFromTemplate } from '../../local/api-gateway-template.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';

describe('local stack', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'quizgen-local-'));
  let stack: LocalStack | undefined;

  afterAll(async () => {
    await stack?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const get = (path: string, key?: string) =>
    fetch(`${stack?.baseUrl}${path}`, { headers: key ? { 'x-api-key': key } : {} });

  test('runs the synthesized app: routes, keys, storage and a job through the pipeline', async () => {
    stack = await startLocalStack({ dataDir, port: 0, quiet: true });
    const [key, second] = stack.apiKeys;
    assert.ok(key && second && key.value !== second.value);
    assert.deepEqual(
      stack.apiKeys.map((k) => k.name),
      ['default', 'second'],
    );

    // The gateway serves exactly the routes lib/routes.ts declares, and CORS preflights.
    const served = apiFromTemplate(stack.template)
      .routes.filter((r) => r.httpMethod !== 'OPTIONS')
      .map((r) => `${r.httpMethod} ${r.resourcePath} ${r.apiKeyRequired}`);
    assert.deepEqual(served.sort(), ROUTES.map((r) => `${r.method} ${r.path} ${r.apiKeyRequired}`).sort());

    assert.equal(stack.env.AWS_ENDPOINT_URL_SFN, stack.stepFunctions.url);
    assert.equal(stack.env.GEMINI_BASE_URL, stack.simulator?.url);
    assert.equal(stack.env.GEMINI_API_KEY_SECRET_ARN, undefined);
    assert.equal(stack.env.TABLE_NAME, stack.resources.tableName);

    const dynamo = new DynamoDBClient({
      endpoint: stack.env.AWS_ENDPOINT_URL_DYNAMODB,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const table = await dynamo.send(new DescribeTableCommand({ TableName: stack.resources.tableName }));
    assert.ok((table.Table?.GlobalSecondaryIndexes ?? []).length > 0);
    dynamo.destroy();

    assert.equal((await get('/api-status')).status, 401);
    const status = await get('/api-status', key.value);
    assert.equal(status.status, 200);

    const started = await fetch(`${stack.baseUrl}/generate/career-level/async`, {
      method: 'POST',
      headers: { 'x-api-key': key.value, 'content-type': 'application/json' },
      body: JSON.stringify({ sector: 'technology', career: 'FRONTEND_DEVELOPER', level: 1 }),
    });
    assert.equal(started.status, 202);
    const { job_id: jobId } = (await started.json()) as { job_id: string };
    let job: { status?: string } = {};
    for (let i = 0; i < 100 && !['completed', 'failed'].includes(job.status ?? ''); i++) {
      await sleep(100);
      job = (await (await get(`/jobs/${jobId}`, key.value)).json()) as { status?: string };
    }
    assert.equal(job.status, 'completed');
    assert.equal(stack.stepFunctions.list()[0]?.status, 'SUCCEEDED');
    assert.ok((stack.simulator?.stats().totalCalls ?? 0) >= 1);
  });

  test('serves the assessment routes at the API root through the assessments function', async () => {
    assert.ok(stack);
    const key = stack.apiKeys[0]?.value ?? '';
    const root = (path: string, headers: Record<string, string> = { 'x-api-key': key }) =>
      fetch(`${stack?.apiUrl}${path}`, { headers });
    assert.equal((await root('/job_status?job_id=no-such-job', {})).status, 401);
    const unknownJob = await root('/job_status?job_id=no-such-job');
    assert.equal(unknownJob.status, 200);
    assert.deepEqual(await unknownJob.json(), { status: null });
    // The path parameter reaches the handler, which names it in its own 404.
    const unknownDocument = await root('/documents/not-a-document');
    assert.equal(unknownDocument.status, 404);
    assert.match(((await unknownDocument.json()) as { detail: string }).detail, /not-a-document/);
  });

  test('runs the document queue into the ingest function, one message at a time, two at once', () => {
    assert.ok(stack);
    const ingest = functionEntries(stack.template).find((f) => f.role === 'ingestDocument');
    const source = stack.eventSources.find((s) => s.functionLogicalId === ingest?.logicalId);
    assert.ok(source, 'a poller for the ingest function');
    assert.equal(source.batchSize, 1);
    assert.equal(source.maximumConcurrency, 2);
    assert.equal(stack.env.DOCUMENT_QUEUE_URL, source.queueUrl);
    assert.equal(stack.eventSources.length, 3, 'chunk queue, chunk dead-letter queue, document queue');
  });

  test('takes a 6 MB upload through a presigned PUT URL and serves it back through a presigned GET', async () => {
    assert.ok(stack);
    // Built as the handlers build theirs: path-style locally, and the checksum setting the
    // assessments function runs with (the stack puts its environment into process.env).
    assert.equal(stack.env.AWS_S3_FORCE_PATH_STYLE, 'true');
    assert.equal(stack.env.AWS_REQUEST_CHECKSUM_CALCULATION, 'WHEN_REQUIRED');
    const s3 = new S3Client({ forcePathStyle: true });
    const bucket = stack.resources.bucketName;
    const key = 'documents/owner-1/doc-1/source';
    const file = randomBytes(6 * 1024 * 1024);
    // As POST /documents signs it: type and length are part of the signature.
    const uploadUrl = await getSignedUrl(
      s3,
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        ContentType: 'application/pdf',
        ContentLength: file.length,
      }),
      { expiresIn: 300, signableHeaders: new Set(['content-type', 'content-length']) },
    );
    const url = new URL(uploadUrl);
    assert.equal(url.origin, new URL(stack.env.AWS_ENDPOINT_URL_S3 ?? '').origin);
    assert.ok(url.pathname.startsWith(`/${bucket}/documents/`), 'path-style');
    // A checksum signed in at presign time is the CRC32 of an empty body; S3 would refuse the file.
    assert.equal(url.searchParams.get('x-amz-checksum-crc32'), null);

    const origin = 'http://localhost:5173';
    const preflight = await fetch(uploadUrl, {
      method: 'OPTIONS',
      headers: {
        origin,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.status, 200);
    assert.equal(preflight.headers.get('access-control-allow-origin'), '*');

    const put = await fetch(uploadUrl, {
      method: 'PUT',
      headers: { 'content-type': 'application/pdf', origin },
      body: file,
    });
    assert.equal(put.status, 200, await put.clone().text());

    const downloadUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: key }), {
      expiresIn: 300,
    });
    const got = await fetch(downloadUrl, { headers: { origin } });
    assert.equal(got.status, 200);
    assert.equal(got.headers.get('content-type'), 'application/pdf');
    const digest = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');
    assert.equal(digest(new Uint8Array(await got.arrayBuffer())), digest(file));
    s3.destroy();
  });

  test("an execution stopped behind the API's back fails its job through the EventBridge rule", async () => {
    assert.ok(stack);
    const key = stack.apiKeys[0]?.value ?? '';
    stack.simulator?.configure({ latencyMs: { min: 200, max: 200 } });
    const started = await fetch(`${stack.baseUrl}/generate/sector/async`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ sector: 'finance' }),
    });
    const { job_id: jobId } = (await started.json()) as { job_id: string };
    // Stop it while chunks are out, not while "Plan chunks" is still writing the job.
    let progress: { progress_message?: string } = {};
    for (let i = 0; i < 50 && !progress.progress_message?.startsWith('Generat'); i++) {
      await sleep(50);
      progress = (await (await get(`/jobs/${jobId}`, key)).json()) as typeof progress;
    }
    const executionArn = `${stack.resources.stateMachineArn.replace(':stateMachine:', ':execution:')}:${jobId}`;
    const sfn = new SFNClient({
      endpoint: stack.stepFunctions.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await sfn.send(new StopExecutionCommand({ executionArn }));
    sfn.destroy();
    let job: { status?: string; error_message?: string } = {};
    for (let i = 0; i < 50 && job.status !== 'failed'; i++) {
      await sleep(100);
      job = (await (await get(`/jobs/${jobId}`, key)).json()) as typeof job;
    }
    assert.equal(job.status, 'failed');
    assert.match(job.error_message ?? '', /ABORTED/);
    stack.simulator?.configure({ latencyMs: { min: 0, max: 0 } });
  });

  test('a restart keeps the data and the API keys', async () => {
    const before = stack;
    assert.ok(before);
    const key = before.apiKeys[0]?.value ?? '';
    const jobs = (await (await get('/jobs', key)).json()) as { total: number };
    await before.stop();
    stack = undefined;
    assert.ok(existsSync(join(dataDir, 'dynamodb')));
    assert.deepEqual(JSON.parse(readFileSync(join(dataDir, 'api-keys.json'), 'utf8')), before.apiKeys);

    stack = await startLocalStack({ dataDir, port: 0, quiet: true });
    assert.deepEqual(stack.apiKeys, before.apiKeys);
    // Same process: the backing servers come back on the same ports, which the already
    // loaded handler modules' SDK clients still point at.
    assert.equal(stack.env.AWS_ENDPOINT_URL_DYNAMODB, before.env.AWS_ENDPOINT_URL_DYNAMODB);
    const after = (await (await get('/jobs', key)).json()) as { total: number };
    assert.equal(after.total, jobs.total);
    // Jobs belong to their key: the second key sees none of them.
    const other = (await (await get('/jobs', stack.apiKeys[1]?.value)).json()) as { total: number };
    assert.equal(other.total, 0);
  });
});
