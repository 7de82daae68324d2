/**
 * Least privilege, function by function. Each Lambda function's role is read back from the
 * synthesized template, every statement flattened to "<action> <resource>", and compared with
 * EXPECTED below: the AWS calls its handler makes and, for S3, the key prefixes it uses. A grant
 * added or widened anywhere (another action, a wider resource, a managed policy, a condition)
 * fails here until the table is changed to say which code needs it.
 *
 * A second check reads the handlers' sources: every SDK action in the table must be called by
 * some module the handler loads, so a grant the code no longer needs shows up too.
 *
 * cdk-nag AwsSolutions (nothing unacknowledged, acknowledgements naming the exact finding) is
 * test/infra/nag.test.ts.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, it } from 'vitest';
import { HANDLER_ENTRIES } from '#contract/pipeline.ts';
import { API_KEYS_ARN } from '../../lib/constructs/api.ts';
import { BUCKET_PREFIXES, type BucketPrefix } from '../../lib/constructs/storage.ts';
import type { WebhookSecret } from '../../lib/constructs/webhook-secret.ts';
import {
  type FunctionEntry,
  functionEntries,
  type HandlerRole,
  resourcesOfType,
} from '../../lib/definition.ts';
import { synthesize } from './fixtures.ts';

type Queue = 'chunkQueue' | 'chunkDeadLetterQueue' | 'documentQueue' | 'documentDeadLetterQueue';
type Secret = 'geminiKey' | 'webhookSecret';

interface Grants {
  /** Item actions, on the table and its indexes (storage.ts `useTable`). */
  dynamodb?: readonly string[];
  /**
   * Object actions by key prefix (storage.ts `useBucket`); any S3 access also brings
   * s3:ListBucket on the bucket, so that a missing key reads as NoSuchKey, not AccessDenied.
   */
  s3?: { read?: BucketPrefix[]; write?: BucketPrefix[]; delete?: BucketPrefix[] };
  sqs?: Partial<Record<Queue, readonly string[]>>;
  /** On the state machine (start, task tokens) and on its executions (stop, describe). */
  states?: { stateMachine?: readonly string[]; executions?: readonly string[] };
  /** secretsmanager:GetSecretValue on these secrets. */
  secrets?: readonly Secret[];
  /** apigateway:GET on the region's API keys: GetApiKey, for a key's name (platform/key-names.ts). */
  keyNames?: true;
}

