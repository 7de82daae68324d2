/**
 * API Gateway's control plane, the one call the functions make to it: GetApiKey,
 * `GET /apikeys/{api_Key}` (https://docs.aws.amazon.com/apigateway/latest/api/API_GetApiKey.html),
 * answered for the local stack's keys. The review API names reviewers by their key's name
 * (lambdas/platform/key-names.ts) and reaches this server through `AWS_ENDPOINT_URL_API_GATEWAY`,
 * as it reaches AWS's `apigateway.<region>.amazonaws.com`.
 *
 * As strict as the service where the code can meet it: a request must be SigV4-signed for the
 * `apigateway` service with the local credentials, and the signature is checked (AWS answers an
 * unsigned request 403 MissingAuthenticationTokenException and a wrong signature 403
 * InvalidSignatureException); an unknown key id is 404 NotFoundException; the key's value is in
 * the answer only with `includeValue=true`, as in AWS. Any other operation is 404, so code that
 * starts calling another one fails here before it fails in AWS for a missing permission.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { ApiKey } from './api-gateway.ts';

export interface ControlPlaneOptions {
  apiKeys: readonly ApiKey[];
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  port?: number;
}

export interface ControlPlane {
  readonly url: string;
  readonly port: number;
  /** Requests answered, by outcome (`200`, `404 NotFoundException`...), for tests. */
  readonly calls: string[];
  close(): Promise<void>;
}

const SIGNED =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/;

function answer(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
  });
  res.end(text);
}

/** Signs the request again with the local secret and compares: the error AWS gives, or none. */
async function signatureError(
  req: IncomingMessage,
  url: URL,
  options: ControlPlaneOptions,
): Promise<{ status: number; type: string; message: string } | undefined> {
  const authorization = req.headers.authorization;
  const date = req.headers['x-amz-date'];
  if (!authorization || typeof date !== 'string') {
    return {
      status: 403,
      type: 'MissingAuthenticationTokenException',
      message: 'Missing Authentication Token',
    };
  }
  const parts = SIGNED.exec(authorization);
  const [, accessKeyId, , region, service, signedHeaders = '', signature] = parts ?? [];
  if (!parts || accessKeyId !== options.credentials.accessKeyId) {
    return {
      status: 403,
      type: 'UnrecognizedClientException',
      message: 'The security token included in the request is invalid.',
    };
  }
  if (region !== options.region || service !== 'apigateway') {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message: `Credential should be scoped to a valid region and to the service apigateway, not ${region}/${service}.`,
    };
  }
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) {
    const value = req.headers[name];
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(',') : value;
  }
  const signer = new SignatureV4({ service, region, credentials: options.credentials, sha256: Sha256 });
  const expected = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: url.protocol,
      hostname: url.hostname,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
    },
    {
      signingDate: new Date(date.replace(/^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)Z$/, '$1-$2-$3T$4:$5:$6Z')),
      signableHeaders: new Set(Object.keys(headers)),
    },
  );
  const computed = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1];
  if (computed !== signature) {
    return {
      status: 403,
      type: 'InvalidSignatureException',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.',
    };
  }
  return undefined;
}

export async function startControlPlane(options: ControlPlaneOptions): Promise<ControlPlane> {
  const keys = new Map(options.apiKeys.map((key) => [key.id, key]));
  const createdDate = Math.floor(Date.now() / 1000);
  const calls: string[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const refused = await signatureError(req, url, options);
    if (refused) {
      calls.push(`${refused.status} ${refused.type}`);
      return answer(res, refused.status, { message: refused.message }, refused.type);
    }
    const id = /^\/apikeys\/([^/]+)$/.exec(url.pathname)?.[1];
    if (req.method !== 'GET' || id === undefined) {
      calls.push('404 UnknownOperation');
      return answer(
        res,
        404,
        { message: `No such operation here: ${req.method} ${url.pathname}` },
        'NotFoundException',
      );
    }
    const key = keys.get(decodeURIComponent(id));
    if (!key) {
      calls.push('404 NotFoundException');
      return answer(res, 404, { message: 'Invalid API Key identifier specified' }, 'NotFoundException');
    }
    calls.push('200');
    answer(res, 200, {
      id: key.id,
      name: key.name,
      enabled: true,
      createdDate,
      lastUpdatedDate: createdDate,
      stageKeys: [],
      tags: {},
      ...(url.searchParams.get('includeValue') === 'true' ? { value: key.value } : {}),
    });
  };

  const server: Server = createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) answer(res, 500, { message: (error as Error).message }, 'InternalFailure');
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
