import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { API_BASE_PATH, matchRoute, pathExists, ROUTES } from '../../lib/routes.ts';

describe('routes', () => {
  it('are unique by method and path', () => {
    const keys = ROUTES.map((r) => `${r.method} ${r.path}`);
    assert.equal(new Set(keys).size, keys.length);
  });

  it('match a request to its resource template and decoded path parameters', () => {
    const match = matchRoute(
      'get',
      `${API_BASE_PATH}/results/sectors/data%20science/careers/ML/levels/2?x=1`,
    );
    assert.equal(
      match?.route.path,
      `${API_BASE_PATH}/results/sectors/{sector}/careers/{career}/levels/{level}`,
    );
    assert.deepEqual(match?.pathParameters, { sector: 'data science', career: 'ML', level: '2' });
  });

  it('prefer literal segments and give null path parameters when there are none', () => {
    const match = matchRoute('GET', `${API_BASE_PATH}/jobs`);
    assert.equal(match?.route.path, `${API_BASE_PATH}/jobs`);
    assert.equal(match?.pathParameters, null);
  });

  it('tell an unknown path from a known path with another method', () => {
    assert.equal(matchRoute('PUT', `${API_BASE_PATH}/jobs/abc`), undefined);
    assert.equal(pathExists(`${API_BASE_PATH}/jobs/abc`), true);
    assert.equal(pathExists(`${API_BASE_PATH}/nope`), false);
  });

  it('leave only GET /health, GET /, GET /help, GET /openapi.json, GET /docs and the web console open without an API key', () => {
    assert.deepEqual(
      ROUTES.filter((r) => !r.apiKeyRequired)
        .map((r) => `${r.method} ${r.path} ${r.handler}`)
        .sort(),
      [
        'GET / contentApi',
        'GET /console healthApi',
        'GET /console/{asset} healthApi',
        'GET /docs docsApi',
        'GET /health healthApi',
        'GET /help contentApi',
        'GET /openapi.json docsApi',
      ],
    );
  });

  it('serve the web console from the public function that holds no data', () => {
    assert.equal(matchRoute('GET', '/console')?.route.handler, 'healthApi');
    assert.deepEqual(matchRoute('GET', '/console/app-0123456789ab.js')?.pathParameters, {
      asset: 'app-0123456789ab.js',
    });
    assert.equal(matchRoute('POST', '/console'), undefined);
  });

  it('keep the content API under /api next to the quiz API under /api/v1/quiz-generator', () => {
    assert.equal(matchRoute('GET', '/')?.route.handler, 'contentApi');
    assert.equal(matchRoute('GET', '/api/jobs')?.route.handler, 'contentApi');
    assert.deepEqual(matchRoute('POST', '/api/jobs/456/retry')?.pathParameters, { id: '456' });
    assert.deepEqual(matchRoute('PUT', '/api/templates/course_overview')?.pathParameters, {
      name: 'course_overview',
    });
    assert.equal(matchRoute('GET', `${API_BASE_PATH}/jobs`)?.route.handler, 'quizGeneratorApi');
    assert.equal(matchRoute('DELETE', '/api/jobs/456'), undefined);
    assert.equal(pathExists('/api/jobs/456'), true);
    assert.ok(
      ROUTES.filter((r) => r.handler === 'contentApi').every(
        (r) => r.path === '/' || r.path === '/help' || r.path.startsWith('/api/'),
      ),
    );
  });

  it("serve EduMate's routes from the assessments API, its literal paths before {assessment_id}", () => {
    for (const [method, path] of [
      ['POST', '/chunking'],
      ['GET', '/chunking/status'],
      ['POST', '/chat'],
      ['POST', '/api/assessments/save'],
      ['GET', '/api/assessments/history'],
      ['GET', '/api/assessments/42'],
    ] as const) {
      const match = matchRoute(method, path);
      assert.equal(match?.route.handler, 'assessmentsApi', `${method} ${path}`);
      assert.equal(match?.route.apiKeyRequired, true, `${method} ${path}`);
    }
    assert.equal(matchRoute('GET', '/api/assessments/history')?.route.path, '/api/assessments/history');
    assert.equal(matchRoute('GET', '/api/assessments/history')?.pathParameters, null);
    assert.deepEqual(matchRoute('GET', '/api/assessments/42')?.pathParameters, { assessment_id: '42' });
    assert.equal(matchRoute('POST', '/api/assessments/history'), undefined);
  });
});
