/** Chunk files, result files and raw model responses in S3. */
import { s3, s3Presigner } from '#platform/clients.ts';
import { ENV, requireEnv } from '#platform/config.ts';

const bucket = () => requireEnv(ENV.bucketName);

export async function putJson(key: string, value: unknown): Promise<number> {
  const body = JSON.stringify(value, null, 2);
  const { client, sdk } = await s3();
  await client.send(
    new sdk.PutObjectCommand({
      Bucket: bucket(),
      Key: key,
      Body: body,
      ContentType: 'application/json; charset=utf-8',
    }),
  );
  return Buffer.byteLength(body);
}

/**
 * By name: the SDK's `NoSuchKey` and `NotFound` classes set `name` to theirs
 * (@aws-sdk/client-s3 `dist-es/models/errors.js`), and a HEAD's 404 may come unmodelled.
 */
function isMissing(error: unknown): boolean {
  return error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound');
}

export async function getText(key: string): Promise<string | undefined> {
  try {
    const { client, sdk } = await s3();
    const result = await client.send(new sdk.GetObjectCommand({ Bucket: bucket(), Key: key }));
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
    const { client, sdk } = await s3();
    const head = await client.send(new sdk.HeadObjectCommand({ Bucket: bucket(), Key: key }));
    return head.ContentLength ?? 0;
  } catch (error) {
    if (isMissing(error)) return undefined;
    throw error;
  }
}

export async function presignedGetUrl(key: string, expiresInSeconds: number): Promise<string> {
  const [{ client, sdk }, { getSignedUrl }] = await Promise.all([s3(), s3Presigner()]);
  return getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: bucket(), Key: key }), {
    expiresIn: expiresInSeconds,
  });
}
