/**
 * The template's table, queues and SQS event source mappings made real in the stand-ins:
 * dynalite's table, local-aws-sqs's queues, and one poller per mapping.
 */

import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  type CfnResource,
  type CfnTemplate,
  isRecord,
  referenceOf,
  resolveIntrinsics,
  resourcesOfType,
} from './cloudformation.ts';
import { type EventSourcePoller, startEventSourcePoller } from './event-source-poller.ts';
import type { LocalLambda } from './lambda-runtime.ts';
import type { LocalNames } from './stack-template.ts';

/** ScalingConfig.MaximumConcurrency absent: AWS scales far higher; a few pollers are plenty here. */
const DEFAULT_POLLER_CONCURRENCY = 5;

export async function ensureTable(dynamo: DynamoDBClient, tableName: string, props: Record<string, unknown>) {
  const keySchema = props.KeySchema as KeySchemaElement[];
  const indexes = (props.GlobalSecondaryIndexes as GlobalSecondaryIndex[] | undefined) ?? [];
  try {
    const { Table } = await dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    const existingIndexes = new Set((Table?.GlobalSecondaryIndexes ?? []).map((index) => index.IndexName));
    const sameKeys = JSON.stringify(Table?.KeySchema) === JSON.stringify(keySchema);
    const missing = indexes.filter((index) => !existingIndexes.has(index.IndexName));
    if (!sameKeys || missing.length > 0) {
      throw new Error(
        `The local table ${tableName} was created by an older template (key schema or indexes changed). ` +
          'Delete the dynamodb folder of the data directory to recreate it.',
      );
    }
    return;
  } catch (error) {
    if (!(error instanceof ResourceNotFoundException)) throw error;
  }
  await dynamo.send(
    new CreateTableCommand({
      TableName: tableName,
      KeySchema: keySchema,
      AttributeDefinitions: props.AttributeDefinitions as AttributeDefinition[],
      BillingMode: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexes:
        indexes.length > 0 ? indexes.map(({ ProvisionedThroughput: _, ...index }) => index) : undefined,
    }),
  );
  // dynalite has no TimeToLive support: expired jobs stay until deleted, which only matters
  // for a local store that runs for months.
}

export interface LocalQueues {
  /** The template's queues, dead-letter queues first. */
  queues: [string, CfnResource][];
  /** Each queue's visibility timeout here, by logical id. */
  visibility: Record<string, number>;
  /** Redrive policies, applied by the pollers (see event-source-poller.ts on local-aws-sqs's counts). */
  redrive: Record<string, { deadLetterQueueUrl: string; maxReceiveCount: number }>;
}

/** Creates the template's queues, their visibility timeouts capped at `visibility` seconds. */
export async function createQueues(
  sqs: SQSClient,
  template: CfnTemplate,
  names: LocalNames,
  visibility: number,
): Promise<LocalQueues> {
  const queues = resourcesOfType(template, 'AWS::SQS::Queue');
  // Dead-letter queues first: a RedrivePolicy must name an existing queue.
  const redrives = ([, queue]: [string, CfnResource]) =>
    Number(queue.Properties?.RedrivePolicy !== undefined);
  queues.sort((a, b) => redrives(a) - redrives(b));
  const queueVisibility: Record<string, number> = {};
  const queueRedrive: LocalQueues['redrive'] = {};
  for (const [logicalId, queue] of queues) {
    const props = queue.Properties ?? {};
    const templateVisibility = typeof props.VisibilityTimeout === 'number' ? props.VisibilityTimeout : 30;
    queueVisibility[logicalId] = Math.min(templateVisibility, visibility);
    const attributes: Record<string, string> = { VisibilityTimeout: String(queueVisibility[logicalId]) };
    if (typeof props.MessageRetentionPeriod === 'number')
      attributes.MessageRetentionPeriod = String(props.MessageRetentionPeriod);
    if (typeof props.DelaySeconds === 'number') attributes.DelaySeconds = String(props.DelaySeconds);
    // Enforced in bytes by sqs-server.ts; unset, SQS's default (1 MiB) applies, as locally.
    if (typeof props.MaximumMessageSize === 'number')
      attributes.MaximumMessageSize = String(props.MaximumMessageSize);
    if (props.FifoQueue === true) attributes.FifoQueue = 'true';
    if (props.RedrivePolicy !== undefined) {
      const policy = resolveIntrinsics(props.RedrivePolicy, names.resolver) as {
        deadLetterTargetArn: string;
        maxReceiveCount: number;
      };
      const target = isRecord(props.RedrivePolicy)
        ? referenceOf(props.RedrivePolicy.deadLetterTargetArn)?.logicalId
        : undefined;
      if (target) {
        queueRedrive[logicalId] = {
          deadLetterQueueUrl: names.resolver(target),
          maxReceiveCount: Number(policy.maxReceiveCount),
        };
      }
      // local-aws-sqs's own redrive counts visibility changes as receives: out of reach here.
      attributes.RedrivePolicy = JSON.stringify({
        ...policy,
        maxReceiveCount: target ? 1000 : policy.maxReceiveCount,
      });
    }
    await sqs.send(new CreateQueueCommand({ QueueName: names.physical(logicalId), Attributes: attributes }));
  }
  return { queues, visibility: queueVisibility, redrive: queueRedrive };
}

