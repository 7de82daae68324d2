/**
 * s3rver with S3's atomic writes.
 *
 * In S3 a GET that races a PUT of the same key returns the whole old object or the whole new
 * one. s3rver's filesystem store writes an object's file in place (truncate, then write) and
 * keeps its ETag and metadata in two sidecar files. So locally a GET racing a PUT could serve a
 * truncated or mixed body, or another version's Content-Length or ETag, and two racing PUTs
 * could leave a file that mixes both. Concurrent jobs rewrite the same result files, and a
 * reader could get half a JSON document: a failure that cannot happen in AWS.
 *
 * This store writes every file to a temporary file and renames it into place, so a reader that
 * has opened an object's file streams the version it opened to the end. A write's renames, and
 * a GET's reading of size, ETag and metadata and opening of the file, hold a lock per key, so
 * a GET answers with all of one version. Listings read the sidecars without the lock: they never
 * meet a half-written file, but one that races an overwrite may pair one version's size with the
 * other's ETag. The lock is in memory: one process serves a data directory (stack-data-dir.ts locks it).
 */

import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import S3rver, { type S3rverOptions } from 's3rver';
import S3Object from 's3rver/lib/models/object.js';
import FilesystemStore, { type StoredMetadata, type StoredObject } from 's3rver/lib/stores/filesystem.js';

/**
 * Temporary files sit in the store's root: on the filesystem of the buckets (so a rename is
 * atomic) but outside their directories (so no listing meets one; s3rver takes only the
 * directories of the root for buckets).
 */
const TEMPORARY_FILE = /^\.s3rver-write-.*\.tmp$/;

export class AtomicFilesystemStore extends FilesystemStore {
  /** Per object, the tail of the queue of sections waiting for its lock. */
  readonly #queues = new Map<string, Promise<unknown>>();

  constructor(rootDirectory: string) {
    super(rootDirectory);
    mkdirSync(rootDirectory, { recursive: true });
    // Left by a process killed mid-write.
    for (const name of readdirSync(rootDirectory)) {
      if (TEMPORARY_FILE.test(name)) rmSync(join(rootDirectory, name), { force: true });
    }
  }

  #temporaryPath(): string {
    return join(this.rootDirectory, `.s3rver-write-${randomUUID()}.tmp`);
  }

  async #exclusive<T>(bucket: string, key: string, section: () => Promise<T>): Promise<T> {
    const id = this.getResourcePath(bucket, key, 'object');
    const result = (this.#queues.get(id) ?? Promise.resolve()).then(section);
    const settled = result.catch(() => {});
    this.#queues.set(id, settled);
    try {
      return await result;
    } finally {
      if (this.#queues.get(id) === settled) this.#queues.delete(id);
    }
  }

  async #replaceFile(path: string, data: string): Promise<void> {
    const temporary = this.#temporaryPath();
    await writeFile(temporary, data);
    await rename(temporary, path).catch(async (error: unknown) => {
      await rm(temporary, { force: true });
      throw error;
    });
  }

  /**
   * Sidecars first and the object's file last, under the key's lock: a listing then never finds
   * a new object without its ETag (s3rver would compute one and write it in place).
   */
  #commit(bucket: string, key: string, file: string, metadata: StoredMetadata, md5: string) {
    const objectPath = this.getResourcePath(bucket, key, 'object');
    return this.#exclusive(bucket, key, async () => {
      await mkdir(dirname(objectPath), { recursive: true });
      await this.putMetadata(bucket, key, metadata, md5);
      await rename(file, objectPath);
      return this.getMetadata(bucket, key);
    });
  }

  /** As s3rver's, but each sidecar is replaced whole. */
  override async putMetadata(bucket: string, key: string, metadata: StoredMetadata, md5?: string) {
    const kept = Object.entries(metadata).filter(
      ([name]) => S3Object.ALLOWED_METADATA.includes(name) || name.startsWith('x-amz-meta-'),
    );
    if (md5) await this.#replaceFile(this.getResourcePath(bucket, key, 'object.md5'), md5);
    await this.#replaceFile(
      this.getResourcePath(bucket, key, 'metadata.json'),
      JSON.stringify(Object.fromEntries(kept), null, 2),
    );
  }

  /** Also completes multipart uploads. */
  override async putObject(object: StoredObject) {
    const temporary = this.#temporaryPath();
    const hash = createHash('md5');
    let size = 0;
    try {
      await pipeline(
        Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content,
        async function* (chunks: AsyncIterable<Buffer>) {
          for await (const chunk of chunks) {
            hash.update(chunk);
            size += chunk.length;
            yield chunk;
          }
        },
        createWriteStream(temporary),
      );
      const md5 = hash.digest('hex');
      await this.#commit(object.bucket, object.key, temporary, object.metadata, md5);
      return { size, md5 };
    } finally {
      await rm(temporary, { force: true });
    }
  }

  /** The object's stream is open on return: a later write replaces the file, not what it reads. */
  override getObject(bucket: string, key: string, options?: { start?: number; end?: number }) {
    return this.#exclusive(bucket, key, () => super.getObject(bucket, key, options));
  }

  override deleteObject(bucket: string, key: string) {
    return this.#exclusive(bucket, key, () => super.deleteObject(bucket, key));
  }

  override async copyObject(
    srcBucket: string,
    srcKey: string,
    destBucket: string,
    destKey: string,
    replacementMetadata?: StoredMetadata | null,
  ) {
    const objectPath = (bucket: string, key: string) => this.getResourcePath(bucket, key, 'object');
    if (objectPath(destBucket, destKey) === objectPath(srcBucket, srcKey)) {
      // Only the metadata changes (through putMetadata).
      return this.#exclusive(destBucket, destKey, () =>
        super.copyObject(srcBucket, srcKey, destBucket, destKey, replacementMetadata),
      );
    }
    const temporary = this.#temporaryPath();
    try {
      const source = await this.#exclusive(srcBucket, srcKey, async () => {
        const metadata = await this.getMetadata(srcBucket, srcKey);
        await copyFile(objectPath(srcBucket, srcKey), temporary);
        return metadata;
      });
      // s3rver's own copy keeps the target's old ETag when it replaces the metadata.
      const md5 = JSON.parse(String(source.etag)) as string;
      return await this.#commit(destBucket, destKey, temporary, replacementMetadata ?? source, md5);
    } finally {
      await rm(temporary, { force: true });
    }
  }
}

/** An s3rver that keeps its objects in an {@link AtomicFilesystemStore} in `options.directory`. */
export function createAtomicS3rver(options: S3rverOptions & { directory: string }): S3rver {
  const server = new S3rver(options);
  const store = new AtomicFilesystemStore(options.directory);
  // s3rver builds its own store and reads it from these two places.
  server.store = store;
  server.context.store = store;
  return server;
}
