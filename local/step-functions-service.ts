/**
 * A local Step Functions: an HTTP server speaking the AWS JSON 1.0 subset the application
 * uses, so `@aws-sdk/client-sfn` works against it unchanged, executing the state machine
 * definition CDK synthesized with `aws-local-stepfunctions`.
 *
 * That library runs the states (Map concurrency, Retry, Catch, paths) but knows nothing of
 * service integrations: `step-functions-tasks.ts` supplies them (SQS with real task tokens,
 * in-process Lambda calls). `step-functions-machine.ts` loads a definition,
 * `step-functions-executions.ts` runs and ends executions (in memory: a restart forgets them),
 * `step-functions-api.ts` answers the API actions; this file is the server that ties them.
 */

import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './cloudformation.ts';
import type { Invoke } from './lambda-runtime.ts';
import { operations, ServiceError } from './step-functions-api.ts';
import { describe, Executions } from './step-functions-executions.ts';
import {
  type ExecutionDescription,
  type LoadedStateMachine,
  loadStateMachine,
  type StateMachineSpec,
} from './step-functions-machine.ts';
import { lambdaFinder, TaskTokens } from './step-functions-tasks.ts';

export type { ExecutionDescription, ExecutionStatus, StateMachineSpec } from './step-functions-machine.ts';

export interface StepFunctionsServiceOptions {
  stateMachines: StateMachineSpec[];
  /** Lambda functions by ARN (unqualified); Task states reach them by ARN or by name. */
  lambdas?: Record<string, Invoke>;
  /** Client for the local SQS server, used by the `sqs:sendMessage*` integrations. */
  sqs?: SQSClient;
  port?: number;
  host?: string;
  region?: string;
  accountId?: string;
  /** Called when an execution starts and when it ends (EventBridge's "Execution Status Change"). */
  onStatusChange?: (execution: ExecutionDescription) => void;
  log?: (line: string) => void;
  /** Lower quotas than AWS's (payload bytes, history events), for tests. */
  limits?: { maxEvents?: number; maxPayloadBytes?: number };
}

export interface StepFunctionsService {
  readonly url: string;
  readonly port: number;
  stateMachineArn(name: string): string;
  describe(executionArn: string): ExecutionDescription | undefined;
  list(): ExecutionDescription[];
  /** Resolves when the execution has left RUNNING. */
  waitForExecution(executionArn: string, timeoutMs?: number): Promise<ExecutionDescription>;
  /** Task tokens handed out and not yet answered. */
  pendingTaskCount(): number;
  /** Stops accepting requests and aborts every running execution. */
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startStepFunctionsService(
  options: StepFunctionsServiceOptions,
): Promise<StepFunctionsService> {
  const region = options.region ?? LOCAL_REGION;
  const accountId = options.accountId ?? LOCAL_ACCOUNT_ID;
  const log = options.log ?? (() => {});
  const findLambda = lambdaFinder(options.lambdas ?? {});
  const tokens = new TaskTokens();
  const executions = new Executions({
    region,
    accountId,
    integrations: {
      tokens,
      findLambda,
      sqs: options.sqs,
      // A value no definition contains; replaced by a fresh token in each task's parameters.
      tokenPlaceholder: `local-task-token-placeholder-${randomUUID()}`,
      log,
    },
    onStatusChange: options.onStatusChange,
    log,
    ...(options.limits ? { limits: options.limits } : {}),
  });

  const stateMachineArn = (name: string) => `arn:aws:states:${region}:${accountId}:stateMachine:${name}`;
  const machines = new Map<string, LoadedStateMachine>();
  for (const spec of options.stateMachines) {
    machines.set(stateMachineArn(spec.name), loadStateMachine(spec, stateMachineArn(spec.name), findLambda));
  }
  const actions = operations(machines, executions, tokens);

  const respond = (res: ServerResponse, status: number, payload: unknown) => {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': randomUUID(),
    });
    res.end(JSON.stringify(payload));
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith('AWSStepFunctions.') ? actions[target.slice(17)] : undefined;
      try {
        const text = await readBody(req);
        if (!operation)
          throw new ServiceError('UnknownOperationException', `Unsupported operation: ${target}`);
        const body = text.trim() === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
        respond(res, 200, operation(body));
      } catch (error) {
        if (error instanceof ServiceError) {
          respond(res, error.status, { __type: error.type, message: error.message });
        } else {
          log(`internal error in ${target}: ${(error as Error).stack ?? String(error)}`);
          respond(res, 500, { __type: 'InternalFailure', message: 'Internal failure' });
        }
      }
    })();
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolvePromise());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    port,
    stateMachineArn,
    describe: (arn) => {
      const record = executions.records.get(arn);
      return record && describe(record);
    },
    list: () => [...executions.records.values()].map(describe),
    async waitForExecution(arn, timeoutMs = 30_000) {
      const record = executions.records.get(arn);
      if (!record) throw new Error(`No execution ${arn}`);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`Execution ${arn} still running after ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
      try {
        await Promise.race([record.settled, expired]);
      } finally {
        clearTimeout(timer);
      }
      return describe(record);
    },
    pendingTaskCount: () => tokens.pending.size,
    async close() {
      await new Promise<void>((resolvePromise) => {
        server.close(() => resolvePromise());
        server.closeAllConnections();
      });
      await executions.abortAll();
    },
  };
}
