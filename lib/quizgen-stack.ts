import * as cdk from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './constructs/api.ts';
import { GeminiSecret } from './constructs/gemini-secret.ts';
import { Ingestion } from './constructs/ingestion.ts';
import { Pipeline } from './constructs/pipeline.ts';
import type { QuizgenFunction } from './constructs/quizgen-function.ts';
import { Storage } from './constructs/storage.ts';
import { WebhookSecret } from './constructs/webhook-secret.ts';
import type { HandlerRole } from './definition.ts';
import type { Settings } from './settings.ts';

export interface QuizGenStackProps extends cdk.StackProps {
  settings: Settings;
}

/** Output names; the local runtime and the README refer to them. */
export const OUTPUTS = {
  apiUrl: 'ApiUrl',
  apiKeyId: 'ApiKeyId',
  getApiKeyCommand: 'GetApiKeyCommand',
  stateMachineArn: 'StateMachineArn',
  documentQueueUrl: 'DocumentQueueUrl',
  bucketName: 'BucketName',
  tableName: 'TableName',
  geminiSecretArn: 'GeminiSecretArn',
  setGeminiKeyCommand: 'SetGeminiKeyCommand',
} as const;

export class QuizGenStack extends cdk.Stack {
  readonly settings: Settings;
  readonly storage: Storage;
  readonly geminiSecret: GeminiSecret;
  readonly pipeline: Pipeline;
  readonly ingestion: Ingestion;
  readonly api: Api;
  /** Every function, by the handler it runs. */
  readonly functions: Record<HandlerRole, QuizgenFunction>;

  constructor(scope: Construct, id: string, props: QuizGenStackProps) {
    super(scope, id, props);
    this.settings = props.settings;

    this.storage = new Storage(this, 'Storage', { settings: this.settings });
    this.geminiSecret = new GeminiSecret(this, 'GeminiApiKey', this.settings.geminiKeySecret);
    this.pipeline = new Pipeline(this, 'Pipeline', {
      settings: this.settings,
      storage: this.storage,
      geminiSecret: this.geminiSecret,
    });
    this.ingestion = new Ingestion(this, 'Ingestion', {
      settings: this.settings,
      storage: this.storage,
      geminiSecret: this.geminiSecret,
    });
    this.api = new Api(this, 'Api', {
      settings: this.settings,
      storage: this.storage,
      pipeline: this.pipeline,
      ingestion: this.ingestion,
      geminiSecret: this.geminiSecret,
    });
    this.functions = { ...this.pipeline.functions, ...this.ingestion.functions, ...this.api.functions };

    // Content jobs' webhooks: sent by the worker (progress), "Finalize job", "Mark job failed"
    // and the execution-ended rule's function (completion or failure), and the content API
    // (cancellation); they read the job's request (its callback URL) from its content folder.
    const webhookSecret = new WebhookSecret(this, 'WebhookSigningSecret', this.settings.webhookSigningSecret);
    const { generateChunkWorker, finalizeJob, markJobFailed, executionEnded, contentApi } = this.functions;
    for (const fn of [generateChunkWorker, finalizeJob, markJobFailed, executionEnded, contentApi])
      webhookSecret.useSecret(fn);
    for (const fn of [finalizeJob, markJobFailed, executionEnded])
      this.storage.useBucket(fn, { read: ['content'], write: [] });
    // Whatever ends a batch-mode job cancels its Gemini batches still in flight
    // (jobs/batch-state.ts cancelJobBatches): it reads and updates the job's rounds state
    // (batches/) and calls batches.cancel with the Gemini key. The quiz generator API ends jobs
    // too (cancel, delete, a read finding one timed out or orphaned); it has the key already.
    const { quizGeneratorApi } = this.functions;
    for (const fn of [finalizeJob, markJobFailed, executionEnded, quizGeneratorApi])
      this.storage.useBucket(fn, { read: ['batches'], write: ['batches'] });
    for (const fn of [finalizeJob, markJobFailed, executionEnded]) this.geminiSecret.useKey(fn);

    const output = (name: string, value: string, description: string) =>
      new cdk.CfnOutput(this, name, { value, description });
    output(OUTPUTS.apiUrl, this.api.restApi.url, 'Base URL of the API, stage included');
    output(OUTPUTS.apiKeyId, this.api.apiKey.keyId, 'Id of the default API key');
    output(
      OUTPUTS.getApiKeyCommand,
      `aws apigateway get-api-key --api-key ${this.api.apiKey.keyId} --include-value --query value --output text`,
      'Prints the default API key, for the x-api-key header',
    );
    output(OUTPUTS.stateMachineArn, this.pipeline.stateMachine.stateMachineArn, 'Job pipeline state machine');
    output(
      OUTPUTS.documentQueueUrl,
      this.ingestion.queue.queueUrl,
      'Document ingestion queue (its dead-letter queue holds documents whose ingestion kept failing)',
    );
    output(OUTPUTS.bucketName, this.storage.bucket.bucketName, 'Results bucket');
    output(OUTPUTS.tableName, this.storage.table.tableName, 'Jobs table');
    output(OUTPUTS.geminiSecretArn, this.geminiSecret.secret.secretArn, 'Secret holding the Gemini API key');
    output(
      OUTPUTS.setGeminiKeyCommand,
      `aws secretsmanager put-secret-value --secret-id ${this.geminiSecret.secret.secretArn} --secret-string <YOUR_KEY>`,
      'Stores your Gemini API key; generation answers "not configured" until then',
    );
  }
}
