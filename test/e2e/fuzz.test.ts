/**
 * The short fuzzing run, in `npm test`: every route of ROUTES gets generated malformed requests
 * (fixed seed, so a failure replays), none may answer 5xx, each 4xx is JSON in its surface's
 * envelope, and the route's known-good request still succeeds afterwards. The long run is
 * `node test/fuzz/run.ts` (1000 requests per route by default).
 */
import assert from 'node:assert/strict';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { resetConfig } from '#platform/config.ts';
import { BASE, type Harness } from '../support/e2e.ts';
import {
  type FuzzFixtures,
  type FuzzRequest,
  failuresOf,
  formatReport,
  prepareFixtures,
  runFuzz,
  send,
  smallCourse,
  startFuzzHarness,
  verdict,
} from '../support/fuzz.ts';

const SEED = 20261122;
const PER_ROUTE = 30;

let h: Harness;
let fixtures: FuzzFixtures;

beforeAll(async () => {
  h = await startFuzzHarness();
  fixtures = await prepareFixtures(h);
});

afterAll(async () => {
  await h?.stop();
});

describe('fuzzing every route', () => {
  it(`answers ${PER_ROUTE} malformed requests per route (seed ${SEED}) without a 5xx, in the envelopes, and keeps serving`, async () => {
    // No real quiz jobs from the generate routes here: see FuzzOptions.quizJobs.
    const report = await runFuzz(h, fixtures, { seed: SEED, perRoute: PER_ROUTE, quizJobs: false });
    const failures = failuresOf(report);
    assert.equal(
      failures,
      0,
      `${failures} failures; replay with node test/fuzz/run.ts --per-route ${PER_ROUTE} --seed ${SEED}\n${formatReport(report)}`,
    );
    // Bodies Lambda could not take are refused by the web ACL with a 413: make sure some were sent.
    assert.ok(report.routes.reduce((n, r) => n + r.firewall, 0) > 0, 'no oversized body reached the web ACL');
    const sent = report.routes.reduce((n, r) => n + r.sent, 0);
    assert.ok(sent >= report.routes.length * PER_ROUTE * 0.95, `only ${sent} requests were sent`);
  });
});

/**
 * The requests that found bugs, replayed as they were: each must get its 4xx (or its success),
 * in its envelope, whatever the random streams above happen to draw.
 */
