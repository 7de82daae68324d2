/**
 * AWS SDK clients, built once per cold start. Endpoints come from the SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how local mode points them at local servers.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools.ts';

export const dynamo = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});

/** S3-compatible local servers need path-style addressing; AWS does not. */
export const s3 = tracer.captureAWSv3Client(
  new S3Client({ forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === 'true' }),
);

export const sqs = tracer.captureAWSv3Client(new SQSClient({}));

export const sfn = tracer.captureAWSv3Client(new SFNClient({}));

export const secrets = tracer.captureAWSv3Client(new SecretsManagerClient({}));
