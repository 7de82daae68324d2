import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV } from '#platform/config.ts';
import { acknowledgeWildcards } from '../nag.ts';
import type { Settings } from '../settings.ts';

export const TTL_ATTRIBUTE = 'expires_at';

/**
 * Top-level key prefixes of the results bucket. Grants name the prefixes a function uses, so a
 * handler that starts writing elsewhere fails in AWS with AccessDenied (locally nothing checks
 * IAM): add the prefix here and grant it where it is needed.
 */
export const BUCKET_PREFIXES = {
  /** Validated questions of one chunk (`checkpoints/<owner>/<chunk key>.json`). */
  checkpoints: 'checkpoints/',
  /** Assembled quiz-bank files (`results/<owner>/...`). */
  results: 'results/',
  /** Raw model responses, expired by a lifecycle rule. */
  raw: 'raw/',
  /** Uploaded documents, their passages and vectors (`documents/<owner>/<document id>/...`). */
  documents: 'documents/',
  /** An assessment job's chunk files and result (`assessments/<owner>/<job id>/...`). */
  assessments: 'assessments/',
  /**
   * The content API's objects: a content job's generated sections and assembled content, and
   * structures and templates too large for a record.
   */
  content: 'content/',
  /** A batch-mode job's rounds and the state of each chunk between them. */
  batches: 'batches/',
} as const;
export type BucketPrefix = keyof typeof BUCKET_PREFIXES;

/** Which prefixes a function may read, write or delete objects under. */
export interface BucketGrant {
  read?: BucketPrefix[];
  write?: BucketPrefix[];
  delete?: BucketPrefix[];
}

/** How long a browser may cache a CORS preflight answer. */
const CORS_MAX_AGE_SECONDS = 3000;
const ACCESS_LOG_RETENTION_DAYS = 90;
/** Single-item reads and writes and queries: every store module. */
const TABLE_ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** The job store's checkpoint lookups, question-bank writes and job deletion (BatchWriteItem). */
const TABLE_BATCH_ACTIONS = ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem'];

/** What a function does with the table's items beyond reading, writing and querying them. */
export interface TableGrant {
  /** BatchGetItem and BatchWriteItem, which the job store uses. @default true */
  batch?: boolean;
  /** DeleteItem: deleting a document or a saved assessment (jobs go by BatchWriteItem). @default false */
  delete?: boolean;
}

export interface StorageProps {
  settings: Settings;
}

/**
 * The job table (jobs, chunk records, checkpoints; key design in lambdas/platform/keys.ts) and the
 * results bucket (chunk files, sector files, the combined bank, raw model responses).
 */
export class Storage extends Construct {
  readonly table: dynamodb.Table;
  readonly bucket: s3.Bucket;
  readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const { settings } = props;

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      deletionProtection: settings.tableDeletionProtection,
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
    for (const index of ['gsi1', 'gsi2']) {
      this.table.addGlobalSecondaryIndex({
        indexName: index,
        partitionKey: { name: `${index}pk`, type: dynamodb.AttributeType.STRING },
        sortKey: { name: `${index}sk`, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.ALL,
      });
    }

    // No access logs of its own: it is the log destination (cdk-nag S1 accepts that).
    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogsBucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      // S3 server access logs can only be delivered to a bucket with SSE-S3 encryption.
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: cdk.Duration.days(ACCESS_LOG_RETENTION_DAYS) }],
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });

    this.bucket = new s3.Bucket(this, 'Bucket', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'results-bucket/',
      // Browsers upload documents straight to S3 with presigned PUT URLs and download large
      // results with presigned GET URLs; the signature, not the origin, authorizes the request.
      cors: [
        {
          allowedOrigins: ['*'],
          allowedMethods: [s3.HttpMethods.PUT],
          allowedHeaders: ['content-type'],
          exposedHeaders: ['ETag'],
          maxAge: CORS_MAX_AGE_SECONDS,
        },
        {
          allowedOrigins: ['*'],
          allowedMethods: [s3.HttpMethods.GET, s3.HttpMethods.HEAD],
          maxAge: CORS_MAX_AGE_SECONDS,
        },
      ],
      lifecycleRules: [
        {
          id: 'expire-raw-model-responses',
          prefix: BUCKET_PREFIXES.raw,
          expiration: cdk.Duration.days(settings.rawResponseRetentionDays),
        },
        {
          // An assessment job's chunk files and result are unreachable once its record expires
          // (DynamoDB TTL after assessmentRetentionHours); a day more, since S3 counts whole days.
          // Saved assessments live in the table, not here.
          id: 'expire-assessment-job-files',
          prefix: BUCKET_PREFIXES.assessments,
          expiration: cdk.Duration.days(Math.ceil(settings.assessmentRetentionHours / 24) + 1),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: cdk.Duration.days(1) },
      ],
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
  }

  /** TABLE_NAME and read/write access to items of the table and its indexes. */
  useTable(fn: lambda.Function, grant: TableGrant = {}): void {
    fn.addEnvironment(ENV.tableName, this.table.tableName);
    // The item actions the stores call; unlike grantReadWriteData, no Scan (listings must use the
    // indexes), no stream reads, no ConditionCheckItem (no transactions), and DeleteItem only
    // where a handler deletes an item.
    this.table.grant(
      fn,
      ...TABLE_ITEM_ACTIONS,
      ...(grant.batch === false ? [] : TABLE_BATCH_ACTIONS),
      ...(grant.delete ? ['dynamodb:DeleteItem'] : []),
    );
    acknowledgeWildcards(
      fn.role ?? fn,
      { resources: [`${this.table.tableArn}/index/*`] },
      'The wildcard covers the global secondary indexes of this one table (job listings by owner and status).',
    );
  }

  /**
   * BUCKET_NAME and object access under the given prefixes only. A presigned URL carries the
   * rights of the role that signed it, so a function handing out upload URLs needs PutObject.
   */
  useBucket(fn: lambda.Function, grant: BucketGrant): void {
    fn.addEnvironment(ENV.bucketName, this.bucket.bucketName);
    // Explicit actions rather than grantRead/grantReadWrite, whose `s3:GetObject*`, `s3:List*`
    // and `s3:Abort*` wildcards grant more than the handlers use.
    const statements: [string, BucketPrefix[] | undefined][] = [
      ['s3:GetObject', grant.read],
      ['s3:PutObject', grant.write],
      ['s3:DeleteObject', grant.delete],
    ];
    const wildcards = new Set<string>();
    for (const [action, prefixes] of statements) {
      if (!prefixes?.length) continue;
      const resources = prefixes.map((prefix) => this.bucket.arnForObjects(`${BUCKET_PREFIXES[prefix]}*`));
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: [action], resources }));
      for (const resource of resources) wildcards.add(resource);
    }
    // Without ListBucket a missing key answers 403 instead of 404 (NoSuchKey); the document
    // store also lists a document's objects to delete them. It reveals key names, not contents.
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    acknowledgeWildcards(
      fn.role ?? fn,
      { resources: [...wildcards] },
      'Objects under one key prefix of this bucket; their keys carry the owner and job or document id, known only at run time.',
    );
  }
}
