import assert from 'node:assert/strict';
import { ApiError, GoogleGenAI, Type } from '@google/genai';
import { describe, it } from 'vitest';
import { GEMINI_API_VERSION } from '#platform/gemini/api-version.ts';
import {
  type GeminiSimulator,
  type SimulatorConfig,
  type SimulatorStats,
  startGeminiSimulator,
} from '../../local/gemini-simulator/index.ts';

const MODEL = 'gemini-3.8-flash';
const KEY = 'test-key';

const QUIZ_SCHEMA = {
  type: Type.OBJECT,
  properties: {
    questions: {
      type: Type.ARRAY,
      minItems: '5',
      maxItems: '8',
      items: {
        type: Type.OBJECT,
        properties: {
          question: { type: Type.STRING },
          options: {
            type: Type.ARRAY,
            minItems: '4',
            maxItems: '4',
            items: {
              type: Type.OBJECT,
              properties: {
                id: { type: Type.STRING, enum: ['a', 'b', 'c', 'd'] },
                text: { type: Type.STRING },
              },
              required: ['id', 'text'],
            },
          },
          correct_answer: { type: Type.STRING, enum: ['a', 'b', 'c', 'd'] },
          difficulty: { type: Type.INTEGER, minimum: 1, maximum: 3 },
        },
        required: ['question', 'options', 'correct_answer', 'difficulty'],
      },
    },
  },
  required: ['questions'],
};

interface Option {
  id: string;
  text: string;
}
interface Question {
  question: string;
  options: Option[];
  correct_answer: string;
  difficulty: number;
}

async function withSimulator(
  config: SimulatorConfig,
  fn: (sim: GeminiSimulator, ai: GoogleGenAI) => Promise<void>,
): Promise<void> {
  const sim = await startGeminiSimulator(config);
  try {
    // On the service's API version: the Batch API is served under v1beta only.
    await fn(
      sim,
      new GoogleGenAI({ apiKey: KEY, apiVersion: GEMINI_API_VERSION, httpOptions: { baseUrl: sim.url } }),
    );
  } finally {
    await sim.close();
  }
}

function askQuiz(ai: GoogleGenAI, prompt = 'Write questions for FRONTEND_DEVELOPER level 1') {
  return ai.models.generateContent({
    model: MODEL,
    contents: prompt,
    config: {
      systemInstruction: 'You write multiple-choice quizzes.',
      responseMimeType: 'application/json',
      responseSchema: QUIZ_SCHEMA,
    },
  });
}

/** Gemini's error envelope, as the simulator and the real API send it. */
interface GeminiErrorBody {
  error: {
    code: number;
    message: string;
    status: string;
    details?: { '@type': string; retryDelay?: string; reason?: string }[];
  };
}

