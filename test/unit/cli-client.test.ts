import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { createClient, networkReason, serverMessage } from '../../cli/client.ts';
import type { Connection } from '../../cli/config.ts';
import { ApiError, CliError, EXIT } from '../../cli/errors.ts';

const connection: Connection = {
  url: 'http://localhost:3000',
  key: 'the-key',
  urlHint: 'check quizgen configure --url',
  keyHint: 'run quizgen configure --key KEY',
};

interface Call {
  url: string;
  init: RequestInit | undefined;
}

/** A fetch that answers from a list and records what it was asked. */
function fakeFetch(...answers: (Response | Error)[]) {
  const calls: Call[] = [];
  const fn = (async (input: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(input), init });
    const answer = answers.shift();
    if (!answer) throw new Error('no more answers');
    if (answer instanceof Error) throw answer;
    return answer;
  }) as typeof fetch;
  return { fn, calls };
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

function fetchFailure(code: string): Error {
  return new TypeError('fetch failed', { cause: Object.assign(new Error(`connect ${code}`), { code }) });
}

async function failure(promise: Promise<unknown>): Promise<CliError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CliError, `expected a CliError, got ${error}`);
    return error;
  }
  assert.fail('the request succeeded');
}

describe('createClient', () => {
  it('sends the key, a JSON body and the query', async () => {
    const { fn, calls } = fakeFetch(json(202, { job_id: 'j' }));
    const client = createClient(connection, { fetch: fn });
    const body = await client.json('POST', '/api/v1/quiz-generator/jobs', {
      body: { a: 1 },
      query: { limit: 5, x: undefined },
    });
    assert.deepEqual(body, { job_id: 'j' });
    assert.equal(calls[0]?.url, 'http://localhost:3000/api/v1/quiz-generator/jobs?limit=5');
    const headers = calls[0]?.init?.headers as Record<string, string>;
    assert.equal(headers['x-api-key'], 'the-key');
    assert.equal(headers['content-type'], 'application/json');
    assert.equal(calls[0]?.init?.body, '{"a":1}');
  });

  for (const status of [401, 403]) {
    it(`maps ${status} to a refused key, exit 2`, async () => {
      const { fn } = fakeFetch(json(status, { detail: 'Forbidden', error: 'Invalid API key' }));
      const error = await failure(createClient(connection, { fetch: fn }).json('GET', '/jobs'));
      assert.equal(error.exitCode, EXIT.keyRefused);
      assert.match(
        error.message,
        /^The API key was refused by http:\/\/localhost:3000 .*; run quizgen configure --key KEY$/,
      );
    });
  }

  it('maps a refused connection and an unknown host to exit 3', async () => {
    for (const [code, reason] of [
      ['ECONNREFUSED', 'connection refused'],
      ['ENOTFOUND', 'host not found'],
    ] as const) {
      const { fn } = fakeFetch(fetchFailure(code));
      const error = await failure(createClient(connection, { fetch: fn }).json('GET', '/jobs'));
      assert.equal(error.exitCode, EXIT.unreachable);
      assert.equal(
        error.message,
        `Cannot reach http://localhost:3000: ${reason} (${code}); check quizgen configure --url`,
      );
    }
  });

  it("passes a 4xx's message through, exit 1", async () => {
    const { fn } = fakeFetch(json(404, { detail: 'Job not found: abc' }));
    const error = await failure(createClient(connection, { fetch: fn }).json('POST', '/x'));
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 404);
    assert.equal(error.exitCode, EXIT.apiError);
    assert.equal(error.message, 'Job not found: abc');
  });

  it('says the URL may be wrong when the path is unknown or the answer is not JSON', async () => {
    const notFound = fakeFetch(json(404, { detail: 'Not Found' }));
    const error = await failure(createClient(connection, { fetch: notFound.fn }).json('GET', '/x'));
    assert.match(error.message, /has no such endpoint \(404\); is it the quiz generator's API root\?/);
    const html = fakeFetch(new Response('<html>hello</html>', { status: 200 }));
    const other = await failure(createClient(connection, { fetch: html.fn }).json('GET', '/x'));
    assert.equal(other.exitCode, EXIT.unreachable);
  });

  it('follows a 303 to the presigned link without the API key', async () => {
    const { fn, calls } = fakeFetch(
      json(303, { download_url: 'https://bucket.s3/x?sig=1' }, { location: 'https://bucket.s3/x?sig=1' }),
      new Response(new Uint8Array([0x50, 0x4b, 3, 4]), {
        status: 200,
        headers: { 'content-type': 'application/zip' },
      }),
    );
    const response = await createClient(connection, { fetch: fn }).download('/results/combined', {
      format: 'qti21',
    });
    assert.deepEqual([...new Uint8Array(await response.arrayBuffer())], [0x50, 0x4b, 3, 4]);
    assert.equal(calls[0]?.url, 'http://localhost:3000/results/combined?format=qti21');
    assert.equal(calls[1]?.url, 'https://bucket.s3/x?sig=1');
    assert.equal(calls[1]?.init?.headers, undefined, 'no API key goes to S3');
  });
});

describe('serverMessage', () => {
  it("reads the seed's detail, then the content API's message or error", () => {
    assert.equal(serverMessage(400, '{"detail":"body.level: must be 1 to 5"}'), 'body.level: must be 1 to 5');
    assert.equal(serverMessage(400, '{"success":false,"error":"Invalid request"}'), 'Invalid request');
    assert.equal(serverMessage(400, '{"message":"Bad thing","error":"CODE"}'), 'Bad thing');
    assert.equal(
      serverMessage(422, '{"detail":[{"loc":["body"],"msg":"field required"}]}'),
      'field required',
    );
    assert.equal(serverMessage(502, 'Bad Gateway'), 'HTTP 502: Bad Gateway');
    assert.equal(serverMessage(500, ''), 'HTTP 500');
  });
});

describe('networkReason', () => {
  it('finds the code in an aggregate of IPv4 and IPv6 failures, and names timeouts', () => {
    const aggregate = new TypeError('fetch failed', {
      cause: Object.assign(new AggregateError([Object.assign(new Error('x'), { code: 'ECONNREFUSED' })]), {}),
    });
    assert.equal(networkReason(aggregate, 1000), 'connection refused (ECONNREFUSED)');
    assert.equal(networkReason(new DOMException('late', 'TimeoutError'), 30_000), 'no answer within 30 s');
  });
});
