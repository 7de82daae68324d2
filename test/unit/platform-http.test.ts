import assert from 'node:assert/strict';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { beforeAll, describe, it } from 'vitest';
import { z } from 'zod';
import {
  BudgetReached,
  GeminiNotConfigured,
  InvalidRequest,
  JobNotFound,
  JobStateConflict,
  PayloadTooLarge,
  ResultNotFound,
  UnsupportedFileType,
} from '#platform/errors.ts';
import type { Route } from '#platform/http.ts';
import { fixture } from '../support/fixtures.ts';

type Http = typeof import('#platform/http.ts');
let http: Http;

beforeAll(async () => {
  // The unknown-error path logs on purpose; keep the test output readable.
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  http = await import('#platform/http.ts');
});

const event = (overrides: Partial<APIGatewayProxyEvent> = {}): APIGatewayProxyEvent => ({
  ...fixture<APIGatewayProxyEvent>('api-gateway-event.json'),
  ...overrides,
});

const bodySchema = z.strictObject({
  sector: z.string().default('technology'),
  level: z.number().int().min(1).max(5).optional(),
  options: z.object({ tags: z.array(z.string()) }).optional(),
});

function detailOf(response: { body: string }): unknown {
  return (JSON.parse(response.body) as { detail: unknown }).detail;
}

describe('parseBody', () => {
  it('parses and validates a JSON body', () => {
    const parsed = http.parseBody(event({ body: '{"sector":"finance","level":2}' }), bodySchema);

    assert.deepEqual(parsed, { sector: 'finance', level: 2 });
  });

  it('refuses a body that is not JSON with InvalidRequest', () => {
    assert.throws(
      () => http.parseBody(event({ body: '{"sector": "finance",' }), bodySchema),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequest);
        assert.equal(error.message, 'Request body is not valid JSON');
        return true;
      },
    );
  });

  it('decodes a base64-encoded body first', () => {
    const body = Buffer.from('{"sector":"education","level":4}', 'utf8').toString('base64');

    const parsed = http.parseBody(event({ body, isBase64Encoded: true }), bodySchema);

    assert.deepEqual(parsed, { sector: 'education', level: 4 });
  });

  it('treats a missing, empty or blank body as {} (defaults apply)', () => {
    for (const body of [null, '', '  \n']) {
      assert.deepEqual(http.parseBody(event({ body }), bodySchema), { sector: 'technology' }, String(body));
    }
  });

  it('treats an empty base64 body as {}', () => {
    assert.deepEqual(http.parseBody(event({ body: '', isBase64Encoded: true }), bodySchema), {
      sector: 'technology',
    });
  });

  it('refuses a body that breaks the schema, naming the field', () => {
    assert.throws(
      () => http.parseBody(event({ body: '{"level": 9}' }), bodySchema),
      (error: unknown) => {
        assert.ok(error instanceof InvalidRequest);
        assert.match(error.message, /^body\.level: /);
        return true;
      },
    );
  });
});

describe('readJson', () => {
  it('refuses a body nested deeper than MAX_NESTING with InvalidRequest', () => {
    const deep = `${'['.repeat(http.MAX_NESTING + 1)}${']'.repeat(http.MAX_NESTING + 1)}`;

    assert.throws(
      () => http.readJson(event({ body: deep })),
      (error: unknown) => {
        assert.ok(error instanceof http.BodyTooDeep);
        assert.ok(error instanceof InvalidRequest);
        assert.equal(error.message, `Request body is nested more than ${http.MAX_NESTING} levels deep`);
        return true;
      },
    );
  });

  it('reads a body nested exactly MAX_NESTING levels deep', () => {
    const deep = `${'['.repeat(http.MAX_NESTING)}${']'.repeat(http.MAX_NESTING)}`;

    assert.doesNotThrow(() => http.readJson(event({ body: deep })));
  });
});

