/**
 * The ingestion worker against dynalite, s3rver, local-aws-sqs and the Gemini simulator: real
 * SQS records (received from the queue, so receipt handles and visibility changes are real),
 * real PDFs made by the test.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createSqsServer } from 'local-aws-sqs';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import type { DocumentRecord, SupportedType } from '#assessments/documents/document-store.ts';
import { resetConfig } from '#platform/config.ts';
import { toSqsRecord } from '../../local/event-source-poller.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';
import { resetSimulator } from '../support/gemini.ts';
import { uniqueOwner } from '../support/jobs.ts';
import { type LocalAws, startLocalAws } from '../support/local-aws.ts';
import { makePdf, textbookPages } from '../support/pdf.ts';

type Store = typeof import('#assessments/documents/document-store.ts');
type Service = typeof import('#assessments/documents/document-service.ts');
type IndexStore = typeof import('#assessments/documents/index-store.ts');
type Embeddings = typeof import('#assessments/documents/embeddings.ts');
type Worker = typeof import('#assessments/documents/ingest-document.ts');

const REGION = 'us-east-1';
const DIMENSIONS = 64;
const MAX_RECEIVES = 3;
const MAX_BYTES = 400_000;

/**
 * Sits between the worker and the simulator and answers the next `failEmbeddings` embedding
 * calls with Gemini's 503, since the simulator's own fault injection covers generateContent only.
 */
interface FaultProxy {
  url: string;
  failEmbeddings: number;
  embeddingCalls: number;
  /** Runs before each embedding call is answered: something happening while the worker works. */
  onEmbedding: (() => Promise<void>) | undefined;
  close(): Promise<void>;
}