/** The job store's calls (lambdas/jobs/job-store.ts): no DeleteItem (jobs go by BatchWriteItem), no Scan. */
const JOB_STORE = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:BatchWriteItem',
] as const;
/** What ends a job in the pipeline ("Finalize job", "Mark job failed", the execution-ended rule). */
const ENDS_JOBS: Grants = {
  dynamodb: JOB_STORE,
  s3: { read: ['content', 'batches'], write: ['batches'] },
  secrets: ['webhookSecret', 'geminiKey'],
};
/** Plus DeleteItem: document-store.ts `deleteDocument`, saved-store.ts `deleteAssessment`. */
const JOB_STORE_AND_DELETE = [...JOB_STORE, 'dynamodb:DeleteItem'] as const;
/** The document store alone (document-store.ts, and the Gemini rate limiter): no batch calls. */
const DOCUMENT_STORE = [
  'dynamodb:GetItem',
  'dynamodb:Query',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const;

/** What Lambda's SQS event source mapping polls the queue with, using the function's role. */
const EVENT_SOURCE = ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'] as const;
/**
 * CDK's SqsEventSource grants these on top (grantConsumeMessages), and the mapping uses neither.
 * Known and accepted rather than tightened: dropping them means building the event source
 * mapping by hand. The worker and the ingest function call ChangeMessageVisibility themselves.
 */
const EVENT_SOURCE_EXTRAS = ['sqs:ChangeMessageVisibility', 'sqs:GetQueueUrl'] as const;
const CONSUMER = [...EVENT_SOURCE, ...EVENT_SOURCE_EXTRAS] as const;

/** job-service.ts: startJob (StartExecution), cancelJob and timeOut (Stop), reconcile (Describe). */
const RUNS_JOBS = {
  stateMachine: ['states:StartExecution'],
  executions: ['states:StopExecution', 'states:DescribeExecution'],
} as const;

const EXPECTED: Record<HandlerRole, Grants> = {
  // lambdas/quiz-bank/quiz-generator-api.ts: jobs, checkpoint listing, budgets; DELETE /jobs/{id} removes
  // the job's records by BatchWriteItem; dry runs BatchGet the checkpoint. Reads the career
  // level's chunk file (checkpoints/) and the sector and combined files (results/), writes
  // exports too large for a response under results/<owner>/exports/. /api-status and startJob
  // read the Gemini key. Cancelling, deleting or reconciling a batch-mode job cancels its Gemini
  // batches (jobs/batch-state.ts): its rounds state under batches/ (read and written).
  quizGeneratorApi: {
    dynamodb: JOB_STORE,
    s3: { read: ['checkpoints', 'results', 'batches'], write: ['results', 'batches'] },
    states: RUNS_JOBS,
    secrets: ['geminiKey'],
  },
  // lambdas/gateway/health.ts reports the configured model from its environment.
  healthApi: {},
  // lambdas/api-docs/docs-api.ts builds the API description from the request schemas: no data.
  docsApi: {},
  // lambdas/gateway/authorizer.ts reads request headers only.
  apiAuthorizer: {},
  // lambdas/assessments/assessments-api.ts: documents, jobs and saved assessments (DELETE of a document or a
  // saved assessment is DeleteItem). documents/: inline uploads and presigned upload URLs (Put),
  // HEAD of the uploaded file on /complete (Get), deleteDocument's list and DeleteObjects.
  // assessments/: the MCQs job_status returns and a saved assessment copies. Queues ingestion
  // (document-service.ts SendMessage); startJob reads the Gemini key. The review API it serves
  // names reviewers by their API key's name (GetApiKey).
  assessmentsApi: {
    keyNames: true,
    dynamodb: JOB_STORE_AND_DELETE,
    s3: { read: ['documents', 'assessments'], write: ['documents'], delete: ['documents'] },
    sqs: { documentQueue: ['sqs:SendMessage'] },
    states: RUNS_JOBS,
    secrets: ['geminiKey'],
  },
  // lambdas/content/api/content-api.ts: content jobs, templates, rate limits and counters; content/
  // holds the request (Put on execute and retry), the result (Get, and the presigned
  // contentReference). /api/execute checks the Gemini key; /api/webhooks/secret and the
  // cancellation webhook derive the owner's signing secret.
  contentApi: {
    dynamodb: JOB_STORE,
    s3: { read: ['content'], write: ['content'] },
    states: RUNS_JOBS,
    secrets: ['geminiKey', 'webhookSecret'],
  },
  // lambdas/jobs/handlers/plan-chunks.ts: checkpointedKeys (BatchGet) and chunk records; a content
  // job's request and plan (content/, HEAD of existing sections on a retry); an empty structure
  // is outlined by one Gemini call.
  planChunks: {
    dynamodb: JOB_STORE,
    s3: { read: ['content'], write: ['content'] },
    secrets: ['geminiKey'],
  },
  // lambdas/jobs/handlers/assemble-results.ts: reads chunk files (checkpoints/, assessments/, content
  // sections) and the sector files it merges into the combined bank; writes sector and combined
  // files (results/), an assessment's result.json and a content job's content.json.
  assembleResults: {
    dynamodb: JOB_STORE,
    s3: {
      read: ['checkpoints', 'results', 'assessments', 'content'],
      write: ['results', 'assessments', 'content'],
    },
  },
  // lambdas/jobs/handlers/finalize-job.ts: the job record; a content job's completion webhook reads
  // its request (content/) and signs with the owner's secret (job-events.ts). A batch-mode job's
  // Gemini batches still in flight are cancelled (jobs/batch-state.ts): its rounds state under
  // batches/ (read and written) and the Gemini key.
  finalizeJob: ENDS_JOBS,
  // lambdas/jobs/handlers/mark-job-failed.ts: as finalizeJob, for the failure webhook.
  markJobFailed: ENDS_JOBS,
  // lambdas/jobs/handlers/execution-ended.ts: markOrphaned updates the job record, and a content
  // job's failure webhook (contentJobEnded) reads its request (content/) and signs with the
  // owner's secret, as finalizeJob does; it cancels a batch-mode job's batches, as finalizeJob does.
  executionEnded: ENDS_JOBS,
  // lambdas/jobs/handlers/generate-chunk.ts: chunk records, claims and the question bank (BatchWrite);
  // passages of a document (documents/) and earlier sections of a content job (content/);
  // writes quiz chunk files (checkpoints/), assessment chunk files (assessments/), content
  // sections (content/) and raw model answers (raw/). Extends a message's visibility while it
  // backs off, answers the task token, reads the Gemini key, signs progress webhooks.
  generateChunkWorker: {
    dynamodb: JOB_STORE,
    s3: { read: ['documents', 'content'], write: ['checkpoints', 'assessments', 'content', 'raw'] },
    sqs: { chunkQueue: CONSUMER },
    states: { stateMachine: ['states:SendTaskSuccess', 'states:SendTaskFailure'] },
    secrets: ['geminiKey', 'webhookSecret'],
  },
  // lambdas/jobs/handlers/dead-letter.ts: records the chunk failed and answers its token with failure.
  deadLetter: {
    dynamodb: JOB_STORE,
    sqs: { chunkDeadLetterQueue: CONSUMER },
    states: { stateMachine: ['states:SendTaskFailure'] },
  },
  // lambdas/jobs/handlers/batch-round.ts (batch mode): its state under batches/ (read and written),
  // quiz chunk files under checkpoints/ and raw answers under raw/ (written); the question bank,
  // claims and chunk records; calls Gemini's Batch API.
  batchRound: {
    dynamodb: JOB_STORE,
    s3: { read: ['batches'], write: ['checkpoints', 'batches', 'raw'] },
    secrets: ['geminiKey'],
  },
  // lambdas/assessments/documents/ingest-document.ts: the document record (deleted, with its objects, when
  // the document was deleted during ingestion); reads the upload and writes passages and vectors
  // (documents/); pushes its message back with ChangeMessageVisibility; embeds with Gemini.
  ingestDocument: {
    dynamodb: DOCUMENT_STORE,
    s3: { read: ['documents'], write: ['documents'], delete: ['documents'] },
    sqs: { documentQueue: CONSUMER },
    secrets: ['geminiKey'],
  },
};

/** Every function may write its own log group and send X-Ray traces, which take no resource. */
const BASELINE = [
  'logs:CreateLogStream ownLogGroup',
  'logs:PutLogEvents ownLogGroup',
  'xray:PutTelemetryRecords *',
  'xray:PutTraceSegments *',
];

const { stack, json } = synthesize();
const functions = functionEntries(json);

/** Names for the resources grants may name, from the constructs' own tokens. */
const resourceNames = (() => {
  const text = (value: string) => JSON.stringify(stack.resolve(value));
  const { storage, pipeline, ingestion, geminiSecret } = stack;
  const webhook = stack.node.findChild('WebhookSigningSecret') as WebhookSecret;
  return new Map<string, string>([
    ['"*"', '*'],
    [text(storage.table.tableArn), 'table'],
    [text(`${storage.table.tableArn}/index/*`), 'table/index/*'],
    [text(storage.bucket.bucketArn), 'bucket'],
    ...Object.values(BUCKET_PREFIXES).map(
      (prefix) => [text(storage.bucket.arnForObjects(`${prefix}*`)), `bucket/${prefix}*`] as [string, string],
    ),
    [text(pipeline.queue.queueArn), 'chunkQueue'],
    [text(pipeline.deadLetterQueue.queueArn), 'chunkDeadLetterQueue'],
    [text(ingestion.queue.queueArn), 'documentQueue'],
    [text(ingestion.deadLetterQueue.queueArn), 'documentDeadLetterQueue'],
    [text(pipeline.stateMachine.stateMachineArn), 'stateMachine'],
    [text(pipeline.executionArnPattern()), 'executions'],
    [text(geminiSecret.secret.secretArn), 'geminiKey'],
    [text(webhook.secret.secretArn), 'webhookSecret'],
    [text(API_KEYS_ARN), 'apiKeys'],
  ]);
})();

interface Statement {
  Effect?: string;
  Action?: string | string[];
  Resource?: unknown;
  [key: string]: unknown;
}

function roleIdOf(fn: FunctionEntry): string {
  const role = json.Resources[fn.logicalId]?.Properties?.Role as { 'Fn::GetAtt': [string, string] };
  return role['Fn::GetAtt'][0];
}

/** Policies of any kind that attach to a role. */
function policiesOf(roleId: string) {
  const attached = (roles: unknown) => JSON.stringify(roles ?? []).includes(JSON.stringify({ Ref: roleId }));
  return [...resourcesOfType(json, 'AWS::IAM::Policy'), ...resourcesOfType(json, 'AWS::IAM::ManagedPolicy')]
    .filter(([, policy]) => attached(policy.Properties?.Roles))
    .map(([id, policy]) => ({ id, type: policy.Type, props: policy.Properties ?? {} }));
}

function statementsOf(fn: FunctionEntry): Statement[] {
  return policiesOf(roleIdOf(fn)).flatMap(
    (policy) => (policy.props.PolicyDocument as { Statement: Statement[] }).Statement,
  );
}

/** A function's grants as sorted "<action> <resource name>" lines; an unknown resource shows as JSON. */
function actualGrants(fn: FunctionEntry): string[] {
  const props = json.Resources[fn.logicalId]?.Properties ?? {};
  const logGroup = (props.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  const names = new Map(resourceNames);
  names.set(JSON.stringify({ 'Fn::GetAtt': [logGroup, 'Arn'] }), 'ownLogGroup');
  const lines = statementsOf(fn).flatMap((st) =>
    [st.Action]
      .flat()
      .flatMap((action) =>
        [st.Resource].flat().map((r) => `${action} ${names.get(JSON.stringify(r)) ?? JSON.stringify(r)}`),
      ),
  );
  return [...new Set(lines)].sort();
}

function expectedGrants(role: HandlerRole): string[] {
  const grants = EXPECTED[role];
  const lines = [...BASELINE];
  for (const action of grants.dynamodb ?? []) lines.push(`${action} table`, `${action} table/index/*`);
  if (grants.s3) {
    const byAction = [
      ['s3:GetObject', grants.s3.read],
      ['s3:PutObject', grants.s3.write],
      ['s3:DeleteObject', grants.s3.delete],
    ] as const;
    for (const [action, prefixes] of byAction) {
      for (const prefix of prefixes ?? []) lines.push(`${action} bucket/${BUCKET_PREFIXES[prefix]}*`);
    }
    lines.push('s3:ListBucket bucket');
  }
  for (const [queue, actions] of Object.entries(grants.sqs ?? {})) {
    for (const action of actions) lines.push(`${action} ${queue}`);
  }
  for (const action of grants.states?.stateMachine ?? []) lines.push(`${action} stateMachine`);
  for (const action of grants.states?.executions ?? []) lines.push(`${action} executions`);
  for (const secret of grants.secrets ?? []) lines.push(`secretsmanager:GetSecretValue ${secret}`);
  if (grants.keyNames) lines.push('apigateway:GET apiKeys');
  return [...new Set(lines)].sort();
}

describe('IAM: each function gets exactly what its handler uses', () => {
  it('has an expected-grants entry for every function, and one function per role', () => {
    assert.deepEqual(functions.map((f) => f.role).sort(), Object.keys(EXPECTED).sort());
    assert.deepEqual(Object.keys(EXPECTED).sort(), Object.keys(HANDLER_ENTRIES).sort());
    const roles = functions.map(roleIdOf);
    assert.equal(new Set(roles).size, roles.length, 'no two functions share an IAM role');
  });

  for (const fn of functions) {
    it(`${fn.role}: grants match the table, action by action and resource by resource`, () => {
      assert.deepEqual(actualGrants(fn), expectedGrants(fn.role));
    });
  }

  it('gives each role only its own inline policy: no managed policies, conditions, Deny or Not* tricks', () => {
    for (const fn of functions) {
      const roleId = roleIdOf(fn);
      const role = json.Resources[roleId]?.Properties ?? {};
      assert.equal(role.ManagedPolicyArns, undefined, `${fn.role}: managed policies`);
      assert.equal(role.Policies, undefined, `${fn.role}: inline policies on the role`);
      assert.equal(role.PermissionsBoundary, undefined, `${fn.role}: permissions boundary`);
      assert.deepEqual(
        (role.AssumeRolePolicyDocument as { Statement: Statement[] }).Statement.map((s) => s.Principal),
        [{ Service: 'lambda.amazonaws.com' }],
        `${fn.role}: only Lambda assumes it`,
      );
      const policies = policiesOf(roleId);
      assert.deepEqual(
        policies.map((p) => p.type),
        ['AWS::IAM::Policy'],
        `${fn.role}: one policy, attached to this role only`,
      );
      assert.deepEqual(policies[0]?.props.Roles, [{ Ref: roleId }], fn.role);
      for (const st of statementsOf(fn)) {
        assert.deepEqual(
          Object.keys(st).sort(),
          ['Action', 'Effect', 'Resource'],
          `${fn.role}: ${JSON.stringify(st)}`,
        );
        assert.equal(st.Effect, 'Allow');
      }
    }
  });

  it('grants no wildcard action, and resource * only to the X-Ray actions that take no resource', () => {
    for (const fn of functions) {
      for (const line of actualGrants(fn)) {
        const [action = '', resource] = line.split(' ');
        assert.doesNotMatch(action, /\*/, `${fn.role}: ${line}`);
        if (resource === '*') assert.match(action, /^xray:Put(TraceSegments|TelemetryRecords)$/, fn.role);
      }
    }
  });

  it('scopes S3 object actions to key prefixes and DynamoDB to the one table and its indexes', () => {
    for (const fn of functions) {
      for (const line of actualGrants(fn)) {
        const [action = '', resource = ''] = line.split(' ');
        if (action === 's3:ListBucket') assert.equal(resource, 'bucket', fn.role);
        else if (action.startsWith('s3:'))
          assert.match(resource, /^bucket\/[a-z]+\/\*$/, `${fn.role}: ${line}`);
        if (action.startsWith('dynamodb:'))
          assert.match(resource, /^table(\/index\/\*)?$/, `${fn.role}: ${line}`);
      }
    }
  });
});

// --- the handlers' sources ------------------------------------------------------------------

const REPO = resolve(import.meta.dirname, '..', '..');

/** package.json `imports`: `#platform/*` and the other rooms' aliases. */
const ALIASES = Object.entries(
  (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { imports: Record<string, string> })
    .imports,
).map(([alias, target]) => [alias.replace(/\*$/, ''), target.replace(/\*$/, '')] as const);

function resolveSpecifier(from: string, spec: string): string {
  const alias = ALIASES.find(([prefix]) => spec.startsWith(prefix));
  return alias ? join(REPO, alias[1], spec.slice(alias[0].length)) : resolve(dirname(from), spec);
}

/** The repository's modules a handler loads, following relative and `#` value imports (not `import type`). */
function modulesOf(entry: string): Map<string, string> {
  const seen = new Map<string, string>();
  const pending = [join(REPO, entry)];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    seen.set(file, source);
    const specifiers = source.matchAll(
      /^\s*(?:import|export)\s+(?!type\b)(?:[^;'"]*?\sfrom\s+)?'(\.{1,2}\/[^']+|#[^']+)'|import\(\s*'(\.{1,2}\/[^']+|#[^']+)'\s*\)/gm,
    );
    for (const [, spec, dynamic] of specifiers) {
      const target = resolveSpecifier(file, spec ?? dynamic ?? '');
      if (existsSync(target)) pending.push(target);
    }
  }
  return seen;
}

/**
 * The SDK commands behind each action the table grants: `new GetCommand(` or, for the clients
 * loaded on first use (platform/clients.ts), `new sdk.GetObjectCommand(`.
 */
const command = (names: string) => new RegExp(`\\bnew (?:sdk\\.)?(?:${names})Command\\(`);
const CALLS: Record<string, RegExp> = {
  'dynamodb:GetItem': command('Get'),
  'dynamodb:BatchGetItem': command('BatchGet'),
  'dynamodb:Query': command('Query'),
  'dynamodb:PutItem': command('Put'),
  'dynamodb:UpdateItem': command('Update'),
  'dynamodb:DeleteItem': command('Delete'),
  'dynamodb:BatchWriteItem': command('BatchWrite'),
  's3:GetObject': command('GetObject|HeadObject'),
  's3:PutObject': command('PutObject'),
  's3:DeleteObject': command('DeleteObjects?'),
  // Reading a missing key (NoSuchKey rather than AccessDenied) or listing a document's objects.
  's3:ListBucket': command('GetObject|HeadObject|ListObjectsV2'),
  'sqs:SendMessage': command('SendMessage'),
  'sqs:ChangeMessageVisibility': command('ChangeMessageVisibility'),
  'states:StartExecution': command('StartExecution'),
  'states:StopExecution': command('StopExecution'),
  'states:DescribeExecution': command('DescribeExecution'),
  'states:SendTaskSuccess': command('SendTaskSuccess'),
  'states:SendTaskFailure': command('SendTaskFailure'),
  // GetApiKey, a signed request without an SDK client (platform/key-names.ts).
  'apigateway:GET': /\/apikeys\/\$\{encodeURIComponent\(keyId\)\}/,
};

/** The module that reads each secret. */
const SECRET_READERS: Record<Secret, string> = {
  geminiKey: 'lambdas/platform/gemini/api-key.ts',
  webhookSecret: 'lambdas/content/signing-secret.ts',
};

describe('IAM: every granted call is made by code the handler loads', () => {
  for (const [role, entry] of Object.entries(HANDLER_ENTRIES) as [HandlerRole, string][]) {
    it(role, () => {
      const modules = modulesOf(entry);
      const sources = [...modules.values()];
      const grants = EXPECTED[role];
      const eventSourceQueues = Object.entries(grants.sqs ?? {})
        .filter(([, actions]) => actions === CONSUMER)
        .map(([queue]) => queue);
      for (const line of expectedGrants(role).filter((l) => !BASELINE.includes(l))) {
        const [action = '', resource = ''] = line.split(' ');
        // The event source mapping polls with the function's role (and CDK's extras are accepted
        // above); checked below against the template's mappings instead.
        if (eventSourceQueues.includes(resource) && (CONSUMER as readonly string[]).includes(action))
          continue;
        if (action === 'secretsmanager:GetSecretValue') {
          const reader = join(REPO, SECRET_READERS[resource as Secret]);
          assert.ok(modules.has(reader), `${role} reads ${resource} but does not load ${reader}`);
          continue;
        }
        const call = CALLS[action];
        assert.ok(call, `${role}: no known SDK call for ${action}`);
        assert.ok(
          sources.some((s) => call.test(s)),
          `${role} is granted ${line}, but nothing ${entry} loads makes that call`,
        );
      }
      for (const queue of eventSourceQueues) {
        const fn = functions.find((f) => f.role === role);
        const queueArn = [...resourceNames].find(([, name]) => name === queue)?.[0];
        const mapped = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping').some(
          ([, m]) =>
            JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: fn?.logicalId }) &&
            JSON.stringify(m.Properties?.EventSourceArn) === queueArn,
        );
        assert.ok(mapped, `${role} has the event-source grants on ${queue} but no event source mapping`);
      }
    });
  }
});
