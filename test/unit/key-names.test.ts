/**
 * A reviewer's name: the API key's name from API Gateway's GetApiKey (lambdas/platform/key-names.ts),
 * asked of the local control plane (local/api-gateway-control-plane.ts) as the local stack does,
 * through `AWS_ENDPOINT_URL_API_GATEWAY`, with a real SigV4 signature the server checks.
 */
import assert from 'node:assert/strict';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, it, vi } from 'vitest';
import { resetConfig } from '../../lambdas/platform/config.ts';
import { forgetKeyNames, keyNameOf } from '../../lambdas/platform/key-names.ts';
import { logger } from '../../lambdas/platform/powertools.ts';
import { type ControlPlane, startControlPlane } from '../../local/api-gateway-control-plane.ts';

const REGION = 'us-east-1';
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
const KEY = { id: 'abcdefghij', value: 'v'.repeat(40), name: 'Ada Lovelace' };

let plane: ControlPlane;

beforeAll(async () => {
  plane = await startControlPlane({ apiKeys: [KEY], region: REGION, credentials: CREDENTIALS });
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_ENDPOINT_URL_API_GATEWAY: plane.url,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  resetConfig();
});

afterAll(async () => {
  await plane?.close();
});

beforeEach(() => {
  forgetKeyNames();
  plane.calls.length = 0;
});

/** A GetApiKey request signed with `secret`, as the SDK would sign it. */
async function signedGet(path: string, secret = CREDENTIALS.secretAccessKey): Promise<Response> {
  const url = new URL(path, plane.url);
  const signer = new SignatureV4({
    service: 'apigateway',
    region: REGION,
    credentials: { ...CREDENTIALS, secretAccessKey: secret },
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method: 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host },
  });
  return fetch(url, { headers: signed.headers });
}

describe('API key names (GetApiKey)', () => {
  it('names a key by the name API Gateway holds for its id, and asks once per container', async () => {
    const [first, second] = await Promise.all([keyNameOf(KEY.id), keyNameOf(KEY.id)]);
    assert.equal(first, 'Ada Lovelace');
    assert.equal(second, 'Ada Lovelace');
    assert.equal(await keyNameOf(KEY.id), 'Ada Lovelace');
    assert.deepEqual(plane.calls, ['200'], 'one signed lookup, answered 200, for three callers');
  });

  it('falls back to the id, with a warning in the log, when API Gateway does not know the key', async () => {
    const warn = vi.spyOn(logger, 'warn');
    try {
      assert.equal(await keyNameOf('zzzzzzzzzz'), 'zzzzzzzzzz');
      assert.deepEqual(plane.calls, ['404 NotFoundException']);
      const [message, details] = warn.mock.calls[0] ?? [];
      assert.match(String(message), /name lookup failed/);
      assert.match(JSON.stringify(details), /NotFoundException/);
      // Within the minute the fallback is kept, so a missing key does not cost a call per request.
      assert.equal(await keyNameOf('zzzzzzzzzz'), 'zzzzzzzzzz');
      assert.equal(plane.calls.length, 1);
    } finally {
      warn.mockRestore();
    }
  });

  it('answers as AWS does: 404 NotFoundException, the value only with includeValue=true', async () => {
    const missing = await signedGet('/apikeys/nosuchkey1');
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-amzn-errortype'), 'NotFoundException');
    assert.match(((await missing.json()) as any).message, /Invalid API Key identifier/);

    const plain = (await (await signedGet(`/apikeys/${KEY.id}`)).json()) as any;
    assert.equal(plain.name, KEY.name);
    assert.equal(plain.id, KEY.id);
    assert.equal(plain.value, undefined);
    const withValue = (await (await signedGet(`/apikeys/${KEY.id}?includeValue=true`)).json()) as any;
    assert.equal(withValue.value, KEY.value);
  });

  it('refuses an unsigned request and a wrong signature with 403, as AWS does', async () => {
    const unsigned = await fetch(`${plane.url}/apikeys/${KEY.id}`);
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    const forged = await signedGet(`/apikeys/${KEY.id}`, 'not-the-secret');
    assert.equal(forged.status, 403);
    assert.equal(forged.headers.get('x-amzn-errortype'), 'InvalidSignatureException');
  });
});
