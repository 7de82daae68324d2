/**
 * The Content Generator API's error bodies: the seed's `success: false` envelope with its codes,
 * for the API's own errors and for what the HTTP edge refuses (the status is the edge's).
 */
import assert from 'node:assert/strict';
import { beforeAll, describe, it } from 'vitest';
import { GeminiNotConfigured, JobNotFound, JobStateConflict } from '#platform/errors.ts';

type Envelope = typeof import('#content/api/envelope.ts');
type Http = typeof import('#platform/http.ts');
let envelope: Envelope;
let http: Http;

beforeAll(async () => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  envelope = await import('#content/api/envelope.ts');
  http = await import('#platform/http.ts');
});

/** The body the API answers `error` with, and its status. */
function answer(error: unknown) {
  const response = http.errorAnswer(envelope.contentEnvelope, error);
  const body = JSON.parse(response.body);
  assert.equal(body.success, false);
  assert.ok(!Number.isNaN(Date.parse(body.metadata.timestamp)));
  return { status: response.statusCode, error: body.error, details: body.metadata.details };
}

describe('the content API envelope', () => {
  it('answers a ContentApiError with its status, code, suggestion and details', () => {
    const error = new envelope.ContentApiError(404, 'TEMPLATE_NOT_FOUND', 'Template not found', 'List them', {
      name: 'x',
    });

    assert.deepEqual(answer(error), {
      status: 404,
      error: 'Template not found',
      details: { code: 'TEMPLATE_NOT_FOUND', name: 'x', suggestion: 'List them' },
    });
  });

  it('answers a route that does not exist with NOT_FOUND', () => {
    assert.deepEqual(answer(new http.RouteNotFound()), {
      status: 404,
      error: 'Not found',
      details: { code: 'NOT_FOUND', suggestion: 'GET /help lists the endpoints' },
    });
  });

  it('answers a body that is not JSON with INVALID_REQUEST', () => {
    assert.deepEqual(answer(new http.BodyNotJson()), {
      status: 400,
      error: 'Request body is not valid JSON',
      details: {
        code: 'INVALID_REQUEST',
        suggestion: 'Send a JSON object with Content-Type: application/json',
      },
    });
  });

  it("answers a body nested too deep as /api/execute's parser does", () => {
    const { status, error, details } = answer(new http.BodyTooDeep());

    assert.equal(status, 400);
    assert.equal(error, `The request is nested more than ${http.MAX_NESTING} levels deep`);
    assert.equal(details.code, 'INVALID_STRUCTURE');
    assert.equal(details.field, 'body');
  });

  it('answers a retired config.aiModel with 400 in the seed envelope, naming the live models', async () => {
    const { parseExecuteRequest } = await import('#content/request.ts');
    // As /api/execute reads its body: through readingRequest, which makes a refusal the API's 400.
    const refused = await envelope
      .readingRequest(() =>
        parseExecuteRequest({
          input: {
            topic: 'Python',
            structureType: 'course',
            structure: {},
            wordCountEstimates: { total: 1000 },
          },
          config: { aiModel: 'gemini-2.5-flash' },
        }),
      )
      .then(
        () => assert.fail('the request was accepted'),
        (error: unknown) => error,
      );

    const { status, error, details } = answer(refused);

    assert.equal(status, 400);
    assert.match(error, /config.aiModel gemini-2.5-flash was shut down on 2026-12-01; the live models are /);
    assert.equal(details.code, 'INVALID_STRUCTURE');
    assert.equal(details.field, 'config.aiModel');
  });

  it('gives the other domain errors a code by their status', () => {
    assert.equal(answer(new JobNotFound('1')).details.code, 'NOT_FOUND');
    assert.equal(answer(new GeminiNotConfigured()).status, 503);
    assert.equal(answer(new GeminiNotConfigured()).details.code, 'AI_PROVIDER_ERROR');
    assert.equal(answer(new JobStateConflict('Job is already completed')).status, 409);
    assert.equal(answer(new JobStateConflict('Job is already completed')).details.code, 'INVALID_REQUEST');
  });

  it('answers any other error with INTERNAL_ERROR (500), never its message', () => {
    const { status, error, details } = answer(new Error('connect ECONNREFUSED password=hunter2'));

    assert.equal(status, 500);
    assert.equal(error, 'Internal server error');
    assert.equal(details.code, 'INTERNAL_ERROR');
  });
});
