/**
 * AWS SDK clients, built once per cold start. Endpoints come from the SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables, which is how local mode points them at local servers.
 *
 * DynamoDB serves nearly every request, so its client is built at load. S3, Step Functions, SQS
 * and Secrets Manager serve only some (a job status poll uses none of them), so each is a
 * memoised `import()` of its SDK module, called where a request needs it: the bundler puts the
 * module in a chunk of its own (lib/bundling.ts), and a cold start whose request does not use
 * it neither reads nor runs it (with S3's XML protocol, about 230 KB minified and a fifth of an
 * API function's import time; README, "Cold starts"). Each loader answers the client and the
 * SDK module, whose command and error classes the caller uses.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './powertools.ts';

export const dynamo = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
});

export interface Loaded<Client, Sdk> {
  client: Client;
  sdk: Sdk;
}

/** The first call starts the load; later ones share it (a failed load is tried again). */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
}

export type S3Sdk = typeof import('@aws-sdk/client-s3');
let s3Sdk: S3Sdk | undefined;

/** S3-compatible local servers need path-style addressing; AWS does not. */
export const s3 = once(async (): Promise<Loaded<S3Client, S3Sdk>> => {
  const sdk = await import('@aws-sdk/client-s3');
  s3Sdk = sdk;
  const client = new sdk.S3Client({ forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === 'true' });
  return { client: tracer.captureAWSv3Client(client), sdk };
});

/**
 * Whether `error` is one of S3's service errors. Until S3's module is loaded no such error can
 * exist, so this never loads it.
 */
export function isS3ServiceError(error: unknown): error is InstanceType<S3Sdk['S3ServiceException']> {
  return s3Sdk !== undefined && error instanceof s3Sdk.S3ServiceException;
}

/** S3's request presigner (`getSignedUrl`), loaded with the first presigned URL. */
export const s3Presigner = once(() => import('@aws-sdk/s3-request-presigner'));

export const sqs = once(async (): Promise<Loaded<SQSClient, typeof import('@aws-sdk/client-sqs')>> => {
  const sdk = await import('@aws-sdk/client-sqs');
  return { client: tracer.captureAWSv3Client(new sdk.SQSClient({})), sdk };
});

export const sfn = once(async (): Promise<Loaded<SFNClient, typeof import('@aws-sdk/client-sfn')>> => {
  const sdk = await import('@aws-sdk/client-sfn');
  return { client: tracer.captureAWSv3Client(new sdk.SFNClient({})), sdk };
});

export const secrets = once(
  async (): Promise<Loaded<SecretsManagerClient, typeof import('@aws-sdk/client-secrets-manager')>> => {
    const sdk = await import('@aws-sdk/client-secrets-manager');
    return { client: tracer.captureAWSv3Client(new sdk.SecretsManagerClient({})), sdk };
  },
);
