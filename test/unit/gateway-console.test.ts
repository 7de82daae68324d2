import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { buildConsole } from '../../console/build.ts';
import { CONSOLE_CSP, serveConsole } from '../../lambdas/gateway/console.ts';

let dir: string;
let files: string[];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quizgen-console-unit-'));
  files = Object.keys((await buildConsole(join(dir, 'console'))).files);
  process.env.CONSOLE_ASSETS_DIR = join(dir, 'console');
});

afterAll(async () => {
  delete process.env.CONSOLE_ASSETS_DIR;
  await rm(dir, { recursive: true, force: true });
});

const get = (resource: string, asset?: string) =>
  serveConsole({ resource, pathParameters: asset === undefined ? null : { asset } });

describe('the web console handler', () => {
  it('serves the page with no-cache and a CSP that allows no inline script, and names the hashed files', () => {
    const page = get('/console');
    assert.equal(page.statusCode, 200);
    assert.equal(page.headers?.['content-type'], 'text/html; charset=utf-8');
    assert.equal(page.headers?.['cache-control'], 'no-cache');
    assert.equal(page.headers?.['content-security-policy'], CONSOLE_CSP);
    assert.doesNotMatch(CONSOLE_CSP, /unsafe/);
    for (const name of files.filter((f) => f !== 'index.html'))
      assert.ok(page.body.includes(`console/${name}`), name);
  });

  it('serves each built file with its type, cached for good', () => {
    const script = files.find((f) => /^app-[0-9a-f]{12}\.js$/.test(f));
    const style = files.find((f) => /^console-[0-9a-f]{12}\.css$/.test(f));
    assert.ok(script && style, files.join(', '));
    assert.equal(get('/console/{asset}', script).headers?.['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(get('/console/{asset}', style).headers?.['content-type'], 'text/css; charset=utf-8');
    assert.equal(
      get('/console/{asset}', script).headers?.['cache-control'],
      'public, max-age=31536000, immutable',
    );
  });

  it('answers 404 in the detail envelope for any name the build did not write, paths included', () => {
    for (const name of ['nope.js', '../health.ts', '..%2Fhealth.ts', '', 'index.html/..']) {
      const answer = get('/console/{asset}', name);
      assert.equal(answer.statusCode, 404, name);
      assert.match(JSON.parse(answer.body).detail, /open \/console/);
    }
  });

  it('answers 503 saying how to build it when the files are missing', () => {
    process.env.CONSOLE_ASSETS_DIR = join(dir, 'missing');
    try {
      const answer = get('/console');
      assert.equal(answer.statusCode, 503);
      assert.match(JSON.parse(answer.body).detail, /console\/build\.ts/);
    } finally {
      process.env.CONSOLE_ASSETS_DIR = join(dir, 'console');
    }
  });
});