async function startFaultProxy(target: string): Promise<FaultProxy> {
  const state: Pick<FaultProxy, 'failEmbeddings' | 'embeddingCalls' | 'onEmbedding'> = {
    failEmbeddings: 0,
    embeddingCalls: 0,
    onEmbedding: undefined,
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (/:(batchEmbedContents|embedContent)$/.test(req.url ?? '')) {
      state.embeddingCalls += 1;
      await state.onEmbedding?.();
      if (state.failEmbeddings > 0) {
        state.failEmbeddings -= 1;
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: { code: 503, status: 'UNAVAILABLE', message: 'The model is overloaded.' },
          }),
        );
        return;
      }
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
    ) as Record<string, string>;
    const answer = await fetch(`${target}${req.url}`, {
      method: req.method,
      headers,
      body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
    });
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
    });
    res.end(Buffer.from(await answer.arrayBuffer()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy: FaultProxy = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get failEmbeddings() {
      return state.failEmbeddings;
    },
    set failEmbeddings(n: number) {
      state.failEmbeddings = n;
    },
    get embeddingCalls() {
      return state.embeddingCalls;
    },
    set embeddingCalls(n: number) {
      state.embeddingCalls = n;
    },
    get onEmbedding() {
      return state.onEmbedding;
    },
    set onEmbedding(hook) {
      state.onEmbedding = hook;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return proxy;
}

let sim: GeminiSimulator;
let proxy: FaultProxy;
let aws: LocalAws;
let sqsServer: Server;
let sqsClient: SQSClient;
let queueUrl: string;
let store: Store;
let service: Service;
let indexStore: IndexStore;
let embeddings: Embeddings;
let worker: Worker;

beforeAll(async () => {
  sim = await startGeminiSimulator();
  proxy = await startFaultProxy(sim.url);
  sqsServer = await createSqsServer({ port: 0, hostname: '127.0.0.1', accountId: '000000000000' });
  const sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
  sqsClient = new SQSClient({
    endpoint: sqsEndpoint,
    region: REGION,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
  });
  const created = await sqsClient.send(
    new CreateQueueCommand({ QueueName: 'documents-test', Attributes: { VisibilityTimeout: '1' } }),
  );
  queueUrl = created.QueueUrl as string;
  aws = await startLocalAws({
    env: {
      AWS_ENDPOINT_URL_SQS: sqsEndpoint,
      DOCUMENT_QUEUE_URL: queueUrl,
      GEMINI_BASE_URL: proxy.url,
      GEMINI_API_KEY: 'test-key',
      EMBEDDING_DIMENSIONS: String(DIMENSIONS),
      EMBEDDING_REQUESTS_PER_MINUTE: '60000',
      CHUNK_MAX_RECEIVES: String(MAX_RECEIVES),
      DOCUMENT_MAX_BYTES: String(MAX_BYTES),
    },
  });
  store = await import('#assessments/documents/document-store.ts');
  service = await import('#assessments/documents/document-service.ts');
  indexStore = await import('#assessments/documents/index-store.ts');
  embeddings = await import('#assessments/documents/embeddings.ts');
  worker = await import('#assessments/documents/ingest-document.ts');
});

afterAll(async () => {
  await proxy?.close();
  await sim?.close();
  sqsClient?.destroy();
  await new Promise((resolve) => sqsServer?.close(resolve));
  await aws?.stop();
});

beforeEach(() => {
  resetSimulator(sim);
  proxy.failEmbeddings = 0;
  proxy.embeddingCalls = 0;
  proxy.onEmbedding = undefined;
  process.env.GEMINI_API_KEY = 'test-key';
  resetConfig();
});

function record(owner: string, overrides: Partial<DocumentRecord> = {}): DocumentRecord {
  return { ...service.newDocument(owner, 'course.pdf', 'application/pdf', 0), ...overrides };
}

async function upload(doc: DocumentRecord, body: Uint8Array): Promise<void> {
  await aws.s3Client.send(
    new PutObjectCommand({
      Bucket: aws.bucketName,
      Key: store.documentKeys.source(doc.owner, doc.document_id),
      Body: body,
    }),
  );
}

/** A document uploaded and ingesting, as `startIngestion` leaves it (its message on the queue). */
async function uploaded(owner: string, type: SupportedType, body: Uint8Array): Promise<DocumentRecord> {
  const doc = record(owner, { content_type: type, filename: type === 'application/pdf' ? 'c.pdf' : 'c.md' });
  await store.createDocument(doc);
  await upload(doc, body);
  return service.startIngestion(doc);
}

/** The queue's message for this document, received as the event source mapping would. */
async function receive(documentId: string, attempts = 20): Promise<SQSRecord | undefined> {
  for (let i = 0; i < attempts; i++) {
    const { Messages = [] } = await sqsClient.send(
      new ReceiveMessageCommand({
        QueueUrl: queueUrl,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['All'],
      }),
    );
    const mine = Messages.find((m) => m.Body?.includes(documentId));
    if (mine) return toSqsRecord(mine, 'arn:aws:sqs:us-east-1:000000000000:documents-test', REGION);
    if (i < attempts - 1) await sleep(50);
  }
  return undefined;
}

/** Puts a message for a document on the queue and receives it. */
async function deliver(doc: DocumentRecord): Promise<SQSRecord> {
  await sqsClient.send(
    new SendMessageCommand({
      QueueUrl: queueUrl,
      MessageBody: JSON.stringify({ owner: doc.owner, document_id: doc.document_id }),
    }),
  );
  const received = await receive(doc.document_id);
  assert.ok(received, 'the message was received');
  return received;
}

function context(remainingMs = 900_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'ingest-document',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:ingest-document',
    memoryLimitInMB: '2048',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/ingest-document',
    logStreamName: 'test',
    getRemainingTimeInMillis: () => deadline - Date.now(),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** Invokes the worker and, as the event source mapping does, deletes the records it did not fail. */
async function invoke(records: SQSRecord[], remainingMs?: number): Promise<SQSBatchResponse> {
  const event: SQSEvent = { Records: records };
  const response = (await worker.handler(event, context(remainingMs))) as SQSBatchResponse;
  const failed = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
  for (const r of records.filter((r) => !failed.has(r.messageId))) {
    await sqsClient
      .send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: r.receiptHandle }))
      .catch(() => {});
  }
  return response;
}

async function current(doc: DocumentRecord): Promise<DocumentRecord> {
  const found = await store.getDocument(doc.owner, doc.document_id);
  assert.ok(found, 'the document record exists');
  return found;
}

async function objectBytes(key: string): Promise<Uint8Array> {
  const object = await aws.s3Client.send(new GetObjectCommand({ Bucket: aws.bucketName, Key: key }));
  return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
}

