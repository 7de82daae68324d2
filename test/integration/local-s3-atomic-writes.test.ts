/**
 * The local S3 (s3rver with the store local/stack.ts gives it) keeps S3's atomic writes: a GET
 * that races PUTs of the same key answers with one whole version, never a half-written one; and
 * the rest of the object API still works on that store.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout } from 'node:timers/promises';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import type S3rver from 's3rver';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { AtomicFilesystemStore, createAtomicS3rver } from '../../local/atomic-s3-store.ts';

const BUCKET = 'atomic-writes';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const MB = 1024 * 1024;
const ROUNDS = 10;
const READERS_PER_ROUND = 6;
/** One writer per body: sizes and bytes differ, so a GET's body names the version it came from. */
const BODIES = [2, 3, 4, 5].map((megabytes, i) => Buffer.alloc(megabytes * MB + i, 0x61 + i));
const md5 = (body: Uint8Array) => createHash('md5').update(body).digest('hex');
const ETAGS = new Map(BODIES.map((body) => [body[0], `"${md5(body)}"`]));

let directory: string;
let server: S3rver;
let s3: S3Client;

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'quizgen-s3-atomic-'));
  server = createAtomicS3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory,
    configureBuckets: [{ name: BUCKET }],
  });
  const { port } = await server.run();
  s3 = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: CREDENTIALS,
    forcePathStyle: true,
  });
});

afterAll(async () => {
  s3?.destroy();
  await server?.close();
  await rm(directory, { recursive: true, force: true });
});

const put = (key: string, body: Buffer, contentType = 'application/octet-stream') =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: contentType }));

async function get(key: string) {
  const response = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }), {
    abortSignal: AbortSignal.timeout(10_000),
  });
  const body = Buffer.from((await response.Body?.transformToByteArray()) ?? []);
  return { body, etag: response.ETag, length: response.ContentLength, type: response.ContentType };
}

/** Why a GET's answer is not exactly one of the bodies written, with its ETag and length; or nothing. */
function flaw({ body, etag, length }: { body: Buffer; etag?: string; length?: number }): string | undefined {
  const expected = BODIES.find((candidate) => candidate[0] === body[0]);
  if (!expected) return `unknown body of ${body.length} bytes`;
  if (!body.equals(expected)) return `body of ${body.length} bytes, not the ${expected.length} written`;
  if (length !== expected.length) return `Content-Length ${length} for a ${expected.length}-byte body`;
  if (etag !== ETAGS.get(expected[0])) return `ETag ${etag} of another version`;
  return undefined;
}

