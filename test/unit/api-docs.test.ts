import assert from 'node:assert/strict';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { describe, it } from 'vitest';
import { route } from '../../lambdas/api-docs/docs-api.ts';
import { docsPage } from '../../lambdas/api-docs/docs-page.ts';
import { openApiDocument } from '../../lambdas/api-docs/openapi-document.ts';

const get = (resource: string, fullPath: string) =>
  route({
    httpMethod: 'GET',
    resource,
    path: resource,
    headers: {},
    queryStringParameters: null,
    pathParameters: null,
    body: null,
    isBase64Encoded: false,
    requestContext: { path: fullPath },
  } as unknown as APIGatewayProxyEvent);

describe('the API description handler', () => {
  it('names the stage API Gateway mounts the API under as the server, and / locally', async () => {
    const staged = await get('/openapi.json', '/prod/openapi.json');
    assert.equal(staged.statusCode, 200);
    assert.deepEqual(JSON.parse(staged.body).servers, [{ url: '/prod' }]);
    const local = await get('/openapi.json', '/openapi.json');
    assert.deepEqual(JSON.parse(local.body).servers, [{ url: '/' }]);
  });

  it('serves the page as HTML that may run no script and load nothing', async () => {
    const page = await get('/docs', '/prod/docs');
    assert.equal(page.statusCode, 200);
    assert.match(page.headers?.['content-type'] as string, /^text\/html/);
    assert.equal(page.headers?.['content-security-policy'], "default-src 'none'; style-src 'unsafe-inline'");
    assert.doesNotMatch(page.body, /<script/i);
  });
});

describe('the /docs page', () => {
  const document = openApiDocument();
  const page = docsPage(document);

  it('lists every operation of the document with its method and path', () => {
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) {
        const escaped = path.replace(/&/g, '&#38;');
        assert.ok(
          page.includes(`${method.toUpperCase()}</span> <code>${escaped}</code>`),
          `${method} ${path} is on the page`,
        );
      }
    }
  });

  it('escapes what the document says, so a description cannot inject markup', () => {
    const html = docsPage({
      info: { title: 'T', description: '<img src=x onerror=alert(1)>' },
      tags: [{ name: 'A' }],
      paths: {
        '/x': {
          get: { tags: ['A'], summary: '"quoted" & <b>', responses: { '200': { description: 'ok' } } },
        },
      },
    });
    assert.ok(html.includes('&#60;img src=x onerror=alert(1)&#62;'));
    assert.ok(html.includes('&#34;quoted&#34; &#38; &#60;b&#62;'));
    assert.doesNotMatch(html, /<img|<b>/);
  });

  it('links to the machine-readable document relative to itself, so it works under a stage path', () => {
    assert.ok(page.includes('<a href="openapi.json">'));
  });
});
