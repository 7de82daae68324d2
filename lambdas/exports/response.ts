/**
 * Question-bank exports as answers of the results routes (both APIs): which `?format=` a request
 * asks for, and the export as a download, in the response when a Lambda response can carry it,
 * else written to S3 and answered with 303 to a presigned URL, like a large JSON result.
 */
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { once, s3, s3Presigner } from '#platform/clients.ts';
import { ENV, intEnv, requireEnv } from '#platform/config.ts';
import { DomainError, InvalidRequest } from '#platform/errors.ts';
import { fileResponse, json } from '#platform/http.ts';
import { EXPORT_FORMATS, type ExportBank, type ExportFormat, isExportFormat } from './index.ts';

/** The bank builders and writers, loaded on a function's first export (see index.ts). */
const loadWriters = once(() => import('./export-file.ts'));
export type ExportModule = Awaited<ReturnType<typeof loadWriters>>;

/**
 * The largest export answered in the response: 4 MiB is 5.6 MB of base64, inside the 6 MB a
 * Lambda response may be, with room for the headers.
 */
export const EXPORT_INLINE_MAX_BYTES = 4 * 1024 * 1024;
const DOWNLOAD_URL_SECONDS = 900;

/** 413: an export too large for a response, from a route that has nowhere to store it. */
export class ExportTooLarge extends DomainError {
  constructor(bytes: number) {
    super(
      `The export is ${bytes} bytes; at most ${EXPORT_INLINE_MAX_BYTES} bytes can be downloaded here`,
      413,
    );
  }
}

/**
 * The `?format=` of a request: one of the route's own representations (`own[0]` when absent),
 * an alias of one, or an export format. Anything else is a 400 listing what the route takes.
 */
export function requestedFormat<T extends string>(
  event: APIGatewayProxyEvent,
  own: readonly [T, ...T[]],
  aliases: Readonly<Record<string, T>> = {},
): T | ExportFormat {
  const format = event.queryStringParameters?.format;
  if (format === undefined || format === null) return own[0];
  if ((own as readonly string[]).includes(format)) return format as T;
  if (Object.hasOwn(aliases, format)) return aliases[format] as T;
  if (isExportFormat(format)) return format;
  const accepted = [...own, ...EXPORT_FORMATS.map((f) => f.id)];
  throw new InvalidRequest(
    `Unknown format ${JSON.stringify(format.slice(0, 40))}; one of: ${accepted.join(', ')}`,
  );
}

/**
 * The bank `build` makes (with the builders of the export module, loaded on the first export) in
 * `format`, as a download. `storeAt` names the S3 key (from the file's name) an export too large
 * for the response is written to; without it, such an export is a 413.
 */
export async function exportResponse(
  build: (exports: ExportModule) => ExportBank,
  format: ExportFormat,
  storeAt?: (filename: string) => string,
): Promise<APIGatewayProxyResult> {
  const exports = await loadWriters();
  const file = exports.exportBank(build(exports), format);
  const size = file.body.byteLength;
  const inlineMax = Math.min(
    intEnv(ENV.exportInlineMaxBytes, EXPORT_INLINE_MAX_BYTES, 0),
    EXPORT_INLINE_MAX_BYTES,
  );
  if (size <= inlineMax) return fileResponse(file);
  if (!storeAt) throw new ExportTooLarge(size);
  const bucket = requireEnv(ENV.bucketName);
  const key = storeAt(file.filename);
  // Stored with its type and name, so the presigned download saves as the inline one would.
  const [{ client, sdk }, { getSignedUrl }] = await Promise.all([s3(), s3Presigner()]);
  await client.send(
    new sdk.PutObjectCommand({
      Bucket: bucket,
      Key: key,
      Body: file.body,
      ContentType: file.contentType,
      ContentDisposition: `attachment; filename="${file.filename}"`,
    }),
  );
  const url = await getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: bucket, Key: key }), {
    expiresIn: DOWNLOAD_URL_SECONDS,
  });
  return json(
    303,
    {
      download_url: url,
      expires_in_seconds: DOWNLOAD_URL_SECONDS,
      size_bytes: size,
      filename: file.filename,
      content_type: file.contentType,
    },
    { location: url },
  );
}
