/**
 * A document's retrieval index in S3: `passages.json` (the passages, with the embedding model
 * and size) and `vectors.f32` (one unit-length Float32 row per passage, in passage order,
 * little-endian, no header). Search is brute force: a few thousand rows of 768 floats score in
 * about a millisecond, well below the cost of anything fancier for one document.
 */
import { s3 } from '#platform/clients.ts';
import { ENV, requireEnv } from '#platform/config.ts';
import { DomainError } from '#platform/errors.ts';
import { documentKeys } from './document-store.ts';
import { normalise } from './embeddings.ts';
import type { Passage } from './passages.ts';

export interface PassagesFile {
  document_id: string;
  model: string;
  dimensions: number;
  passages: Passage[];
}

export interface DocumentIndex extends PassagesFile {
  /** Every row in one array: row i is `vectors.subarray(i * dimensions, (i + 1) * dimensions)`. */
  vectors: Float32Array;
}

export interface SearchHit {
  passage: Passage;
  score: number;
}

/** The document has no index (never ingested, or deleted): nothing to ground questions in. */
export class DocumentIndexMissing extends DomainError {
  constructor(documentId: string) {
    super(`Document ${documentId} has no passage index; ingest it first (its status must be ready)`, 409);
  }
}

const bucket = () => requireEnv(ENV.bucketName);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The rows as little-endian bytes; on a little-endian machine (every Lambda) the array's own memory. */
export function encodeVectors(rows: Float32Array): Uint8Array {
  if (LITTLE_ENDIAN) return new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength);
  const bytes = new Uint8Array(rows.byteLength);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < rows.length; i++) view.setFloat32(i * 4, rows[i] as number, true);
  return bytes;
}

export function decodeVectors(bytes: Uint8Array): Float32Array {
  if (bytes.byteLength % 4 !== 0)
    throw new Error(`Vector data of ${bytes.byteLength} bytes is not Float32 rows`);
  const rows = new Float32Array(bytes.byteLength / 4);
  if (LITTLE_ENDIAN) {
    new Uint8Array(rows.buffer).set(bytes);
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < rows.length; i++) rows[i] = view.getFloat32(i * 4, true);
  }
  return rows;
}

/** Concatenates the rows into one array, checking that each has the stated size. */
export function packRows(vectors: readonly Float32Array[], dimensions: number): Float32Array {
  const rows = new Float32Array(vectors.length * dimensions);
  vectors.forEach((vector, i) => {
    if (vector.length !== dimensions) {
      throw new Error(`Vector ${i} has ${vector.length} dimensions, expected ${dimensions}`);
    }
    rows.set(vector, i * dimensions);
  });
  return rows;
}

export async function saveIndex(
  owner: string,
  documentId: string,
  index: { model: string; dimensions: number; passages: Passage[]; vectors: readonly Float32Array[] },
): Promise<{ passagesBytes: number; vectorsBytes: number }> {
  if (index.vectors.length !== index.passages.length) {
    throw new Error(`${index.passages.length} passages but ${index.vectors.length} vectors`);
  }
  const file: PassagesFile = {
    document_id: documentId,
    model: index.model,
    dimensions: index.dimensions,
    passages: index.passages,
  };
  const passagesBody = JSON.stringify(file);
  const vectorsBody = encodeVectors(packRows(index.vectors, index.dimensions));
  // Vectors first: a reader finds passages.json only once its vectors are there too.
  const { client, sdk } = await s3();
  await client.send(
    new sdk.PutObjectCommand({
      Bucket: bucket(),
      Key: documentKeys.vectors(owner, documentId),
      Body: vectorsBody,
      ContentType: 'application/octet-stream',
    }),
  );
  await client.send(
    new sdk.PutObjectCommand({
      Bucket: bucket(),
      Key: documentKeys.passages(owner, documentId),
      Body: passagesBody,
      ContentType: 'application/json',
    }),
  );
  return { passagesBytes: Buffer.byteLength(passagesBody), vectorsBytes: vectorsBody.byteLength };
}

async function getBytes(key: string): Promise<Uint8Array | undefined> {
  try {
    const { client, sdk } = await s3();
    const object = await client.send(new sdk.GetObjectCommand({ Bucket: bucket(), Key: key }));
    return await object.Body?.transformToByteArray();
  } catch (error) {
    // By name: the SDK's NoSuchKey class names itself so (@aws-sdk/client-s3 `dist-es/models/errors.js`).
    if ((error as Error).name === 'NoSuchKey') return undefined;
    throw error;
  }
}

/** The stored index; `DocumentIndexMissing` when the document has none. */
export async function loadIndex(owner: string, documentId: string): Promise<DocumentIndex> {
  const passagesBytes = await getBytes(documentKeys.passages(owner, documentId));
  const vectorBytes = passagesBytes && (await getBytes(documentKeys.vectors(owner, documentId)));
  if (!passagesBytes || !vectorBytes) throw new DocumentIndexMissing(documentId);
  const file = JSON.parse(new TextDecoder().decode(passagesBytes)) as PassagesFile;
  const vectors = decodeVectors(vectorBytes);
  if (vectors.length !== file.passages.length * file.dimensions) {
    throw new Error(
      `The index of document ${documentId} is inconsistent: ${file.passages.length} passages of ` +
        `${file.dimensions} dimensions but ${vectors.length} floats`,
    );
  }
  return { ...file, vectors };
}

/**
 * The `k` passages most similar to the query (cosine similarity), best first; equal scores keep
 * passage order, so the same query always gives the same answer. The query need not be unit
 * length. `excludeIds` drops passages already used elsewhere.
 */
export function searchPassages(
  index: DocumentIndex,
  queryVector: Float32Array | readonly number[],
  k: number,
  options: { excludeIds?: ReadonlySet<string> | readonly string[] } = {},
): SearchHit[] {
  const { dimensions, passages, vectors } = index;
  if (queryVector.length !== dimensions) {
    throw new Error(`The query has ${queryVector.length} dimensions; the index has ${dimensions}`);
  }
  if (k <= 0 || passages.length === 0) return [];
  const query = normalise(Float32Array.from(queryVector));
  const excluded =
    options.excludeIds === undefined
      ? undefined
      : options.excludeIds instanceof Set
        ? options.excludeIds
        : new Set(options.excludeIds);
  // Top k kept sorted by (score desc, row asc) in two small arrays: no object per row.
  const limit = Math.min(k, passages.length);
  const topRows = new Int32Array(limit);
  const topScores = new Float64Array(limit);
  let size = 0;
  for (let row = 0; row < passages.length; row++) {
    if (excluded?.has((passages[row] as Passage).id)) continue;
    let score = 0;
    const offset = row * dimensions;
    for (let i = 0; i < dimensions; i++) score += (query[i] as number) * (vectors[offset + i] as number);
    // Rows arrive in ascending order, so a tie never displaces an earlier row.
    if (size === limit && score <= (topScores[size - 1] as number)) continue;
    let at = size === limit ? size - 1 : size++;
    while (at > 0 && (topScores[at - 1] as number) < score) {
      topScores[at] = topScores[at - 1] as number;
      topRows[at] = topRows[at - 1] as number;
      at--;
    }
    topScores[at] = score;
    topRows[at] = row;
  }
  const hits: SearchHit[] = [];
  for (let i = 0; i < size; i++) {
    hits.push({ passage: passages[topRows[i] as number] as Passage, score: topScores[i] as number });
  }
  return hits;
}
