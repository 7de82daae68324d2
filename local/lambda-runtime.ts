/**
 * Runs the project's Lambda handlers in this process, the way the Node.js Lambda runtime
 * would: the event crosses a JSON boundary within Lambda's payload limits, the handler gets a
 * realistic `Context`, the function's Timeout is enforced, and a thrown error becomes
 * `{ errorType, errorMessage, trace }` exactly as Lambda reports it to its callers (Step
 * Functions, the event source mapping, API Gateway).
 */

import { randomBytes, randomUUID } from 'node:crypto';
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
}

type HandlerFn = (event: unknown, context: Context) => unknown;

export interface LoadLambdaOptions {
  rootDir?: string;
  region?: string;
  accountId?: string;
  /** Called with each failed invocation; the local stack prints these unless quiet. */
  onError?: (functionName: string, error: LambdaErrorPayload) => void;
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

export async function loadLambda(
  config: LambdaFunctionConfig,
  options: LoadLambdaOptions = {},
): Promise<LocalLambda> {
  const exportName = config.handlerExport ?? 'handler';
  const file = resolve(options.rootDir ?? process.cwd(), config.entry);
  const module = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const handler = module[exportName];
  if (typeof handler !== 'function') {
    throw new Error(`${config.entry} does not export a function named "${exportName}"`);
  }
  return createLocalLambda(config, handler as HandlerFn, options);
}

/** Wraps an in-memory handler function (tests use this for fixture handlers). */
export function createLocalLambda(
  config: LambdaFunctionConfig,
  handler: HandlerFn,
  options: LoadLambdaOptions = {},
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

  const invoke: Invoke = async (event) => {
    const timeoutMs = resolved.timeoutSeconds * 1000;
    const deadline = Date.now() + timeoutMs;
    const requestId = randomUUID();
    const context = createLambdaContext(resolved, arn, deadline, requestId);
    let timer: NodeJS.Timeout | undefined;
    // The handler cannot be killed in-process; like Lambda, its caller sees a timeout and
    // whatever it still does afterwards is ignored.
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(
          new LambdaInvocationError({
            errorType: 'Sandbox.Timedout',
            errorMessage: `RequestId: ${requestId} Error: Task timed out after ${resolved.timeoutSeconds.toFixed(2)} seconds`,
            trace: [],
          }),
        );
      }, timeoutMs);
    });
    running++;
    try {
      const input = jsonRoundTrip(event, 'request');
      const result = await Promise.race([Promise.resolve().then(() => handler(input, context)), timedOut]);
      return jsonRoundTrip(result, 'response');
    } catch (error) {
      const payload = error instanceof LambdaInvocationError ? error.payload : toErrorPayload(error);
      options.onError?.(resolved.functionName, payload);
      throw error instanceof LambdaInvocationError ? error : new LambdaInvocationError(payload);
    } finally {
      clearTimeout(timer);
      running--;
    }
  };

  return { config: resolved, arn, invoke, inFlight: () => running };
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
