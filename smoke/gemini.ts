/**
 * `npm run smoke:gemini`: a live check of every path the service takes to Gemini, for people
 * with a key. It sends one small request per path (each response schema, one embedding batch,
 * one two-request batch submitted, read and cancelled) through the service's own client code and
 * prints, per path, pass or fail, tokens and cost. Run it for a new model, a new SDK version and
 * before a first deploy; it is not part of `npm test` (it needs the network and a key).
 *
 * Environment: GEMINI_API_KEY (required); GEMINI_BASE_URL (a gateway or proxy in front of
 * Gemini, or the local simulator); GEMINI_MODEL and GEMINI_EMBEDDING_MODEL (the models the
 * service would use, by default the service's defaults); SMOKE_CONCURRENCY (requests in flight,
 * default 4). Exits 0 when every path passed, 1 when one failed, 2 when it cannot start.
 */
import { embedOnce } from '#assessments/documents/embeddings.ts';
import { structureFromOutline } from '#content/outline.ts';
import { SECTION_KINDS } from '#content/sections.ts';
import { DEFAULTS, ENV, generationSettings } from '#platform/config.ts';
import { cancelBatch, getBatch, submitBatch } from '#platform/gemini/batch-client.ts';
import {
  callModel,
  classify,
  type ModelAnswer,
  type ModelCallError,
} from '#platform/gemini/gemini-client.ts';
import { callCost, type TokenUsage } from '#platform/gemini/pricing.ts';
import {
  assessmentRequests,
  outlineRequests,
  quizRequests,
  type SmokeRequest,
  sectionRequests,
} from './paths.ts';

interface Outcome {
  path: string;
  ok: boolean;
  detail: string;
  ms: number;
  usage?: TokenUsage;
  costUsd?: number;
}

const apiKey = process.env[ENV.geminiApiKey];
if (!apiKey) {
  console.error(
    `${ENV.geminiApiKey} is not set. The smoke check calls Gemini for real: set ${ENV.geminiApiKey} (and ${ENV.geminiBaseUrl} for a gateway in front of Gemini), then run npm run smoke:gemini again.`,
  );
  process.exit(2);
}
// The model and thinking levels the service would use, from the same variables it reads.
const settings = generationSettings();
const model = settings.model;
const embeddingModel = process.env[ENV.geminiEmbeddingModel] ?? DEFAULTS.geminiEmbeddingModel;
const concurrency = Math.max(1, Number(process.env.SMOKE_CONCURRENCY ?? 4) || 4);
const TIMEOUT_MS = 120_000;

const outcomes: Outcome[] = [];

function record(outcome: Outcome): Outcome {
  outcomes.push(outcome);
  const tokens = outcome.usage
    ? ` in ${outcome.usage.input_tokens} / out ${outcome.usage.output_tokens} / thinking ${outcome.usage.thinking_tokens}`
    : '';
  console.log(`${outcome.ok ? 'PASS' : 'FAIL'}  ${outcome.path}${tokens}  ${outcome.detail}`);
  return outcome;
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Calls Gemini with the service's own client, waiting out a rate limit as Gemini asks (the
 * service's shared limiter lives in DynamoDB, which the smoke check has no use for).
 */
async function withRateLimitRetries<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const failure: ModelCallError = classify(error);
      if (failure.kind !== 'rate_limited' || attempt >= 3) throw failure;
      await new Promise((r) => setTimeout(r, failure.retryAfterMs ?? 10_000));
    }
  }
}

/** One generateContent call on one path; passes on a STOP answer whose JSON the path accepts. */
async function generate(request: SmokeRequest): Promise<{ outcome: Outcome; parsed?: unknown }> {
  const started = Date.now();
  let answer: ModelAnswer;
  try {
    answer = await withRateLimitRetries(() =>
      callModel({
        apiKey: apiKey as string,
        model,
        systemInstruction: request.systemInstruction,
        prompt: request.prompt,
        responseSchema: request.responseSchema,
        timeoutMs: TIMEOUT_MS,
        ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
        ...(request.thinkingLevel !== undefined ? { thinkingLevel: request.thinkingLevel } : {}),
        ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}),
      }),
    );
  } catch (error) {
    return {
      outcome: record({ path: request.path, ok: false, detail: message(error), ms: Date.now() - started }),
    };
  }
  const base = {
    path: request.path,
    ms: Date.now() - started,
    usage: answer.usage,
    // Priced as the service prices a call: the serving model's rate at the time of the call.
    costUsd: callCost(model, answer, { at: started }),
  };
  if (answer.finishReason !== 'STOP') {
    return {
      outcome: record({ ...base, ok: false, detail: `finish reason ${answer.finishReason ?? 'none'}` }),
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer.text);
  } catch {
    return { outcome: record({ ...base, ok: false, detail: 'the answer is not valid JSON' }) };
  }
  const problem = request.check?.(parsed);
  return {
    outcome: record({ ...base, ok: problem === undefined, detail: problem ?? `${base.ms} ms` }),
    parsed,
  };
}

/** Runs `work` over `items` with at most `concurrency` in flight, results in input order. */
async function pooled<T, R>(items: T[], work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  });
  await Promise.all(lanes);
  return results;
}

