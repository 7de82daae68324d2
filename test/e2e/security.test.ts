/**
 * Security through HTTP on the local stack: every keyed route of ROUTES refuses a missing or
 * wrong key in both error envelopes; one key cannot read, change or even detect another key's
 * jobs, documents, assessments, content jobs, templates, results, checkpoint or budget; and the
 * presigned S3 URLs the service hands out carry the documented lifetime, signed in, and stop
 * working once it has passed.
 *
 * About the local S3: s3rver checks a presigned URL's X-Amz-Date + X-Amz-Expires against its
 * clock (lib/middleware/authentication.js, `parseQueryV4`) and answers AccessDenied "Request has
 * expired", exactly like S3. It does not verify SigV4 signatures at all, and it serves unsigned
 * requests, so the tests below never take a 200 from it as proof of a valid signature: the
 * lifetime's place in the signature is shown by signing the same request again.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { resetConfig } from '#platform/config.ts';
import { ROUTES, type Route } from '../../lib/routes.ts';
import { BASE, type Harness, startHarness } from '../support/e2e.ts';
import { makePdf } from '../support/pdf.ts';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    // Every content result goes by reference, so /api/execute hands out a presigned URL; the
    // per-key request limit has its own test (content-generator.test.ts).
    env: { CONTENT_INLINE_MAX_BYTES: '1', CONTENT_REQUESTS_PER_MINUTE: '100000' },
  });
});

afterAll(async () => {
  await h?.stop();
});

interface Answer {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** A request with exactly these headers (the harness's `call` always sends X-API-Key). */
async function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<Answer> {
  const init: RequestInit = { method, headers: { ...headers }, redirect: 'manual' };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const response = await fetch(`${h.url}${path}`, init);
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

const as = (key: string) => ({ 'x-api-key': key });

async function poll<T>(what: string, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let last: T | undefined;
  for (let i = 0; i < 600; i++) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.fail(`${what} did not finish; last: ${JSON.stringify(last)}`);
}

// --- keys on every route -----------------------------------------------------------------

/** Plausible values for every path parameter of ROUTES. */
const PARAMS: Record<string, string> = {
  job_id: randomUUID(),
  document_id: randomUUID(),
  assessment_id: randomUUID(),
  id: '1',
  name: 'lesson_content',
  sector: 'technology',
  career: 'FRONTEND_DEVELOPER',
  level: '1',
  // A file every console build writes (lambdas/gateway/console.ts serves only those).
  asset: 'index.html',
};

function pathOf(route: Route): string {
  return route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = PARAMS[name];
    assert.ok(value, `no value for {${name}} of ${route.path}`);
    return encodeURIComponent(value);
  });
}

const keyed = ROUTES.filter((r) => r.apiKeyRequired);
const open = ROUTES.filter((r) => !r.apiKeyRequired);
const bodyOf = (route: Route) => (route.method === 'POST' || route.method === 'PUT' ? {} : undefined);

/** Both seeds' envelopes at once, as every gateway error answers (lib/constructs/api.ts). */
function refusal(answer: Answer, code: string): string | undefined {
  const b = answer.body;
  if (answer.status !== 401) return `status ${answer.status}: ${answer.text.slice(0, 120)}`;
  if (typeof b?.detail !== 'string') return `no detail: ${answer.text.slice(0, 120)}`;
  if (b.success !== false || typeof b.error !== 'string') return `no content envelope: ${answer.text}`;
  if (b.metadata?.details?.code !== code) return `code ${b.metadata?.details?.code}, not ${code}`;
  return undefined;
}

/** Every keyed route with these headers; the routes that do not answer `code` with 401, and why. */
async function refusedEverywhere(headers: Record<string, string>, code: string): Promise<string[]> {
  const wrong: string[] = [];
  for (const route of keyed) {
    const answer = await send(route.method, pathOf(route), headers, bodyOf(route));
    const problem = refusal(answer, code);
    if (problem) wrong.push(`${route.method} ${route.path}: ${problem}`);
  }
  return wrong;
}