describe('ingest-document worker', () => {
  it('turns an uploaded PDF into a ready document with passages and vectors in S3', async () => {
    const owner = uniqueOwner('ingest');
    const pages = textbookPages(4, 2200);
    const doc = await uploaded(owner, 'application/pdf', await makePdf(pages));
    assert.equal(doc.status, 'ingesting');
    const message = await receive(doc.document_id);
    assert.ok(message, 'startIngestion queued the document');

    const response = await invoke([message]);

    assert.deepEqual(response.batchItemFailures, []);
    const ready = await current(doc);
    assert.equal(ready.status, 'ready', ready.error ?? '');
    assert.equal(ready.pages, 4);
    assert.equal(ready.error, null);
    assert.equal(ready.embedding_model, 'gemini-embedding-001');
    assert.ok((ready.characters ?? 0) > 4 * 2000);
    assert.ok(ready.ingested_at);

    const file = JSON.parse(
      new TextDecoder().decode(await objectBytes(store.documentKeys.passages(owner, doc.document_id))),
    );
    assert.equal(file.document_id, doc.document_id);
    assert.equal(file.dimensions, DIMENSIONS);
    assert.equal(file.passages.length, ready.passages);
    assert.deepEqual([...new Set(file.passages.map((p: { page: number }) => p.page))], [1, 2, 3, 4]);
    assert.match(file.passages[0].text, /^Chapter 1: photosynthesis\n\nIn photosynthesis, /);
    const vectorBytes = await objectBytes(store.documentKeys.vectors(owner, doc.document_id));
    assert.equal(vectorBytes.byteLength, file.passages.length * DIMENSIONS * 4);

    // The stored vectors are the passages' embeddings: a passage's own text finds it first.
    const index = await indexStore.loadIndex(owner, doc.document_id);
    const target = index.passages[5] ?? index.passages[0];
    assert.ok(target);
    const [query] = await embeddings.embedTexts([target.text], {
      apiKey: 'test-key',
      model: 'gemini-embedding-001',
      dimensions: DIMENSIONS,
      taskType: 'RETRIEVAL_QUERY',
      requestsPerMinute: 60_000,
      deadline: Date.now() + 30_000,
    });
    assert.ok(query);
    const [best] = indexStore.searchPassages(index, query, 3);
    assert.equal(best?.passage.id, target.id);
    assert.ok(Math.abs((best?.score ?? 0) - 1) < 1e-5);
  });

  it('ingests Markdown as numbered sections', async () => {
    const owner = uniqueOwner('ingest-md');
    const text = textbookPages(3, 2500)
      .map((paragraphs, i) => `# Part ${i + 1}\n\n${paragraphs.join('\n\n')}`)
      .join('\n\n');
    const doc = await uploaded(owner, 'text/markdown', new TextEncoder().encode(text));
    const message = await receive(doc.document_id);
    assert.ok(message);

    await invoke([message]);

    const ready = await current(doc);
    assert.equal(ready.status, 'ready', ready.error ?? '');
    assert.ok((ready.pages ?? 0) >= 3, `${ready.pages} sections`);
    const index = await indexStore.loadIndex(owner, doc.document_id);
    assert.equal(index.passages[0]?.id, 'p1-1');
    assert.equal(index.passages.at(-1)?.page, ready.pages);
  });

  it('fails a corrupt upload at once with a message that says what to fix', async () => {
    const owner = uniqueOwner('ingest-corrupt');
    const doc = await uploaded(owner, 'application/pdf', new TextEncoder().encode('%PDF-1.7\nnot really'));
    const message = await receive(doc.document_id);
    assert.ok(message);

    const response = await invoke([message]);

    assert.deepEqual(response.batchItemFailures, [], 'no retry');
    const failed = await current(doc);
    assert.equal(failed.status, 'failed');
    assert.match(failed.error ?? '', /^The file is not a readable PDF: .*export it as PDF again\.$/);
    assert.equal(proxy.embeddingCalls, 0);
  });

  it('fails a file over the size limit without reading it', async () => {
    const owner = uniqueOwner('ingest-large');
    const doc = await uploaded(owner, 'text/plain', new Uint8Array(MAX_BYTES + 1).fill(0x61));
    const message = await receive(doc.document_id);
    assert.ok(message);

    await invoke([message]);

    const failed = await current(doc);
    assert.equal(failed.status, 'failed');
    assert.match(
      failed.error ?? '',
      /^The file is 400001 bytes; the largest document accepted is 400000 bytes\. Split it into smaller files\.$/,
    );
  });

  it('recovers from transient embedding failures within one delivery', async () => {
    const owner = uniqueOwner('ingest-retry');
    proxy.failEmbeddings = 2;
    const doc = await uploaded(owner, 'application/pdf', await makePdf(textbookPages(2)));
    const message = await receive(doc.document_id);
    assert.ok(message);

    const response = await invoke([message]);

    assert.deepEqual(response.batchItemFailures, []);
    assert.equal((await current(doc)).status, 'ready');
    assert.equal(proxy.embeddingCalls, 3);
  });

  it('returns the document to the queue with a delay when retries run out of time, then recovers', async () => {
    const owner = uniqueOwner('ingest-requeue');
    proxy.failEmbeddings = 1;
    const doc = await uploaded(owner, 'application/pdf', await makePdf(textbookPages(2)));
    const first = await receive(doc.document_id);
    assert.ok(first);

    // 25 s left: after the margin there is no time for another 60 s embedding attempt.
    const response = await invoke([first], 25_000);

    assert.deepEqual(response.batchItemFailures, [{ itemIdentifier: first.messageId }]);
    assert.equal((await current(doc)).status, 'ingesting');
    // The queue would show it again after 1 s; the worker asked for 15.
    await sleep(1300);
    assert.equal(await receive(doc.document_id, 1), undefined, 'the message is held back');

    const second: SQSRecord = {
      ...first,
      attributes: { ...first.attributes, ApproximateReceiveCount: '2' },
    };
    const retried = await invoke([second]);

    assert.deepEqual(retried.batchItemFailures, []);
    assert.equal((await current(doc)).status, 'ready');
  });

  it('fails the document on its last delivery when the failure persists', async () => {
    const owner = uniqueOwner('ingest-last');
    proxy.failEmbeddings = 1;
    const doc = await uploaded(owner, 'application/pdf', await makePdf(textbookPages(1)));
    const received = await receive(doc.document_id);
    assert.ok(received);
    const last: SQSRecord = {
      ...received,
      attributes: { ...received.attributes, ApproximateReceiveCount: String(MAX_RECEIVES) },
    };

    const response = await invoke([last], 25_000);

    assert.deepEqual(response.batchItemFailures, []);
    const failed = await current(doc);
    assert.equal(failed.status, 'failed');
    assert.match(
      failed.error ?? '',
      /^Ingestion kept failing: The embedding model failed: 503 UNAVAILABLE: The model is overloaded/,
    );
  });

  it('fails at once when the model rejects the request', async () => {
    const owner = uniqueOwner('ingest-key');
    sim.configure({ apiKey: 'another-key' });
    const doc = await uploaded(owner, 'application/pdf', await makePdf(textbookPages(1)));
    const message = await receive(doc.document_id);
    assert.ok(message);

    const response = await invoke([message]);

    assert.deepEqual(response.batchItemFailures, []);
    const failed = await current(doc);
    assert.equal(failed.status, 'failed');
    assert.match(
      failed.error ?? '',
      /^The embedding model rejected the request: 400 INVALID_ARGUMENT: API key not valid/,
    );
  });

  it('fails when no Gemini API key is configured', async () => {
    const owner = uniqueOwner('ingest-nokey');
    delete process.env.GEMINI_API_KEY;
    resetConfig();
    const doc = await uploaded(owner, 'application/pdf', await makePdf(textbookPages(1)));
    const message = await receive(doc.document_id);
    assert.ok(message);

    await invoke([message]);

    const failed = await current(doc);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error, 'GEMINI_API_KEY not configured');
  });

  it('leaves a document that failed while it was being ingested failed', async () => {
    const owner = uniqueOwner('ingest-race');
    const doc = await uploaded(owner, 'application/pdf', await makePdf(textbookPages(1)));
    const message = await receive(doc.document_id);
    assert.ok(message);
    proxy.onEmbedding = async () => {
      await store.updateDocument(owner, doc.document_id, { status: 'failed', error: 'reconciled' });
    };

    await invoke([message]);

    const after = await current(doc);
    assert.equal(after.status, 'failed');
    assert.equal(after.error, 'reconciled');
  });

  it('removes the index it wrote for a document deleted while it was being ingested', async () => {
    const owner = uniqueOwner('ingest-deleted');
    const doc = await uploaded(owner, 'application/pdf', await makePdf(textbookPages(1)));
    const message = await receive(doc.document_id);
    assert.ok(message);
    proxy.onEmbedding = () => store.deleteDocument(owner, doc.document_id);

    const response = await invoke([message]);

    assert.deepEqual(response.batchItemFailures, []);
    assert.equal(await store.getDocument(owner, doc.document_id), undefined);
    await assert.rejects(indexStore.loadIndex(owner, doc.document_id), { name: 'DocumentIndexMissing' });
  });

  it('skips messages for documents that are gone or no longer ingesting, and malformed ones', async () => {
    const owner = uniqueOwner('ingest-skip');
    const ready = record(owner, { status: 'ready', pages: 1, passages: 1 });
    await store.createDocument(ready);
    const gone = record(owner, { status: 'ingesting' });
    const malformed = await deliver(record(owner)).then((r) => ({ ...r, body: '{"owner": 42}' }));

    const response = await invoke([await deliver(ready), await deliver(gone), malformed]);

    assert.deepEqual(response.batchItemFailures, []);
    assert.equal((await current(ready)).status, 'ready');
    assert.equal(await store.getDocument(owner, gone.document_id), undefined);
    assert.equal(proxy.embeddingCalls, 0);
  });
});