describe('describeIssues', () => {
  it('names the full path of each problem, one sentence each', () => {
    const result = bodySchema.safeParse({ sector: 3, options: { tags: ['a', 7] } });
    assert.ok(!result.success);

    const text = http.describeIssues(result.error, 'body');

    const parts = text.split('; ');
    assert.equal(parts.length, 2);
    assert.match(parts[0] ?? '', /^body\.sector: /);
    assert.match(parts[1] ?? '', /^body\.options\.tags\.1: /);
  });

  it('names an unknown key', () => {
    const result = bodySchema.safeParse({ sectr: 'finance' });
    assert.ok(!result.success);

    assert.match(http.describeIssues(result.error, 'query'), /^query: .*sectr/);
  });
});

describe('errorResponse', () => {
  for (const [error, status] of [
    [new InvalidRequest('Unknown sector: xyz'), 400],
    [new JobNotFound('1234'), 404],
    [new ResultNotFound('No questions yet'), 404],
    [new JobStateConflict('Job is already completed'), 409],
    [new GeminiNotConfigured(), 503],
  ] as const) {
    it(`answers ${error.name} with ${status} and {"detail": message}`, () => {
      const response = http.errorResponse(error);

      assert.equal(response.statusCode, status);
      assert.deepEqual(JSON.parse(response.body), { detail: error.message });
      assert.equal(response.headers?.['content-type'], 'application/json');
    });
  }

  it('answers GeminiNotConfigured with the seed message', () => {
    assert.equal(detailOf(http.errorResponse(new GeminiNotConfigured())), 'GEMINI_API_KEY not configured');
  });

  it('answers an unknown error with 500 and a generic detail, never its message', () => {
    const response = http.errorResponse(new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2'));

    assert.equal(response.statusCode, 500);
    assert.deepEqual(JSON.parse(response.body), { detail: 'Internal server error' });
    assert.ok(!response.body.includes('hunter2'));
  });

  it('answers a thrown non-Error with 500', () => {
    const response = http.errorResponse('just a string');

    assert.equal(response.statusCode, 500);
    assert.deepEqual(JSON.parse(response.body), { detail: 'Internal server error' });
  });
});

describe('statusOf', () => {
  for (const [error, status] of [
    [new InvalidRequest('x'), 400],
    [new BudgetReached('x'), 402],
    [new JobNotFound('x'), 404],
    [new JobStateConflict('x'), 409],
    [new PayloadTooLarge('x'), 413],
    [new UnsupportedFileType('x'), 415],
    [new GeminiNotConfigured(), 503],
    [new Error('x'), 500],
    ['x', 500],
  ] as const) {
    it(`answers ${error instanceof Error ? error.name : 'a thrown string'} with ${status}`, () => {
      assert.equal(http.statusOf(error), status);
    });
  }
});

describe('httpApi', () => {
  /** Bodies that show what the envelope was given. */
  const envelope = {
    success: (data: unknown) => ({ ok: data }),
    failure: (error: unknown, status: number) => ({
      failed: error instanceof Error ? error.message : String(error),
      status,
    }),
  };
  const keyed = (resource: string, method = 'GET') =>
    event({
      resource,
      httpMethod: method,
      requestContext: {
        ...event().requestContext,
        identity: { ...event().requestContext.identity, apiKeyId: 'key-1' },
      },
    });
  const echo: Route = async (_event, owner) => http.json(200, { owner });
  const bodyOf = (response: { body: string }) => JSON.parse(response.body);

  it('routes on the method and the resource, the base path left out, for the key', async () => {
    const route = http.httpApi({ routes: { 'POST /jobs': echo }, envelope, basePath: '/api/v1' });

    const response = await route(keyed('/api/v1/jobs', 'POST'));

    assert.equal(response.statusCode, 200);
    assert.deepEqual(bodyOf(response), { owner: 'key-1' });
  });

  it('answers a method and resource without a route with 404, in the envelope', async () => {
    const route = http.httpApi({ routes: { 'POST /jobs': echo }, envelope });

    const response = await route(keyed('/jobs'));

    assert.equal(response.statusCode, 404);
    assert.deepEqual(bodyOf(response), { failed: 'Not Found', status: 404 });
  });

  it('answers a domain error with its status and anything else with 500, in the envelope', async () => {
    const route = http.httpApi({
      routes: {
        'GET /conflict': async () => {
          throw new JobStateConflict('Job is already completed');
        },
        'GET /broken': async () => {
          throw new Error('connect ECONNREFUSED');
        },
      },
      envelope,
    });

    const conflict = await route(keyed('/conflict'));
    const broken = await route(keyed('/broken'));

    assert.equal(conflict.statusCode, 409);
    assert.deepEqual(bodyOf(conflict), { failed: 'Job is already completed', status: 409 });
    assert.equal(broken.statusCode, 500);
    assert.equal(bodyOf(broken).status, 500);
  });

  it("adds the guard's headers to every keyed answer, errors and refusals too", async () => {
    let allowed = true;
    const route = http.httpApi({
      routes: {
        'GET /ok': echo,
        'GET /missing': async () => {
          throw new JobNotFound('1');
        },
      },
      envelope,
      guard: async () => ({
        headers: { 'x-limit': '2' },
        ...(allowed ? {} : { refusal: new InvalidRequest('Slow down') }),
      }),
    });

    const ok = await route(keyed('/ok'));
    const missing = await route(keyed('/missing'));
    allowed = false;
    const refused = await route(keyed('/ok'));

    assert.equal(ok.headers?.['x-limit'], '2');
    assert.equal(ok.headers?.['content-type'], 'application/json');
    assert.equal(missing.statusCode, 404);
    assert.equal(missing.headers?.['x-limit'], '2');
    assert.equal(refused.statusCode, 400);
    assert.deepEqual(bodyOf(refused), { failed: 'Slow down', status: 400 });
    assert.equal(refused.headers?.['x-limit'], '2');
  });

  it('runs a public route without an owner and without the guard', async () => {
    let guarded = 0;
    const route = http.httpApi({
      routes: { 'GET /help': echo },
      envelope,
      publicRoutes: ['GET /help'],
      guard: async () => {
        guarded += 1;
        return { headers: {} };
      },
    });

    const response = await route(keyed('/help'));

    assert.deepEqual(bodyOf(response), { owner: '' });
    assert.equal(guarded, 0);
  });

  it('shapes a success body with the envelope', () => {
    const response = http.answer(envelope, { id: 1 }, 201, { location: '/x' });

    assert.equal(response.statusCode, 201);
    assert.deepEqual(bodyOf(response), { ok: { id: 1 } });
    assert.equal(response.headers?.location, '/x');
  });
});

describe('fileResponse', () => {
  it('answers text as UTF-8 text, keeping a byte order mark', () => {
    const body = new TextEncoder().encode('\uFEFFid,question\r\n1,café\r\n');

    const response = http.fileResponse({
      body,
      contentType: 'text/csv; charset=utf-8',
      filename: 'bank-csv.csv',
    });

    assert.equal(response.statusCode, 200);
    assert.equal(response.isBase64Encoded, undefined);
    assert.equal(response.body, '\uFEFFid,question\r\n1,café\r\n');
    assert.deepEqual(response.headers, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="bank-csv.csv"',
    });
  });

  it('answers bytes base64-encoded with isBase64Encoded', () => {
    const body = new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0xff, 0x00]);

    const response = http.fileResponse({ body, contentType: 'application/zip', filename: 'bank-qti21.zip' });

    assert.equal(response.isBase64Encoded, true);
    assert.deepEqual(new Uint8Array(Buffer.from(response.body, 'base64')), body);
  });

  it('keeps a file name from breaking out of the quoted header parameter', () => {
    const response = http.fileResponse({
      body: new Uint8Array(),
      contentType: 'application/xml',
      filename: 'a"b\\c\r\né.xml',
    });

    assert.equal(response.headers?.['content-disposition'], 'attachment; filename="a_b_c___.xml"');
  });
});