describe('API keys on every route of ROUTES', () => {
  it('covers the API: every route but GET /health, GET /, GET /help, the API description and the web console needs a key', () => {
    assert.deepEqual(open.map((r) => `${r.method} ${r.path}`).sort(), [
      'GET /',
      'GET /console',
      'GET /console/{asset}',
      'GET /docs',
      'GET /health',
      'GET /help',
      'GET /openapi.json',
    ]);
    assert.ok(keyed.length >= 50, `${keyed.length} keyed routes`);
  });

  it('answers no key with 401 INVALID_AUTH in both envelopes', async () => {
    assert.deepEqual(await refusedEverywhere({}, 'INVALID_AUTH'), []);
  });

  it('answers a wrong X-API-Key with 401 INVALID_API_KEY', async () => {
    assert.deepEqual(await refusedEverywhere({ 'x-api-key': `${h.key}x` }, 'INVALID_API_KEY'), []);
  });

  it('answers a wrong Authorization: Bearer key with 401 INVALID_API_KEY', async () => {
    assert.deepEqual(
      await refusedEverywhere({ authorization: `Bearer ${h.otherKey}x` }, 'INVALID_API_KEY'),
      [],
    );
  });

  it('answers the public routes without a key (and ignores a wrong one there)', async () => {
    for (const route of open) {
      for (const headers of [{}, { 'x-api-key': 'not-a-key' }] as Record<string, string>[]) {
        const answer = await send(route.method, pathOf(route), headers);
        assert.equal(answer.status, 200, `${route.method} ${route.path}: ${answer.text}`);
      }
    }
  });

  it('takes the right key as Authorization: Bearer on each API surface, and only as Bearer', async () => {
    const surfaces = [`${BASE}/api-status`, '/documents', '/api/jobs'];
    for (const path of surfaces) {
      const bearer = await send('GET', path, { authorization: `Bearer ${h.key}` });
      assert.equal(bearer.status, 200, `${path}: ${bearer.text}`);
      const basic = await send('GET', path, { authorization: `Basic ${h.key}` });
      assert.equal(refusal(basic, 'INVALID_AUTH'), undefined, `${path} with Basic`);
      // X-API-Key wins when both are sent (lambdas/gateway/authorizer.ts), so a right Bearer does
      // not rescue a wrong X-API-Key.
      const both = await send('GET', path, { 'x-api-key': 'not-a-key', authorization: `Bearer ${h.key}` });
      assert.equal(refusal(both, 'INVALID_API_KEY'), undefined, `${path} with both headers`);
    }
  });
});

// --- one key against another's data -------------------------------------------------------

const LEVEL = `${BASE}/results/sectors/technology/careers/FRONTEND_DEVELOPER/levels/1`;
const SECTOR = `${BASE}/results/sectors/technology`;
const TEMPLATE_NAME = `isolation_${randomUUID().slice(0, 8)}`;

/** Key A's resources, made once for the isolation and presigned-URL tests. */
interface Owned {
  quizJob: string;
  document: string;
  assessmentJob: string;
  saved: string;
  contentJob: number;
  contentUrl: string;
  contentUrlSeconds: number;
  level: unknown;
  sector: unknown;
  combined: unknown;
  checkpoint: unknown;
}
let a: Owned;

async function quizLevelOf(key: string): Promise<string> {
  const started = await send('POST', `${BASE}/generate/career-level/async`, as(key), {
    sector: 'technology',
    career: 'FRONTEND_DEVELOPER',
    level: 1,
  });
  assert.equal(started.status, 202, started.text);
  const id: string = started.body.job_id;
  const job = await poll(
    `quiz job ${id}`,
    async () => (await send('GET', `${BASE}/jobs/${id}`, as(key))).body,
    (j) => ['completed', 'failed', 'cancelled'].includes(j?.status),
  );
  assert.equal(job.status, 'completed', JSON.stringify(job));
  return id;
}

