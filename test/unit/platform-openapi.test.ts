import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { z } from 'zod';
import {
  type ApiDescription,
  detailErrorSchema,
  jsonSchemaOf,
  openApiPaths,
} from '../../lambdas/platform/openapi.ts';

describe('jsonSchemaOf', () => {
  it('gives a request the schema it may send (defaults optional) and an answer the one it gets', () => {
    const schema = z.strictObject({ limit: z.number().default(50), name: z.string() });
    assert.deepEqual(jsonSchemaOf(schema, 'input').required, ['name']);
    assert.deepEqual(jsonSchemaOf(schema, 'output').required, ['limit', 'name']);
    assert.equal(jsonSchemaOf(schema, 'input').$schema, undefined, 'the document sets the dialect');
  });

  it('refuses a recursive schema, whose $refs would point nowhere inside the document', () => {
    const node: z.ZodType = z.object({ children: z.array(z.lazy(() => node)) });
    assert.throws(() => jsonSchemaOf(node, 'input'), /\$defs or \$ref/);
  });
});

describe('openApiPaths', () => {
  const api: ApiDescription = {
    tag: 'Test',
    summary: 'test',
    basePath: '/base',
    errorSchema: detailErrorSchema,
    operations: {
      'POST /things/{id}': {
        summary: 'with a body that {} passes',
        body: z.object({ note: z.string().optional() }),
        responses: { '200': { description: 'ok' } },
      },
      'POST /strict': {
        summary: 'a 422 API',
        body: z.object({ name: z.string() }),
        responses: { '200': { description: 'ok' }, '422': { description: 'invalid' } },
      },
      'GET /open': { summary: 'public', public: true, responses: { '200': { description: 'ok' } } },
    },
  };
  const paths = openApiPaths([api]) as Record<string, Record<string, any>>;

  it('mounts each operation under the API’s base path with its path parameters', () => {
    assert.deepEqual(Object.keys(paths).sort(), ['/base/open', '/base/strict', '/base/things/{id}']);
    assert.deepEqual(paths['/base/things/{id}']?.post.parameters, [
      { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
    ]);
  });

  it('adds the errors each route can answer, in the API’s envelope', () => {
    const statuses = (path: string, method: string) => Object.keys(paths[path]?.[method].responses ?? {});
    assert.deepEqual(statuses('/base/things/{id}', 'post'), ['200', '400', '401', '404', '500']);
    assert.deepEqual(statuses('/base/strict', 'post'), ['200', '401', '422', '500']);
    assert.deepEqual(statuses('/base/open', 'get'), ['200', '500']);
    assert.deepEqual(paths['/base/open']?.get.security, []);
    assert.deepEqual(paths['/base/strict']?.post.responses['422'].content['application/json'].schema, {
      $ref: '#/components/schemas/TestError',
    });
  });

  it('marks a body required only when an empty one (read as {}) is refused', () => {
    assert.equal(paths['/base/things/{id}']?.post.requestBody.required, false);
    assert.equal(paths['/base/strict']?.post.requestBody.required, true);
  });
});
