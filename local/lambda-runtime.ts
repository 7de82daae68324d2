/**
 * Runs the project's Lambda handlers in this process, the way the Node.js Lambda runtime
 * would: the event crosses a JSON boundary within Lambda's payload limits, the handler gets a
 * realistic `Context`, the function's Timeout is enforced, and a thrown error becomes
 * `{ errorType, errorMessage, trace }` exactly as Lambda reports it to its callers (Step
 * Functions, the event source mapping, API Gateway).
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes, randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';
import { LAMBDA_SYNC_PAYLOAD_MAX_BYTES } from '../lib/settings.ts';
import {
  type CfnResource,
  type CfnTemplate,
  ENTRY_METADATA_KEY,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  resourcesOfType,
} from './cloudformation.ts';

export interface LambdaFunctionConfig {
  functionName: string;
  /** Source file, relative to `rootDir` (or absolute). */
  entry: string;
  /** Exported function name; the part after the last dot of the template's `Handler`. */
  handlerExport?: string;
  timeoutSeconds?: number;
  memorySizeMb?: number;
  logicalId?: string;
  environment?: Record<string, string>;
}

/** The payload Lambda returns for a failed invocation (Node.js runtime format). */
export interface LambdaErrorPayload {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

export class LambdaInvocationError extends Error {
  readonly payload: LambdaErrorPayload;
  constructor(payload: LambdaErrorPayload) {
    super(payload.errorMessage);
    this.name = payload.errorType;
    this.payload = payload;
  }
}

export type Invoke = (event: unknown) => Promise<unknown>;

export interface LocalLambda {
  readonly config: Required<Omit<LambdaFunctionConfig, 'logicalId' | 'environment'>> &
    Pick<LambdaFunctionConfig, 'logicalId' | 'environment'>;
  readonly arn: string;
  /** Resolves with the handler's JSON result, rejects with a `LambdaInvocationError`. */
  invoke: Invoke;
  /** Invocations currently running, for tests and diagnostics. */
  inFlight(): number;
  /** With hooks: kills every running invocation (a stopping stack ends its sandboxes). */
  killAll(): void;
}

type HandlerFn = (event: unknown, context: Context) => unknown;

export interface LoadLambdaOptions {
  rootDir?: string;
  region?: string;
  accountId?: string;
  /** Called with each failed invocation; the local stack prints these unless quiet. */
  onError?: (functionName: string, error: LambdaErrorPayload) => void;
  /** Observation and fault injection for chaos tests (see InvocationHooks); `npm start` sets none. */
  hooks?: InvocationHooks;
}

/** A running invocation, as chaos hooks see it. */
export interface InvocationInfo {
  functionName: string;
  logicalId: string | undefined;
  requestId: string;
  /** The event as the handler received it (after the JSON boundary). */
  event: unknown;
}

/** An outbound HTTP request of an invocation: an AWS SDK call (node:http) or a fetch (Gemini). */
export interface OutboundRequest {
  via: 'http' | 'fetch';
  method: string;
  host: string;
  path: string;
  /** `x-amz-target`: the operation of a JSON-protocol AWS call (DynamoDB, SQS, Step Functions). */
  target: string | undefined;
}

export type InvocationEnd = 'succeeded' | 'failed' | 'timed_out' | 'killed';

/**
 * Chaos testing: see every invocation and every request it makes, and crash one at a chosen
 * request, as a Lambda whose process dies (out of memory, a runtime crash, a killed sandbox)
 * would. Lambda reports such an invocation as failed with `Runtime.ExitError`; its caller (the
 * SQS event source mapping) leaves the batch to come back after the visibility timeout.
 *
 * A handler cannot be stopped in-process, so with hooks each invocation runs in its own async
 * context and is cut off from the world once it is dead: the request it was about to send is
 * never sent, requests in flight are destroyed, and every later request fails unsent. What
 * goes on in its memory no longer matters, exactly as for a dead sandbox. The same holds for an
 * invocation that outlives its timeout, which Lambda also ends by killing the sandbox.
 */
export interface InvocationHooks {
  onStart?(invocation: InvocationInfo): void;
  /** Before each outbound request of a live invocation; `'kill'` crashes the invocation there, unsent. */
  onRequest?(request: OutboundRequest, invocation: InvocationInfo): 'kill' | undefined;
  /** A request a dead (killed or timed-out) invocation tried to make; it was not sent. */
  onBlocked?(request: OutboundRequest, invocation: InvocationInfo): void;
  onEnd?(invocation: InvocationInfo, outcome: InvocationEnd): void;
}

interface LiveInvocation {
  info: InvocationInfo;
  hooks: InvocationHooks;
  /** Set once the invocation is dead; every request after that is refused. */
  dead: boolean;
  /** Aborts the invocation's fetches when it dies. */
  controller: AbortController;
  requests: Set<ClientRequest>;
  kill(): void;
}

const currentInvocation = new AsyncLocalStorage<LiveInvocation>();
let guardsInstalled = false;

/**
 * Runs `fn` outside any invocation: a hook that itself calls a local service (a test reading
 * S3 when it kills an invocation) must not have its requests counted as, or cut off with, the
 * invocation's.
 */
export function outsideInvocation<T>(fn: () => T): T {
  return currentInvocation.exit(fn);
}

function cutOffError(): Error {
  return Object.assign(new Error('The invocation is no longer running (killed or timed out)'), {
    code: 'ECONNRESET',
  });
}

/**
 * Watches every HTTP request made in this process and acts on those made inside a hooked
 * invocation. Installed once and never removed: a dead invocation may try again long after its
 * stack stopped, and must not reach the next stack started on the same ports.
 */
function installGuards(): void {
  if (guardsInstalled) return;
  guardsInstalled = true;
  subscribe('http.client.request.created', (message) => {
    const invocation = currentInvocation.getStore();
    if (!invocation) return;
    const request = (message as { request: ClientRequest }).request;
    const target = request.getHeader('x-amz-target');
    const outbound: OutboundRequest = {
      via: 'http',
      method: request.method,
      host: String(request.getHeader('host') ?? request.host),
      path: request.path,
      target: typeof target === 'string' ? target : undefined,
    };
    if (!invocation.dead && invocation.hooks.onRequest?.(outbound, invocation.info) === 'kill') {
      invocation.kill();
    }
    if (invocation.dead) {
      invocation.hooks.onBlocked?.(outbound, invocation.info);
      request.destroy(cutOffError());
      return;
    }
    invocation.requests.add(request);
    request.once('close', () => invocation.requests.delete(request));
  });
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) => {
    const invocation = currentInvocation.getStore();
    if (!invocation) return original(input, init);
    const url = new URL(input instanceof Request ? input.url : String(input));
    const outbound: OutboundRequest = {
      via: 'fetch',
      method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
      host: url.host,
      path: `${url.pathname}${url.search}`,
      target: undefined,
    };
    if (!invocation.dead && invocation.hooks.onRequest?.(outbound, invocation.info) === 'kill') {
      invocation.kill();
    }
    if (invocation.dead) {
      invocation.hooks.onBlocked?.(outbound, invocation.info);
      return Promise.reject(new TypeError('fetch failed', { cause: cutOffError() }));
    }
    const signal = init?.signal
      ? AbortSignal.any([init.signal, invocation.controller.signal])
      : invocation.controller.signal;
    return original(input, { ...init, signal });
  };
}

