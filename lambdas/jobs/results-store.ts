/** Chunk files, result files and raw model responses in S3. */
import { GetObjectCommand, HeadObjectCommand, NoSuchKey, PutObjectCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { s3 } from '#platform/clients.ts';
import { ENV, requireEnv } from '#platform/config.ts';

const bucket = () => requireEnv(ENV.bucketName);

export async function putJson(key: string, value: unknown): Promise<number> {
  const body = JSON.stringify(value, null, 2);
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket(),
      Key: key,
      Body: body,
      ContentType: 'application/json; charset=utf-8',
    }),
  );
  return Buffer.byteLength(body);
}

function isMissing(error: unknown): boolean {
  return (
    error instanceof NoSuchKey ||
    (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
  );
}

export async function getText(key: string): Promise<string | undefined> {
  try {
    const result = await s3.send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
    return (await result.Body?.transformToString('utf-8')) ?? undefined;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export async function getJson<T>(key: string): Promise<T | undefined> {
  const text = await getText(key);
  return text === undefined ? undefined : (JSON.parse(text) as T);
}

/** Size in bytes, or undefined when the object does not exist. */
export async function sizeOf(key: string): Promise<number | undefined> {
  try {
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket(), Key: key }));
    return head.ContentLength ?? 0;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export async function presignedGetUrl(key: string, expiresInSeconds: number): Promise<string> {
  return getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket(), Key: key }), {
    expiresIn: expiresInSeconds,
  });
}