async function assessmentOf(key: string) {
  const form = new FormData();
  const pdf = await makePdf([
    ['Photosynthesis converts light energy into chemical energy in the chloroplasts of green plants.'],
    ['The Calvin cycle in the stroma fixes carbon dioxide into sugars using ATP and NADPH.'],
  ]);
  form.append('file', new Blob([pdf], { type: 'application/pdf' }), 'private-notes.pdf');
  const uploaded = await fetch(`${h.url}/documents`, { method: 'POST', headers: as(key), body: form });
  const upload = (await uploaded.json()) as any;
  assert.equal(uploaded.status, 202, JSON.stringify(upload));
  const document: string = upload.document_id;
  const ready = await poll(
    `document ${document}`,
    async () => (await send('GET', `/documents/${document}`, as(key))).body,
    (d) => d?.status !== 'ingesting',
  );
  assert.equal(ready.status, 'ready', JSON.stringify(ready));
  const started = await send('POST', '/generate_assessment', as(key), {
    query: 'photosynthesis',
    document_id: document,
    bloom_mix: '2 remember, 1 understand',
  });
  assert.equal(started.status, 202, started.text);
  const assessmentJob: string = started.body.job_id;
  const finished = await poll(
    `assessment job ${assessmentJob}`,
    async () => (await send('GET', `/job_status?job_id=${assessmentJob}`, as(key))).body,
    (s) => ['finished', 'failed', 'canceled'].includes(s?.status),
  );
  assert.equal(finished.status, 'finished', JSON.stringify(finished));
  const saved = await send('POST', '/assessments', as(key), { job_id: assessmentJob, title: 'A only' });
  assert.equal(saved.status, 201, saved.text);
  return { document, assessmentJob, saved: saved.body.assessment_id as string };
}

async function contentJobOf(key: string) {
  const executed = await send('POST', '/api/execute', as(key), {
    action: 'generate',
    input: {
      granulatorJobId: 1,
      topic: 'Private Topic',
      structureType: 'course',
      structure: {
        modules: [{ title: 'Module 1', lessons: [{ title: 'Lesson 1.1' }, { title: 'Lesson 1.2' }] }],
      },
      wordCountEstimates: { total: 600 },
      contentMetadata: {},
    },
  });
  assert.equal(executed.status, 200, executed.text);
  const reference = executed.body.output.contentReference;
  assert.ok(reference?.url, `content by reference: ${executed.text.slice(0, 300)}`);
  return {
    contentJob: executed.body.output.jobId as number,
    contentUrl: reference.url as string,
    contentUrlSeconds: reference.expiresInSeconds as number,
  };
}

const snapshot = async (key: string) => ({
  level: (await send('GET', LEVEL, as(key))).body,
  sector: (await send('GET', SECTOR, as(key))).body,
  combined: (await send('GET', `${BASE}/results/combined`, as(key))).body,
  checkpoint: (await send('GET', `${BASE}/checkpoint`, as(key))).body,
});

/**
 * A body with one id replaced and timestamps dropped, to compare two "not found" answers: short
 * ids (a content job's number) only where they are a whole value, long ones inside text too.
 */
function normalized(answer: Answer, id: string | number): unknown {
  const text = String(id);
  const replace = (value: string) =>
    value === text ? '<id>' : text.length >= 8 ? value.replaceAll(text, '<id>') : value;
  try {
    return JSON.parse(answer.text, (k, v) =>
      k === 'timestamp' ? undefined : typeof v === 'string' ? replace(v) : v,
    );
  } catch {
    return replace(answer.text);
  }
}

