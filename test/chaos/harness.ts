/**
 * What every chaos scenario shares: the local stack with chaos settings, a Gemini simulator
 * outside it (so it keeps counting when a stack dies), a ledger of the chunk worker's
 * invocations fed by the local runtime's hooks, and readers for what the pipeline left in
 * DynamoDB and S3.
 *
 * Handler modules read their settings once per process, so every scenario of a process runs
 * with CHAOS_SETTINGS.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import {
  type GeminiSimulator,
  type SimulatorConfig,
  startGeminiSimulator,
} from '../../local/gemini-simulator/index.ts';
import type { InvocationHooks, InvocationInfo, OutboundRequest } from '../../local/lambda-runtime.ts';
import { outsideInvocation } from '../../local/lambda-runtime.ts';
import { type LocalStack, startLocalStack } from '../../local/stack.ts';
import type { ScenarioReport } from './report.ts';

export const BASE = '/api/v1/quiz-generator';

export const CHAOS_SETTINGS = {
  questionsPerCareerLevel: 3,
  questionsPerSoftSkillsJob: 5,
  llmMaxConcurrency: 4,
  llmRequestsPerMinute: 6000,
  /** Short, so an injected hang is cut by the worker's own timeout after a second. */
  geminiTimeoutSeconds: 1,
  /** AWS's smallest recommended maxReceiveCount for a Lambda event source (lib/settings.ts checks it). */
  chunkMaxReceives: 5,
  /** Reads check a running job's execution at once, so an interrupted job shows up failed. */
  jobReconcileAfterSeconds: 0,
};

/**
 * The queue's visibility timeout locally: how soon the message of a killed worker comes back.
 * In AWS it is the template's (worker timeout + 60 s); long enough here that renewing it while
 * a worker runs never falls behind on a busy two-core machine.
 */
export const VISIBILITY_TIMEOUT_SECONDS = 4;

/**
 * The worker's bounds, from `lambdas/jobs/` (not imported at load time: handler modules must
 * load after the stack has set their environment; startChaosStack checks they still agree).
 */
export const BOUNDS = {
  /** Model answers per delivery of a chunk (chunk-common.ts MAX_CALLS_PER_CHUNK). */
  answersPerDelivery: 4,
  /** HTTP attempts per model call (chunk-common.ts modelCaller: `maxAttempts: 5`). */
  attemptsPerCall: 5,
  /** Deliveries of a chunk message before SQS dead-letters it (CHUNK_MAX_RECEIVES). */
  deliveries: CHAOS_SETTINGS.chunkMaxReceives,
};

const SIMULATOR_KEY = 'chaos-simulator-key';

/** Simulator outcomes that are answers (HTTP 200 with content); the others are failed calls. */
export const ANSWERED = ['ok', 'malformed', 'truncated', 'safety', 'bad_items', 'near_duplicate'] as const;

export function startSimulator(config: SimulatorConfig): Promise<GeminiSimulator> {
  return startGeminiSimulator({ ...config, apiKey: SIMULATOR_KEY });
}

export interface WorkerInvocation {
  requestId: string;
  chunkKey: string;
  jobId: string;
  receiveCount: number;
  startedAt: number;
  geminiCalls: number;
  /** What the invocation was about to do when it was killed. */
  killedAt?: string;
  blocked: number;
  end?: string;
}

/** Whether to kill `invocation` before it sends `request`; the answer names the point, for the report. */
export type KillPlan = (request: OutboundRequest, invocation: WorkerInvocation) => string | undefined;

const isWorker = (info: InvocationInfo) => /GenerateChunkWorker/.test(info.logicalId ?? info.functionName);
const isDeadLetter = (info: InvocationInfo) => /DeadLetter/.test(info.logicalId ?? info.functionName);

/** Every chunk worker invocation: its chunk, delivery, model calls and end; fed by the runtime's hooks. */
export class Ledger {
  readonly invocations = new Map<string, WorkerInvocation>();
  deadLetters = 0;
  killPlan: KillPlan | undefined;

