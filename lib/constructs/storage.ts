import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import { ENV } from '../../lambdas/commons/config.ts';
import { acknowledgeWildcards } from '../nag.ts';
import type { Settings } from '../settings.ts';

export const TTL_ATTRIBUTE = 'expires_at';
export const RAW_RESPONSE_PREFIX = 'raw/';
const ACCESS_LOG_RETENTION_DAYS = 90;
const TABLE_ITEM_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
];

export interface StorageProps {
  settings: Settings;
}

/**
 * The job table (jobs, chunk records, checkpoints; key design in lambdas/store/keys.ts) and the
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
      lifecycleRules: [
        {
          id: 'expire-raw-model-responses',
          prefix: RAW_RESPONSE_PREFIX,
          expiration: cdk.Duration.days(settings.rawResponseRetentionDays),
        },
        { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: cdk.Duration.days(1) },
      ],
      removalPolicy: cdk.RemovalPolicy.RETAIN,
    });
  }

  /** TABLE_NAME and read/write access to items of the table and its indexes. */
  useTable(fn: lambda.Function): void {
    fn.addEnvironment(ENV.tableName, this.table.tableName);
    // The item actions the store uses; unlike grantReadWriteData, no Scan (listings must use the
    // indexes) and no stream reads.
    this.table.grant(fn, ...TABLE_ITEM_ACTIONS);
    acknowledgeWildcards(
      fn.role ?? fn,
      { resources: [`${this.table.tableArn}/index/*`] },
      'The wildcard covers the global secondary indexes of this one table (job listings by owner and status).',
    );
  }

  /** BUCKET_NAME and read access to objects (GetObject, HeadObject, presigned downloads). */
  readBucket(fn: lambda.Function): void {
    this.bucketAccess(fn, ['s3:GetObject']);
  }

  /** BUCKET_NAME and read/write access to objects (nothing in the service deletes them). */
  readWriteBucket(fn: lambda.Function): void {
    this.bucketAccess(fn, ['s3:GetObject', 's3:PutObject']);
  }

  private bucketAccess(fn: lambda.Function, objectActions: string[]): void {
    fn.addEnvironment(ENV.bucketName, this.bucket.bucketName);
    // Explicit actions rather than grantRead/grantReadWrite, whose `s3:GetObject*`, `s3:List*`
    // and `s3:Abort*` wildcards grant more than the handlers use.
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: objectActions, resources: [this.bucket.arnForObjects('*')] }),
    );
    // Without ListBucket a missing key answers 403 instead of 404 (NoSuchKey).
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.bucket.bucketArn] }),
    );
    acknowledgeWildcards(
      fn.role ?? fn,
      { resources: [this.bucket.arnForObjects('*')] },
      'Object keys are per owner and job (checkpoints/, results/, raw/), created at run time inside this one bucket.',
    );
  }
}
