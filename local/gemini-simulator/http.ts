/** What every endpoint shares: the key check, JSON in and out, and a wait a gone client cuts short. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EffectiveConfig } from './config.ts';
import { type ApiErrorBody, errorBody, HttpError } from './errors.ts';
import { isRecord } from './json.ts';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

export function checkKey(config: EffectiveConfig, req: IncomingMessage, url: URL): ApiErrorBody | undefined {
  const header = req.headers['x-goog-api-key'];
  const key = (Array.isArray(header) ? header[0] : header) ?? url.searchParams.get('key') ?? '';
  if (key === '') {
    return errorBody(
      403,
      'PERMISSION_DENIED',
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
    );
  }
  if (config.apiKey !== undefined && key !== config.apiKey) {
    return errorBody(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
      {
        '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
        reason: 'API_KEY_INVALID',
        domain: 'googleapis.com',
        metadata: { service: 'generativelanguage.googleapis.com' },
      },
      {
        '@type': 'type.googleapis.com/google.rpc.LocalizedMessage',
        locale: 'en-US',
        message: 'API key not valid. Please pass a valid API key.',
      },
    ]);
  }
  return undefined;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

/**
 * The request body as a JSON object. A body past `maxBytes` is refused with 400
 * INVALID_ARGUMENT, in the words Google's API front end uses for an oversized payload.
 */
export async function readJson(
  req: IncomingMessage,
  maxBytes = MAX_BODY_BYTES,
): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Past the limit the rest is read and dropped: leaving the loop would destroy the socket,
    // and the client would see a reset instead of the 400.
    if (size <= maxBytes) chunks.push(chunk as Buffer);
  }
  if (size > maxBytes)
    throw new HttpError(
      errorBody(400, 'INVALID_ARGUMENT', `Request payload size exceeds the limit: ${maxBytes} bytes.`),
    );
  const text = Buffer.concat(chunks).toString('utf8');
  let parsed: unknown;
  try {
    parsed = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    throw new HttpError(
      errorBody(400, 'INVALID_ARGUMENT', `Invalid JSON payload received. [simulated] ${text.slice(0, 40)}`),
    );
  }
  if (!isRecord(parsed))
    throw new HttpError(errorBody(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received.'));
  return parsed;
}

/** Resolves after `ms`, or early (false) when the client goes away or the server closes. */
export function wait(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolveWait) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolveWait(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolveWait(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