  readonly hooks: InvocationHooks = {
    onStart: (info) => {
      if (isDeadLetter(info)) this.deadLetters += 1;
      if (!isWorker(info)) return;
      const record = (info.event as { Records?: { body: string; attributes: Record<string, string> }[] })
        .Records?.[0];
      const body = JSON.parse(record?.body ?? '{}') as { chunk_key?: string; job_id?: string };
      this.invocations.set(info.requestId, {
        requestId: info.requestId,
        chunkKey: body.chunk_key ?? '?',
        jobId: body.job_id ?? '?',
        receiveCount: Number(record?.attributes.ApproximateReceiveCount ?? 1),
        startedAt: Date.now(),
        geminiCalls: 0,
        blocked: 0,
      });
    },
    onRequest: (request, info) => {
      const invocation = this.invocations.get(info.requestId);
      if (!invocation) return undefined;
      if (request.via === 'fetch' && request.path.includes(':generateContent')) invocation.geminiCalls += 1;
      const point = this.killPlan ? outsideInvocation(() => this.killPlan?.(request, invocation)) : undefined;
      if (point === undefined) return undefined;
      invocation.killedAt = point;
      return 'kill';
    },
    onBlocked: (_request, info) => {
      const invocation = this.invocations.get(info.requestId);
      if (invocation) invocation.blocked += 1;
    },
    onEnd: (info, outcome) => {
      const invocation = this.invocations.get(info.requestId);
      if (invocation) invocation.end = outcome;
    },
  };

  all(): WorkerInvocation[] {
    return [...this.invocations.values()].sort((a, b) => a.startedAt - b.startedAt);
  }

  byChunk(): Map<string, WorkerInvocation[]> {
    const map = new Map<string, WorkerInvocation[]>();
    for (const invocation of this.all()) {
      const list = map.get(invocation.chunkKey) ?? [];
      list.push(invocation);
      map.set(invocation.chunkKey, list);
    }
    return map;
  }

  geminiCalls(): number {
    return this.all().reduce((sum, i) => sum + i.geminiCalls, 0);
  }
}

export interface ApiResponse {
  status: number;
  body: any;
}

export interface ChaosStack {
  stack: LocalStack;
  owner: string;
  dataDir: string;
  api(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  store: Store;
  stop(): Promise<void>;
}

export async function startChaosStack(options: {
  dataDir: string;
  simulatorUrl: string;
  hooks?: InvocationHooks;
  verbose?: boolean;
  /** Settings on top of CHAOS_SETTINGS (a scenario in a process of its own). */
  settings?: Record<string, unknown>;
}): Promise<ChaosStack> {
  const stack = await startLocalStack({
    dataDir: options.dataDir,
    port: 0,
    quiet: !options.verbose,
    gemini: { apiKey: SIMULATOR_KEY },
    settings: { ...CHAOS_SETTINGS, ...options.settings } as never,
    env: {
      GEMINI_BASE_URL: options.simulatorUrl,
      POWERTOOLS_LOG_LEVEL: options.verbose ? 'WARN' : 'SILENT',
    },
    visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_SECONDS,
    ...(options.hooks ? { invocationHooks: options.hooks } : {}),
  });
  const { MAX_CALLS_PER_CHUNK } = await import('#jobs/chunk-common.ts');
  if (MAX_CALLS_PER_CHUNK !== BOUNDS.answersPerDelivery) {
    await stack.stop();
    throw new Error(
      `BOUNDS.answersPerDelivery is ${BOUNDS.answersPerDelivery}, the worker's ${MAX_CALLS_PER_CHUNK}`,
    );
  }
  const [key] = stack.apiKeys;
  if (!key) throw new Error('the local stack has no API key');
  const baseUrl = stack.apiUrl.replace(/\/$/, '');
  return {
    stack,
    owner: key.id,
    dataDir: options.dataDir,
    api: (method, path, body) => callApi(baseUrl, key.value, method, path, body),
    store: new Store(stack),
    stop: () => stack.stop(),
  };
}

/** A fresh data folder for a scenario's stack. */
export function scenarioDataDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'quizgen-chaos-'));
}