/** An SQS event source mapping as it runs locally. */
export interface EventSource {
  functionLogicalId: string;
  queueUrl: string;
  batchSize: number;
  maximumConcurrency: number;
}

/** One poller per enabled mapping, each feeding its function as Lambda's event source would. */
export function startEventSources(options: {
  template: CfnTemplate;
  names: LocalNames;
  lambdas: Record<string, LocalLambda>;
  sqs: SQSClient;
  queues: LocalQueues;
  /** The visibility timeout of a queue the template does not list. */
  visibility: number;
  log: (line: string) => void;
}): { pollers: EventSourcePoller[]; eventSources: EventSource[] } {
  const { template, names, lambdas, sqs, queues, visibility, log } = options;
  const pollers: EventSourcePoller[] = [];
  const eventSources: EventSource[] = [];
  for (const [logicalId, mapping] of resourcesOfType(template, 'AWS::Lambda::EventSourceMapping')) {
    const props = mapping.Properties ?? {};
    if (props.Enabled === false) continue;
    const queueId = referenceOf(props.EventSourceArn)?.logicalId;
    const functionId = referenceOf(props.FunctionName)?.logicalId;
    const fn = functionId ? lambdas[functionId] : undefined;
    if (!queueId || !functionId || template.Resources[queueId]?.Type !== 'AWS::SQS::Queue' || !fn) {
      throw new Error(`${logicalId}: only SQS event sources of this template's functions run locally`);
    }
    const scaling = isRecord(props.ScalingConfig) ? props.ScalingConfig.MaximumConcurrency : undefined;
    const queueVisibilitySeconds = queues.visibility[queueId] ?? visibility;
    const source = {
      functionLogicalId: functionId,
      queueUrl: names.resolver(queueId),
      batchSize: typeof props.BatchSize === 'number' ? props.BatchSize : 10,
      maximumConcurrency: typeof scaling === 'number' ? scaling : DEFAULT_POLLER_CONCURRENCY,
    };
    eventSources.push(source);
    pollers.push(
      startEventSourcePoller({
        sqs,
        queueUrl: source.queueUrl,
        queueArn: names.resolver(queueId, 'Arn'),
        handler: fn.invoke as (event: unknown) => Promise<unknown>,
        batchSize: source.batchSize,
        maximumBatchingWindowSeconds:
          typeof props.MaximumBatchingWindowInSeconds === 'number' ? props.MaximumBatchingWindowInSeconds : 0,
        maximumConcurrency: source.maximumConcurrency,
        reportBatchItemFailures:
          Array.isArray(props.FunctionResponseTypes) &&
          props.FunctionResponseTypes.includes('ReportBatchItemFailures'),
        holdVisibilitySeconds:
          queueVisibilitySeconds < fn.config.timeoutSeconds ? queueVisibilitySeconds : undefined,
        ...(queues.redrive[queueId] ? { redrive: queues.redrive[queueId] } : {}),
        log,
      }),
    );
  }
  return { pollers, eventSources };
}