const listedKeys = async (prefix: string) =>
  ((await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? []).map(
    (object) => object.Key,
  );

/** Files the store wrote beside the buckets and did not clean up. */
const leftoverFiles = async () =>
  (await readdir(directory, { withFileTypes: true }))
    .filter((entry) => !entry.isDirectory())
    .map((e) => e.name);

describe('local S3 (s3rver)', () => {
  it('never serves a half-written object while PUTs of the same key race GETs', async () => {
    const key = 'jobs/race/combined.json';
    await put(key, BODIES[0] as Buffer);

    const flaws: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const readers = Array.from({ length: READERS_PER_ROUND }, async (_, i) => {
        await setTimeout(i * 3);
        try {
          const problem = flaw(await get(key));
          if (problem) flaws.push(`round ${round}: ${problem}`);
        } catch (error) {
          flaws.push(`round ${round}: GET failed: ${(error as Error).name}: ${(error as Error).message}`);
        }
      });
      await Promise.all([...BODIES.map((body) => put(key, body)), ...readers]);
    }
    // Racing PUTs leave one of them whole, not a mix.
    const settled = flaw(await get(key));

    assert.deepEqual(flaws, [], `${flaws.length} of ${ROUNDS * READERS_PER_ROUND} GETs were wrong`);
    assert.equal(settled, undefined);
  });

  it('lists only the objects while writes are in flight, and leaves no temporary file', async () => {
    const prefix = 'jobs/listed/';
    await put(`${prefix}a.json`, BODIES[0] as Buffer);

    const writes = BODIES.map((body, i) => put(`${prefix}${i % 2 ? 'a' : 'b'}.json`, body));
    const listings = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        await setTimeout(i * 5);
        const listing = await s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
        return (listing.Contents ?? []).map((object) => object.Key);
      }),
    );
    await Promise.all(writes);

    const strays = listings.flat().filter((key) => key !== `${prefix}a.json` && key !== `${prefix}b.json`);
    assert.deepEqual(strays, []);
    assert.deepEqual(await listedKeys(prefix), [`${prefix}a.json`, `${prefix}b.json`]);
    assert.deepEqual(await leftoverFiles(), []);
  });

  it('serves byte ranges and HEAD of a stored object', async () => {
    const body = BODIES[1] as Buffer;
    await put('ranged.bin', body, 'application/json');

    const range = await s3.send(
      new GetObjectCommand({ Bucket: BUCKET, Key: 'ranged.bin', Range: 'bytes=10-19' }),
    );
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'ranged.bin' }));

    assert.deepEqual(Buffer.from((await range.Body?.transformToByteArray()) ?? []), body.subarray(10, 20));
    assert.equal(head.ContentLength, body.length);
    assert.equal(head.ETag, ETAGS.get(body[0]));
    assert.equal(head.ContentType, 'application/json');
  });

  it('copies an object over an existing one, with the source ETag, keeping or replacing metadata', async () => {
    const [source, older] = [BODIES[2] as Buffer, BODIES[3] as Buffer];
    await put('copy/source.json', source, 'application/json');
    await put('copy/kept.json', older);
    await put('copy/replaced.json', older);

    await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'copy/kept.json',
        CopySource: `${BUCKET}/copy/source.json`,
      }),
    );
    await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'copy/replaced.json',
        CopySource: `${BUCKET}/copy/source.json`,
        MetadataDirective: 'REPLACE',
        ContentType: 'text/plain',
      }),
    );
    await s3.send(
      new CopyObjectCommand({
        Bucket: BUCKET,
        Key: 'copy/source.json',
        CopySource: `${BUCKET}/copy/source.json`,
        MetadataDirective: 'REPLACE',
        ContentType: 'application/x-ndjson',
      }),
    );

    const kept = await get('copy/kept.json');
    const replaced = await get('copy/replaced.json');
    const self = await get('copy/source.json');
    assert.equal(flaw(kept), undefined);
    assert.equal(kept.body[0], source[0]);
    assert.equal(kept.type, 'application/json');
    assert.equal(flaw(replaced), undefined);
    assert.equal(replaced.body[0], source[0]);
    assert.equal(replaced.type, 'text/plain');
    assert.equal(flaw(self), undefined);
    assert.equal(self.type, 'application/x-ndjson');
  });

  it('completes a multipart upload into one object', async () => {
    const key = 'multipart/result.json';
    const parts = [Buffer.alloc(5 * MB, 0x61), Buffer.alloc(MB, 0x62)];
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
    const uploaded = await Promise.all(
      parts.map(async (part, i) => {
        const { ETag } = await s3.send(
          new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: i + 1, Body: part }),
        );
        return { ETag, PartNumber: i + 1 };
      }),
    );

    await s3.send(
      new CompleteMultipartUploadCommand({
        Bucket: BUCKET,
        Key: key,
        UploadId,
        MultipartUpload: { Parts: uploaded },
      }),
    );

    const { body, length, etag } = await get(key);
    const whole = Buffer.concat(parts);
    assert.ok(body.equals(whole));
    assert.equal(length, whole.length);
    assert.equal(etag, `"${md5(whole)}"`);
  });

  it('deletes an object and its files', async () => {
    await put('deleted/only.json', BODIES[0] as Buffer);

    await s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'deleted/only.json' }));

    await assert.rejects(get('deleted/only.json'), NoSuchKey);
    assert.deepEqual(await listedKeys('deleted/'), []);
    assert.ok(!(await readdir(join(directory, BUCKET))).includes('deleted'));
  });

  it('removes the temporary files a killed process left', async () => {
    const root = await mkdtemp(join(tmpdir(), 'quizgen-s3-atomic-'));
    await writeFile(join(root, '.s3rver-write-left-over.tmp'), 'half');

    new AtomicFilesystemStore(root);

    assert.deepEqual(await readdir(root), []);
    await rm(root, { recursive: true });
  });
});
