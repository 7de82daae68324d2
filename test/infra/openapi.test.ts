import assert from 'node:assert/strict';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, it } from 'vitest';
import { z } from 'zod';
import { API_DESCRIPTIONS, openApiDocument } from '../../lambdas/api-docs/openapi-document.ts';
import { assessmentsSchemas } from '../../lambdas/assessments/assessments-api.ts';
import { contentSchemas } from '../../lambdas/content/api/content-api.ts';
import { jsonSchemaOf, operationKeys } from '../../lambdas/platform/openapi.ts';
import { quizGeneratorSchemas } from '../../lambdas/quiz-bank/quiz-generator-api.ts';
import { resourcesOfType } from '../../lib/definition.ts';
import { API_BASE_PATH, ROUTES } from '../../lib/routes.ts';
import { synthesize } from './fixtures.ts';

type Operation = {
  security?: unknown[];
  parameters?: { name: string; in: string; required: boolean; schema?: unknown }[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Record<string, unknown> }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
};

const document = openApiDocument();
const paths = document.paths as Record<string, Record<string, Operation>>;
const operation = (method: string, path: string) => {
  const op = paths[path]?.[method.toLowerCase()];
  assert.ok(op, `${method} ${path} is described`);
  return op;
};
/** `"GET /jobs"` for every operation of the document. */
const described = Object.entries(paths).flatMap(([path, item]) =>
  Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
);

/** The methods of the synthesized API Gateway template, as `"GET /path"` (OPTIONS left out: CORS preflights). */
function templateMethods(): string[] {
  const { json } = synthesize();
  const pathOf = (logicalId: string): string => {
    const props = json.Resources[logicalId]?.Properties as { PathPart: string; ParentId: { Ref?: string } };
    return `${props.ParentId.Ref ? pathOf(props.ParentId.Ref) : ''}/${props.PathPart}`;
  };
  return resourcesOfType(json, 'AWS::ApiGateway::Method')
    .map(([, m]) => m.Properties as { HttpMethod: string; ResourceId: { Ref?: string } })
    .filter((m) => m.HttpMethod !== 'OPTIONS')
    .map((m) => `${m.HttpMethod} ${m.ResourceId.Ref ? pathOf(m.ResourceId.Ref) : '/'}`);
}

