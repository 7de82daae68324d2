/**
 * The whole service on this machine: the CDK app is synthesized in-process and every resource
 * of its template gets a local stand-in (dynalite, s3rver, local-aws-sqs, the local Step
 * Functions, event source pollers, EventBridge rules, API Gateway), wired to the same handler
 * modules that run in AWS. Handlers reach the stand-ins only through the SDK's standard
 * `AWS_ENDPOINT_URL_<SERVICE>` variables and the environment the template gives them.
 *
 * All handlers share this process and its `process.env`, and their modules (with the SDK
 * clients and settings they build at load time) are loaded once per process. So one stack
 * runs at a time, and a stack started again in the same process reuses the ports of the first
 * one, so clients built by already-loaded modules still reach the right servers.
 *
 * This file is the start and stop sequence; what it reads of the template is in
 * `stack-template.ts`, the data directory in `stack-data-dir.ts`, and the table, queues and
 * event source pollers it makes in `stack-resources.ts`.
 */

import { mkdirSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { ENV, resetConfig } from '#platform/config.ts';
import { buildConsole } from '../console/build.ts';
import { createApp } from '../lib/app.ts';
import { API_BASE_PATH } from '../lib/routes.ts';
import type { Settings } from '../lib/settings.ts';
import { type ApiGateway, type ApiKey, startApiGateway } from './api-gateway.ts';
import { startControlPlane } from './api-gateway-control-plane.ts';
import { createAtomicS3rver } from './atomic-s3-store.ts';
import {
  type CfnTemplate,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  resolveDefinition,
  resourcesOfType,
} from './cloudformation.ts';
import { startDynaliteProcess } from './dynalite-process.ts';
import { executionStatusChangeEvent, startEventRules } from './event-rules.ts';
import {
  type GeminiSimulator,
  type SimulatorConfig,
  startGeminiSimulator,
} from './gemini-simulator/index.ts';
import {
  functionArn,
  type InvocationHooks,
  type Invoke,
  type LocalLambda,
  loadLambda,
  templateFunctions,
} from './lambda-runtime.ts';
import { createStrictSqsServer } from './sqs-server.ts';
import { loadApiKeys, loadWebhookSecret, lockDataDir, unlockDataDir } from './stack-data-dir.ts';
import { createQueues, type EventSource, ensureTable, startEventSources } from './stack-resources.ts';
import { corsConfigs, handlerEnvironment, LocalNames, onlyResource } from './stack-template.ts';
import { type StepFunctionsService, startStepFunctionsService } from './step-functions-service.ts';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** s3rver accepts no other credentials; the other emulators accept any. */
const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
/** Key the simulator insists on, so a handler that loses GEMINI_API_KEY fails as it would in AWS. */
export const SIMULATOR_API_KEY = 'local-simulator-key';
const DEFAULT_VISIBILITY_TIMEOUT_SECONDS = 30;

export interface LocalStackOptions {
  /** Where DynamoDB, S3 and the API keys persist. */
  dataDir: string;
  /** API port; 0 picks a free one. @default 3000 */
  port?: number;
  /** Real Gemini when `apiKey` is given and no simulator asked for; the simulator otherwise. */
  gemini?: {
    apiKey?: string;
    /** With `apiKey`: a gateway or proxy in front of Gemini (GEMINI_BASE_URL; http allowed here). */
    baseUrl?: string;
    simulator?: SimulatorConfig;
  };
  settings?: Partial<Settings>;
  /** Extra environment for the handlers; wins over everything else. */
  env?: Record<string, string>;
  /** No progress lines on stdout/stderr. */
  quiet?: boolean;
  /** Handler logs at INFO and execution traces. */
  verbose?: boolean;
  /** Visibility timeout of the local queues (AWS: the template's, typically 6x the worker timeout). */
  visibilityTimeoutSeconds?: number;
  /** API Gateway integration timeout where a method sets none (AWS: 29 s). */
  integrationTimeoutMs?: number;
  /**
   * Chaos tests only: watch every Lambda invocation and the requests it makes, and kill one at
   * a chosen request (see InvocationHooks). Unset by `npm start`.
   */
  invocationHooks?: InvocationHooks;
}

export interface LocalStack {
  /** Root of the API, as the deployed stack's ApiUrl output (stage not included locally). */
  apiUrl: string;
  /** `apiUrl` + `/api/v1/quiz-generator`. */
  baseUrl: string;
  apiKeys: ApiKey[];
  simulator?: GeminiSimulator;
  stepFunctions: StepFunctionsService;
  /** The environment the handlers run with (also applied to process.env while running). */
  env: Record<string, string>;
  /** Local names of the template's resources, e.g. the table name and the queue URLs. */
  resources: {
    tableName: string;
    bucketName: string;
    stateMachineArn: string;
    queues: Record<string, string>;
  };
  /** The SQS event source mappings running locally, one poller each. */
  eventSources: EventSource[];
  template: CfnTemplate;
  /** CPU time used so far by the stand-ins in processes of their own (dynalite). */
  childCpuUsage(): Promise<NodeJS.CpuUsage>;
  stop(): Promise<void>;
}

interface Ports {
  dynamodb: number;
  s3: number;
  sqs: number;
  sfn: number;
  gemini: number;
  apigateway: number;
}

let rememberedPorts: Ports | undefined;
let running = false;
let loadedEnv: Record<string, string> | undefined;

function listenPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolvePromise) => {
    server.close(() => resolvePromise());
    server.closeAllConnections();
  });
}

