/**
 * The simulator's HTTP server: routes Gemini's REST paths to the endpoints, answers the admin
 * endpoints under `/__simulator/`, and owns the one state every endpoint is handed.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { advance, batchEndpoint, createBatch } from './batches.ts';
import { ConfigError, DEFAULT_CONFIG, mergeConfig, type SimulatorConfig } from './config.ts';
import { embed } from './embeddings.ts';
import { errorBody, HttpError, INTERNAL, notServed } from './errors.ts';
import { generateContent } from './generate-content.ts';
import { readJson, sendJson } from './http.ts';
import { checkModel } from './models.ts';
import { emptyStats, newState, type SimulatorState, type SimulatorStats } from './state.ts';
import { batchesNotFound, isServedMethod, notFoundForVersion, servedUnder } from './versions.ts';

export interface GeminiSimulator {
  url: string;
  port: number;
  stats(): SimulatorStats;
  resetStats(): void;
  configure(patch: Partial<SimulatorConfig>): void;
  close(): Promise<void>;
}

export type SimulatorOptions = SimulatorConfig & { port?: number; host?: string };

/** Any version: which one serves which method is `versions.ts`'s to say. */
const ROUTE = /^\/(v1[a-z0-9]*)\/(?:models|tunedModels)\/([^/:]+):([A-Za-z]+)$/;
/** `batches`, `batches/{id}` and `batches/{id}:{action}`. */
const BATCH_ROUTE = /^\/(v1[a-z0-9]*)\/batches(?:\/([^/:]+)(?::([A-Za-z]+))?)?$/;

function snapshot(state: SimulatorState): SimulatorStats {
  // Batches progress with time, not with calls: bring them up to now before counting.
  const now = Date.now();
  for (const job of state.batches.values()) advance(state, job, now);
  return structuredClone({ ...state.stats, inFlight: state.inFlight });
}

function resetStats(state: SimulatorState): void {
  // A reset starts a fresh run: fault/latency sequence, failFirstCalls and quota windows too, and
  // the batch numbering that failFirstBatches and expireFirstBatches count.
  state.stats = emptyStats(state.inFlight);
  state.callIndex = 0;
  state.batchCount = 0;
  state.quotaWindow = [];
  state.embeddingQuotaWindow = [];
  state.dailyRequests.clear();
}

async function admin(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
): Promise<void> {
  if (req.method === 'GET' && path === '/__simulator/stats') return sendJson(res, 200, snapshot(state));
  if (req.method === 'POST' && path === '/__simulator/reset') {
    resetStats(state);
    return sendJson(res, 200, snapshot(state));
  }
  if (req.method === 'POST' && path === '/__simulator/config') {
    const patch = await readJson(req);
    try {
      state.config = mergeConfig(state.config, patch);
    } catch (err) {
      if (err instanceof ConfigError) throw new HttpError(errorBody(400, 'INVALID_ARGUMENT', err.message));
      throw err;
    }
    return sendJson(res, 200, state.config);
  }
  if (req.method === 'GET' && path === '/__simulator/config') return sendJson(res, 200, state.config);
  throw new HttpError(errorBody(404, 'NOT_FOUND', `[simulated] No admin endpoint ${req.method} ${path}.`));
}

async function route(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  signal: AbortSignal,
): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://simulator.invalid');
  if (url.pathname.startsWith('/__simulator/')) return admin(state, req, res, url.pathname);
  const batchMatch = BATCH_ROUTE.exec(url.pathname);
  if (batchMatch) {
    const version = batchMatch[1] ?? '';
    if (!servedUnder('batches', version)) throw batchesNotFound(version, url.pathname);
    const id = batchMatch[2] === undefined ? undefined : decodeURIComponent(batchMatch[2]);
    return batchEndpoint(state, req, res, url, id, batchMatch[3]);
  }
  const match = ROUTE.exec(url.pathname);
  const version = match?.[1] ?? '';
  const model = match?.[2] ? decodeURIComponent(match[2]) : undefined;
  const method = match?.[3];
  if (req.method !== 'POST' || model === undefined || method === undefined) throw notServed(req, url);
  if (isServedMethod(method) && !servedUnder(method, version))
    throw notFoundForVersion(model, version, method);
  checkModel(model, version, method);
  if (method === 'batchGenerateContent') return createBatch(state, req, res, url, model);
  if (method === 'generateContent') {
    state.inFlight += 1;
    state.stats.peakInFlight = Math.max(state.stats.peakInFlight, state.inFlight);
    try {
      return await generateContent(state, req, res, url, model, signal);
    } finally {
      state.inFlight -= 1;
    }
  }
  if (method === 'embedContent' || method === 'batchEmbedContents') {
    return embed(state, req, res, url, model, method === 'batchEmbedContents');
  }
  throw new HttpError(
    errorBody(404, 'NOT_FOUND', `[simulated] models/${model}:${method} is not supported by the simulator.`),
  );
}

export async function startGeminiSimulator(options: SimulatorOptions = {}): Promise<GeminiSimulator> {
  const { port: wantedPort = 0, host = '127.0.0.1', ...initial } = options;
  const state = newState(mergeConfig(DEFAULT_CONFIG, initial as Record<string, unknown>));
  const closing = new AbortController();

  const server = createServer((req, res) => {
    const aborted = new AbortController();
    // 'close' before the response was written means the client went away (or the server closes).
    res.on('close', () => aborted.abort());
    const signal = AbortSignal.any([aborted.signal, closing.signal]);
    route(state, req, res, signal).catch((err: unknown) => {
      if (err instanceof HttpError) return sendJson(res, err.body.error.code, err.body);
      sendJson(res, 500, INTERNAL());
    });
  });
  // Node closes a keep-alive connection after 5 s idle; Google's front ends keep one far longer.
  // With Node's default, a client that reuses a connection just as that timer fires (a test
  // whose event loop was busy building a large batch for a few seconds) sees ECONNRESET, a
  // failure the real API would not give it.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  await new Promise<void>((resolveListen, rejectListen) => {
    server.once('error', rejectListen);
    server.listen(wantedPort, host, () => {
      server.off('error', rejectListen);
      resolveListen();
    });
  });
  const { port } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${urlHost}:${port}`,
    port,
    stats: () => snapshot(state),
    resetStats: () => resetStats(state),
    configure(patch) {
      state.config = mergeConfig(state.config, patch as Record<string, unknown>);
    },
    close() {
      return new Promise<void>((resolveClose, rejectClose) => {
        closing.abort();
        server.close((err) => (err ? rejectClose(err) : resolveClose()));
        // Hanging and delayed requests must not hold the process open.
        server.closeAllConnections();
      });
    },
  };
}