/** What a scenario run in this process starts: its simulator, a ledger, and a stack on a fresh folder. */
export interface ScenarioStack {
  simulator: GeminiSimulator;
  ledger: Ledger;
  dataDir: string;
  chaos: ChaosStack;
}

export async function startScenarioStack(
  simulatorConfig: SimulatorConfig,
  options: { verbose?: boolean },
): Promise<ScenarioStack> {
  const simulator = await startSimulator(simulatorConfig);
  const ledger = new Ledger();
  const dataDir = await scenarioDataDir();
  const chaos = await startChaosStack({
    dataDir,
    simulatorUrl: simulator.url,
    hooks: ledger.hooks,
    ...(options.verbose ? { verbose: true } : {}),
  });
  return { simulator, ledger, dataDir, chaos };
}

/**
 * Ends a scenario's report once its stacks and simulator are stopped: its duration, and its data
 * folder removed, or kept and named when the scenario found problems.
 */
export async function endScenario(report: ScenarioReport, dataDir: string, started: number): Promise<void> {
  report.seconds = (Date.now() - started) / 1000;
  if (report.problems.length === 0) await rm(dataDir, { recursive: true, force: true });
  else report.notes.push(`data kept in ${dataDir}`);
}

export async function callApi(
  baseUrl: string,
  key: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<ApiResponse> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON; keep the text
  }
  return { status: response.status, body: parsed };
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

