/**
 * Document rules around ingestion: a new document's record, starting ingestion (once, from an
 * uploaded file), marking it done, and making sure no document stays `ingesting` forever.
 */
import { randomUUID } from 'node:crypto';
import { HeadObjectCommand, NotFound } from '@aws-sdk/client-s3';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { s3, sqs } from '#platform/clients.ts';
import { DEFAULTS, ENV, intEnv, requireEnv } from '#platform/config.ts';
import { DomainError } from '#platform/errors.ts';
import {
  type DocumentRecord,
  documentKeys,
  getDocument,
  type SupportedType,
  updateDocument,
} from './document-store.ts';

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

/** The record of a document just created, before its file is uploaded. */
export function newDocument(
  owner: string,
  filename: string,
  contentType: SupportedType,
  size: number,
): DocumentRecord {
  const now = new Date().toISOString();
  return {
    document_id: randomUUID(),
    owner,
    filename,
    content_type: contentType,
    size_bytes: size,
    status: 'awaiting_upload',
    error: null,
    pages: null,
    passages: null,
    characters: null,
    embedding_model: null,
    created_at: now,
    updated_at: now,
    ingest_started_at: null,
    ingested_at: null,
  };
}

/** What an ingestion found, as the document record keeps it. */
export interface IngestedCounts {
  pages: number;
  passages: number;
  characters: number;
}

/**
 * Marks an ingested document ready, only while it is `ingesting`: undefined when it was deleted
 * or failed meanwhile (then its new index is not used).
 */
export function markDocumentReady(
  document: Pick<DocumentRecord, 'owner' | 'document_id'>,
  counts: IngestedCounts,
  embeddingModel: string,
): Promise<DocumentRecord | undefined> {
  return updateDocument(
    document.owner,
    document.document_id,
    {
      status: 'ready',
      pages: counts.pages,
      passages: counts.passages,
      characters: counts.characters,
      embedding_model: embeddingModel,
      ingested_at: new Date().toISOString(),
      error: null,
    },
    ['ingesting'],
  );
}

export const STALE_INGESTION_MESSAGE = 'Ingestion did not finish in time; upload the document again';

/** Delays between deliveries of a failing ingestion message, as `ingest-document.ts` sets them. */
export function redeliveryDelaySeconds(receiveCount: number): number {
  return Math.min(900, 15 * 2 ** (receiveCount - 1));
}

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