describe('document service', () => {
  it('starts ingestion only from awaiting_upload, and only once the file is there', async () => {
    const owner = uniqueOwner('start');
    const doc = record(owner);
    await store.createDocument(doc);

    await assert.rejects(service.startIngestion(doc), (error: Error) => {
      assert.equal(error.name, 'DocumentStateConflict');
      assert.match(error.message, /No file has been uploaded for document .+ yet/);
      return true;
    });

    const pdf = await makePdf([['Hello.']]);
    await upload(doc, pdf);
    const started = await service.startIngestion(doc);
    assert.equal(started.status, 'ingesting');
    assert.equal(started.size_bytes, pdf.byteLength);
    assert.ok(started.ingest_started_at);
    assert.ok(await receive(doc.document_id), 'a message was queued');

    await assert.rejects(
      service.startIngestion(doc),
      /is ingesting; only a document awaiting upload can be ingested/,
    );
    const failedDoc = record(owner, { status: 'failed', error: 'x' });
    await assert.rejects(
      service.startIngestion(failedDoc),
      (error: Error) => error.name === 'DocumentStateConflict',
    );
  });

  it('fails an ingestion that has run past its deadline, and leaves a recent one alone', async () => {
    const owner = uniqueOwner('reconcile');
    const limit = service.ingestionDeadlineMs();
    // Defaults: 900 s per delivery × 3 deliveries, 15 + 30 s of back-off, a minute of slack.
    assert.equal(limit, (900 * MAX_RECEIVES + 45 + 60) * 1000);
    const stale = record(owner, {
      status: 'ingesting',
      ingest_started_at: new Date(Date.now() - limit - 1000).toISOString(),
    });
    const fresh = record(owner, { status: 'ingesting', ingest_started_at: new Date().toISOString() });
    await store.createDocument(stale);
    await store.createDocument(fresh);

    const reconciled = await service.reconcileDocument(stale);
    const untouched = await service.reconcileDocument(fresh);

    assert.equal(reconciled.status, 'failed');
    assert.equal(reconciled.error, 'Ingestion did not finish in time; upload the document again');
    assert.equal((await current(stale)).status, 'failed');
    assert.equal(untouched.status, 'ingesting');
    assert.equal((await current(fresh)).status, 'ingesting');

    // A worker that turns up late changes nothing.
    await upload(stale, await makePdf([['Late text.']]));
    await invoke([await deliver(stale)]);
    assert.equal((await current(stale)).status, 'failed');
  });

  it("fails a stale ingestion in the owner's list of documents too", async () => {
    const owner = uniqueOwner('reconcile-list');
    const stale = record(owner, {
      status: 'ingesting',
      ingest_started_at: new Date(Date.now() - service.ingestionDeadlineMs() - 1000).toISOString(),
    });
    await store.createDocument(stale);

    const listed = await service.ownedDocuments(owner);

    assert.deepEqual(
      listed.map((d) => [d.document_id, d.status]),
      [[stale.document_id, 'failed']],
    );
    assert.equal((await current(stale)).status, 'failed');
  });
});
