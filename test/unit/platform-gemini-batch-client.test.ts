import assert from 'node:assert/strict';
import { GoogleGenAI, Type } from '@google/genai';
import { afterAll, beforeAll, describe, it } from 'vitest';
import {
  type BatchProgress,
  type BatchRequest,
  type BatchStatus,
  cancelBatch,
  deleteBatch,
  getBatch,
  INLINE_BATCH_LIMIT_BYTES,
  INLINE_BATCH_TARGET_BYTES,
  inlineBytes,
  splitForInlineLimit,
  submitBatch,
} from '#platform/gemini/batch-client.ts';
import { ModelCallError } from '#platform/gemini/gemini-client.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';

const KEY = 'test-key';
const MODEL = 'gemini-3.8-flash';

const QUIZ_SCHEMA = {
  type: Type.OBJECT,
  properties: {
    questions: {
      type: Type.ARRAY,
      minItems: '3',
      maxItems: '3',
      items: {
        type: Type.OBJECT,
        properties: {
          question: { type: Type.STRING },
          options: {
            type: Type.ARRAY,
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
        },
        required: ['question', 'options', 'correct_answer'],
      },
    },
  },
  required: ['questions'],
};

interface Quiz {
  questions: { question: string; options: { id: string; text: string }[]; correct_answer: string }[];
}

function assertQuiz(text: string): void {
  const quiz = JSON.parse(text) as Quiz;
  assert.equal(quiz.questions.length, 3);
  for (const q of quiz.questions) {
    assert.equal(typeof q.question, 'string');
    assert.deepEqual(
      q.options.map((o) => o.id),
      ['a', 'b', 'c', 'd'],
    );
    assert.ok(q.options.every((o) => typeof o.text === 'string' && o.text.length > 0));
    assert.ok(['a', 'b', 'c', 'd'].includes(q.correct_answer));
  }
}

function requests(count: number): BatchRequest[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `chunk-${i}`,
    systemInstruction: 'You write multiple-choice quizzes.',
    prompt: `Write 3 questions for FRONTEND_DEVELOPER level ${i + 1}`,
    responseSchema: QUIZ_SCHEMA,
    temperature: 0.4,
  }));
}

