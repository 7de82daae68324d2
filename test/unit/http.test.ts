import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { z } from 'zod';
import {
  GeminiNotConfigured,
  InvalidRequest,
  JobNotFound,
  JobStateConflict,
  ResultNotFound,
} from '#platform/errors.ts';
import { fixture } from '../support/fixtures.ts';

type Http = typeof import('#platform/http.ts');
let http: Http;

before(async () => {
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