function applyEnv(env: Record<string, string | undefined>): Record<string, string | undefined> {
  const previous: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(env)) {
    previous[name] = process.env[name];
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  // The handlers run in this process: they read their settings again, as after a redeployment.
  resetConfig();
  return previous;
}

export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  if (running) throw new Error('A local stack is already running in this process; stop it first');
  running = true;
  const cleanups: Cleanup[] = [];
  const onStop = (name: string, run: Cleanup['run']) => cleanups.push({ name, run });
  const quiet = options.quiet ?? false;
  const say = (line: string) => {
    if (!quiet) console.error(`[local] ${line}`);
  };
  const trace = options.verbose ? say : () => {};

  try {
    const dataDir = resolve(options.dataDir);
    mkdirSync(join(dataDir, 'dynamodb'), { recursive: true });
    mkdirSync(join(dataDir, 's3'), { recursive: true });
    await lockDataDir(dataDir);
    onStop('data directory lock', () => unlockDataDir(dataDir));

    const { app, stack } = createApp({ bundle: false, settings: options.settings });
    const assembly = app.synth();
    const template = assembly.getStackArtifact(stack.artifactId).template as CfnTemplate;
    if (resolve(assembly.directory).startsWith(resolve(tmpdir()))) {
      rmSync(assembly.directory, { recursive: true, force: true });
    }
    const names = new LocalNames(stack.stackName, template);
    const ports: Ports = rememberedPorts ?? { dynamodb: 0, s3: 0, sqs: 0, sfn: 0, gemini: 0, apigateway: 0 };

    // Storage and messaging.
    const dynamodb = await startDynaliteProcess({ dataDir, port: ports.dynamodb });
    onStop('dynalite', () => dynamodb.close());
    ports.dynamodb = dynamodb.port;

    // Not s3rver's own store: its writes are not atomic as S3's are (see atomic-s3-store.ts).
    const s3 = createAtomicS3rver({
      address: '127.0.0.1',
      port: ports.s3,
      silent: true,
      directory: join(dataDir, 's3'),
      configureBuckets: resourcesOfType(template, 'AWS::S3::Bucket').map(([id, bucket]) => ({
        name: names.physical(id),
        configs: corsConfigs(bucket),
      })),
    });
    ports.s3 = (await s3.run()).port;
    onStop('s3rver', () => s3.close());

    // local-aws-sqs, with SQS's message size counted in bytes (see sqs-server.ts).
    const sqsServer = await createStrictSqsServer({
      port: ports.sqs,
      hostname: '127.0.0.1',
      accountId: LOCAL_ACCOUNT_ID,
      region: LOCAL_REGION,
      emulateQueueCreationLifecycle: false,
    });
    onStop('local SQS', () => closeServer(sqsServer));
    ports.sqs = listenPort(sqsServer);
    names.sqsEndpoint = `http://127.0.0.1:${ports.sqs}`;

    const endpoints = {
      dynamodb: `http://127.0.0.1:${ports.dynamodb}`,
      s3: `http://127.0.0.1:${ports.s3}`,
      sqs: names.sqsEndpoint,
    };
    const sdk = { region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    const dynamo = new DynamoDBClient({ ...sdk, endpoint: endpoints.dynamodb });
    const sqs = new SQSClient({ ...sdk, endpoint: endpoints.sqs });
    onStop('SDK clients', () => {
      dynamo.destroy();
      sqs.destroy();
    });
    // Restored only after everything that may still run a handler has stopped.
    let previousEnv: Record<string, string | undefined> | undefined;
    onStop('environment', () => {
      if (previousEnv) applyEnv(previousEnv);
    });

    const [tableId, tableResource] = onlyResource(template, 'AWS::DynamoDB::Table', 'the job table');
    await ensureTable(dynamo, names.physical(tableId), tableResource.Properties ?? {});

    const visibility = options.visibilityTimeoutSeconds ?? DEFAULT_VISIBILITY_TIMEOUT_SECONDS;
    const queues = await createQueues(sqs, template, names, visibility);

    // Gemini: the simulator unless a real key is given without asking for the simulator.
    const realGemini = options.gemini?.apiKey !== undefined && options.gemini.simulator === undefined;
    let simulator: GeminiSimulator | undefined;
    if (!realGemini) {
      simulator = await startGeminiSimulator({
        ...options.gemini?.simulator,
        apiKey: SIMULATOR_API_KEY,
        port: ports.gemini,
      });
      ports.gemini = simulator.port;
      const started = simulator;
      onStop('Gemini simulator', () => started.close());
    }

    // Rules and the state machine start before the handlers load, because the handlers' SDK
    // clients need the SFN endpoint when their modules build them; until then these delegate.
    const functions = templateFunctions(template, stack.stackName);
    const lambdas: Record<string, LocalLambda> = {};
    const delegate =
      (logicalId: string): Invoke =>
      (event) => {
        const fn = lambdas[logicalId];
        if (!fn) throw new Error(`Function ${logicalId} is not loaded yet`);
        return fn.invoke(event);
      };
    const byLogicalId = Object.fromEntries(
      functions.map(({ logicalId }) => [logicalId, delegate(logicalId)]),
    );
    const byArn = Object.fromEntries(
      functions.map(({ logicalId, config }) => [functionArn(config.functionName), delegate(logicalId)]),
    );

    const rules = startEventRules({ template, resolver: names.resolver, functions: byLogicalId, log: say });
    onStop('event rules', () => rules.drain());

    const [machineId] = onlyResource(template, 'AWS::StepFunctions::StateMachine', 'the job pipeline');
    const stepFunctions = await startStepFunctionsService({
      stateMachines: [
        {
          name: names.physical(machineId),
          definition: resolveDefinition(template, names.resolver, { stateMachineLogicalId: machineId }),
        },
      ],
      lambdas: byArn,
      sqs,
      port: ports.sfn,
      onStatusChange: (execution) => rules.publish(executionStatusChangeEvent(execution)),
      log: trace,
    });
    ports.sfn = stepFunctions.port;
    // Stopping aborts running executions; their ABORTED events reach the rules, drained after.
    onStop('Step Functions', () => stepFunctions.close());

    // API Gateway's control plane, for the key names the review API shows (GetApiKey).
    const apiKeys = loadApiKeys(dataDir);
    const controlPlane = await startControlPlane({
      apiKeys,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
      port: ports.apigateway,
    });
    ports.apigateway = controlPlane.port;
    onStop('API Gateway control plane', () => controlPlane.close());

    const functionEnv = handlerEnvironment(functions, names.resolver, say);
    // The deployed function finds the console's files beside its bundle (its bundling builds
    // them there); here the handlers run from source, so the files are built for this stack.
    const consoleDir = (await buildConsole(join(dataDir, 'console'))).outDir;
    const env: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
      AWS_ENDPOINT_URL_S3: endpoints.s3,
      AWS_ENDPOINT_URL_SQS: endpoints.sqs,
      AWS_ENDPOINT_URL_SFN: stepFunctions.url,
      AWS_ENDPOINT_URL_API_GATEWAY: controlPlane.url,
      AWS_S3_FORCE_PATH_STYLE: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
      // Untraced here (there is no X-Ray daemon), the X-Ray SDK Powertools' tracer loads would
      // still turn on an async hook following every promise of the process: of dynalite, s3rver,
      // the simulator and all the functions at once. In manual mode it loads without it. In AWS
      // each function is a process of its own, traced, and pays for its own promises only.
      AWS_XRAY_MANUAL_MODE: 'true',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_LOG_LEVEL: options.verbose ? 'INFO' : 'WARN',
      ...functionEnv,
      CONSOLE_ASSETS_DIR: consoleDir,
      [ENV.geminiApiKey]: realGemini ? (options.gemini?.apiKey ?? '') : SIMULATOR_API_KEY,
      [ENV.webhookSigningSecret]: loadWebhookSecret(options.dataDir),
      // Webhook receivers run on this machine in local mode; the deployed stack refuses them.
      [ENV.webhookAllowPrivateTargets]: 'true',
      ...(simulator ? { [ENV.geminiBaseUrl]: simulator.url } : {}),
      ...(realGemini && options.gemini?.baseUrl ? { [ENV.geminiBaseUrl]: options.gemini.baseUrl } : {}),
      ...options.env,
    };
    if (loadedEnv) {
      const changed = Object.keys(env).filter((name) => loadedEnv?.[name] !== env[name]);
      if (changed.length > 0) {
        say(
          `warning: the handlers were loaded earlier in this process with other values of ${changed.join(', ')}`,
        );
      }
    }
    // Credentials of the user's own AWS session must not leak into local calls.
    previousEnv = applyEnv({ ...env, AWS_SESSION_TOKEN: undefined, AWS_PROFILE: undefined });

    for (const { logicalId, config } of functions) {
      lambdas[logicalId] = await loadLambda(config, {
        rootDir: REPO_ROOT,
        onError: (name, error) => say(`${name} failed: ${error.errorType}: ${error.errorMessage}`),
        ...(options.invocationHooks ? { hooks: options.invocationHooks } : {}),
      });
    }
    loadedEnv = env;
    // Stopping ends the sandboxes: with hooks, what still runs once the pollers have drained is
    // cut off, so it cannot write into a stack started next on the same ports.
    onStop('running invocations', () => {
      for (const fn of Object.values(lambdas)) fn.killAll();
    });

    const { pollers, eventSources } = startEventSources({
      template,
      names,
      lambdas,
      sqs,
      queues,
      visibility,
      log: say,
    });
    onStop('event source pollers', () =>
      Promise.all(pollers.map((poller) => poller.stop())).then(() => undefined),
    );

    // API Gateway.
    const api: ApiGateway = await startApiGateway({
      template,
      functions: byLogicalId,
      apiKeys,
      port: options.port ?? 3000,
      integrationTimeoutMs: options.integrationTimeoutMs,
      log: trace,
    });
    onStop('API Gateway', () => api.close());
    rememberedPorts = ports;

    const buckets = resourcesOfType(template, 'AWS::S3::Bucket');
    const [bucketId] = buckets.find(([id]) => names.physical(id) === functionEnv[ENV.bucketName]) ??
      buckets[0] ?? [''];
    let stopped = false;
    return {
      apiUrl: api.url,
      baseUrl: `${api.url}${API_BASE_PATH}`,
      apiKeys,
      simulator,
      stepFunctions,
      env,
      resources: {
        tableName: names.physical(tableId),
        bucketName: names.physical(bucketId),
        stateMachineArn: names.resolver(machineId),
        queues: Object.fromEntries(queues.queues.map(([id]) => [id, names.resolver(id)])),
      },
      eventSources,
      template,
      childCpuUsage: () => dynamodb.cpuUsage(),
      async stop() {
        if (stopped) return;
        stopped = true;
        await runCleanups(cleanups, say, trace);
        running = false;
      },
    };
  } catch (error) {
    await runCleanups(cleanups, say, trace);
    running = false;
    throw error;
  }
}

/** Stops in reverse order of start: API first, storage last, so in-flight work can finish. */
interface Cleanup {
  name: string;
  run: () => Promise<void> | void;
}

async function runCleanups(cleanups: Cleanup[], say: (line: string) => void, trace: (line: string) => void) {
  for (const cleanup of cleanups.reverse()) {
    const started = Date.now();
    try {
      await cleanup.run();
    } catch (error) {
      say(`while stopping ${cleanup.name}: ${(error as Error).message}`);
    }
    trace(`stopped ${cleanup.name} in ${Date.now() - started} ms`);
  }
  cleanups.length = 0;
}
