/**
 * The file a request carries, as `POST /documents` and EduMate's `POST /chunking` take it: a
 * multipart form (`curl -F file=@notes.pdf`, a browser's FormData), or the raw body with its
 * media type. JSON bodies are the routes' own business (base64 or an upload URL).
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { InvalidRequest } from '#platform/errors.ts';
import { header } from '#platform/http.ts';
import { boundaryOf, parseMultipart } from '#platform/multipart.ts';
import type { Upload } from './documents/document-service.ts';

function bodyBytes(event: APIGatewayProxyEvent): Buffer {
  if (!event.body) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The file in the request, or undefined for a JSON body (or none at all). */
export function uploadOf(event: APIGatewayProxyEvent): Upload | undefined {
  const contentType = (header(event, 'content-type') ?? '').toLowerCase();
  if (contentType.startsWith('multipart/form-data')) {
    const boundary = boundaryOf(header(event, 'content-type') ?? '');
    if (!boundary) throw new InvalidRequest('multipart/form-data without a boundary');
    const parts = parseMultipart(bodyBytes(event), boundary);
    const file = parts.find((p) => p.filename !== undefined) ?? parts.find((p) => p.name === 'file');
    if (!file)
      throw new InvalidRequest(
        'The form has no file; send it as a file field, e.g. curl -F "file=@notes.pdf"',
      );
    return { filename: file.filename || 'document', declaredType: file.contentType, bytes: file.data };
  }
  if (contentType.startsWith('application/json') || contentType === '') return undefined;
  const filename =
    event.queryStringParameters?.filename ??
    /filename="?([^";]+)"?/i.exec(header(event, 'content-disposition') ?? '')?.[1] ??
    'document';
  return { filename, declaredType: contentType.split(';')[0]?.trim(), bytes: bodyBytes(event) };
}
