/**
 * `/openapi.json`: the OpenAPI 3.1 document of every route, built from each API's description
 * table (its `*-openapi.ts`), keyed here by the handler that serves it. A route in
 * `lib/routes.ts` whose handler's table lacks it fails test/infra/openapi.test.ts, and so does
 * a described route that is not in `lib/routes.ts`: to add a route, add its entry to the table
 * of its handler's API (ARCHITECTURE.md, "Describing a route").
 */

import * as z from 'zod';
import { assessmentsApiDescription } from '#assessments/assessments-openapi.ts';
import { contentApiDescription } from '#content/api/content-openapi.ts';
import type { HANDLER_ENTRIES } from '#contract/pipeline.ts';
import {
  type ApiDescription,
  detailErrorSchema,
  errorComponents,
  type JsonSchema,
  openApiPaths,
} from '#platform/openapi.ts';
import { quizGeneratorApiDescription } from '#quiz-bank/quiz-generator-openapi.ts';

const healthDescription: ApiDescription = {
  tag: 'Health',
  summary: 'Liveness of the service, and the web console’s static files',
  basePath: '',
  errorSchema: detailErrorSchema,
  operations: {
    'GET /health': {
      summary: 'Says the service runs and which model it uses',
      public: true,
      responses: {
        '200': {
          description: 'Running',
          schema: z.object({
            status: z.literal('ok'),
            service: z.string(),
            model: z.string(),
            time: z.string(),
          }),
        },
      },
    },
    'GET /console': {
      summary: 'The web console: review, export and start jobs in a browser (it asks for the key)',
      public: true,
      responses: { '200': { description: 'The page', mediaType: 'text/html' } },
    },
    'GET /console/{asset}': {
      summary: 'A file of the web console (script or stylesheet, named by its content hash)',
      public: true,
      responses: { '200': { description: 'The file', mediaType: 'application/octet-stream' } },
    },
  },
};

const docsDescription: ApiDescription = {
  tag: 'Documentation',
  summary: 'This description of the API',
  basePath: '',
  errorSchema: detailErrorSchema,
  operations: {
    'GET /openapi.json': {
      summary: 'This document (OpenAPI 3.1)',
      public: true,
      responses: { '200': { description: 'The document', schema: z.record(z.string(), z.unknown()) } },
    },
    'GET /docs': {
      summary: 'This document as a page to read',
      public: true,
      responses: { '200': { description: 'The page', mediaType: 'text/html' } },
    },
  },
};

/** Each API handler's description table; every route of `lib/routes.ts` is in its handler's. */
export const API_DESCRIPTIONS = {
  healthApi: healthDescription,
  docsApi: docsDescription,
  quizGeneratorApi: quizGeneratorApiDescription,
  assessmentsApi: assessmentsApiDescription,
  contentApi: contentApiDescription,
} as const satisfies Partial<Record<keyof typeof HANDLER_ENTRIES, ApiDescription>>;

const DESCRIPTIONS: readonly ApiDescription[] = [
  quizGeneratorApiDescription,
  assessmentsApiDescription,
  contentApiDescription,
  healthDescription,
  docsDescription,
];

/** The document; `server` is where the API is mounted (the stage's path in AWS, `/` locally). */
export function openApiDocument(server = '/'): JsonSchema {
  return {
    openapi: '3.1.0',
    info: {
      title: 'quizgen: quiz banks, assessments and learning content',
      version: '1',
      description:
        'Three APIs on one job engine, each with its own paths and error envelope: the Quiz Generator API, ' +
        'the assessments API (with EduMate’s routes as aliases) and the Content Generator API. ' +
        'Every route but the public ones takes the API key as `x-api-key` or `Authorization: Bearer`.',
    },
    servers: [{ url: server }],
    tags: DESCRIPTIONS.map((api) => ({ name: api.tag, description: api.summary })),
    security: [{ apiKey: [] }, { bearer: [] }],
    paths: openApiPaths(DESCRIPTIONS),
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key', description: 'The API key' },
        bearer: { type: 'http', scheme: 'bearer', description: 'The API key as a bearer token' },
      },
      schemas: errorComponents(DESCRIPTIONS),
    },
  };
}
