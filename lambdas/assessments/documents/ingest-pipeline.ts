/**
 * Ingestion as a plain function, free of SQS: read the uploaded file, extract its pages, split
 * them into passages, embed the passages and store the index. The worker wraps it with status
 * changes and retries; the benchmark calls it directly.
 */
import { s3 } from '#platform/clients.ts';
import { DEFAULTS, ENV, intEnv, optionalEnv, requireEnv } from '#platform/config.ts';
import { documentKeys, type SupportedType } from './document-store.ts';
import { type BatchReport, embedTexts } from './embeddings.ts';
import { DocumentRejected, extractPages } from './extract.ts';
import { saveIndex } from './index-store.ts';
import { splitPassages } from './passages.ts';

export interface DocumentSettings {
  embeddingModel: string;
  embeddingDimensions: number;
  embeddingRequestsPerMinute: number;
  maxBytes: number;
  maxReceives: number;
}

export function documentSettings(): DocumentSettings {
  return {
    embeddingModel: optionalEnv(ENV.geminiEmbeddingModel) ?? DEFAULTS.geminiEmbeddingModel,
    embeddingDimensions: intEnv(ENV.embeddingDimensions, DEFAULTS.embeddingDimensions, 1),
    embeddingRequestsPerMinute: intEnv(
      ENV.embeddingRequestsPerMinute,
      DEFAULTS.embeddingRequestsPerMinute,
      1,
    ),
    maxBytes: intEnv(ENV.documentMaxBytes, DEFAULTS.documentMaxBytes, 1),
    // Ingestion messages get as many deliveries as chunk messages: one setting for both queues.
    maxReceives: intEnv(ENV.chunkMaxReceives, DEFAULTS.chunkMaxReceives, 1),
  };
}

export interface IngestInput {
  owner: string;
  documentId: string;
  contentType: SupportedType;
  apiKey: string;
  settings: DocumentSettings;
  /** Epoch ms after which no new embedding attempt starts. */
  deadline: number;
  onProgress?: (event: string, detail: Record<string, unknown>) => void;
}

export interface PhaseTimings {
  downloadMs: number;
  extractMs: number;
  splitMs: number;
  embedMs: number;
  storeMs: number;
}

export interface IngestResult {
  bytes: number;
  pages: number;
  pagesWithoutText: number;
  passages: number;
  characters: number;
  embeddingCalls: number;
  /** Only when the embedding API reports it. */
  embeddingTokens?: number;
  timings: PhaseTimings;
}

const mb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

/** The uploaded file, after checking that it exists and is within the size limit. */
export async function readSource(owner: string, documentId: string, maxBytes: number): Promise<Uint8Array> {
  const location = { Bucket: requireEnv(ENV.bucketName), Key: documentKeys.source(owner, documentId) };
  try {
    // HEAD first: an oversized file is refused without being downloaded into memory.
    const { client, sdk } = await s3();
    const head = await client.send(new sdk.HeadObjectCommand(location));
    const size = head.ContentLength ?? 0;
    if (size > maxBytes) {
      // Rounded sizes can look equal just over the limit; exact byte counts never do.
      const [actual, limit] =
        mb(size) === mb(maxBytes) ? [`${size} bytes`, `${maxBytes} bytes`] : [mb(size), mb(maxBytes)];
      throw new DocumentRejected(
        'too_large',
        `The file is ${actual}; the largest document accepted is ${limit}. Split it into smaller files.`,
      );
    }
    const object = await client.send(new sdk.GetObjectCommand(location));
    return (await object.Body?.transformToByteArray()) ?? new Uint8Array();
  } catch (error) {
    // By name: the SDK's NotFound and NoSuchKey classes name themselves so
    // (@aws-sdk/client-s3 `dist-es/models/errors.js`), and S3's module may not be loaded here.
    const name = (error as Error).name;
    if (name === 'NotFound' || name === 'NoSuchKey') {
      throw new DocumentRejected('missing', 'The uploaded file was not found; upload the document again.');
    }
    throw error;
  }
}

export async function ingestDocument(input: IngestInput): Promise<IngestResult> {
  const { owner, documentId, settings } = input;
  const progress = input.onProgress ?? (() => {});
  let at = Date.now();
  const lap = () => {
    const now = Date.now();
    const elapsed = now - at;
    at = now;
    return elapsed;
  };

  const source = await readSource(owner, documentId, settings.maxBytes);
  const bytes = source.byteLength;
  const downloadMs = lap();
  progress('downloaded', { bytes, ms: downloadMs });

  // Nothing needs the file after extraction, so pdf.js may take it over instead of copying it.
  const pages = await extractPages(source, input.contentType, { consume: true });
  const extractMs = lap();
  const characters = pages.reduce((sum, p) => sum + p.text.length, 0);
  const pagesWithoutText = pages.filter((p) => p.text === '').length;
  progress('extracted', {
    pages: pages.length,
    pages_without_text: pagesWithoutText,
    characters,
    ms: extractMs,
  });

  const passages = splitPassages(pages);
  const splitMs = lap();
  progress('split', { passages: passages.length, ms: splitMs });

  let embeddingCalls = 0;
  let embeddingTokens: number | undefined;
  const vectors = await embedTexts(
    passages.map((p) => p.text),
    {
      apiKey: input.apiKey,
      model: settings.embeddingModel,
      dimensions: settings.embeddingDimensions,
      taskType: 'RETRIEVAL_DOCUMENT',
      requestsPerMinute: settings.embeddingRequestsPerMinute,
      deadline: input.deadline,
      onBatch: (report: BatchReport) => {
        embeddingCalls += report.attempts;
        if (report.usage.promptTokens !== undefined) {
          embeddingTokens = (embeddingTokens ?? 0) + report.usage.promptTokens;
        }
      },
      onRetry: (error, attempt, delayMs) =>
        progress('embedding retry', { error: error.message, attempt, retry_in_ms: Math.round(delayMs) }),
    },
  );
  const embedMs = lap();
  progress('embedded', { vectors: vectors.length, calls: embeddingCalls, ms: embedMs });

  const stored = await saveIndex(owner, documentId, {
    model: settings.embeddingModel,
    dimensions: settings.embeddingDimensions,
    passages,
    vectors,
  });
  const storeMs = lap();
  progress('stored', {
    passages_bytes: stored.passagesBytes,
    vectors_bytes: stored.vectorsBytes,
    ms: storeMs,
  });

  return {
    bytes,
    pages: pages.length,
    pagesWithoutText,
    passages: passages.length,
    characters,
    embeddingCalls,
    ...(embeddingTokens === undefined ? {} : { embeddingTokens }),
    timings: { downloadMs, extractMs, splitMs, embedMs, storeMs },
  };
}