describe('the requests that found bugs', () => {
  const json = (body: unknown) => Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const request = (
    method: string,
    target: string,
    body?: unknown,
    headers: [string, string][] = [],
  ): FuzzRequest => ({
    method,
    target,
    headers: [
      ['X-API-Key', fixtures.key],
      ...(body === undefined ? [] : ([['Content-Type', 'application/json']] as [string, string][])),
      ...headers,
    ],
    ...(body === undefined ? {} : { body: json(body) }),
    label: 'regression',
    index: 0,
  });
  const cases: [string, () => FuzzRequest, number | number[]][] = [
    [
      'a query parameter named constructor (local gateway)',
      () => request('GET', `${BASE}/sectors?constructor=inline`),
      200,
    ],
    [
      'a query parameter named __proto__ (local gateway)',
      () => request('GET', `${BASE}/budget?__proto__=1`),
      200,
    ],
    [
      'a header named toString (local gateway)',
      () => request('GET', '/help', undefined, [['toString', 'x']]),
      200,
    ],
    [
      'a body over 10 MB (local gateway)',
      () => request('POST', '/api/execute', 'x'.repeat(10.5 * 1024 * 1024)),
      413,
    ],
    [
      'a HEAD with a 5.5 MB body (the web ACL answers 413, and HEAD answers carry no body)',
      () => ({
        ...request('HEAD', '/api/templates/fuzz_lesson'),
        headers: [
          ['X-API-Key', fixtures.key],
          ['Content-Type', 'text/plain'],
        ],
        body: Buffer.alloc(5.5 * 1024 * 1024, 0xa5),
      }),
      413,
    ],
    ['the path // (local gateway)', () => request('GET', '//'), [200, 404]],
    ['a budget DynamoDB cannot store', () => request('PUT', `${BASE}/budget`, { monthly_usd: 1e-300 }), 400],
    [
      'a max_cost_usd DynamoDB cannot store',
      () => request('POST', `${BASE}/generate/soft-skills/async`, { max_cost_usd: 5e-324 }),
      400,
    ],
    [
      'an assessment max_cost_usd DynamoDB cannot store',
      () =>
        request('POST', '/generate_assessment', {
          query: 'photosynthesis',
          bloom_mix: '1 remember',
          max_cost_usd: 1e-300,
        }),
      400,
    ],
    [
      'a course whose modules are not a list (dry run)',
      () =>
        request('POST', '/api/execute', {
          ...smallCourse(),
          input: { ...smallCourse().input, structure: { modules: {} } },
          config: { dryRun: true },
        }),
      400,
    ],
    [
      'a course whose lessons are not a list',
      () =>
        request('POST', '/api/execute', {
          ...smallCourse(),
          input: { ...smallCourse().input, structure: { modules: [{ title: 'M', lessons: '1' }] } },
        }),
      400,
    ],
    [
      'an assessment on an empty document_id (not a key DynamoDB can look up)',
      () =>
        request('POST', '/generate_assessment', {
          query: 'photosynthesis',
          bloom_mix: '1 remember',
          document_id: '',
        }),
      404,
    ],
    [
      'an assessment on a 2000-character document_id (past DynamoDB’s key size)',
      () =>
        request('POST', '/generate_assessment', {
          query: 'photosynthesis',
          bloom_mix: '1 remember',
          document_id: '\\'.repeat(2_000),
        }),
      404,
    ],
    [
      'an upload whose file name is 500000 characters (past DynamoDB’s item size)',
      () => ({
        ...request('POST', '/documents'),
        headers: [
          ['X-API-Key', fixtures.key],
          ['Content-Type', 'multipart/form-data; boundary=fuzz'],
        ],
        body: Buffer.from(
          `--fuzz\r\nContent-Disposition: form-data; name="file"; filename="${'n'.repeat(500_000)}.md"\r\n` +
            'Content-Type: text/markdown\r\n\r\nPhotosynthesis makes sugar from light.\r\n--fuzz--\r\n',
        ),
      }),
      400,
    ],
    [
      'a Bloom mix count nested 10000 levels deep',
      () =>
        request(
          'POST',
          '/generate_assessment',
          `{"topic":"cell biology","bloom_mix":{"remember":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`,
        ),
      400,
    ],
    [
      // Once a million (2 MB of JSON), whose message quoted in full passed Lambda's response
      // limit; the web ACL now refuses a body that size, and the message is cut short anyway.
      'a structureType of 450 000 quotes (quoted in the message, cut short)',
      () =>
        request('POST', '/api/execute', {
          ...smallCourse(),
          input: { ...smallCourse().input, structureType: '"'.repeat(450_000) },
        }),
      400,
    ],
    [
      'EduMate’s chat on a 2000-character collection_name (past DynamoDB’s key size)',
      () => request('POST', `/chat?query=cells&collection_name=${encodeURIComponent('\\'.repeat(2_000))}`),
      404,
    ],
    [
      'EduMate’s chunking status of a 2000-character job_id (an unknown job: {"status": null})',
      () => request('GET', `/chunking/status?job_id=${'n'.repeat(2_000)}`),
      200,
    ],
    [
      'an EduMate save whose content_json is nested 10000 levels deep',
      () =>
        request(
          'POST',
          '/api/assessments/save',
          `{"chapter_name":"c","bloom_factors":{},"content_json":${'{"mcqs":['.repeat(5_000)}${']}'.repeat(5_000)}}`,
        ),
      400,
    ],
    [
      'a content request nested 10000 levels deep',
      () => request('POST', '/api/execute', `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`),
      400,
    ],
  ];
  for (const [name, make, status] of cases) {
    it(`answers ${[status].flat().join(' or ')} to ${name}`, async () => {
      const sent = make();
      const response = await send(h.url, sent, 35_000);
      const judged = verdict(sent, response);
      assert.ok(
        judged.ok,
        `${judged.ok ? '' : judged.reason}: ${response.body.toString('utf8').slice(0, 300)}`,
      );
      assert.ok(
        [status].flat().includes(response.status),
        `${response.status}: ${response.body.toString('utf8').slice(0, 300)}`,
      );
      assert.ok(response.body.length < 16 * 1024, `a ${response.body.length}-byte answer echoes the input`);
    });
  }

  it('answers 402, not 500, when a synchronous generation stops at its own max_cost_usd', async () => {
    const before = process.env.SYNC_WAIT_SECONDS;
    process.env.SYNC_WAIT_SECONDS = '20';
    resetConfig();
    try {
      const response = await h.call('POST', `${BASE}/generate/career-level`, {
        sector: 'technology',
        career: 'FRONTEND_DEVELOPER',
        level: 2,
        regenerate: true,
        max_cost_usd: 0.000001,
      });
      assert.equal(response.status, 402, response.text);
      assert.match(response.body.detail, /max_cost_usd/);
    } finally {
      if (before === undefined) delete process.env.SYNC_WAIT_SECONDS;
      else process.env.SYNC_WAIT_SECONDS = before;
      resetConfig();
    }
  });
});
