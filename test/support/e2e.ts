/**
 * End-to-end harness: the whole local stack (the same one `npm start` runs) in a temp folder,
 * and small helpers to call the API the way a user's curl would.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SimulatorConfig } from '../../local/gemini-simulator/index.ts';
import { startLocalStack } from '../../local/stack.ts';

export const BASE = '/api/v1/quiz-generator';

export interface E2eOptions {
  simulator?: SimulatorConfig;
  /** Gemini as a deployed stack sees it: a key and a front (gateway, proxy) at `baseUrl`. */
  gemini?: { apiKey: string; baseUrl: string };
  settings?: Record<string, unknown>;
  env?: Record<string, string>;
  dataDir?: string;
}

export interface Harness {
  url: string;
  key: string;
  otherKey: string;
  dataDir: string;
  stack: Awaited<ReturnType<typeof startLocalStack>>;
  call(method: string, path: string, body?: unknown, key?: string | null): Promise<ApiResponse>;
  stop(removeData?: boolean): Promise<void>;
}

export interface ApiResponse {
  status: number;
  headers: Headers;
  body: any;
  text: string;
}

/** Small, fast defaults so a whole sector runs in seconds against the simulator. */
export const FAST_SETTINGS = {
  questionsPerCareerLevel: 3,
  questionsPerSoftSkillsJob: 5,
  llmMaxConcurrency: 4,
  llmRequestsPerMinute: 6000,
};

export async function startHarness(options: E2eOptions = {}): Promise<Harness> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'quizgen-e2e-')));
  const stack = await startLocalStack({
    dataDir,
    port: 0,
    quiet: true,
    gemini: options.gemini ?? { simulator: options.simulator ?? {} },
    // Reads check a running job's execution at once, so an interrupted job shows up failed.
    settings: { ...FAST_SETTINGS, jobReconcileAfterSeconds: 0, ...(options.settings ?? {}) } as never,
    env: options.env ?? {},
  });
  const url = stack.apiUrl.replace(/\/$/, '');
  const [first, second] = stack.apiKeys;
  assert.ok(first && second, 'the local stack provides two API keys');
  const call = async (method: string, path: string, body?: unknown, key: string | null = first.value) => {
    const headers: Record<string, string> = {};
    if (key !== null) headers['x-api-key'] = key;
    let payload: string | undefined;
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      payload = typeof body === 'string' ? body : JSON.stringify(body);
    }
    const response = await fetch(`${url}${path}`, { method, headers, body: payload, redirect: 'manual' });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON; keep the text
    }
    return { status: response.status, headers: response.headers, body: parsed as any, text };
  };
  return {
    url,
    key: first.value,
    otherKey: second.value,
    dataDir,
    stack,
    call,
    async stop(removeData = true) {
      await stack.stop();
      if (removeData) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/** Polls GET /jobs/{id} until `until` holds (default: a terminal status). */
export async function waitForJob(
  h: Harness,
  jobId: string,
  until: (job: any) => boolean = (job) => TERMINAL.has(job.status),
  timeoutMs = 120_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: any;
  while (Date.now() < deadline) {
    const response = await h.call('GET', `${BASE}/jobs/${jobId}`);
    assert.equal(response.status, 200, `GET job answered ${response.status}: ${response.text}`);
    last = response.body;
    if (until(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(
    `job ${jobId} did not reach the expected state in ${timeoutMs} ms; last: ${JSON.stringify(last)}`,
  );
}

export function assertProductionQuestion(q: any, level: number): void {
  assert.match(q.id, /^[0-9a-f-]{36}$/);
  assert.equal(typeof q.question, 'string');
  assert.deepEqual(
    q.options.map((o: any) => o.id),
    ['a', 'b', 'c', 'd'],
  );
  assert.equal(new Set(q.options.map((o: any) => o.text.toLowerCase())).size, 4, 'options are distinct');
  assert.ok(['a', 'b', 'c', 'd'].includes(q.correct_answer));
  assert.equal(typeof q.explanation, 'string');
  assert.equal(q.difficulty, level);
  assert.equal(typeof q.category, 'string');
  assert.ok(Array.isArray(q.tags));
  assert.ok(['remember', 'understand', 'apply', 'analyze', 'evaluate', 'create'].includes(q.bloom_level));
}