async function pollUntilDone(name: string, onPoll?: (status: BatchStatus) => void): Promise<BatchStatus> {
  const deadline = Date.now() + 5000;
  for (;;) {
    const status = await getBatch(KEY, name);
    onPoll?.(status);
    if (status.state !== 'pending' && status.state !== 'running') return status;
    if (Date.now() > deadline) throw new Error(`batch still ${status.state}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function rejection(promise: Promise<unknown>): Promise<ModelCallError> {
  const error = await promise.then(
    () => assert.fail('expected a ModelCallError'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof ModelCallError, `not a ModelCallError: ${String(error)}`);
  return error;
}

let sim: GeminiSimulator;

beforeAll(async () => {
  sim = await startGeminiSimulator({ apiKey: KEY });
  // clientFor reads the endpoint at each call, so the SDK client talks to the simulator.
  process.env.GEMINI_BASE_URL = sim.url;
});

afterAll(async () => {
  delete process.env.GEMINI_BASE_URL;
  await sim.close();
});

describe('Gemini batch client', () => {
  it('submits requests, shows progress while polling, and reads every answer like an interactive one', async () => {
    sim.configure({ batchLatencyMs: 1000, faults: undefined });
    const { name } = await submitBatch({
      apiKey: KEY,
      model: MODEL,
      displayName: 'quiz',
      requests: requests(5),
    });
    assert.match(name, /^batches\//);

    const seen: (BatchProgress & { state: string })[] = [];
    const done = await pollUntilDone(name, (s) => seen.push({ state: s.state, ...s.stats }));

    assert.deepEqual(seen[0], { state: 'pending', total: 5, succeeded: 0, failed: 0, pending: 5 });
    assert.ok(
      seen.some((s) => s.state === 'running' && s.succeeded > 0 && s.succeeded < 5),
      `no partial progress in ${JSON.stringify(seen)}`,
    );
    assert.equal(done.state, 'succeeded');
    assert.deepEqual(done.stats, { total: 5, succeeded: 5, failed: 0, pending: 0 });
    assert.deepEqual(
      done.results?.map((r) => r.key),
      ['chunk-0', 'chunk-1', 'chunk-2', 'chunk-3', 'chunk-4'],
    );
    for (const result of done.results ?? []) {
      assert.equal(result.error, undefined);
      const answer = result.answer;
      assert.ok(answer);
      assert.equal(answer.finishReason, 'STOP');
      assertQuiz(answer.text);
      assert.ok(answer.usage.input_tokens > 0);
      assert.ok(answer.usage.output_tokens > 0);
      assert.ok(answer.usage.thinking_tokens > 0, 'the model thinks at its default level');
      assert.equal(answer.usage.cached_tokens, 0);
      assert.ok((answer.raw as { responseId?: string }).responseId);
    }
    const outputTokens = (done.results ?? []).reduce((n, r) => n + (r.answer?.usage.output_tokens ?? 0), 0);
    assert.equal(outputTokens, sim.stats().batches.candidatesTokens);
    const thoughts = (done.results ?? []).reduce((n, r) => n + (r.answer?.usage.thinking_tokens ?? 0), 0);
    assert.equal(thoughts, sim.stats().batches.thoughtsTokens);
  });

  it('turns injected per-request faults into per-result errors, classified like interactive ones', async () => {
    sim.configure({ batchLatencyMs: 0, faults: undefined });
    sim.configure({ faults: { error429: 0.5, error503: 0.5 } });
    const { name } = await submitBatch({
      apiKey: KEY,
      model: MODEL,
      displayName: 'faults',
      requests: requests(4),
    });

    const done = await pollUntilDone(name);

    assert.equal(done.state, 'succeeded');
    assert.deepEqual(done.stats, { total: 4, succeeded: 0, failed: 4, pending: 0 });
    for (const result of done.results ?? []) {
      assert.equal(result.answer, undefined);
      const { code, kind, message } = result.error ?? assert.fail('expected an error');
      assert.ok(
        (code === 429 && kind === 'rate_limited') || (code === 503 && kind === 'transient'),
        `${code} ${kind}`,
      );
      assert.match(message, /\[simulated\]/);
    }
  });

  it('keeps content faults in the answer for the caller to judge', async () => {
    sim.configure({ batchLatencyMs: 0, faults: undefined });
    sim.configure({ faults: { truncated: 1 } });
    const { name } = await submitBatch({
      apiKey: KEY,
      model: MODEL,
      displayName: 'cut',
      requests: requests(2),
    });

    const done = await pollUntilDone(name);

    for (const result of done.results ?? []) {
      assert.equal(result.answer?.finishReason, 'MAX_TOKENS');
      assert.throws(() => JSON.parse(result.answer?.text ?? ''));
    }
  });

  it('reads a blocked prompt in a batch as interactive calls do: its blockReason and promptFeedback', async () => {
    sim.configure({ batchLatencyMs: 0, faults: undefined });
    sim.configure({ faults: { blockedPrompt: 1 }, blockReason: 'PROHIBITED_CONTENT' });
    const { name } = await submitBatch({
      apiKey: KEY,
      model: MODEL,
      displayName: 'blocked',
      requests: requests(2),
    });

    const done = await pollUntilDone(name);

    for (const result of done.results ?? []) {
      assert.equal(result.answer?.blockReason, 'PROHIBITED_CONTENT');
      const raw = result.answer?.raw as { promptFeedback?: { blockReason?: string } };
      assert.equal(raw.promptFeedback?.blockReason, 'PROHIBITED_CONTENT');
    }
    sim.configure({ faults: undefined, blockReason: undefined });
  });

  it('cancels a batch: cancelled, with no results', async () => {
    sim.configure({ batchLatencyMs: 60_000, faults: undefined });
    const { name } = await submitBatch({
      apiKey: KEY,
      model: MODEL,
      displayName: 'stop',
      requests: requests(3),
    });

    await cancelBatch(KEY, name);
    const status = await getBatch(KEY, name);

    assert.equal(status.state, 'cancelled');
    assert.equal(status.results, undefined);
    assert.equal(status.stats.total, 3);
  });

  it('deletes a batch, after which it is unknown', async () => {
    sim.configure({ batchLatencyMs: 0 });
    const { name } = await submitBatch({
      apiKey: KEY,
      model: MODEL,
      displayName: 'gone',
      requests: requests(1),
    });

    await deleteBatch(KEY, name);

    assert.equal((await rejection(getBatch(KEY, name))).status, 404);
  });

  it('fails clearly, and permanently, for an unknown batch or a malformed name', async () => {
    for (const call of [
      getBatch(KEY, 'batches/no-such-batch'),
      cancelBatch(KEY, 'batches/no-such-batch'),
      deleteBatch(KEY, 'no-such-batch'),
    ]) {
      const error = await rejection(call);
      assert.equal(error.kind, 'permanent');
      assert.equal(error.status, 404);
      assert.match(error.message, /^(get|cancel|delete)Batch batches\/no-such-batch: 404 NOT_FOUND/);
    }

    const malformed = await rejection(getBatch(KEY, 'projects/x/batches/y/z'));
    assert.equal(malformed.kind, 'permanent');
    assert.match(malformed.message, /not a Gemini batch name/);
  });

  it('maps Gemini refusing a submission like an interactive call', async () => {
    const wrongKey = await rejection(
      submitBatch({ apiKey: 'wrong', model: MODEL, displayName: 'x', requests: requests(1) }),
    );
    assert.equal(wrongKey.kind, 'permanent');
    assert.equal(wrongKey.status, 400);
    assert.match(wrongKey.message, /^submitBatch: 400 INVALID_ARGUMENT: API key not valid/);

    const noName = await rejection(
      submitBatch({ apiKey: KEY, model: MODEL, displayName: '', requests: requests(1) }),
    );
    assert.equal(noName.status, 400);

    const duplicate = await rejection(
      submitBatch({
        apiKey: KEY,
        model: MODEL,
        displayName: 'x',
        requests: [...requests(1), ...requests(1)],
      }),
    );
    assert.match(duplicate.message, /unique/);
  });
});

describe('the pinned API version', () => {
  it('sends batch calls under v1beta: the SDK default (v1) has no Batch API and answers 404', async () => {
    sim.configure({ batchLatencyMs: 0, faults: undefined });
    const sdkDefault = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: sim.url } });
    const refused = await sdkDefault.batches
      .create({ model: MODEL, src: [{ contents: 'hi' }], config: { displayName: 'default version' } })
      .then(
        () => assert.fail('the SDK default version must not serve batches'),
        (e: unknown) => e as { status?: number },
      );
    assert.equal(refused.status, 404);

    const { name } = await submitBatch({
      apiKey: KEY,
      model: MODEL,
      displayName: 'pinned',
      requests: requests(1),
    });
    assert.equal((await pollUntilDone(name)).state, 'succeeded');
  });
});

describe('the inline size limit', () => {
  it('splits requests past 20 MB into batches that Gemini accepts, in order, none left out', async () => {
    sim.configure({ batchLatencyMs: 60_000, faults: undefined });
    const big = requests(24).map((r, i) => ({ ...r, prompt: `${i} ${'x'.repeat(900_000)}` }));
    const total = big.reduce((sum, r) => sum + inlineBytes(r, MODEL), 0);
    assert.ok(total > INLINE_BATCH_LIMIT_BYTES, `${total} bytes pass the limit`);

    await rejection(submitBatch({ apiKey: KEY, model: MODEL, displayName: 'all at once', requests: big }));
    const groups = splitForInlineLimit(big, MODEL);
    assert.equal(groups.length, 2);
    assert.deepEqual(
      groups.flat().map((r) => r.key),
      big.map((r) => r.key),
    );
    const before = sim.stats().batches.created;
    for (const [i, group] of groups.entries()) {
      assert.ok(group.reduce((sum, r) => sum + inlineBytes(r, MODEL), 0) <= INLINE_BATCH_TARGET_BYTES);
      // The simulator refuses a body over 20 MB as Gemini does: each part is under it on the wire.
      const { name } = await submitBatch({
        apiKey: KEY,
        model: MODEL,
        displayName: `part ${i + 1}`,
        requests: group,
      });
      await cancelBatch(KEY, name);
    }
    assert.equal(sim.stats().batches.created - before, 2);
  });

  it('refuses a single request too big for any batch', () => {
    const [one] = requests(1);
    assert.ok(one);
    assert.throws(
      () => splitForInlineLimit([{ ...one, prompt: 'x'.repeat(INLINE_BATCH_LIMIT_BYTES) }], MODEL),
      (e: unknown) => e instanceof ModelCallError && e.kind === 'permanent' && /alone is/.test(e.message),
    );
  });
});