describe("one key against another key's data", () => {
  beforeAll(async () => {
    const [quizJob, assessment, content] = await Promise.all([
      quizLevelOf(h.key),
      assessmentOf(h.key),
      contentJobOf(h.key),
      (async () => {
        const created = await send('POST', '/api/templates', as(h.key), {
          name: TEMPLATE_NAME,
          contentType: 'lesson',
          structureType: 'course',
          template: 'Write "{title}" the way key A likes it.',
        });
        assert.equal(created.status, 201, created.text);
        const budget = await send('PUT', `${BASE}/budget`, as(h.key), { monthly_usd: 5 });
        assert.equal(budget.status, 200, budget.text);
      })(),
    ]);
    a = { quizJob, ...assessment, ...content, ...(await snapshot(h.key)) };
    assert.equal((a.level as any).quiz_pool.length, 3);
  });

  it("answers B 404 for each of A's resources, exactly as for one that never existed", async () => {
    const ghost = { uuid: randomUUID(), number: 987654321, name: `ghost_${randomUUID().slice(0, 8)}` };
    // [method, path with {id}, A's id, an id nobody has, body]
    const probes: [string, string, string | number, string | number, unknown?][] = [];
    for (const job of [a.quizJob, a.assessmentJob]) {
      for (const [method, path] of [
        ['GET', `${BASE}/jobs/{id}`],
        ['GET', `${BASE}/jobs/{id}/quality`],
        ['POST', `${BASE}/jobs/{id}/cancel`],
        ['DELETE', `${BASE}/jobs/{id}`],
      ] as const) {
        probes.push([method, path, job, ghost.uuid]);
      }
    }
    probes.push(
      ['GET', '/documents/{id}', a.document, ghost.uuid],
      ['POST', '/documents/{id}/complete', a.document, ghost.uuid],
      ['DELETE', '/documents/{id}', a.document, ghost.uuid],
      ['GET', '/assessments/{id}', a.saved, ghost.uuid],
      ['GET', '/assessments/{id}?format=gift', a.saved, ghost.uuid],
      ['PUT', '/assessments/{id}', a.saved, ghost.uuid, { title: 'mine now' }],
      ['DELETE', '/assessments/{id}', a.saved, ghost.uuid],
      ['GET', '/job_status?job_id={id}&format=qti21', a.assessmentJob, ghost.uuid],
      ['GET', '/api/jobs/{id}', a.contentJob, ghost.number],
      ['GET', '/api/jobs/{id}/status', a.contentJob, ghost.number],
      ['GET', '/api/jobs/{id}/content', a.contentJob, ghost.number],
      ['POST', '/api/jobs/{id}/retry', a.contentJob, ghost.number, {}],
      ['POST', '/api/jobs/{id}/cancel', a.contentJob, ghost.number],
      ['GET', '/api/templates/{id}', TEMPLATE_NAME, ghost.name],
    );
    for (const [method, path, theirId, ghostId, body] of probes) {
      const at = (id: string | number) => path.replace('{id}', String(id));
      const theirs = await send(method, at(theirId), as(h.otherKey), body);
      const nobodys = await send(method, at(ghostId), as(h.otherKey), body);
      assert.equal(theirs.status, 404, `B ${method} ${at(theirId)}: ${theirs.text}`);
      assert.deepEqual(
        normalized(theirs, theirId),
        normalized(nobodys, ghostId),
        `B ${method} ${at(theirId)} tells A's resource from a missing one`,
      );
    }
    // Bodies that name A's resources: refused as unknown ones are.
    const generate = (document: string) =>
      send('POST', '/generate_assessment', as(h.otherKey), {
        query: 'photosynthesis',
        document_id: document,
        bloom_mix: '1 remember',
      });
    const save = (job: string) => send('POST', '/assessments', as(h.otherKey), { job_id: job });
    const bodies = [
      [await generate(a.document), a.document, await generate(ghost.uuid)],
      [await save(a.assessmentJob), a.assessmentJob, await save(ghost.uuid)],
    ] as const;
    for (const [theirs, theirId, nobodys] of bodies) {
      assert.equal(theirs.status, 404, theirs.text);
      assert.deepEqual(normalized(theirs, theirId), normalized(nobodys, ghost.uuid));
    }
    // The seed's polling endpoint answers "no such job" for another key's job.
    const status = await send('GET', `/job_status?job_id=${a.assessmentJob}`, as(h.otherKey));
    assert.deepEqual([status.status, status.body], [200, { status: null }]);
  });

  it("leaves A's resources as they were after B's deletes, updates and cancels", async () => {
    assert.equal((await send('GET', `${BASE}/jobs/${a.quizJob}`, as(h.key))).body.status, 'completed');
    assert.equal((await send('GET', `/documents/${a.document}`, as(h.key))).body.status, 'ready');
    assert.equal((await send('GET', `/assessments/${a.saved}`, as(h.key))).body.title, 'A only');
    const content = await send('GET', `/api/jobs/${a.contentJob}/status`, as(h.key));
    assert.equal(content.body.data.status, 'completed', content.text);
  });

  it("lists none of A's jobs, documents, assessments, content jobs or templates to B", async () => {
    const jobs = await send('GET', `${BASE}/jobs`, as(h.otherKey));
    assert.deepEqual([jobs.status, jobs.body], [200, { jobs: [], total: 0 }]);
    const completed = await send('GET', `${BASE}/jobs?status=completed`, as(h.otherKey));
    assert.deepEqual(completed.body, { jobs: [], total: 0 });
    assert.deepEqual((await send('GET', '/documents', as(h.otherKey))).body, { documents: [], total: 0 });
    assert.deepEqual((await send('GET', '/assessments', as(h.otherKey))).body, { assessments: [], total: 0 });
    const contentJobs = await send('GET', '/api/jobs', as(h.otherKey));
    assert.equal(contentJobs.status, 200, contentJobs.text);
    assert.deepEqual([contentJobs.body.data.jobs, contentJobs.body.data.total], [[], 0]);
    const templates = await send('GET', '/api/templates', as(h.otherKey));
    const names = templates.body.data.templates.map((t: any) => t.name);
    assert.ok(!names.includes(TEMPLATE_NAME), names.join(', '));
    assert.ok(
      templates.body.data.templates.every((t: any) => t.source === 'default'),
      'B sees the shipped templates only',
    );
    // The counters behind /api/stats are per key too.
    const stats = await send('GET', '/api/stats', as(h.otherKey));
    assert.equal(stats.body.data.overview.total_jobs, 0, stats.text);
    // And A does see them, so the empty lists above are not an accident of timing.
    assert.ok((await send('GET', `${BASE}/jobs`, as(h.key))).body.total >= 2);
    assert.equal((await send('GET', '/assessments', as(h.key))).body.total, 1);
  });

  it("reveals none of A's results to B, in any format", async () => {
    for (const path of [LEVEL, SECTOR, `${BASE}/results/combined`, `${BASE}/results/soft-skills`]) {
      for (const format of ['', '?format=url', '?format=qti21']) {
        const answer = await send('GET', `${path}${format}`, as(h.otherKey));
        assert.equal(answer.status, 404, `B GET ${path}${format}: ${answer.text.slice(0, 200)}`);
        assert.equal(answer.headers.get('location'), null);
        assert.doesNotMatch(answer.text, /X-Amz-Signature|quiz_pool/);
      }
    }
  });

  it('keeps checkpoints, budgets and webhook secrets per key', async () => {
    assert.deepEqual((await send('GET', `${BASE}/checkpoint`, as(h.otherKey))).body, {
      has_checkpoint: false,
      completed_chunks: 0,
      chunks: [],
    });
    assert.ok((a.checkpoint as any).chunks.includes('technology__FRONTEND_DEVELOPER__1'));
    const mine = (await send('GET', `${BASE}/budget`, as(h.key))).body;
    const theirs = (await send('GET', `${BASE}/budget`, as(h.otherKey))).body;
    assert.equal(mine.monthly_usd, 5);
    assert.ok(mine.spent_usd > 0, 'A has spent on its jobs');
    assert.equal(theirs.monthly_usd, null, 'A set a limit for A only');
    assert.equal(theirs.spent_usd, 0, "A's spending is not B's");
    const secretOf = async (key: string) =>
      (await send('GET', '/api/webhooks/secret', as(key))).body.data.secret;
    assert.notEqual(await secretOf(h.key), await secretOf(h.otherKey));
  });

  it("makes B's PUT of A's template name B's own template, leaving A's untouched", async () => {
    const put = await send('PUT', `/api/templates/${TEMPLATE_NAME}`, as(h.otherKey), {
      contentType: 'lesson',
      structureType: 'course',
      template: 'Write "{title}" the way key B likes it.',
    });
    assert.equal(put.status, 200, put.text);
    const mine = await send('GET', `/api/templates/${TEMPLATE_NAME}`, as(h.key));
    assert.equal(mine.body.data.template.template, 'Write "{title}" the way key A likes it.');
    const theirs = await send('GET', `/api/templates/${TEMPLATE_NAME}`, as(h.otherKey));
    assert.equal(theirs.body.data.template.template, 'Write "{title}" the way key B likes it.');
  });

  it("generates B's own career level from scratch and leaves A's results unchanged", async () => {
    const jobId = await quizLevelOf(h.otherKey);
    const job = (await send('GET', `${BASE}/jobs/${jobId}`, as(h.otherKey))).body;
    assert.equal(job.result_summary.chunks_completed, 1, "A's checkpoint did not count for B");
    assert.equal(job.result_summary.chunks_skipped_from_checkpoint, 0);
    const theirs = (await send('GET', LEVEL, as(h.otherKey))).body;
    const mine = a.level as { quiz_pool: { id: string }[]; job_id: string };
    assert.equal(theirs.job_id, jobId);
    assert.equal(theirs.quiz_pool.length, 3);
    const ids = new Set(mine.quiz_pool.map((q) => q.id));
    assert.ok(
      theirs.quiz_pool.every((q: { id: string }) => !ids.has(q.id)),
      "B's questions are B's own",
    );
    assert.deepEqual(await snapshot(h.key), {
      level: a.level,
      sector: a.sector,
      combined: a.combined,
      checkpoint: a.checkpoint,
    });
    // A cannot see B's job either.
    assert.equal((await send('GET', `${BASE}/jobs/${jobId}`, as(h.key))).status, 404);
  });
});