describe('/openapi.json', () => {
  it('is a valid OpenAPI 3.1 document by the official schema (@seriousme/openapi-schema-validator, offline)', async () => {
    assert.equal(document.openapi, '3.1.0');
    const result = await new Validator().validate(structuredClone(document));
    assert.deepEqual(result, { valid: true });
  });

  it('is refused by the same validator when broken, so the check above can fail', async () => {
    const broken = structuredClone(document) as { paths: Record<string, Record<string, Operation>> };
    // OpenAPI 2's body parameter, which 3.x has no place for.
    const jobs = broken.paths[`${API_BASE_PATH}/jobs`]?.get?.parameters?.[0];
    assert.ok(jobs);
    jobs.in = 'body';
    assert.equal((await new Validator().validate(broken)).valid, false);
  });

  it('holds schemas that are each valid JSON Schema 2020-12 (which the 3.1 document schema leaves unchecked)', () => {
    const ajv = new Ajv2020({ strict: false });
    assert.equal(ajv.validateSchema({ type: 'text' }), false, 'the meta-schema check refuses a bad schema');
    const schemas: [string, unknown][] = [];
    const walk = (value: unknown, at: string) => {
      if (typeof value !== 'object' || value === null) return;
      for (const [key, child] of Object.entries(value)) {
        if (key === 'schema' && typeof child === 'object') schemas.push([at, child]);
        else walk(child, `${at}/${key}`);
      }
    };
    walk(document.paths, '#/paths');
    for (const [name, schema] of Object.entries((document.components as { schemas: object }).schemas)) {
      schemas.push([`#/components/schemas/${name}`, schema]);
    }
    assert.ok(schemas.length > 200, `${schemas.length} schemas`);
    const invalid = schemas.filter(([, schema]) => !ajv.validateSchema(schema as object));
    assert.deepEqual(
      invalid.map(([at]) => at),
      [],
    );
  });

  it('describes every method of the synthesized API Gateway template, and only those', () => {
    const methods = templateMethods();
    assert.ok(methods.length >= 60, `${methods.length} methods`);
    assert.deepEqual([...described].sort(), [...methods].sort());
  });

  it('describes each route of lib/routes.ts in the description table of the handler that serves it', () => {
    for (const route of ROUTES) {
      const table = API_DESCRIPTIONS[route.handler];
      assert.ok(
        operationKeys(table).includes(`${route.method} ${route.path}`),
        `${route.method} ${route.path} is missing from ${route.handler}'s description table`,
      );
    }
    for (const [handler, table] of Object.entries(API_DESCRIPTIONS)) {
      for (const key of operationKeys(table)) {
        assert.ok(
          ROUTES.some((r) => `${r.method} ${r.path}` === key && r.handler === handler),
          `${key} is described for ${handler}, which does not serve it`,
        );
      }
    }
  });

  it('takes request bodies and queries from the schemas the handlers validate with', () => {
    const careerLevel = operation('POST', `${API_BASE_PATH}/generate/career-level/async`);
    const body = careerLevel.requestBody?.content['application/json']?.schema;
    assert.deepEqual(body, jsonSchemaOf(quizGeneratorSchemas.careerLevelBody, 'input'));
    assert.deepEqual(body?.required, ['career', 'level']);
    assert.equal(body?.additionalProperties, false);

    // An empty body reads as {}: required only where {} is refused.
    assert.equal(careerLevel.requestBody?.required, true);
    const softSkills = operation('POST', `${API_BASE_PATH}/generate/soft-skills/async`).requestBody;
    assert.equal(softSkills?.required, false);

    const generate = operation('POST', '/generate_assessment').requestBody?.content['application/json']
      ?.schema;
    assert.deepEqual(generate, jsonSchemaOf(assessmentsSchemas.generateBody, 'input'));

    const estimate = operation('POST', '/api/economy/estimate').requestBody?.content['application/json']
      ?.schema;
    assert.deepEqual(estimate, jsonSchemaOf(contentSchemas.estimateBody, 'input'));

    const jobs = operation('GET', `${API_BASE_PATH}/jobs`).parameters ?? [];
    assert.deepEqual(
      jobs.map((p) => [p.name, p.in, p.required]),
      [
        ['status', 'query', false],
        ['limit', 'query', false],
        ['offset', 'query', false],
      ],
    );
    const status = operation('GET', '/job_status').parameters ?? [];
    assert.ok(status.some((p) => p.name === 'job_id' && p.required));
    // A content job's content filtered to one review state, described from the schema it is read with.
    const content = operation('GET', '/api/jobs/{id}/content').parameters ?? [];
    assert.deepEqual(
      content.filter((p) => p.in === 'query').map((p) => [p.name, p.required, p.schema]),
      [['review', false, { type: 'string', enum: ['pending', 'approved', 'rejected'] }]],
    );
    // A schema change shows in the document: the JSON Schema of the exported object is the document's.
    assert.notDeepEqual(
      jsonSchemaOf(quizGeneratorSchemas.careerLevelBody.extend({ x: z.string() }), 'input'),
      body,
    );
  });

  it('names path parameters and gives each route its API’s error envelope', () => {
    const levels = operation(
      'GET',
      `${API_BASE_PATH}/results/sectors/{sector}/careers/{career}/levels/{level}`,
    );
    assert.deepEqual(
      levels.parameters?.filter((p) => p.in === 'path').map((p) => p.name),
      ['sector', 'career', 'level'],
    );
    const schemas = (
      document.components as { schemas: Record<string, { properties: Record<string, unknown> }> }
    ).schemas;
    const errorOf = (method: string, path: string, status: string) => {
      const ref = operation(method, path).responses[status]?.content?.['application/json']?.schema
        .$ref as string;
      return schemas[ref.split('/').pop() ?? ''];
    };
    assert.deepEqual(Object.keys(errorOf('GET', `${API_BASE_PATH}/jobs`, '400')?.properties ?? {}), [
      'detail',
    ]);
    assert.deepEqual(Object.keys(errorOf('POST', '/chat', '400')?.properties ?? {}), ['detail']);
    assert.deepEqual(Object.keys(errorOf('POST', '/api/execute', '400')?.properties ?? {}), [
      'success',
      'error',
      'metadata',
    ]);
    assert.ok(operation('GET', '/api/jobs/{id}').responses['404']);
    assert.ok(operation('POST', '/generate').responses['422']);
    assert.equal(operation('POST', '/generate').responses['400'], undefined, 'EduMate answers 422, not 400');
  });

  it('asks for the API key as x-api-key or Authorization: Bearer, except on the public routes', () => {
    assert.deepEqual(document.security, [{ apiKey: [] }, { bearer: [] }]);
    const schemes = (document.components as { securitySchemes: Record<string, unknown> }).securitySchemes;
    assert.deepEqual(schemes.apiKey, {
      type: 'apiKey',
      in: 'header',
      name: 'x-api-key',
      description: 'The API key',
    });
    assert.equal((schemes.bearer as { scheme: string }).scheme, 'bearer');
    for (const route of ROUTES) {
      const op = operation(route.method, route.path);
      assert.equal(op.security?.length === 0, !route.apiKeyRequired, `${route.method} ${route.path}`);
      assert.equal(Boolean(op.responses['401']), route.apiKeyRequired, `${route.method} ${route.path} 401`);
    }
  });
});
