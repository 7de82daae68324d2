/**
 * Worker: one SQS message = one document to ingest (`{ owner, document_id }`, sent by
 * `startIngestion`). The document ends `ready` with its index in S3, or `failed` with a message
 * that says what to fix. A file that cannot be ingested as it is fails at once; a transient
 * failure goes back to the queue (with a growing delay) until its last delivery, when the
 * document fails with the last error, so no document stays `ingesting`.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Context, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod';
import { ENV, requireEnv } from '#platform/config.ts';
import { geminiApiKey } from '#platform/gemini/api-key.ts';
import { ModelCallError } from '#platform/gemini/gemini-client.ts';
import { withPowertools } from '#platform/middleware.ts';
import { logger, metrics } from '#platform/powertools.ts';
import { returnLater } from '#platform/queue.ts';
import { markDocumentReady } from './document-service.ts';
import { type DocumentRecord, deleteDocument, getDocument, updateDocument } from './document-store.ts';
import { DocumentRejected } from './extract.ts';
import { documentSettings, ingestDocument } from './ingest-pipeline.ts';

const settings = documentSettings();
const queueUrl = requireEnv(ENV.documentQueueUrl);
const processor = new BatchProcessor(EventType.SQS);
/** Time kept back from the invocation's deadline to record the outcome. */
const DEADLINE_MARGIN_MS = 20_000;

const messageSchema = z.object({ owner: z.string().min(1), document_id: z.string().min(1) });

/** A failure no retry can fix; its message is for the user. */
class IngestionFailed extends Error {}

async function handleRecord(record: SQSRecord, context?: Context): Promise<void> {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    body = undefined;
  }
  const parsed = messageSchema.safeParse(body);
  if (!parsed.success) {
    // No document to fail and nothing a redelivery would change: log it and let it go.
    logger.error('Dropping a malformed ingestion message', { body: record.body.slice(0, 1000) });
    return;
  }
  const message = parsed.data;
  const receiveCount = Number(record.attributes.ApproximateReceiveCount ?? '1');
  const keys = { document_id: message.document_id, owner: message.owner, receive_count: receiveCount };
  logger.appendKeys(keys);
  try {
    const document = await getDocument(message.owner, message.document_id);
    if (document?.status !== 'ingesting') {
      // Deleted, or already finished by an earlier delivery or by reconciliation.
      logger.info('Skipping a document that is not being ingested', {
        status: document?.status ?? 'deleted',
      });
      return;
    }
    await ingest(document, receiveCount, record, context);
  } finally {
    logger.removeKeys(Object.keys(keys));
  }
}

function userMessage(error: unknown): string {
  if (error instanceof ModelCallError) {
    const what = error.kind === 'permanent' ? 'rejected the request' : 'failed';
    return `The embedding model ${what}: ${error.message}`;
  }
  return error instanceof Error ? error.message : String(error);
}

async function ingest(
  document: DocumentRecord,
  receiveCount: number,
  record: SQSRecord,
  context?: Context,
): Promise<void> {
  const { owner, document_id: id } = document;
  const deadline = Date.now() + (context?.getRemainingTimeInMillis() ?? 900_000) - DEADLINE_MARGIN_MS;
  try {
    const apiKey = await geminiApiKey();
    if (!apiKey) throw new IngestionFailed('GEMINI_API_KEY not configured');
    const result = await ingestDocument({
      owner,
      documentId: id,
      contentType: document.content_type,
      apiKey,
      settings,
      deadline,
      onProgress: (event, detail) => logger.info(`Ingestion: ${event}`, detail),
    });
    const ready = await markDocumentReady(document, result, settings.embeddingModel);
    if (!ready) {
      const now = await getDocument(owner, id);
      logger.warn('The document changed while it was ingested; its index is not used', {
        status: now?.status ?? 'deleted',
      });
      // Deleted meanwhile: the index just written would otherwise stay behind.
      if (!now) await deleteDocument(owner, id);
      return;
    }
    logger.info('Document ingested', { ...result });
    metrics.addMetric('DocumentsIngested', MetricUnit.Count, 1);
    metrics.addMetric('DocumentPages', MetricUnit.Count, result.pages);
    metrics.addMetric('DocumentPassages', MetricUnit.Count, result.passages);
  } catch (error) {
    const permanent =
      error instanceof DocumentRejected ||
      error instanceof IngestionFailed ||
      (error instanceof ModelCallError && error.kind === 'permanent');
    if (!permanent && receiveCount < settings.maxReceives) {
      await returnLater(record, {
        queueUrl,
        receiveCount,
        message: 'Ingestion failed transiently; returning the document to the queue',
        error: userMessage(error),
      });
      throw error;
    }
    const reason = permanent ? userMessage(error) : `Ingestion kept failing: ${userMessage(error)}`;
    if (permanent) logger.info('Document rejected', { reason });
    else logger.error('Ingestion failed on its last delivery', { reason });
    await updateDocument(owner, id, { status: 'failed', error: reason }, ['ingesting']);
    metrics.addMetric('DocumentsFailed', MetricUnit.Count, 1);
  }
}

// One document at a time: each may hold up to DOCUMENT_MAX_BYTES and its parsed form in memory.
export const handler = withPowertools(async (event: SQSEvent, context: Context) =>
  processPartialResponse(event, handleRecord, processor, {
    context,
    throwOnFullBatchFailure: false,
    processInParallel: false,
  }),
);