// --- presigned URLs ------------------------------------------------------------------------

const REPO = join(import.meta.dirname, '..', '..');

/** A lifetime constant as the handler source declares it (the constants are not exported). */
function secondsIn(file: string, name: string): number {
  const match = new RegExp(`const ${name} = ([\\d_]+);`).exec(readFileSync(join(REPO, file), 'utf8'));
  assert.ok(match?.[1], `${file} declares ${name}`);
  return Number(match[1].replaceAll('_', ''));
}

const LIFETIMES = {
  results: secondsIn('lambdas/quiz-bank/quiz-generator-api.ts', 'PRESIGNED_URL_SECONDS'),
  exports: secondsIn('lambdas/exports/response.ts', 'DOWNLOAD_URL_SECONDS'),
  content: secondsIn('lambdas/content/api/start-job.ts', 'PRESIGNED_URL_SECONDS'),
  uploads: secondsIn('lambdas/assessments/documents/document-service.ts', 'UPLOAD_URL_SECONDS'),
};

/** X-Amz-Date (`yyyymmddThhmmssZ`) as a Date. */
function amzDate(text: string | null): Date {
  const iso = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
  assert.match(text ?? '', iso);
  return new Date((text ?? '').replace(iso, '$1-$2-$3T$4:$5:$6Z'));
}

