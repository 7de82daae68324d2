/**
 * `input.structureReference` of type `url`: the granulator's output fetched over HTTPS (a
 * presigned S3 URL works), through the outbound address guard webhooks use too, so a reference
 * cannot make the service read loopback, link-local or private addresses when deployed.
 */
import { CallbackUrlRefused, checkCallbackUrl, pinnedRequest } from '#platform/outbound.ts';
import { allowPrivateTargetsFromEnv } from '../webhooks.ts';

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
  const response = await pinnedRequest(target, {
    method: 'GET',
    headers: { Accept: 'application/json' },
    timeoutMs: TIMEOUT_MS,
    readBodyMaxBytes: MAX_STRUCTURE_BYTES,
  });
  if (response.status !== 200 || !response.body)
    throw new Error(`fetching it answered HTTP ${response.status}`);
  const text = response.body.toString('utf8');
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