async function embeddings(): Promise<void> {
  const started = Date.now();
  const path = 'embeddings: one batch of two texts';
  try {
    const { vectors } = await withRateLimitRetries(() =>
      embedOnce(
        ['Chlorophyll absorbs light.', 'The Calvin cycle fixes carbon.'],
        {
          apiKey: apiKey as string,
          model: embeddingModel,
          dimensions: DEFAULTS.embeddingDimensions,
          taskType: 'RETRIEVAL_DOCUMENT',
          requestsPerMinute: 60,
          deadline: Date.now() + TIMEOUT_MS,
        },
        TIMEOUT_MS,
      ),
    );
    const sizes = vectors.map((v) => v.length);
    const ok = sizes.length === 2 && sizes.every((n) => n === DEFAULTS.embeddingDimensions);
    record({
      path,
      ok,
      detail: ok ? `${Date.now() - started} ms` : `vector sizes ${sizes.join(', ')}`,
      ms: Date.now() - started,
    });
  } catch (error) {
    record({ path, ok: false, detail: message(error), ms: Date.now() - started });
  }
}

/** Submits a batch of two requests, reads it back and cancels it: nothing in it is billed. */
async function batch(requests: SmokeRequest[]): Promise<void> {
  const pick = requests.slice(0, 2);
  let name: string | undefined;
  let started = Date.now();
  try {
    ({ name } = await submitBatch({
      apiKey: apiKey as string,
      model,
      displayName: `quizgen-smoke-${new Date().toISOString()}`,
      requests: pick.map((r, i) => ({
        key: `smoke-${i}`,
        systemInstruction: r.systemInstruction,
        prompt: r.prompt,
        responseSchema: r.responseSchema,
        ...(r.thinkingLevel !== undefined ? { thinkingLevel: r.thinkingLevel } : {}),
        ...(r.maxOutputTokens !== undefined ? { maxOutputTokens: r.maxOutputTokens } : {}),
      })),
    }));
    record({ path: 'batch: submit two requests', ok: true, detail: name, ms: Date.now() - started });
  } catch (error) {
    record({
      path: 'batch: submit two requests',
      ok: false,
      detail: message(error),
      ms: Date.now() - started,
    });
    return;
  }
  started = Date.now();
  try {
    const status = await getBatch(apiKey as string, name);
    record({
      path: 'batch: read its state',
      ok: true,
      detail: `${status.state}, ${status.stats.total} requests`,
      ms: Date.now() - started,
    });
  } catch (error) {
    record({ path: 'batch: read its state', ok: false, detail: message(error), ms: Date.now() - started });
  }
  started = Date.now();
  try {
    await cancelBatch(apiKey as string, name);
    const status = await getBatch(apiKey as string, name);
    // A cancel is asynchronous: the batch is cancelled, or on its way there.
    const ok = status.state === 'cancelled' || status.state === 'pending' || status.state === 'running';
    record({
      path: 'batch: cancel it',
      ok,
      detail: `state after cancel: ${status.state}`,
      ms: Date.now() - started,
    });
  } catch (error) {
    record({ path: 'batch: cancel it', ok: false, detail: message(error), ms: Date.now() - started });
  }
}

function summary(): void {
  const usage = outcomes.reduce(
    (sum, o) => ({
      input: sum.input + (o.usage?.input_tokens ?? 0),
      output: sum.output + (o.usage?.output_tokens ?? 0),
      thinking: sum.thinking + (o.usage?.thinking_tokens ?? 0),
      cost: sum.cost + (o.costUsd ?? 0),
    }),
    { input: 0, output: 0, thinking: 0, cost: 0 },
  );
  const failed = outcomes.filter((o) => !o.ok);
  console.log('');
  console.log(
    'path'.padEnd(44),
    'result',
    'input'.padStart(7),
    'output'.padStart(7),
    'thinking'.padStart(9),
    'cost USD'.padStart(10),
  );
  for (const o of outcomes) {
    console.log(
      o.path.padEnd(44),
      (o.ok ? 'pass' : 'FAIL').padEnd(6),
      String(o.usage?.input_tokens ?? '').padStart(7),
      String(o.usage?.output_tokens ?? '').padStart(7),
      String(o.usage?.thinking_tokens ?? '').padStart(9),
      (o.costUsd === undefined ? '' : o.costUsd.toFixed(6)).padStart(10),
    );
  }
  console.log(
    `\n${outcomes.length - failed.length} of ${outcomes.length} paths passed on ${model} (embeddings: ${embeddingModel}); tokens in ${usage.input}, out ${usage.output}, thinking ${usage.thinking}; cost US$${usage.cost.toFixed(6)}`,
  );
}

async function main(): Promise<void> {
  console.log(
    `Smoke check of every Gemini path: model ${model}${process.env[ENV.geminiBaseUrl] ? ` at ${process.env[ENV.geminiBaseUrl]}` : ''}\n`,
  );
  const questionRequests = [...quizRequests(settings), ...assessmentRequests(settings)];
  await pooled(questionRequests, generate);

  const outlines = outlineRequests(settings);
  const outlined: Parameters<typeof sectionRequests>[1] = [];
  await pooled(outlines, async ({ request, smoke }) => {
    const { outcome, parsed } = await generate(smoke);
    const outline = outcome.ok ? structureFromOutline(request, parsed) : undefined;
    if (outline?.ok) outlined.push({ request, structure: outline.structure });
  });
  // Outlines that passed lead to their sections; keep the plan order stable whatever finished first.
  outlined.sort(
    (a, b) =>
      outlines.findIndex((o) => o.request === a.request) - outlines.findIndex((o) => o.request === b.request),
  );
  const { requests: sections, kinds } = sectionRequests(settings, outlined);
  await pooled(sections, generate);
  const unreached = SECTION_KINDS.filter((k) => !kinds.has(k));
  if (unreached.length > 0) {
    record({
      path: 'content sections: every kind reached',
      ok: false,
      detail: `no outline led to: ${unreached.join(', ')}`,
      ms: 0,
    });
  }

  await embeddings();
  await batch(questionRequests);
  summary();
  process.exitCode = outcomes.every((o) => o.ok) ? 0 : 1;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 2;
});
