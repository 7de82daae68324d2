/**
 * What happens to a document: a new record, its file taken with the request or through an
 * upload URL, ingestion started (once, from an uploaded file) and marked done, and no document
 * left `ingesting` forever. The assessments API and the ingestion worker call these; they know
 * nothing of HTTP.
 */
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { s3, s3Presigner, sqs } from '#platform/clients.ts';
import { DEFAULTS, ENV, intEnv, requireEnv } from '#platform/config.ts';
import { DomainError, InvalidRequest, PayloadTooLarge, UnsupportedFileType } from '#platform/errors.ts';
import { redeliveryDelaySeconds } from '#platform/queue.ts';
import {
  createDocument,
  type DocumentRecord,
  documentKeys,
  getDocument,
  listDocuments,
  type SupportedType,
  updateDocument,
} from './document-store.ts';
import { DocumentRejected, detectContentType } from './extract.ts';

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

const UPLOAD_URL_SECONDS = 3600;
/** The longest file name kept: a form or a header can carry one of megabytes, an item cannot. */
const MAX_FILENAME_CHARS = 255;

const uuid = z.uuid();

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

/** The owner's document as it should be seen now; any other id names no document. */
export async function ownedDocument(owner: string, id: string): Promise<DocumentRecord> {
  // Document ids are UUIDs: anything else names no document (and an empty or 2 KB string is not
  // even a key DynamoDB can look up).
  const record = uuid.safeParse(id).success ? await getDocument(owner, id) : undefined;
  if (!record) throw new DocumentNotFound(id);
  return reconcileDocument(record);
}

/** The owner's documents, newest first, each as it should be seen now (as `ownedDocument`). */
export async function ownedDocuments(owner: string): Promise<DocumentRecord[]> {
  return Promise.all((await listDocuments(owner)).map((record) => reconcileDocument(record)));
}

/** The owner's document, which questions can be grounded in only once it is ready. */
export async function readyDocument(owner: string, id: string): Promise<DocumentRecord> {
  const current = await ownedDocument(owner, id);
  if (current.status === 'ready') return current;
  if (current.status === 'failed') {
    throw new DocumentStateConflict(`Document ${id} failed to ingest (${current.error}); upload it again`);
  }
  throw new DocumentStateConflict(
    `Document ${id} is ${current.status}, not ready; poll GET /documents/${id} until its status is "ready"`,
  );
}

/** A file sent with the request. */
export interface Upload {
  filename: string;
  /** The media type the client gave, if any. */
  declaredType?: string | undefined;
  bytes: Uint8Array;
}

/** Takes a file sent with the request: its record, its object in S3, and its ingestion started. */
export async function uploadDocument(owner: string, upload: Upload): Promise<DocumentRecord> {
  if (upload.filename.length > MAX_FILENAME_CHARS) {
    throw new InvalidRequest(
      `The file name is ${upload.filename.length} characters long; at most ${MAX_FILENAME_CHARS}`,
    );
  }
  const max = intEnv(ENV.inlineUploadMaxBytes, DEFAULTS.inlineUploadMaxBytes, 1);
  if (upload.bytes.length > max) {
    throw new PayloadTooLarge(
      `The file is ${upload.bytes.length} bytes; files over ${max} bytes go through an upload URL: POST /documents with {"filename": "...", "size_bytes": ${upload.bytes.length}}`,
    );
  }
  if (upload.bytes.length === 0) throw new InvalidRequest('The file is empty');
  const contentType = typeOf(upload.filename, upload.declaredType, upload.bytes);
  const record = newDocument(owner, upload.filename, contentType, upload.bytes.length);
  await createDocument(record);
  const { client, sdk } = await s3();
  await client.send(
    new sdk.PutObjectCommand({
      Bucket: requireEnv(ENV.bucketName),
      Key: documentKeys.source(owner, record.document_id),
      Body: upload.bytes,
      ContentType: contentType,
    }),
  );
  return startIngestion(record);
}

/** A new document and where its file goes: a presigned PUT, then `completeUpload`. */
export interface UploadUrl {
  document: DocumentRecord;
  url: string;
  /** The headers the PUT must send: the signature covers them. */
  headers: { 'content-type': string; 'content-length': string };
  expiresInSeconds: number;
}

/** A document record awaiting its file, and a URL to PUT exactly `sizeBytes` bytes of it to. */
export async function issueUploadUrl(
  owner: string,
  file: { filename: string; contentType?: string | undefined; sizeBytes: number },
): Promise<UploadUrl> {
  const max = intEnv(ENV.documentMaxBytes, DEFAULTS.documentMaxBytes, 1);
  if (file.sizeBytes > max)
    throw new PayloadTooLarge(`The file is ${file.sizeBytes} bytes; at most ${max} bytes are accepted`);
  const contentType = typeOf(file.filename, file.contentType);
  const record = newDocument(owner, file.filename, contentType, file.sizeBytes);
  await createDocument(record);
  // The signature covers the type and the length, so the upload cannot be larger than declared.
  const [{ client, sdk }, { getSignedUrl }] = await Promise.all([s3(), s3Presigner()]);
  const url = await getSignedUrl(
    client,
    new sdk.PutObjectCommand({
      Bucket: requireEnv(ENV.bucketName),
      Key: documentKeys.source(owner, record.document_id),
      ContentType: contentType,
      ContentLength: file.sizeBytes,
    }),
    { expiresIn: UPLOAD_URL_SECONDS, signableHeaders: new Set(['content-type', 'content-length']) },
  );
  return {
    document: record,
    url,
    headers: { 'content-type': contentType, 'content-length': String(file.sizeBytes) },
    expiresInSeconds: UPLOAD_URL_SECONDS,
  };
}

/** Starts ingesting a document whose file went to its upload URL. */
export async function completeUpload(record: DocumentRecord): Promise<DocumentRecord> {
  const max = intEnv(ENV.documentMaxBytes, DEFAULTS.documentMaxBytes, 1);
  const started = await startIngestion(record);
  if (started.size_bytes > max)
    throw new PayloadTooLarge(`The file is ${started.size_bytes} bytes; at most ${max} bytes are accepted`);
  return started;
}

/** The file's type; a file the service cannot read is refused: 415 for its type, else 413 or 400. */
function typeOf(filename: string, declared?: string, bytes?: Uint8Array): SupportedType {
  try {
    return detectContentType(filename, declared, bytes);
  } catch (error) {
    if (!(error instanceof DocumentRejected)) throw error;
    if (error.reason === 'unsupported_type') throw new UnsupportedFileType(error.message);
    if (error.reason === 'too_large') throw new PayloadTooLarge(error.message);
    throw new InvalidRequest(error.message);
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
    const { client, sdk } = await s3();
    const head = await client.send(
      new sdk.HeadObjectCommand({ Bucket: requireEnv(ENV.bucketName), Key: documentKeys.source(owner, id) }),
    );
    size = head.ContentLength ?? 0;
  } catch (error) {
    // By name: the SDK's NotFound class names itself so (@aws-sdk/client-s3 `dist-es/models/errors.js`).
    if ((error as Error).name === 'NotFound') {
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
    const { client, sdk } = await sqs();
    await client.send(
      new sdk.SendMessageCommand({
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
