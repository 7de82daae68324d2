/**
 * `GET /openapi.json` and `GET /docs`, both public: they describe the routes and hold no data.
 * The document is built once per cold start; only its server (the stage's path, which API
 * Gateway puts before every route) depends on the request.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { detailEnvelope, httpApi, json } from '#platform/http.ts';
import { withPowertools } from '#platform/middleware.ts';
import { docsPage } from './docs-page.ts';
import { openApiDocument } from './openapi-document.ts';

/** Where the API is mounted: `/prod` behind API Gateway's stage, `/` locally. */
function mountPath(event: APIGatewayProxyEvent): string {
  const full = event.requestContext?.path ?? event.path;
  const prefix = full.endsWith(event.resource) ? full.slice(0, full.length - event.resource.length) : '';
  return prefix === '' ? '/' : prefix;
}

const document = openApiDocument();
const page = docsPage(document);

export const route = httpApi({
  routes: {
    'GET /openapi.json': async (event) => json(200, { ...document, servers: [{ url: mountPath(event) }] }),
    'GET /docs': async () => ({
      statusCode: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        // The page has no script and loads nothing.
        'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
      },
      body: page,
    }),
  },
  envelope: detailEnvelope,
  publicRoutes: ['GET /openapi.json', 'GET /docs'],
});

export const handler = withPowertools(route);
