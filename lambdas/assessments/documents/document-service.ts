/**
 * Document rules the API needs around ingestion: starting it (once, from an uploaded file) and
 * making sure no document stays `ingesting` forever.
 */
import { HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { s3, sqs } from '#platform/clients.ts';
import { DEFAULTS, ENV, intEnv, requireEnv } from '#platform/config.ts';
import { DomainError } from '#platform/errors.ts';
import { redeliveryDelaySeconds } from '#platform/queue.ts';
import { type DocumentRecord, documentKeys, getDocument, updateDocument } from './document-store.ts';

/** The body of a message on the document queue. */
export interface IngestMessage {
  owner: string;
  document_id: string;
}

export class DocumentNotFound extends DomainError {
  constructor(documentId: string) {
    super(`Document not found: ${documentId}`, 404);
  }
}

/** 409: the document exists but is in a state that does not allow the action. */
export class DocumentStateConflict extends DomainError {
  constructor(message: string) {
    super(message, 409);
  }
}

export const STALE_INGESTION_MESSAGE = 'Ingestion did not finish in time; upload the document again';

/**
 * How long an ingestion may take at most: every delivery running to the function's timeout,
 * the back-off delays between them, and a minute of slack for queueing and clock skew.
 */
export function ingestionDeadlineMs(): number {
  const timeout = intEnv(ENV.ingestTimeoutSeconds, DEFAULTS.ingestTimeoutSeconds, 1);
  const receives = intEnv(ENV.chunkMaxReceives, DEFAULTS.chunkMaxReceives, 1);
  let delays = 0;
  for (let n = 1; n < receives; n++) delays += redeliveryDelaySeconds(n);
  return (timeout * receives + delays + 60) * 1000;
}

/**
 * The record as it should be seen now: an ingestion past its deadline is marked failed (the
 * worker's final update is conditional on `ingesting`, so a late worker cannot undo this).
 */
export async function reconcileDocument(record: DocumentRecord, now = Date.now()): Promise<DocumentRecord> {
  if (record.status !== 'ingesting') return record;
  const started = Date.parse(record.ingest_started_at ?? record.updated_at);
  if (Number.isFinite(started) && now - started <= ingestionDeadlineMs()) return record;
  const failed = await updateDocument(
    record.owner,
    record.document_id,
    { status: 'failed', error: STALE_INGESTION_MESSAGE },
    ['ingesting'],
  );
  // Lost the race to the worker (or a delete): whatever is stored now is the answer.
  return failed ?? (await getDocument(record.owner, record.document_id)) ?? record;
}

/**
 * Starts ingesting an uploaded document: only from `awaiting_upload` (a failed document is
 * uploaded again as a new one), and only once its file is in S3. Records the actual size.
 */
export async function startIngestion(record: DocumentRecord): Promise<DocumentRecord> {
  const { owner, document_id: id } = record;
  if (record.status !== 'awaiting_upload') {
    throw new DocumentStateConflict(
      `Document ${id} is ${record.status}; only a document awaiting upload can be ingested`,
    );
  }
  let size: number;
  try {
    const head = await s3.send(
      new HeadObjectCommand({ Bucket: requireEnv(ENV.bucketName), Key: documentKeys.source(owner, id) }),
    );
    size = head.ContentLength ?? 0;
  } catch (error) {
    if (error instanceof NotFound || (error as Error).name === 'NotFound') {
      throw new DocumentStateConflict(
        `No file has been uploaded for document ${id} yet; upload it to the upload URL first`,
      );
    }
    throw error;
  }
  const started = await updateDocument(
    owner,
    id,
    { status: 'ingesting', ingest_started_at: new Date().toISOString(), error: null, size_bytes: size },
    ['awaiting_upload'],
  );
  if (!started) {
    const current = await getDocument(owner, id);
    if (!current) throw new DocumentNotFound(id);
    throw new DocumentStateConflict(
      `Document ${id} is ${current.status}; only a document awaiting upload can be ingested`,
    );
  }
  const message: IngestMessage = { owner, document_id: id };
  try {
    await sqs.send(
      new SendMessageCommand({
        QueueUrl: requireEnv(ENV.documentQueueUrl),
        MessageBody: JSON.stringify(message),
      }),
    );
  } catch (error) {
    // Without a message nothing would ever ingest it: put it back so the caller can try again.
    await updateDocument(owner, id, { status: 'awaiting_upload', ingest_started_at: null }, ['ingesting']);
    throw error;
  }
  return started;
}
