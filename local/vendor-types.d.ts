/**
 * Types for the two local emulators that ship none (used by `stack.ts` and the tests), and for
 * the parts of s3rver's filesystem store that `atomic-s3-store.ts` extends.
 */

declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in memory when absent. */
    path?: string;
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
    verbose?: boolean;
  }
  export default function dynalite(options?: DynaliteOptions): Server;
}

declare module 's3rver' {
  import type { Server } from 'node:http';
  import type { AddressInfo } from 'node:net';

  import type FilesystemStore from 's3rver/lib/stores/filesystem.js';

  export interface S3rverOptions {
    address?: string;
    port?: number;
    silent?: boolean;
    directory?: string;
    resetOnClose?: boolean;
    allowMismatchedSignatures?: boolean;
    vhostBuckets?: boolean;
    configureBuckets?: { name: string; configs?: (string | Buffer)[] }[];
  }
  export default class S3rver {
    constructor(options?: S3rverOptions);
    httpServer?: Server;
    /** The store s3rver built; the server reads it here and, per request, from `context`. */
    store: FilesystemStore;
    context: { store: FilesystemStore };
    run(): Promise<AddressInfo>;
    close(): Promise<void>;
  }
}

declare module 's3rver/lib/models/object.js' {
  export default class S3Object {
    constructor(bucket: string, key: string, content: unknown, metadata: Record<string, unknown>);
    /** The request headers an object keeps as its metadata (besides `x-amz-meta-*`). */
    static ALLOWED_METADATA: string[];
  }
}

declare module 's3rver/lib/stores/filesystem.js' {
  import type { Readable } from 'node:stream';

  /** Header-like metadata: content-type, x-amz-meta-*, and when read back etag, content-length. */
  export type StoredMetadata = Record<string, string | number | undefined>;
  export interface StoredObject {
    bucket: string;
    key: string;
    content: Readable | Buffer;
    metadata: StoredMetadata;
  }
  export default class FilesystemStore {
    constructor(rootDirectory: string);
    rootDirectory: string;
    /** `<root>/<bucket>/<key>._S3rver_<resource>`: resources `object`, `object.md5`, `metadata.json`. */
    getResourcePath(bucket: string, key: string | undefined, resource: string): string;
    getMetadata(bucket: string, key: string): Promise<StoredMetadata>;
    putMetadata(bucket: string, key: string, metadata: StoredMetadata, md5?: string): Promise<void>;
    getObject(bucket: string, key: string, options?: { start?: number; end?: number }): Promise<unknown>;
    putObject(object: StoredObject): Promise<{ size: number; md5: string }>;
    copyObject(
      srcBucket: string,
      srcKey: string,
      destBucket: string,
      destKey: string,
      replacementMetadata?: StoredMetadata | null,
    ): Promise<StoredMetadata>;
    deleteObject(bucket: string, key: string): Promise<void>;
  }
}