export function functionArn(
  functionName: string,
  region = LOCAL_REGION,
  accountId = LOCAL_ACCOUNT_ID,
): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}

function toErrorPayload(error: unknown): LambdaErrorPayload {
  if (error instanceof Error) {
    return {
      errorType: error.name || 'Error',
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  return { errorType: 'Error', errorMessage: String(error), trace: [] };
}

/** Lambda lets a response be 100 bytes longer than a request. */
const RESPONSE_MAX_BYTES = LAMBDA_SYNC_PAYLOAD_MAX_BYTES + 100;

/**
 * JSON in, JSON out: what a handler sees and returns through the real Lambda service, which
 * refuses an event or a result larger than its synchronous payload limit.
 */
function jsonRoundTrip(value: unknown, direction: 'request' | 'response'): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  const bytes = Buffer.byteLength(text);
  if (direction === 'request' && bytes > LAMBDA_SYNC_PAYLOAD_MAX_BYTES) {
    throw new LambdaInvocationError({
      errorType: 'RequestEntityTooLargeException',
      errorMessage: `Request must be smaller than ${LAMBDA_SYNC_PAYLOAD_MAX_BYTES} bytes for the Invoke operation`,
      trace: [],
    });
  }
  if (direction === 'response' && bytes > RESPONSE_MAX_BYTES) {
    throw new LambdaInvocationError({
      errorType: 'Function.ResponseSizeTooLarge',
      errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_MAX_BYTES} bytes).`,
      trace: [],
    });
  }
  return JSON.parse(text);
}

export function createLambdaContext(
  config: LocalLambda['config'],
  arn: string,
  deadline: number,
  awsRequestId: string = randomUUID(),
): Context {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '/');
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported: return a value or throw instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: String(config.memorySizeMb),
    awsRequestId,
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}

/** Sandboxes whose invocation was killed or timed out: their module instances are never used again. */
const retiredSandboxes = new Set<string>();
const sandboxCounts = new Map<string, number>();

/**
 * A module URL for a new sandbox of `url`: the plain one first, as long as no dead invocation
 * ran in it, then `?sandbox=N`, which Node loads as a separate instance of the entry module.
 */
function sandboxUrl(url: string, first: boolean): string {
  if (first && !retiredSandboxes.has(url)) return url;
  const n = (sandboxCounts.get(url) ?? 1) + 1;
  sandboxCounts.set(url, n);
  return `${url}?sandbox=${n}`;
}

interface Sandbox {
  url: string;
  handler: HandlerFn;
}

export async function loadLambda(
  config: LambdaFunctionConfig,
  options: LoadLambdaOptions = {},
): Promise<LocalLambda> {
  const exportName = config.handlerExport ?? 'handler';
  const url = pathToFileURL(resolve(options.rootDir ?? process.cwd(), config.entry)).href;
  const load = async (first: boolean): Promise<Sandbox> => {
    const sandbox = sandboxUrl(url, first);
    const module = (await import(sandbox)) as Record<string, unknown>;
    const handler = module[exportName];
    if (typeof handler !== 'function') {
      throw new Error(`${config.entry} does not export a function named "${exportName}"`);
    }
    return { url: sandbox, handler: handler as HandlerFn };
  };
  const first = await load(true);
  return createLocalLambda(config, first.handler, options, { first, load: () => load(false) });
}

/**
 * Wraps an in-memory handler function (tests use this for fixture handlers).
 *
 * Like Lambda, a sandbox runs one invocation at a time: with `sandboxes` (a loaded module), an
 * invocation that finds none idle gets a new one, its own instance of the handler module (what
 * that imports is shared), so module-scope state such as a Powertools BatchProcessor is never
 * shared by invocations running at once. A sandbox whose invocation was killed or timed out is
 * thrown away, as Lambda starts a fresh one. Without `sandboxes`, every invocation shares `handler`.
 */
export function createLocalLambda(
  config: LambdaFunctionConfig,
  handler: HandlerFn,
  options: LoadLambdaOptions = {},
  sandboxes?: { first: Sandbox; load: () => Promise<Sandbox> },
): LocalLambda {
  const resolved: LocalLambda['config'] = {
    functionName: config.functionName,
    entry: config.entry,
    handlerExport: config.handlerExport ?? 'handler',
    timeoutSeconds: config.timeoutSeconds ?? 3,
    memorySizeMb: config.memorySizeMb ?? 128,
    logicalId: config.logicalId,
    environment: config.environment,
  };
  const arn = functionArn(resolved.functionName, options.region, options.accountId);
  let running = 0;
  const live = new Set<LiveInvocation>();
  const hooks = options.hooks;
  if (hooks) installGuards();
  const idle: Sandbox[] = sandboxes ? [sandboxes.first] : [];
  const acquire = async (): Promise<Sandbox> =>
    idle.pop() ?? (sandboxes ? await sandboxes.load() : { url: '', handler });

  const invoke: Invoke = async (event) => {
    const timeoutMs = resolved.timeoutSeconds * 1000;
    const requestId = randomUUID();
    let timer: NodeJS.Timeout | undefined;
    // Set by the timer and by kill() too: a type assertion keeps TypeScript from narrowing it.
    let ended = 'failed' as InvocationEnd;
    let invocation: LiveInvocation | undefined;
    let killed: Promise<never> | undefined;
    running++;
    let sandbox: Sandbox | undefined;
    try {
      const input = jsonRoundTrip(event, 'request');
      const box = await acquire();
      sandbox = box;
      // The timeout counts the handler's run, from here: Lambda reads the payload and loads a
      // new sandbox's code before the function's time starts. The Init phase has its own 10 s
      // bound (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html),
      // not enforced here: no handler's module takes near that to load.
      const deadline = Date.now() + timeoutMs;
      const context = createLambdaContext(resolved, arn, deadline, requestId);
      // The handler cannot be killed in-process; like Lambda, its caller sees a timeout and
      // (with hooks) the invocation is cut off from everything outside it.
      const timedOut = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ended = 'timed_out';
          reject(
            new LambdaInvocationError({
              errorType: 'Sandbox.Timedout',
              errorMessage: `RequestId: ${requestId} Error: Task timed out after ${resolved.timeoutSeconds.toFixed(2)} seconds`,
              trace: [],
            }),
          );
          // After the rejection above, so the caller sees the timeout rather than the cut-off.
          invocation?.kill();
        }, timeoutMs);
      });
      let run = () => Promise.resolve().then(() => box.handler(input, context));
      if (hooks) {
        const { promise, reject } = Promise.withResolvers<never>();
        killed = promise;
        const info: InvocationInfo = {
          functionName: resolved.functionName,
          logicalId: resolved.logicalId,
          requestId,
          event: input,
        };
        const current: LiveInvocation = {
          info,
          hooks,
          dead: false,
          controller: new AbortController(),
          requests: new Set(),
          kill() {
            if (current.dead) return;
            current.dead = true;
            live.delete(current);
            current.controller.abort(cutOffError());
            for (const request of current.requests) request.destroy(cutOffError());
            current.requests.clear();
            if (ended !== 'timed_out') ended = 'killed';
            reject(
              new LambdaInvocationError({
                errorType: 'Runtime.ExitError',
                errorMessage: `RequestId: ${requestId} Error: Runtime exited with error: signal: killed`,
                trace: [],
              }),
            );
          },
        };
        invocation = current;
        live.add(current);
        hooks.onStart?.(info);
        const plain = run;
        run = () => currentInvocation.run(current, plain);
      }
      const result = await Promise.race([run(), timedOut, ...(killed ? [killed] : [])]);
      const response = jsonRoundTrip(result, 'response');
      ended = 'succeeded';
      return response;
    } catch (error) {
      const payload = error instanceof LambdaInvocationError ? error.payload : toErrorPayload(error);
      options.onError?.(resolved.functionName, payload);
      throw error instanceof LambdaInvocationError ? error : new LambdaInvocationError(payload);
    } finally {
      clearTimeout(timer);
      running--;
      if (sandbox && (ended === 'killed' || ended === 'timed_out')) {
        if (sandbox.url) retiredSandboxes.add(sandbox.url);
      } else if (sandbox) idle.push(sandbox);
      if (invocation) {
        live.delete(invocation);
        // A late rejection of a dead invocation's handler has nobody left to catch it.
        killed?.catch(() => {});
        hooks?.onEnd?.(invocation.info, ended);
      }
    }
  };

  /** Ends every running invocation, as stopping the service ends its sandboxes. */
  const killAll = () => {
    for (const invocation of [...live]) invocation.kill();
  };

  return { config: resolved, arn, invoke, inFlight: () => running, killAll };
}

export interface TemplateFunction {
  logicalId: string;
  resource: CfnResource;
  config: LambdaFunctionConfig;
}

/**
 * The template's Lambda functions that come from `lambdas/` (those CDK adds for its own
 * custom resources carry no entry and are skipped). Physical names follow CloudFormation's
 * pattern `<stack>-<logicalId>` so logs read like the deployed ones.
 */
export function templateFunctions(template: CfnTemplate, stackName: string): TemplateFunction[] {
  return resourcesOfType(template, 'AWS::Lambda::Function').flatMap(([logicalId, resource]) => {
    const entry = resource.Metadata?.[ENTRY_METADATA_KEY];
    if (typeof entry !== 'string') return [];
    const props = resource.Properties ?? {};
    const handlerSetting = typeof props.Handler === 'string' ? props.Handler : 'index.handler';
    const config: LambdaFunctionConfig = {
      logicalId,
      functionName: physicalFunctionName(stackName, logicalId, props.FunctionName),
      entry,
      handlerExport: handlerSetting.slice(handlerSetting.lastIndexOf('.') + 1),
      timeoutSeconds: typeof props.Timeout === 'number' ? props.Timeout : 3,
      memorySizeMb: typeof props.MemorySize === 'number' ? props.MemorySize : 128,
    };
    return [{ logicalId, resource, config }];
  });
}

export function physicalFunctionName(stackName: string, logicalId: string, explicit?: unknown): string {
  if (typeof explicit === 'string') return explicit;
  return `${stackName}-${logicalId}`.slice(0, 64);
}