export async function waitForJob(
  api: ChaosStack['api'],
  jobId: string,
  until: (job: any) => boolean = (job) => TERMINAL.has(job.status),
  timeoutMs = 180_000,
): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    const response = await api('GET', `${BASE}/jobs/${jobId}`);
    if (response.status !== 200) throw new Error(`GET job answered ${response.status}`);
    last = response.body;
    if (until(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`job ${jobId} did not get there in ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
}

export async function startJob(api: ChaosStack['api'], path: string, body: unknown): Promise<string> {
  const started = await api('POST', `${BASE}${path}`, body);
  if (started.status !== 202)
    throw new Error(`POST ${path} answered ${started.status}: ${JSON.stringify(started.body)}`);
  return started.body.job_id as string;
}

export interface JobItem {
  job_id: string;
  status: string;
  owner: string;
  chunks_planned: number;
  chunks_total: number;
  chunks_skipped: number;
  chunks_completed: number;
  chunks_failed: number;
  questions_generated: number;
  error_message: string | null;
  counted_chunks?: Set<string>;
  input_tokens?: number;
  output_tokens?: number;
  thinking_tokens?: number;
  cached_tokens?: number;
  cost_usd?: number;
}

export interface ChunkRecordItem {
  chunk_key: string;
  status: string;
  attempts: number;
  questions?: number;
  last_error?: string | null;
  cost_usd?: number;
  quality?: unknown;
}

export interface StoredQuestion {
  id: string;
  question: string;
  provenance?: { attempt: number; call: number };
}

export interface ChunkFileItem {
  chunk_key: string;
  job_id: string;
  model: string;
  generated_at: string;
  question_count: number;
  calls: number;
  quality?: unknown;
  usage: { input_tokens: number; output_tokens: number; thinking_tokens: number; cached_tokens: number };
  /** USD of the chunk's calls, each priced as it was made (so not recomputable from `usage`). */
  cost_usd: number;
  questions: StoredQuestion[];
}

/** A raw model answer the worker kept: `raw/<job>/<chunk>/<attempt>-<call>.json`. */
export interface RawAnswer {
  jobId: string;
  chunkKey: string;
  attempt: number;
  call: number;
  /** Why Gemini refused the answer, when it did: its block reason or its policy finish reason. */
  refusal?: string;
}

/** Finish reasons that end an answer on policy (lambdas/platform/gemini/refusals.ts). */
const POLICY_STOPS = /^(SAFETY|RECITATION|PROHIBITED_CONTENT|SPII|BLOCKLIST|LANGUAGE|IMAGE_\w+)$/;

/** Reads what the pipeline left behind, with clients of the test's own. */
export class Store {
  readonly dynamo: DynamoDBDocumentClient;
  readonly s3: S3Client;
  readonly table: string;
  readonly bucket: string;

  constructor(stack: LocalStack) {
    const credentials = {
      accessKeyId: stack.env.AWS_ACCESS_KEY_ID ?? 'S3RVER',
      secretAccessKey: stack.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER',
    };
    const region = stack.env.AWS_REGION ?? 'us-east-1';
    this.dynamo = DynamoDBDocumentClient.from(
      new DynamoDBClient({ region, credentials, endpoint: stack.env.AWS_ENDPOINT_URL_DYNAMODB }),
    );
    this.s3 = new S3Client({
      region,
      credentials,
      endpoint: stack.env.AWS_ENDPOINT_URL_S3,
      forcePathStyle: true,
    });
    this.table = stack.resources.tableName;
    this.bucket = stack.resources.bucketName;
  }

  async job(jobId: string): Promise<JobItem> {
    const { Item } = await this.dynamo.send(
      new GetCommand({ TableName: this.table, Key: { pk: `JOB#${jobId}`, sk: 'JOB' }, ConsistentRead: true }),
    );
    if (!Item) throw new Error(`no job ${jobId}`);
    return Item as JobItem;
  }

  async chunkRecords(jobId: string): Promise<ChunkRecordItem[]> {
    return (await this.query(`JOB#${jobId}`, 'CHUNK#')) as unknown as ChunkRecordItem[];
  }

  async checkpoint(owner: string): Promise<Map<string, { job_id: string; s3_key: string }>> {
    const items = await this.query(`CKPT#${owner}`);
    return new Map(items.map((item) => [String(item.sk), item as { job_id: string; s3_key: string }]));
  }

  /** The ids of the questions in a career's (or topic's) near-duplicate bank. */
  async bank(owner: string, scope: string): Promise<{ chunk_key: string; question_id: string }[]> {
    return (await this.query(`QBANK#${owner}#${scope}`)) as unknown as {
      chunk_key: string;
      question_id: string;
    }[];
  }

  async chunkFile(owner: string, chunkKey: string): Promise<ChunkFileItem | undefined> {
    return this.json<ChunkFileItem>(`checkpoints/${owner}/${chunkKey}.json`);
  }

  async rawAnswers(jobId: string): Promise<RawAnswer[]> {
    const keys = await this.list(`raw/${jobId}/`);
    const answers = keys.map(async (key): Promise<RawAnswer[]> => {
      const match = /^raw\/([^/]+)\/([^/]+)\/(\d+)-(\d+)\.json$/.exec(key);
      if (!match) return [];
      const copy = await this.json<{
        response?: { candidates?: { finishReason?: string }[]; promptFeedback?: { blockReason?: string } };
      }>(key);
      const blocked = copy?.response?.promptFeedback?.blockReason;
      const finish = copy?.response?.candidates?.[0]?.finishReason;
      const refusal = blocked ?? (finish && POLICY_STOPS.test(finish) ? finish : undefined);
      return [
        {
          jobId: match[1] ?? '',
          chunkKey: match[2] ?? '',
          attempt: Number(match[3]),
          call: Number(match[4]),
          ...(refusal ? { refusal } : {}),
        },
      ];
    });
    return (await Promise.all(answers)).flat();
  }

  async json<T>(key: string): Promise<T | undefined> {
    try {
      const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse(await (object.Body?.transformToString() ?? Promise.resolve('null'))) as T;
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined;
      throw error;
    }
  }

  private async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      for (const object of page.Contents ?? []) if (object.Key) keys.push(object.Key);
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  private async query(pk: string, skPrefix?: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.dynamo.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: skPrefix ? 'pk = :pk AND begins_with(sk, :sk)' : 'pk = :pk',
          ExpressionAttributeValues: skPrefix ? { ':pk': pk, ':sk': skPrefix } : { ':pk': pk },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  destroy(): void {
    this.dynamo.destroy();
    this.s3.destroy();
  }
}
