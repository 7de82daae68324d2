import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ROUTES } from '../../lib/routes.ts';
import { type Harness, startHarness } from '../support/e2e.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});

afterAll(async () => {
  await h?.stop();
});

describe('the API description through the local API', () => {
  it('answers GET /openapi.json without a key with a valid OpenAPI 3.1 document of every route', async () => {
    const answer = await h.call('GET', '/openapi.json', undefined, null);
    assert.equal(answer.status, 200, answer.text);
    assert.match(answer.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(answer.body.openapi, '3.1.0');
    assert.deepEqual(await new Validator().validate(answer.body), { valid: true });
    const described = Object.entries(answer.body.paths as Record<string, Record<string, unknown>>).flatMap(
      ([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    assert.deepEqual(described.sort(), ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('answers GET /docs without a key with the page, whose link to the document works', async () => {
    const page = await h.call('GET', '/docs', undefined, null);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    assert.ok(page.text.includes('/api/v1/quiz-generator/generate/sector/async'));
    const href = /<a href="([^"]+)">openapi\.json<\/a>/.exec(page.text)?.[1];
    assert.ok(href);
    const linked = await fetch(new URL(href, `${h.url}/docs`));
    assert.equal(linked.status, 200);
  });

  it('still answers them with a wrong key, as the other public routes do', async () => {
    assert.equal((await h.call('GET', '/openapi.json', undefined, 'not-a-key')).status, 200);
    assert.equal((await h.call('GET', '/docs', undefined, 'not-a-key')).status, 200);
  });
});
