import assert from 'node:assert/strict';
import { ApiError, GoogleGenAI, ThinkingLevel, Type } from '@google/genai';
import { afterAll, beforeAll, beforeEach, describe, it } from 'vitest';
import { GEMINI_API_VERSION } from '#platform/gemini/api-version.ts';
import { type GeminiSimulator, startGeminiSimulator } from '../../local/gemini-simulator/index.ts';

const KEY = 'test-key';
const FLASH = 'gemini-3.8-flash';

const SCHEMA = {
  type: Type.OBJECT,
  properties: {
    questions: {
      type: Type.ARRAY,
      minItems: '6',
      maxItems: '6',
      items: {
        type: Type.OBJECT,
        properties: { question: { type: Type.STRING }, explanation: { type: Type.STRING } },
        required: ['question', 'explanation'],
      },
    },
  },
  required: ['questions'],
};

let sim: GeminiSimulator;
let ai: GoogleGenAI;

beforeAll(async () => {
  sim = await startGeminiSimulator({ apiKey: KEY });
  // The service's pinned version: the Batch API is served only under v1beta.
  ai = new GoogleGenAI({
    apiKey: KEY,
    apiVersion: GEMINI_API_VERSION,
    httpOptions: { baseUrl: sim.url, retryOptions: { attempts: 1 } },
  });
});

afterAll(async () => {
  await sim.close();
});

beforeEach(() => {
  sim.configure({ thoughtsTokens: undefined, faults: undefined, batchLatencyMs: 0 });
  sim.resetStats();
});

function ask(options: { model?: string; level?: ThinkingLevel; maxOutputTokens?: number; prompt?: string }) {
  return ai.models.generateContent({
    model: options.model ?? FLASH,
    contents: options.prompt ?? 'Write questions about CSS grid',
    config: {
      responseMimeType: 'application/json',
      responseSchema: SCHEMA,
      ...(options.level ? { thinkingConfig: { thinkingLevel: options.level } } : {}),
      ...(options.maxOutputTokens ? { maxOutputTokens: options.maxOutputTokens } : {}),
    },
  });
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(error instanceof ApiError, `expected an ApiError, got ${String(error)}`);
  return error;
}

describe('Gemini simulator: thinking levels', () => {
  it('refuses MINIMAL on gemini-3.8-flash with 400 INVALID_ARGUMENT, as Gemini does, before any quota is used', async () => {
    const error = await refusal(ask({ level: ThinkingLevel.MINIMAL }));

    assert.equal(error.status, 400);
    assert.match(error.message, /INVALID_ARGUMENT/);
    assert.match(
      error.message,
      /Thinking level MINIMAL is not supported for this model\. Please retry with other thinking level\./,
    );
    assert.equal(sim.stats().outcomes.bad_request, 1);
    assert.equal(sim.stats().acceptedCalls, 0);
  });

  it('refuses a thinking level on a model that thinks by budget (Gemini 2.5)', async () => {
    const error = await refusal(ask({ model: 'gemini-2.5-flash-lite', level: ThinkingLevel.LOW }));

    assert.equal(error.status, 400);
    assert.match(error.message, /Thinking level is not supported for this model/);
  });

  it('accepts every level the model documents', async () => {
    // gemini-3.8-flash documents LOW, MEDIUM and HIGH (MINIMAL is refused above). The models that
    // accept MINIMAL (3.5 Flash-Lite) are not in the price table, so the simulator does not serve them.
    for (const level of [ThinkingLevel.LOW, ThinkingLevel.MEDIUM, ThinkingLevel.HIGH]) {
      const response = await ask({ level });
      assert.equal(response.candidates?.[0]?.finishReason, 'STOP', level);
    }
  });
});

