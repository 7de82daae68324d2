/**
 * embedContent and batchEmbedContents: unit vectors fixed by the text alone, with their own
 * failure rate and latency.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { textsOf } from './answers.ts';
import type { EffectiveConfig } from './config.ts';
import { admitEmbeddingCall } from './embedding-quota.ts';
import { errorBody, HttpError, UNAVAILABLE } from './errors.ts';
import { checkKey, readJson, sendJson } from './http.ts';
import { asCount, field, isRecord } from './json.ts';
import { rngFrom } from './random.ts';
import type { SimulatorState } from './state.ts';

function embeddingFor(text: string, dimensions: number): number[] {
  // Keyed by the text alone, so stored vectors stay valid across seeds and restarts.
  const rand = rngFrom('embedding', text);
  const values: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    // Box-Muller: normal components make the direction uniform on the sphere.
    const u = Math.max(rand(), Number.EPSILON);
    values.push(Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand()));
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => v / norm);
}

function dimensionsOf(config: EffectiveConfig, request: Record<string, unknown>): number {
  const asked = asCount(field(request, 'outputDimensionality'));
  return asked !== undefined && asked >= 1 ? Math.floor(asked) : config.embeddingDimensions;
}

// As in generateContent, config and stats are read anew after every await.
export async function embed(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  model: string,
  batch: boolean,
): Promise<void> {
  state.stats.embeddings.requests += 1;
  const authError = checkKey(state.config, req, url);
  if (authError) {
    state.stats.embeddings.rejected += 1;
    return sendJson(res, authError.error.code, authError);
  }
  const body = await readJson(req);
  if (batch && !Array.isArray(body.requests)) {
    throw new HttpError(
      errorBody(400, 'INVALID_ARGUMENT', '[simulated] batchEmbedContents needs "requests".'),
    );
  }
  // Each text is one request of the quota: a batch of n texts counts n.
  const texts = batch && Array.isArray(body.requests) ? body.requests.length : 1;
  const overQuota = admitEmbeddingCall(state, model, texts, Date.now());
  if (overQuota) {
    state.stats.embeddings.throttled += 1;
    return sendJson(res, 429, overQuota);
  }
  const index = state.stats.embeddings.requests;
  const { config } = state;
  // Decided by seed and call index, like the generateContent faults, so runs repeat.
  const unlucky = rngFrom(config.seed, 'embedding-fault', index)() < config.embeddingErrorRate;
  if (index <= config.embeddingFailFirstCalls || unlucky) {
    state.stats.embeddings.failed += 1;
    return sendJson(res, 503, UNAVAILABLE());
  }
  const latency = config.embeddingLatencyMs * config.latencyScale;
  if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
  if (!batch) {
    const text = textsOf(body.content).join('');
    state.stats.embeddings.texts += 1;
    return sendJson(res, 200, {
      embedding: { values: embeddingFor(text, dimensionsOf(state.config, body)) },
    });
  }
  const requests = Array.isArray(body.requests) ? body.requests : [];
  const embeddings = requests.map((r) => {
    const request = isRecord(r) ? r : {};
    state.stats.embeddings.texts += 1;
    return { values: embeddingFor(textsOf(request.content).join(''), dimensionsOf(state.config, request)) };
  });
  return sendJson(res, 200, { embeddings });
}
