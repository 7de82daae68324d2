import * as cdk from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as eventSources from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ENV } from '#platform/config.ts';
import { queueVisibilitySeconds, type Settings, settingsEnvironment } from '../settings.ts';
import type { GeminiSecret } from './gemini-secret.ts';
import { QuizgenFunction } from './quizgen-function.ts';
import type { Storage } from './storage.ts';

/** Room for a whole PDF, its extracted text and its passages in memory at once. */
const INGEST_MEMORY_MB = 2048;

export interface IngestionProps {
  settings: Settings;
  storage: Storage;
  geminiSecret: GeminiSecret;
}

/**
 * Document ingestion: the API queues `{ owner, document_id }` once a document is uploaded, and
 * the ingest function extracts its text, splits it into passages, embeds them with Gemini and
 * stores passages and vectors next to the document in S3.
 */
export class Ingestion extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly functions: { ingestDocument: QuizgenFunction };

  constructor(scope: Construct, id: string, props: IngestionProps) {
    super(scope, id);
    const { settings, storage, geminiSecret } = props;

    // Nothing drains it: a document whose ingestion died on every delivery (out of memory,
    // timeout) is reported failed by the API once the ingestion deadline has passed (every
    // delivery's timeout plus the back-off between them, about an hour by default; see
    // ingestionDeadlineMs), and the message stays here for an operator to look at.
    this.deadLetterQueue = new sqs.Queue(this, 'DocumentDeadLetterQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: cdk.Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'DocumentQueue', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // Longer than one ingest run, so a document is never ingested twice at once; six times
      // it, as AWS recommends for a Lambda event source (see queueVisibilitySeconds).
      visibilityTimeout: cdk.Duration.seconds(queueVisibilitySeconds(settings.ingestTimeoutSeconds)),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: settings.chunkMaxReceives },
    });

    const ingestDocument = new QuizgenFunction(this, 'IngestDocumentFunction', {
      role: 'ingestDocument',
      description: 'Extracts, splits and embeds an uploaded document into passages for grounded questions',
      timeout: cdk.Duration.seconds(settings.ingestTimeoutSeconds),
      memorySize: INGEST_MEMORY_MB,
      environment: settingsEnvironment(settings),
    });
    this.functions = { ingestDocument };

    // The document store only, no job store (so no batch calls); DeleteItem for a document
    // deleted while it was being ingested.
    storage.useTable(ingestDocument, { batch: false, delete: true });
    // Delete: a document deleted while it was being ingested loses the index just written.
    storage.useBucket(ingestDocument, { read: ['documents'], write: ['documents'], delete: ['documents'] });
    geminiSecret.useKey(ingestDocument);

    // The handler returns a message to the queue with a growing ChangeMessageVisibility delay
    // after a transient failure, so it needs the queue URL as well as the event source.
    ingestDocument.addEnvironment(ENV.documentQueueUrl, this.queue.queueUrl);
    this.queue.grant(ingestDocument, 'sqs:ChangeMessageVisibility');
    ingestDocument.addEventSource(
      new eventSources.SqsEventSource(this.queue, {
        batchSize: 1,
        reportBatchItemFailures: true,
        // Each ingestion holds a whole document in memory and shares the embedding quota.
        maxConcurrency: settings.ingestMaxConcurrency,
      }),
    );
  }

  /** DOCUMENT_QUEUE_URL and the right to queue documents for ingestion. */
  useQueue(fn: lambda.Function): void {
    fn.addEnvironment(ENV.documentQueueUrl, this.queue.queueUrl);
    // SendMessage only: the URL comes from the environment, so no GetQueueUrl or GetQueueAttributes.
    this.queue.grant(fn, 'sqs:SendMessage');
  }
}