describe('Gemini simulator: thoughts', () => {
  it('reports thoughtsTokenCount by level, deterministically, and the model’s default level when none is sent', async () => {
    const thoughts = async (level?: ThinkingLevel) =>
      (await ask({ ...(level ? { level } : {}) })).usageMetadata?.thoughtsTokenCount ?? -1;

    const low = await thoughts(ThinkingLevel.LOW);
    const medium = await thoughts(ThinkingLevel.MEDIUM);
    const high = await thoughts(ThinkingLevel.HIGH);
    const unset = await thoughts();

    // Typical sizes 1,024 / 3,072 / 8,192, spread ±25% by the request.
    assert.ok(low >= 768 && low <= 1280, `LOW ${low}`);
    assert.ok(medium >= 2304 && medium <= 3840, `MEDIUM ${medium}`);
    assert.ok(high >= 6144 && high <= 10240, `HIGH ${high}`);
    // 3.8 Flash thinks at MEDIUM unless told otherwise.
    assert.ok(unset >= 2304 && unset <= 3840, `default ${unset}`);
    assert.equal(await thoughts(ThinkingLevel.LOW), low, 'same request, same thoughts');
    assert.equal(sim.stats().thoughtsTokens, low + medium + high + unset + low);
  });

  it('counts thoughts in totalTokenCount next to the answer', async () => {
    const usage = (await ask({ level: ThinkingLevel.LOW })).usageMetadata;

    assert.equal(
      usage?.totalTokenCount,
      (usage?.promptTokenCount ?? 0) + (usage?.candidatesTokenCount ?? 0) + (usage?.thoughtsTokenCount ?? 0),
    );
  });

  it('ends MAX_TOKENS with the answer cut when thoughts and answer exceed maxOutputTokens', async () => {
    const full = await ask({ level: ThinkingLevel.LOW });
    const thoughts = full.usageMetadata?.thoughtsTokenCount ?? 0;
    const answer = full.usageMetadata?.candidatesTokenCount ?? 0;
    const limit = thoughts + Math.floor(answer / 2);

    const cut = await ask({ level: ThinkingLevel.LOW, maxOutputTokens: limit });

    assert.equal(cut.candidates?.[0]?.finishReason, 'MAX_TOKENS');
    assert.equal(cut.usageMetadata?.thoughtsTokenCount, thoughts);
    assert.equal(
      (cut.usageMetadata?.thoughtsTokenCount ?? 0) + (cut.usageMetadata?.candidatesTokenCount ?? 0),
      limit,
    );
    assert.throws(() => JSON.parse(cut.text ?? ''), 'the cut answer is not JSON');
    assert.equal(sim.stats().outcomes.truncated, 1);
  });

  it('lets thoughts use up the whole limit, leaving no answer at all', async () => {
    const response = await ask({ level: ThinkingLevel.HIGH, maxOutputTokens: 2048 });

    assert.equal(response.candidates?.[0]?.finishReason, 'MAX_TOKENS');
    assert.equal(response.usageMetadata?.thoughtsTokenCount, 2048);
    assert.equal(response.usageMetadata?.candidatesTokenCount, 0);
  });

  it('answers in full when the limit leaves room for thoughts and answer', async () => {
    const response = await ask({ level: ThinkingLevel.MEDIUM, maxOutputTokens: 16_384 });

    assert.equal(response.candidates?.[0]?.finishReason, 'STOP');
    assert.doesNotThrow(() => JSON.parse(response.text ?? ''));
  });

  it('still reports a fixed thoughtsTokens when told one', async () => {
    sim.configure({ thoughtsTokens: 40 });

    const response = await ask({ level: ThinkingLevel.HIGH });

    assert.equal(response.usageMetadata?.thoughtsTokenCount, 40);
  });
});

describe('Gemini simulator: thinking in batch mode', () => {
  it('fails a batch request whose level the model refuses, alone, and thinks by level in the others', async () => {
    const job = await ai.batches.create({
      model: FLASH,
      src: [ThinkingLevel.MINIMAL, ThinkingLevel.LOW].map((thinkingLevel, i) => ({
        contents: `Write questions about topic ${i}`,
        metadata: { key: `r${i}` },
        config: {
          responseMimeType: 'application/json',
          responseSchema: SCHEMA,
          thinkingConfig: { thinkingLevel },
        },
      })),
      config: { displayName: 'thinking' },
    });
    let done = await ai.batches.get({ name: job.name ?? '' });
    for (let i = 0; i < 50 && !done.dest?.inlinedResponses; i++) {
      await new Promise((r) => setTimeout(r, 20));
      done = await ai.batches.get({ name: job.name ?? '' });
    }

    const [refused, answered] = done.dest?.inlinedResponses ?? [];
    assert.equal(refused?.error?.code, 3, 'INVALID_ARGUMENT');
    assert.match(refused?.error?.message ?? '', /Thinking level MINIMAL is not supported for this model/);
    const thoughts = answered?.response?.usageMetadata?.thoughtsTokenCount ?? 0;
    assert.ok(thoughts >= 768 && thoughts <= 1280, `LOW ${thoughts}`);
  });
});
