/**
 * An API key's name, from its id. API Gateway's proxy event names the caller's key by its id only
 * (`requestContext.identity.apiKeyId`); the name people gave the key lives in API Gateway's
 * control plane: GetApiKey, `GET /apikeys/{api_Key}` on `apigateway.<region>.amazonaws.com`
 * (https://docs.aws.amazon.com/apigateway/latest/api/API_GetApiKey.html: 200 with `id`, `name`,
 * `enabled`...; the key's `value` only with `includeValue=true`, which is never asked here; errors
 * BadRequestException, NotFoundException 404, TooManyRequestsException, UnauthorizedException).
 *
 * One SigV4-signed `fetch` rather than `@aws-sdk/client-api-gateway`: the signer, the credential
 * chain and the hash are the pieces every SDK client in the bundle already carries, so the call
 * adds a few hundred bytes where the client would add its whole model (the API functions have a
 * size budget). The endpoint is the SDK's own setting for the service,
 * `AWS_ENDPOINT_URL_API_GATEWAY` (https://docs.aws.amazon.com/sdkref/latest/guide/ss-endpoints-table.html),
 * which is how local mode points it at the local gateway.
 *
 * Names are cached per container: a key's name rarely changes, and a renamed key shows its new
 * name from the next cold start. A failed lookup falls back to the id (logged) and is tried again
 * after a minute, so a throttled or denied call never fails the request that needed a name.
 */
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { ENV, optionalEnv, requireEnv } from './config.ts';
import { logger } from './powertools.ts';

/** How long a failed lookup's fallback (the id) is used before the name is asked for again. */
const RETRY_AFTER_MS = 60_000;
/** The API's answer time is spent waiting for this call, so it is short. */
const LOOKUP_TIMEOUT_MS = 3_000;

const names = new Map<string, { name: Promise<string>; expires: number }>();
let signer: SignatureV4 | undefined;

/** The control plane's endpoint: the SDK's service-specific variable, its global one, or AWS's. */
function endpoint(region: string): URL {
  const configured = optionalEnv(ENV.apiGatewayEndpoint) ?? optionalEnv(ENV.awsEndpoint);
  if (configured) return new URL(configured);
  const domain = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://apigateway.${region}.${domain}`);
}

async function fetchName(keyId: string): Promise<string> {
  const region = requireEnv(ENV.awsRegion);
  signer ??= new SignatureV4({
    service: 'apigateway',
    region,
    credentials: defaultProvider(),
    sha256: Sha256,
  });
  const base = endpoint(region);
  const path = `${base.pathname.replace(/\/$/, '')}/apikeys/${encodeURIComponent(keyId)}`;
  const signed = await signer.sign({
    method: 'GET',
    protocol: base.protocol,
    hostname: base.hostname,
    ...(base.port ? { port: Number(base.port) } : {}),
    path,
    query: {},
    headers: { host: base.host, accept: 'application/json' },
  });
  const response = await fetch(new URL(path, base), {
    headers: signed.headers,
    signal: AbortSignal.timeout(LOOKUP_TIMEOUT_MS),
  });
  const body = (await response.json().catch(() => ({}))) as { name?: unknown; message?: unknown };
  if (!response.ok) {
    const type = response.headers.get('x-amzn-errortype')?.split(':')[0] ?? `HTTP ${response.status}`;
    throw new Error(`GetApiKey answered ${type}: ${String(body.message ?? '')}`);
  }
  if (typeof body.name !== 'string' || body.name === '') throw new Error('GetApiKey answered no name');
  return body.name;
}

/**
 * The name of the API key with this id; the id itself when the lookup fails. Concurrent callers
 * share one lookup.
 */
export function keyNameOf(keyId: string): Promise<string> {
  const cached = names.get(keyId);
  if (cached && cached.expires > Date.now()) return cached.name;
  const name = fetchName(keyId).catch((error: unknown) => {
    logger.warn('API key name lookup failed; naming the key by its id', {
      keyId,
      error: (error as Error).message,
    });
    names.set(keyId, { name: Promise.resolve(keyId), expires: Date.now() + RETRY_AFTER_MS });
    return keyId;
  });
  names.set(keyId, { name, expires: Number.POSITIVE_INFINITY });
  return name;
}

/** Forgets the cached names, as a new container would (tests). */
export function forgetKeyNames(): void {
  names.clear();
  signer = undefined;
}