/** A presigned URL's query, checked to be SigV4 signed at about `now` for `seconds`. */
function assertPresigned(url: string, seconds: number, what: string): URL {
  const parsed = new URL(url);
  const q = parsed.searchParams;
  assert.equal(q.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256', what);
  assert.equal(q.get('X-Amz-Expires'), String(seconds), `${what} lives ${seconds} s`);
  assert.ok(Math.abs(amzDate(q.get('X-Amz-Date')).getTime() - Date.now()) < 60_000, `${what} is signed now`);
  const [accessKey, day, region, service, terminator] = (q.get('X-Amz-Credential') ?? '').split('/');
  assert.deepEqual(
    [accessKey, day, region, service, terminator],
    [
      h.stack.env.AWS_ACCESS_KEY_ID,
      q.get('X-Amz-Date')?.slice(0, 8),
      h.stack.env.AWS_REGION,
      's3',
      'aws4_request',
    ],
    `${what}: credential scope`,
  );
  assert.match(q.get('X-Amz-Signature') ?? '', /^[0-9a-f]{64}$/, what);
  return parsed;
}

/** The same S3 client the handlers build (lambdas/platform/clients.ts), from the stack's environment. */
const s3 = () =>
  new S3Client({
    region: h.stack.env.AWS_REGION,
    endpoint: h.stack.env.AWS_ENDPOINT_URL_S3,
    forcePathStyle: true,
    credentials: {
      accessKeyId: h.stack.env.AWS_ACCESS_KEY_ID ?? '',
      secretAccessKey: h.stack.env.AWS_SECRET_ACCESS_KEY ?? '',
    },
  });

/** Bucket and key of a path-style URL. */
function objectOf(url: URL): { Bucket: string; Key: string } {
  const [bucket = '', ...key] = url.pathname.slice(1).split('/');
  return { Bucket: decodeURIComponent(bucket), Key: key.map(decodeURIComponent).join('/') };
}

describe('presigned S3 URLs', () => {
  let results: URL;

  it('carry the lifetime the handlers declare and tell the caller, signed at the time of the request', async () => {
    const link = await send('GET', `${SECTOR}?format=url`, as(h.key));
    assert.equal(link.status, 200, link.text);
    assert.equal(link.body.expires_in_seconds, LIFETIMES.results);
    results = assertPresigned(link.body.download_url, LIFETIMES.results, 'a result link');
    assert.equal((await fetch(results)).status, 200);

    process.env.EXPORT_INLINE_MAX_BYTES = '10';
    resetConfig();
    try {
      const exported = await send('GET', `${SECTOR}?format=qti21`, as(h.key));
      assert.equal(exported.status, 303, exported.text);
      assert.equal(exported.body.expires_in_seconds, LIFETIMES.exports);
      assert.equal(exported.headers.get('location'), exported.body.download_url);
      assertPresigned(exported.body.download_url, LIFETIMES.exports, 'an export download');
    } finally {
      delete process.env.EXPORT_INLINE_MAX_BYTES;
      resetConfig();
    }

    assert.equal(a.contentUrlSeconds, LIFETIMES.content);
    assertPresigned(a.contentUrl, LIFETIMES.content, "a content job's contentReference");

    const created = await send('POST', '/documents', as(h.key), { filename: 'later.pdf', size_bytes: 1000 });
    assert.equal(created.status, 201, created.text);
    assert.equal(created.body.upload.expires_in_seconds, LIFETIMES.uploads);
    const upload = assertPresigned(created.body.upload.url, LIFETIMES.uploads, 'a document upload URL');
    // The upload can only be the declared type and size.
    assert.equal(upload.searchParams.get('X-Amz-SignedHeaders'), 'content-length;content-type;host');
  });

  it('sign the lifetime in: the same request signed for longer has another signature', async () => {
    const q = results.searchParams;
    const signingDate = amzDate(q.get('X-Amz-Date'));
    const client = s3();
    try {
      const resign = async (expiresIn: number) =>
        new URL(
          await getSignedUrl(client, new GetObjectCommand(objectOf(results)), { expiresIn, signingDate }),
        );
      const same = await resign(LIFETIMES.results);
      assert.equal(
        same.searchParams.get('X-Amz-Signature'),
        q.get('X-Amz-Signature'),
        'the test signs exactly as the handler did (else the comparison below proves nothing)',
      );
      const longer = await resign(7 * 24 * 3600);
      assert.notEqual(
        longer.searchParams.get('X-Amz-Signature'),
        q.get('X-Amz-Signature'),
        'editing X-Amz-Expires invalidates the signature (S3 checks it; s3rver does not)',
      );
    } finally {
      client.destroy();
    }
  });

  it('are refused by S3 (s3rver) once their lifetime has passed, and served until then', async () => {
    const client = s3();
    try {
      const get = (seconds: number, signedSecondsAgo: number) =>
        getSignedUrl(client, new GetObjectCommand(objectOf(results)), {
          expiresIn: seconds,
          signingDate: new Date(Date.now() - signedSecondsAgo * 1000),
        });
      const expired = await fetch(await get(LIFETIMES.results, LIFETIMES.results + 5));
      assert.equal(expired.status, 403);
      const why = await expired.text();
      assert.match(why, /<Code>AccessDenied<\/Code>/);
      assert.match(why, /Request has expired/);
      const almost = await fetch(await get(LIFETIMES.results, LIFETIMES.results - 30));
      assert.equal(almost.status, 200, 'still inside its lifetime');
      await almost.arrayBuffer();

      // An upload URL expires the same way.
      const put = await getSignedUrl(
        client,
        new PutObjectCommand({ ...objectOf(results), Key: `documents/expired-${randomUUID()}.pdf` }),
        { expiresIn: LIFETIMES.uploads, signingDate: new Date(Date.now() - (LIFETIMES.uploads + 5) * 1000) },
      );
      const late = await fetch(put, { method: 'PUT', body: 'too late' });
      assert.equal(late.status, 403);
      assert.match(await late.text(), /Request has expired/);
    } finally {
      client.destroy();
    }
  });
});