async function apiError(promise: Promise<unknown>): Promise<{ status: number; body: GeminiErrorBody }> {
  const err = await promise.then(
    () => assert.fail('expected an ApiError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError, `not an ApiError: ${String(err)}`);
  // The SDK puts the whole JSON error body, stringified, into the message.
  return { status: err.status, body: JSON.parse(err.message) as GeminiErrorBody };
}

function retryDelayOf(body: GeminiErrorBody): string | undefined {
  return body.error.details?.find((d) => d['@type'] === 'type.googleapis.com/google.rpc.RetryInfo')
    ?.retryDelay;
}

function allStrings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(allStrings);
  return [];
}

describe('Gemini simulator', () => {
  it('answers an OpenAPI response schema with distinct option ids and distinct placeholder strings', async () => {
    await withSimulator({ seed: 7 }, async (_sim, ai) => {
      const response = await askQuiz(ai);

      assert.equal(response.candidates?.[0]?.finishReason, 'STOP');
      const { questions } = JSON.parse(response.text ?? '') as { questions: Question[] };
      assert.equal(questions.length, 5);
      for (const q of questions) {
        assert.deepEqual(
          q.options.map((o) => o.id),
          ['a', 'b', 'c', 'd'],
        );
        assert.ok(['a', 'b', 'c', 'd'].includes(q.correct_answer));
        assert.ok(Number.isInteger(q.difficulty) && q.difficulty >= 1 && q.difficulty <= 3);
      }
      const texts = questions.flatMap((q) => [q.question, ...q.options.map((o) => o.text)]);
      assert.equal(new Set(texts).size, texts.length);
      for (const text of texts) assert.match(text, /^\[simulated\] Placeholder .*FRONTEND_DEVELOPER/);
    });
  });

  it('answers a JSON Schema (responseJsonSchema) with $defs, lowercase types and bounds', async () => {
    await withSimulator({}, async (_sim, ai) => {
      const response = await ai.models.generateContent({
        model: MODEL,
        contents: 'Soft skills batch',
        config: {
          responseMimeType: 'application/json',
          responseJsonSchema: {
            type: 'object',
            $defs: {
              option: {
                type: 'object',
                properties: { key: { enum: ['x', 'y', 'z'] }, label: { type: 'string' } },
              },
            },
            properties: {
              items: { type: 'array', items: { $ref: '#/$defs/option' } },
              tags: { type: 'array', maxItems: 2, items: { type: 'string' } },
              score: { type: 'number', minimum: 0.5, maximum: 0.75 },
              note: { type: ['string', 'null'] },
              flag: { type: 'boolean' },
            },
            required: ['items', 'tags', 'score', 'note', 'flag'],
          },
        },
      });

      const answer = JSON.parse(response.text ?? '');
      assert.deepEqual(
        answer.items.map((o: { key: string }) => o.key),
        ['x', 'y', 'z'],
      );
      assert.equal(answer.tags.length, 2);
      assert.ok(answer.score >= 0.5 && answer.score <= 0.75);
      assert.equal(typeof answer.note, 'string');
      assert.equal(typeof answer.flag, 'boolean');
    });
  });

  it('gives the same answer for the same seed and request, and different strings for other requests', async () => {
    const run = async (seed: number, prompt?: string) => {
      let text = '';
      await withSimulator({ seed }, async (_sim, ai) => {
        text = (await askQuiz(ai, prompt)).text ?? '';
      });
      return text;
    };

    const first = await run(3);
    assert.equal(await run(3), first);
    assert.notEqual(await run(4), first);
    const other = allStrings(JSON.parse(await run(3, 'Write questions for BACKEND_DEVELOPER level 2')));
    const overlap = allStrings(JSON.parse(first)).filter((s) => other.includes(s) && s.length > 1);
    assert.deepEqual(overlap, []);
  });

  it('reports usageMetadata, modelVersion and responseId', async () => {
    await withSimulator({}, async (sim, ai) => {
      const prompt = 'x'.repeat(400);
      const response = await ai.models.generateContent({ model: MODEL, contents: prompt });

      const usage = response.usageMetadata;
      assert.equal(usage?.promptTokenCount, 100);
      assert.equal(usage?.candidatesTokenCount, Math.ceil((response.text ?? '').length / 4));
      // gemini-3.8-flash thinks at MEDIUM unless told otherwise; thoughts count in the total.
      assert.ok((usage?.thoughtsTokenCount ?? 0) > 0);
      assert.equal(
        usage?.totalTokenCount,
        (usage?.promptTokenCount ?? 0) +
          (usage?.candidatesTokenCount ?? 0) +
          (usage?.thoughtsTokenCount ?? 0),
      );
      assert.equal(response.modelVersion, MODEL);
      assert.ok(response.responseId);
      assert.match(response.text ?? '', /^\[simulated\]/);
      assert.equal(sim.stats().totalTokens, usage?.totalTokenCount);
    });
  });

  it('answers 429 RESOURCE_EXHAUSTED with RetryInfo once the rpm window is full', async () => {
    await withSimulator({ rpm: 2 }, async (sim, ai) => {
      await askQuiz(ai);
      await askQuiz(ai);

      const { status, body } = await apiError(askQuiz(ai));

      assert.equal(status, 429);
      assert.equal(body.error.status, 'RESOURCE_EXHAUSTED');
      const delay = retryDelayOf(body);
      assert.match(delay ?? '', /^\d+(\.\d{1,3})?s$/);
      const seconds = Number.parseFloat(delay ?? '');
      assert.ok(seconds > 55 && seconds <= 60, `retryDelay ${delay}`);
      const stats = sim.stats();
      assert.equal(stats.acceptedCalls, 2);
      assert.equal(stats.outcomes['429_quota'], 1);
    });
  });

  it('counts prompt tokens against tpm', async () => {
    await withSimulator({ tpm: 150 }, async (sim, ai) => {
      await ai.models.generateContent({ model: MODEL, contents: 'y'.repeat(400) });

      const { status, body } = await apiError(
        ai.models.generateContent({ model: MODEL, contents: 'y'.repeat(400) }),
      );

      assert.equal(status, 429);
      assert.ok(retryDelayOf(body));
      assert.equal(sim.stats().outcomes['429_quota'], 1);
    });
  });

  it('injects HTTP errors: 500, 503 UNAVAILABLE and 429 with RetryInfo', async () => {
    const cases = [
      { fault: 'error500', status: 500, grpc: 'INTERNAL', outcome: '500' },
      { fault: 'error503', status: 503, grpc: 'UNAVAILABLE', outcome: '503' },
      { fault: 'error429', status: 429, grpc: 'RESOURCE_EXHAUSTED', outcome: '429_injected' },
    ] as const;
    for (const c of cases) {
      await withSimulator({ faults: { [c.fault]: 1 } }, async (sim, ai) => {
        const { status, body } = await apiError(askQuiz(ai));

        assert.equal(status, c.status);
        assert.equal(body.error.status, c.grpc);
        if (c.fault === 'error429') assert.equal(retryDelayOf(body), '2s');
        assert.equal(sim.stats().outcomes[c.outcome], 1);
      });
    }
  });

  it('injects malformed JSON, truncated output and a SAFETY finish', async () => {
    await withSimulator({ faults: { malformedJson: 1 } }, async (sim, ai) => {
      const response = await askQuiz(ai);
      assert.equal(response.candidates?.[0]?.finishReason, 'STOP');
      assert.throws(() => JSON.parse(response.text ?? ''));
      assert.equal(sim.stats().outcomes.malformed, 1);
    });
    await withSimulator({ faults: { truncated: 1 } }, async (sim, ai) => {
      const response = await askQuiz(ai);
      assert.equal(response.candidates?.[0]?.finishReason, 'MAX_TOKENS');
      assert.throws(() => JSON.parse(response.text ?? ''));
      assert.equal(sim.stats().outcomes.truncated, 1);
    });
    await withSimulator({ faults: { safety: 1 } }, async (sim, ai) => {
      const response = await askQuiz(ai);
      const candidate = response.candidates?.[0];
      assert.equal(candidate?.finishReason, 'SAFETY');
      assert.equal(candidate?.content, undefined);
      assert.equal(response.text, undefined);
      assert.ok(candidate?.safetyRatings?.some((r) => r.blocked));
      assert.equal(sim.stats().outcomes.safety, 1);
    });
  });

  it('injects valid JSON with items a validator must reject', async () => {
    await withSimulator({ faults: { badItems: 1 } }, async (sim, ai) => {
      const { questions } = JSON.parse((await askQuiz(ai)).text ?? '') as { questions: Question[] };

      const duplicated = questions.some((q) => new Set(q.options.map((o) => o.text)).size < q.options.length);
      const outOfEnum = questions.some((q) => !['a', 'b', 'c', 'd'].includes(q.correct_answer));
      assert.ok(duplicated && outOfEnum);
      assert.equal(sim.stats().outcomes.bad_items, 1);
    });
  });

  it('hangs until the client gives up, then until hangMs passes', async () => {
    await withSimulator({ faults: { hang: 1 } }, async (sim) => {
      const impatient = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: sim.url, timeout: 150 } });
      await assert.rejects(askQuiz(impatient));
      assert.equal(sim.stats().outcomes.hang, 1);
      await waitFor(() => sim.stats().inFlight === 0);

      sim.configure({ hangMs: 100 });
      const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: sim.url } });
      const { status, body } = await apiError(askQuiz(ai));
      assert.equal(status, 504);
      assert.equal(body.error.status, 'DEADLINE_EXCEEDED');
    });
  });

  it('counts a call whose client gives up during the latency as aborted', async () => {
    await withSimulator({ latencyMs: { min: 5000, max: 5000 } }, async (sim) => {
      const impatient = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: sim.url, timeout: 100 } });
      await assert.rejects(askQuiz(impatient));
      await waitFor(() => sim.stats().inFlight === 0);
      assert.equal(sim.stats().outcomes.aborted, 1);
      assert.equal(sim.stats().outcomes.ok, 0);
    });
  });

  it('closes promptly while a request hangs', async () => {
    const sim = await startGeminiSimulator({ faults: { hang: 1 } });
    const ai = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: sim.url } });
    const pending = askQuiz(ai).catch((e: unknown) => e);
    await waitFor(() => sim.stats().outcomes.hang === 1);

    const started = Date.now();
    await sim.close();

    assert.ok(Date.now() - started < 1000);
    assert.ok((await pending) instanceof Error);
  });

  it('fails the first N calls with 503, then answers', async () => {
    await withSimulator({ failFirstCalls: 2 }, async (sim, ai) => {
      assert.equal((await apiError(askQuiz(ai))).status, 503);
      assert.equal((await apiError(askQuiz(ai))).status, 503);
      assert.ok((await askQuiz(ai)).text);
      assert.equal(sim.stats().outcomes['503'], 2);
      assert.equal(sim.stats().outcomes.ok, 1);
    });
  });

  it('lets the SDK retry 503s only when retryOptions are set', async () => {
    await withSimulator({ failFirstCalls: 1 }, async (sim) => {
      const ai = new GoogleGenAI({
        apiKey: KEY,
        httpOptions: { baseUrl: sim.url, retryOptions: { attempts: 2, initialDelay: 0.01, jitter: 0 } },
      });
      assert.ok((await askQuiz(ai)).text);
      assert.equal(sim.stats().totalCalls, 2);
    });
  });

  it('counts peak concurrency of parallel calls, including delayed ones', async () => {
    await withSimulator({ latencyMs: { min: 200, max: 200 } }, async (sim, ai) => {
      await Promise.all(Array.from({ length: 5 }, (_, i) => askQuiz(ai, `parallel ${i}`)));

      const stats = sim.stats();
      assert.equal(stats.peakInFlight, 5);
      assert.equal(stats.inFlight, 0);
      assert.equal(stats.outcomes.ok, 5);
      assert.deepEqual(stats.callsByModel, { [MODEL]: 5 });
    });
  });

  it('applies latency scaled by latencyScale', async () => {
    await withSimulator({ latencyMs: { min: 2000, max: 2000 }, latencyScale: 0.1 }, async (_sim, ai) => {
      const started = Date.now();
      await askQuiz(ai);
      const elapsed = Date.now() - started;
      // Wide margins: 200 ms scaled against 2000 ms unscaled, on a possibly busy machine.
      assert.ok(elapsed >= 190 && elapsed < 1500, `took ${elapsed} ms`);
    });
  });

  it('rejects a wrong API key like Gemini, and a missing one', async () => {
    await withSimulator({ apiKey: 'right-key' }, async (sim) => {
      const wrong = new GoogleGenAI({ apiKey: 'wrong-key', httpOptions: { baseUrl: sim.url } });
      const { status, body } = await apiError(askQuiz(wrong));
      assert.equal(status, 400);
      assert.equal(body.error.status, 'INVALID_ARGUMENT');
      assert.equal(body.error.details?.[0]?.reason, 'API_KEY_INVALID');

      const missing = await fetch(`${sim.url}/v1beta/models/${MODEL}:generateContent`, {
        method: 'POST',
        body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
      });
      assert.equal(missing.status, 403);
      assert.equal(((await missing.json()) as GeminiErrorBody).error.status, 'PERMISSION_DENIED');

      const byQuery = await fetch(`${sim.url}/v1/models/${MODEL}:generateContent?key=right-key`, {
        method: 'POST',
        body: JSON.stringify({ contents: [{ parts: [{ text: 'hi' }] }] }),
      });
      assert.equal(byQuery.status, 200);
      assert.equal(sim.stats().outcomes.auth, 2);
    });
  });

  it('returns deterministic unit-length embeddings', async () => {
    await withSimulator({ embeddingDimensions: 16 }, async (sim, ai) => {
      const batch = await ai.models.embedContent({
        model: 'gemini-embedding-001',
        contents: ['alpha', 'beta', 'alpha'],
      });
      const [a1, b, a2] = (batch.embeddings ?? []).map((e) => e.values ?? []);
      assert.equal(a1?.length, 16);
      assert.deepEqual(a1, a2);
      assert.notDeepEqual(a1, b);
      assert.ok(Math.abs(Math.hypot(...(b ?? [])) - 1) < 1e-9);

      const single = await fetch(`${sim.url}/v1beta/models/gemini-embedding-001:embedContent`, {
        method: 'POST',
        headers: { 'x-goog-api-key': KEY },
        body: JSON.stringify({ content: { parts: [{ text: 'alpha' }] } }),
      });
      assert.deepEqual(((await single.json()) as { embedding: { values: number[] } }).embedding.values, a1);

      const sized = await ai.models.embedContent({
        model: 'gemini-embedding-001',
        contents: 'alpha',
        config: { outputDimensionality: 8 },
      });
      assert.equal(sized.embeddings?.[0]?.values?.length, 8);
      assert.deepEqual(sim.stats().embeddings, {
        requests: 3,
        texts: 5,
        rejected: 0,
        failed: 0,
        throttled: 0,
      });
    });
  });

  it('fails embedding calls on request: the first N, then at a rate', async () => {
    await withSimulator({ embeddingFailFirstCalls: 1 }, async (sim, ai) => {
      const ask = () => ai.models.embedContent({ model: 'gemini-embedding-001', contents: ['alpha'] });
      assert.equal((await apiError(ask())).status, 503);
      assert.equal((await ask()).embeddings?.length, 1);
      sim.configure({ embeddingErrorRate: 1 });
      assert.equal((await apiError(ask())).status, 503);
      assert.deepEqual(sim.stats().embeddings, {
        requests: 3,
        texts: 1,
        rejected: 0,
        failed: 2,
        throttled: 0,
      });
    });
  });

  it('serves admin endpoints for stats, runtime config and reset', async () => {
    await withSimulator({}, async (sim, ai) => {
      await askQuiz(ai);
      const stats = (await (await fetch(`${sim.url}/__simulator/stats`)).json()) as SimulatorStats;
      assert.equal(stats.totalCalls, 1);

      const configured = await fetch(`${sim.url}/__simulator/config`, {
        method: 'POST',
        body: JSON.stringify({ rpm: 1, faults: { error500: 0 } }),
      });
      assert.equal(configured.status, 200);
      assert.equal((await apiError(askQuiz(ai))).status, 429);

      const typo = await fetch(`${sim.url}/__simulator/config`, { method: 'POST', body: '{"rpn": 1}' });
      assert.equal(typo.status, 400);

      const reset = await fetch(`${sim.url}/__simulator/reset`, { method: 'POST' });
      assert.equal(((await reset.json()) as SimulatorStats).totalCalls, 0);
      assert.ok((await askQuiz(ai)).text, 'reset also empties the quota window');

      await fetch(`${sim.url}/__simulator/config`, { method: 'POST', body: '{"rpm": null}' });
      await askQuiz(ai);
      assert.equal(sim.stats().outcomes.ok, 2);
    });
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The Operation the simulator answers for a batch, as the REST API sends it (before the SDK). */
interface BatchOperation {
  name: string;
  done?: boolean;
  error?: { code: number };
  metadata: {
    '@type': string;
    model: string;
    displayName: string;
    state: string;
    batchStats: Record<string, string>;
    endTime?: string;
    output?: { inlinedResponses: { inlinedResponses: unknown[] } };
  };
  response?: { '@type': string; inlinedResponses: { inlinedResponses: unknown[] } };
}

/** `displayName` null sends none (Gemini requires one). */
function quizBatch(ai: GoogleGenAI, count: number, displayName: string | null = 'quiz batch') {
  return ai.batches.create({
    model: MODEL,
    src: Array.from({ length: count }, (_, i) => ({
      contents: `Write questions for FRONTEND_DEVELOPER level ${i + 1}`,
      metadata: { key: `chunk-${i}` },
      config: {
        systemInstruction: 'You write multiple-choice quizzes.',
        responseMimeType: 'application/json',
        responseSchema: QUIZ_SCHEMA,
      },
    })),
    ...(displayName === null ? {} : { config: { displayName } }),
  });
}

async function rawBatch(sim: GeminiSimulator, name: string): Promise<BatchOperation> {
  const response = await fetch(`${sim.url}/v1beta/${name}`, { headers: { 'x-goog-api-key': KEY } });
  assert.equal(response.status, 200);
  return (await response.json()) as BatchOperation;
}

async function pollUntilDone(ai: GoogleGenAI, name: string, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = await ai.batches.get({ name });
    if (job.state !== 'JOB_STATE_PENDING' && job.state !== 'JOB_STATE_RUNNING') return job;
    if (Date.now() > deadline) throw new Error(`batch still ${job.state}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('batch mode', () => {
  it('creates a pending batch, then answers every request from its schema, in order and keyed', async () => {
    await withSimulator({ batchLatencyMs: 100 }, async (sim, ai) => {
      const created = await quizBatch(ai, 3);

      assert.match(created.name ?? '', /^batches\/[a-z0-9]+$/);
      assert.equal(created.state, 'JOB_STATE_PENDING');
      assert.equal(created.displayName, 'quiz batch');
      assert.equal(created.model, `models/${MODEL}`);

      const done = await pollUntilDone(ai, created.name ?? '');
      assert.equal(done.state, 'JOB_STATE_SUCCEEDED');
      assert.ok(done.endTime);
      const responses = done.dest?.inlinedResponses ?? [];
      assert.deepEqual(
        responses.map((r) => r.metadata?.key),
        ['chunk-0', 'chunk-1', 'chunk-2'],
      );
      for (const [i, inlined] of responses.entries()) {
        const candidate = inlined.response?.candidates?.[0];
        assert.equal(candidate?.finishReason, 'STOP');
        const { questions } = JSON.parse(candidate?.content?.parts?.[0]?.text ?? '') as {
          questions: Question[];
        };
        assert.ok(questions.length >= 5 && questions.length <= 8);
        for (const q of questions)
          assert.deepEqual(
            q.options.map((o) => o.id),
            ['a', 'b', 'c', 'd'],
          );
        assert.match(questions[0]?.question ?? '', new RegExp(`level ${i + 1}`));
        assert.ok((inlined.response?.usageMetadata?.promptTokenCount ?? 0) > 0);
        assert.ok((inlined.response?.usageMetadata?.candidatesTokenCount ?? 0) > 0);
      }

      const stats = sim.stats();
      assert.equal(stats.batches.created, 1);
      assert.equal(stats.batches.requests, 3);
      assert.equal(stats.batches.answered, 3);
      assert.equal(stats.batches.failed, 0);
      assert.ok(stats.batches.candidatesTokens > 0);
      assert.equal(stats.totalCalls, 0, 'batch requests are not generateContent calls');
    });
  });

  it('mirrors the output in metadata.output and response, with int64 batchStats as strings', async () => {
    await withSimulator({ batchLatencyMs: 0 }, async (sim, ai) => {
      const created = await quizBatch(ai, 2);
      const op = await rawBatch(sim, created.name ?? '');

      assert.equal(op.done, true);
      assert.equal(op.metadata.state, 'BATCH_STATE_SUCCEEDED');
      assert.match(op.metadata['@type'], /GenerateContentBatch$/);
      assert.match(op.response?.['@type'] ?? '', /GenerateContentBatchOutput$/);
      assert.deepEqual(op.response?.inlinedResponses, op.metadata.output?.inlinedResponses);
      assert.deepEqual(op.metadata.batchStats, { requestCount: '2', successfulRequestCount: '2' });
    });
  });

  it('progresses with time: pending, then running with growing counts, then succeeded', async () => {
    await withSimulator({ batchLatencyMs: 1000 }, async (sim, ai) => {
      const created = await quizBatch(ai, 5);
      const seen: { state: string; succeeded: number; pending: number }[] = [];
      for (;;) {
        const op = await rawBatch(sim, created.name ?? '');
        const { state, batchStats } = op.metadata;
        seen.push({
          state,
          succeeded: Number(batchStats.successfulRequestCount ?? 0),
          pending: Number(batchStats.pendingRequestCount ?? 0),
        });
        if (op.done) break;
        assert.equal(op.metadata.output, undefined, 'no output before the batch is done');
        await new Promise((r) => setTimeout(r, 25));
      }

      assert.equal(seen[0]?.state, 'BATCH_STATE_PENDING');
      assert.deepEqual(seen[0], { state: 'BATCH_STATE_PENDING', succeeded: 0, pending: 5 });
      assert.ok(seen.some((s) => s.state === 'BATCH_STATE_RUNNING'));
      assert.ok(
        seen.some((s) => s.succeeded > 0 && s.succeeded < 5),
        `no partial progress in ${JSON.stringify(seen)}`,
      );
      for (const [i, s] of seen.entries()) {
        assert.equal(s.succeeded + s.pending, 5);
        assert.ok(s.succeeded >= (seen[i - 1]?.succeeded ?? 0), 'counts never go back');
      }
      assert.deepEqual(seen.at(-1), { state: 'BATCH_STATE_SUCCEEDED', succeeded: 5, pending: 0 });
    });
  });

  it('scales batchLatencyMs by latencyScale, and takes it from the admin config', async () => {
    await withSimulator({ batchLatencyMs: 60_000, latencyScale: 0 }, async (sim, ai) => {
      const quick = await quizBatch(ai, 1);
      assert.equal((await ai.batches.get({ name: quick.name ?? '' })).state, 'JOB_STATE_SUCCEEDED');

      await fetch(`${sim.url}/__simulator/config`, {
        method: 'POST',
        body: JSON.stringify({ latencyScale: 1 }),
      });
      const slow = await quizBatch(ai, 1);
      assert.equal((await ai.batches.get({ name: slow.name ?? '' })).state, 'JOB_STATE_PENDING');
    });
  });

  it('turns injected HTTP faults into per-request errors with gRPC codes', async () => {
    for (const [fault, code] of [
      ['error429', 8],
      ['error500', 13],
      ['error503', 14],
      ['hang', 4],
    ] as const) {
      await withSimulator({ batchLatencyMs: 0, faults: { [fault]: 1 } }, async (sim, ai) => {
        const created = await quizBatch(ai, 2);
        const done = await ai.batches.get({ name: created.name ?? '' });

        assert.equal(done.state, 'JOB_STATE_SUCCEEDED', 'per-request errors do not fail the batch');
        for (const inlined of done.dest?.inlinedResponses ?? []) {
          assert.equal(inlined.response, undefined);
          assert.equal(inlined.error?.code, code, fault);
          assert.match(inlined.error?.message ?? '', /\[simulated\]/);
          assert.ok(inlined.metadata?.key);
        }
        const op = await rawBatch(sim, created.name ?? '');
        assert.deepEqual(op.metadata.batchStats, { requestCount: '2', failedRequestCount: '2' });
        assert.equal(sim.stats().batches.failed, 2);
      });
    }
  });

  it('applies content faults per request, as generateContent does', async () => {
    await withSimulator({ batchLatencyMs: 0, faults: { truncated: 0.5, safety: 0.5 } }, async (_sim, ai) => {
      const created = await quizBatch(ai, 6);
      const done = await ai.batches.get({ name: created.name ?? '' });
      const reasons = (done.dest?.inlinedResponses ?? []).map(
        (r) => r.response?.candidates?.[0]?.finishReason,
      );

      assert.equal(reasons.length, 6);
      assert.ok(
        reasons.every((r) => r === 'MAX_TOKENS' || r === 'SAFETY'),
        String(reasons),
      );
    });
  });

  it('does not count batch requests against the interactive rpm quota', async () => {
    await withSimulator({ rpm: 1, batchLatencyMs: 0 }, async (sim, ai) => {
      const created = await quizBatch(ai, 4);
      const done = await ai.batches.get({ name: created.name ?? '' });
      assert.equal(done.dest?.inlinedResponses?.filter((r) => r.response).length, 4);

      assert.ok((await askQuiz(ai)).text, 'the interactive quota is untouched');
      assert.equal((await apiError(askQuiz(ai))).status, 429);
      assert.equal(sim.stats().acceptedCalls, 1);
    });
  });

  it('cancels a running batch: cancelled, no responses; cancelling again changes nothing', async () => {
    await withSimulator({ batchLatencyMs: 60_000 }, async (sim, ai) => {
      const created = await quizBatch(ai, 3);
      await ai.batches.cancel({ name: created.name ?? '' });
      await ai.batches.cancel({ name: created.name ?? '' });

      const job = await ai.batches.get({ name: created.name ?? '' });
      assert.equal(job.state, 'JOB_STATE_CANCELLED');
      assert.equal(job.dest, undefined);
      assert.ok(job.endTime);
      const op = await rawBatch(sim, created.name ?? '');
      assert.equal(op.done, true);
      assert.equal(op.error?.code, 1);
      assert.equal(sim.stats().batches.cancelled, 1);
    });
  });

  it('lists batches page by page and deletes them', async () => {
    await withSimulator({ batchLatencyMs: 0 }, async (_sim, ai) => {
      const names: string[] = [];
      for (let i = 0; i < 3; i++) names.push((await quizBatch(ai, 1, `batch ${i}`)).name ?? '');

      const pager = await ai.batches.list({ config: { pageSize: 2 } });
      const listed: string[] = [];
      for await (const job of pager) listed.push(job.name ?? '');
      assert.deepEqual(listed, names);

      await ai.batches.delete({ name: names[0] ?? '' });
      const { status, body } = await apiError(ai.batches.get({ name: names[0] ?? '' }));
      assert.equal(status, 404);
      assert.equal(body.error.status, 'NOT_FOUND');
    });
  });

  it('answers 404 NOT_FOUND for an unknown batch on get, cancel and delete', async () => {
    await withSimulator({}, async (_sim, ai) => {
      for (const call of [
        ai.batches.get({ name: 'batches/unknown' }),
        ai.batches.cancel({ name: 'batches/unknown' }),
        ai.batches.delete({ name: 'batches/unknown' }),
      ]) {
        const { status, body } = await apiError(call);
        assert.equal(status, 404);
        assert.equal(body.error.status, 'NOT_FOUND');
        assert.match(body.error.message, /batches\/unknown/);
      }
    });
  });

  it('rejects a malformed batch with 400 INVALID_ARGUMENT, and a missing key with 403', async () => {
    await withSimulator({}, async (sim, ai) => {
      const noName = await apiError(quizBatch(ai, 1, null));
      assert.equal(noName.status, 400);
      assert.equal(noName.body.error.status, 'INVALID_ARGUMENT');
      assert.match(noName.body.error.message, /displayName/);

      const post = (body: unknown, headers: Record<string, string> = { 'x-goog-api-key': KEY }) =>
        fetch(`${sim.url}/v1beta/models/${MODEL}:batchGenerateContent`, {
          method: 'POST',
          headers,
          body: JSON.stringify(body),
        });
      const batch = (requests: unknown) => ({
        batch: { displayName: 'x', inputConfig: { requests: { requests } } },
      });
      for (const body of [
        {},
        { batch: { displayName: 'x' } },
        batch([]),
        batch([{ metadata: { key: 'a' } }]),
        batch([{ request: { contents: [] } }]),
        batch([{ request: { model: 'models/other', contents: [{ parts: [{ text: 'hi' }] }] } }]),
      ]) {
        const response = await post(body);
        assert.equal(response.status, 400, JSON.stringify(body));
        assert.equal(((await response.json()) as GeminiErrorBody).error.status, 'INVALID_ARGUMENT');
      }
      assert.equal((await post(batch([{ request: { contents: [] } }]), {})).status, 403);
      assert.equal(sim.stats().batches.created, 0);
    });
  });
});
