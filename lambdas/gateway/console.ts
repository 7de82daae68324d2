/**
 * `GET /console` and `GET /console/{asset}`: the web console's static files, public because
 * they hold no data (the page asks for the API key and sends it only to the API). The files are
 * built by `console/build.ts` into a folder next to the function's bundle (the function's
 * bundling runs the build into its asset); the local stack builds them into its data folder
 * and names it in CONSOLE_ASSETS_DIR.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { json } from '#platform/http.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Scripts and styles from this origin only, nothing inline; the page talks to this origin's API
 * and nowhere else, and no other site may frame it (clickjacking a review decision).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

interface Assets {
  dir: string;
  names: Set<string>;
}

let cached: Assets | undefined;

function assets(): Assets | undefined {
  const dir = process.env.CONSOLE_ASSETS_DIR || fileURLToPath(new URL('./console/', import.meta.url));
  if (cached?.dir === dir) return cached;
  try {
    // Only the files the build wrote are ever served: the asset name is checked against this
    // list, never joined to a path unseen.
    cached = { dir, names: new Set(readdirSync(dir).filter((name) => extname(name) in TYPES)) };
    return cached;
  } catch {
    return undefined;
  }
}

export function serveConsole(event: Pick<APIGatewayProxyEvent, 'resource' | 'pathParameters'>) {
  const found = assets();
  if (!found?.names.has('index.html')) {
    return json(503, {
      detail: 'The web console is not built into this deployment: run `node console/build.ts <dir>`.',
    });
  }
  const asset = event.resource === '/console' ? 'index.html' : (event.pathParameters?.asset ?? '');
  if (!found.names.has(asset)) {
    return json(404, { detail: `No console file named "${asset}"; open /console to load the console.` });
  }
  const result: APIGatewayProxyResult = {
    statusCode: 200,
    headers: {
      'content-type': TYPES[extname(asset)] ?? 'application/octet-stream',
      // index.html names the current build's files, so it is checked each time; the files
      // carry a hash of their content in their names, so they never change.
      'cache-control': asset === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable',
      ...SECURITY_HEADERS,
    },
    body: readFileSync(join(found.dir, asset), 'utf8'),
  };
  return result;
}
