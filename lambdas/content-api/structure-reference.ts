/**
 * `input.structureReference` of type `url`: the granulator's output fetched over HTTPS (a
 * presigned S3 URL works), through the same guard as webhooks, so a reference cannot make
 * the service read loopback, link-local or private addresses when deployed.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { allowPrivateTargetsFromEnv, CallbackUrlRefused, checkCallbackUrl } from './webhooks.ts';

export const MAX_STRUCTURE_BYTES = 5 * 1024 * 1024;
const TIMEOUT_MS = 10_000;

/** The JSON at `url`; throws an Error whose message says what went wrong. */
export async function fetchStructure(url: string): Promise<Record<string, unknown>> {
  let target: Awaited<ReturnType<typeof checkCallbackUrl>>;
  try {
    target = await checkCallbackUrl(url, { allowPrivate: allowPrivateTargetsFromEnv() });
  } catch (error) {
    if (error instanceof CallbackUrlRefused) throw new Error(`the URL is refused: ${error.reason}`);
    throw error;
  }
  const secure = target.url.protocol === 'https:';
  const text = await new Promise<string>((resolve, reject) => {
    const request = (secure ? https.request : http.request)(
      {
        // Connect to the checked address, not to whatever the name resolves to by now.
        host: target.address,
        family: target.family,
        port: target.url.port === '' ? (secure ? 443 : 80) : Number(target.url.port),
        path: `${target.url.pathname}${target.url.search}`,
        method: 'GET',
        headers: { Host: target.url.host, Accept: 'application/json' },
        agent: false,
        ...(secure && isIP(target.hostname) === 0 ? { servername: target.hostname } : {}),
      },
      (response) => {
        if ((response.statusCode ?? 0) !== 200) {
          response.resume();
          reject(new Error(`fetching it answered HTTP ${response.statusCode}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_STRUCTURE_BYTES)
            request.destroy(new Error(`it is larger than ${MAX_STRUCTURE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      },
    );
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${TIMEOUT_MS / 1000} s`)),
      TIMEOUT_MS,
    );
    request.on('close', () => clearTimeout(timer));
    request.on('error', reject);
    request.end();
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('it is not JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('it is not a JSON object');
  // The granulator's whole output ({ structure, wordCountEstimates, ... }) or just the structure.
  const record = parsed as Record<string, unknown>;
  const inner = record.structure;
  return inner && typeof inner === 'object' && !Array.isArray(inner)
    ? (inner as Record<string, unknown>)
    : record;
}
