import assert from 'node:assert/strict';
import { Match } from 'aws-cdk-lib/assertions';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import { describe, it } from 'vitest';
import { HANDLER_ENTRIES } from '#contract/pipeline.ts';
import { BINARY_MEDIA_TYPES, GATEWAY_ERRORS, gatewayErrorTemplate } from '../../lib/constructs/api.ts';
import { functionEntries, resourcesOfType } from '../../lib/definition.ts';
import { OUTPUTS } from '../../lib/quizgen-stack.ts';
import { API_STAGE_NAME, CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, ROUTES } from '../../lib/routes.ts';
import { CUSTOM_SETTINGS, synthesize } from './fixtures.ts';

const { template, json } = synthesize();

function logicalIdOf(type: string, role: keyof typeof HANDLER_ENTRIES): string {
  const fn = functionEntries(json).find((f) => f.role === role);
  assert.ok(fn, `no ${type} for ${role}`);
  return fn.logicalId;
}

/** The event source mapping of a function and the logical id of the queue it reads. */
function eventSourceOf(role: keyof typeof HANDLER_ENTRIES) {
  const functionId = logicalIdOf('function', role);
  const found = resourcesOfType(json, 'AWS::Lambda::EventSourceMapping').find(
    ([, m]) => JSON.stringify(m.Properties?.FunctionName) === JSON.stringify({ Ref: functionId }),
  );
  assert.ok(found, `no event source for ${role}`);
  const props = found[1].Properties ?? {};
  const queueId = (props.EventSourceArn as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return { functionId, props, queueId };
}

function propsOf(role: keyof typeof HANDLER_ENTRIES) {
  return json.Resources[logicalIdOf('function', role)]?.Properties ?? {};
}

/** The IAM statements of a function's role, flattened to action and resource text. */
function statementsOf(role: keyof typeof HANDLER_ENTRIES): { actions: string[]; resources: string[] }[] {
  const roleId = (propsOf(role).Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = Object.values(
    template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }),
  );
  return policies.flatMap((policy) =>
    (policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[]).map((st) => ({
      actions: [st.Action].flat().map(String),
      resources: [st.Resource].flat().map((r) => JSON.stringify(r)),
    })),
  );
}

/** S3 object actions of a function, each with the key patterns it is allowed on (`documents/*`). */
function s3ObjectGrants(role: keyof typeof HANDLER_ENTRIES): Record<string, string[]> {
  const grants: Record<string, string[]> = {};
  for (const { actions, resources } of statementsOf(role)) {
    for (const action of actions.filter((a) => a.startsWith('s3:') && a !== 's3:ListBucket')) {
      for (const resource of resources) {
        const pattern = /"\/([^"]*)"\]\]\}$/.exec(resource)?.[1] ?? resource;
        grants[action] = [...(grants[action] ?? []), pattern].sort();
      }
    }
  }
  return grants;
}

describe('storage', () => {
  it('has one on-demand table with PITR, TTL on expires_at, AWS-managed encryption and two GSIs', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expires_at', Enabled: true },
        SSESpecification: { SSEEnabled: true },
        DeletionProtectionEnabled: false,
        GlobalSecondaryIndexes: ['gsi1', 'gsi2'].map((index) => ({
          IndexName: index,
          KeySchema: [
            { AttributeName: `${index}pk`, KeyType: 'HASH' },
            { AttributeName: `${index}sk`, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        })),
      },
    });
  });

  it('lets functions read and write items through the indexes, but never scan the table', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    assert.match(policies, /"dynamodb:Query"/);
    assert.match(policies, /\/index\/\*/);
    assert.doesNotMatch(policies, /dynamodb:Scan|dynamodb:\*/);
  });

  it('blocks public access and refuses plain HTTP on every bucket', () => {
    const buckets = resourcesOfType(json, 'AWS::S3::Bucket');
    assert.equal(buckets.length, 2, 'results bucket and its access-log bucket');
    for (const [, bucket] of buckets) {
      assert.deepEqual(bucket.Properties?.PublicAccessBlockConfiguration, {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
    }
    const policies = template.findResources('AWS::S3::BucketPolicy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 's3:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      },
    });
    assert.equal(Object.keys(policies).length, 2);
  });

  it('lets browsers PUT to presigned upload URLs and GET presigned downloads from any origin', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      CorsConfiguration: {
        CorsRules: [
          {
            AllowedOrigins: ['*'],
            AllowedMethods: ['PUT'],
            AllowedHeaders: ['content-type'],
            ExposedHeaders: ['ETag'],
            MaxAge: Match.anyValue(),
          },
          { AllowedOrigins: ['*'], AllowedMethods: ['GET', 'HEAD'], MaxAge: Match.anyValue() },
        ],
      },
    });
    // Presigned URLs are HTTPS, so the SSL-only deny (checked above) leaves them working.
  });

  it('expires raw model responses, assessment job files after their jobs, and stale uploads', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'raw/',
            ExpirationInDays: CUSTOM_SETTINGS.rawResponseRetentionDays,
            Status: 'Enabled',
          }),
          // assessmentRetentionHours 12: whole days, one more than the job record lives.
          Match.objectLike({ Prefix: 'assessments/', ExpirationInDays: 2, Status: 'Enabled' }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        ]),
      },
    });
  });
});

describe('pipeline', () => {
  it('sends chunks to an encrypted queue whose dead-letter queue takes a message after chunkMaxReceives', () => {
    template.resourceCountIs('AWS::SQS::Queue', 4);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      // Six times the worker's timeout, as AWS recommends for a Lambda event source.
      VisibilityTimeout: 6 * CUSTOM_SETTINGS.workerTimeoutSeconds,
      RedrivePolicy: {
        deadLetterTargetArn: Match.anyValue(),
        maxReceiveCount: CUSTOM_SETTINGS.chunkMaxReceives,
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
    const sslOnly = template.findResources('AWS::SQS::QueuePolicy', {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          ]),
        },
      },
    });
    assert.equal(Object.keys(sslOnly).length, 4, 'chunk and document queues and their dead-letter queues');
  });

  it('feeds the worker one message at a time, with partial batch failures and the LLM concurrency budget', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf('worker', 'generateChunkWorker') },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: CUSTOM_SETTINGS.llmMaxConcurrency },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: CUSTOM_SETTINGS.workerTimeoutSeconds,
      Environment: {
        Variables: Match.objectLike({
          LLM_MAX_CONCURRENCY: String(CUSTOM_SETTINGS.llmMaxConcurrency),
          GEMINI_MODEL: CUSTOM_SETTINGS.geminiModel,
          CHUNK_QUEUE_URL: Match.anyValue(),
          GEMINI_API_KEY_SECRET_ARN: Match.anyValue(),
        }),
      },
    });
  });

  it('configures the worker, plan, assemble and finalize functions for assessment jobs and embeddings', () => {
    for (const role of ['generateChunkWorker', 'planChunks', 'assembleResults', 'finalizeJob'] as const) {
      const env = (propsOf(role).Environment as { Variables: Record<string, unknown> }).Variables;
      assert.equal(env.GEMINI_EMBEDDING_MODEL, CUSTOM_SETTINGS.geminiEmbeddingModel, role);
      assert.equal(env.EMBEDDING_DIMENSIONS, String(CUSTOM_SETTINGS.embeddingDimensions), role);
      assert.equal(
        env.EMBEDDING_REQUESTS_PER_MINUTE,
        String(CUSTOM_SETTINGS.embeddingRequestsPerMinute),
        role,
      );
      assert.equal(env.ASSESSMENT_TIMEOUT_SECONDS, String(CUSTOM_SETTINGS.assessmentTimeoutSeconds), role);
      assert.equal(env.ASSESSMENT_RETENTION_HOURS, String(CUSTOM_SETTINGS.assessmentRetentionHours), role);
    }
  });

  it('drains the dead-letter queue into the deadLetter handler, which answers the waiting task', () => {
    const chunkQueue = eventSourceOf('generateChunkWorker').queueId;
    const redrive = json.Resources[chunkQueue]?.Properties?.RedrivePolicy as {
      deadLetterTargetArn: { 'Fn::GetAtt': [string, string] };
    };
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 3);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf('dead-letter handler', 'deadLetter') },
      EventSourceArn: redrive.deadLetterTargetArn,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('logs every state machine event and traces executions', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      LoggingConfiguration: Match.objectLike({ Level: 'ALL', IncludeExecutionData: true }),
      TracingConfiguration: { Enabled: true },
    });
  });

  it('gives the three functions that end a job and send its webhook 300 s for the retries', () => {
    // markJobFailed and executionEnded had 60 s, less than a webhook's retries with back-off.
    for (const role of ['finalizeJob', 'markJobFailed', 'executionEnded'] as const) {
      assert.equal(propsOf(role).Timeout, 300, role);
    }
  });

  it('hands failed, timed-out and aborted executions to executionEnded', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['FAILED', 'TIMED_OUT', 'ABORTED'], stateMachineArn: [Match.anyValue()] },
      },
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [logicalIdOf('rule target', 'executionEnded'), 'Arn'] } }),
      ],
    });
  });
});

describe('ingestion', () => {
  const { functionId: ingest, props: mapping, queueId } = eventSourceOf('ingestDocument');

  it('queues documents on an encrypted queue whose visibility outlasts one ingest run', () => {
    const queue = json.Resources[queueId]?.Properties ?? {};
    assert.equal(queue.SqsManagedSseEnabled, true);
    assert.equal(queue.VisibilityTimeout, 6 * CUSTOM_SETTINGS.ingestTimeoutSeconds);
    const redrive = queue.RedrivePolicy as {
      deadLetterTargetArn: { 'Fn::GetAtt': [string] };
      maxReceiveCount: number;
    };
    assert.equal(redrive.maxReceiveCount, CUSTOM_SETTINGS.chunkMaxReceives);
    const dlq = json.Resources[redrive.deadLetterTargetArn['Fn::GetAtt'][0]]?.Properties ?? {};
    assert.equal(dlq.SqsManagedSseEnabled, true);
    assert.equal(dlq.MessageRetentionPeriod, 14 * 24 * 3600);
  });

  it('feeds the ingest function one document at a time, with partial batch failures and bounded concurrency', () => {
    assert.deepEqual(mapping, {
      FunctionName: { Ref: ingest },
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: CUSTOM_SETTINGS.ingestMaxConcurrency },
    });
  });

  it('runs the ingest function with 2048 MB for ingestTimeoutSeconds, configured for embeddings', () => {
    const props = propsOf('ingestDocument');
    assert.equal(props.MemorySize, 2048);
    assert.equal(props.Timeout, CUSTOM_SETTINGS.ingestTimeoutSeconds);
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    assert.deepEqual(env.DOCUMENT_QUEUE_URL, { Ref: queueId });
    for (const name of ['TABLE_NAME', 'BUCKET_NAME', 'GEMINI_API_KEY_SECRET_ARN']) assert.ok(env[name], name);
    assert.equal(env.GEMINI_EMBEDDING_MODEL, CUSTOM_SETTINGS.geminiEmbeddingModel);
    assert.equal(env.EMBEDDING_DIMENSIONS, String(CUSTOM_SETTINGS.embeddingDimensions));
    assert.equal(env.EMBEDDING_REQUESTS_PER_MINUTE, String(CUSTOM_SETTINGS.embeddingRequestsPerMinute));
    assert.equal(env.DOCUMENT_MAX_BYTES, String(CUSTOM_SETTINGS.documentMaxBytes));
    assert.equal(env.CHUNK_MAX_RECEIVES, String(CUSTOM_SETTINGS.chunkMaxReceives));
    assert.equal(env.INGEST_TIMEOUT_SECONDS, String(CUSTOM_SETTINGS.ingestTimeoutSeconds));
  });

  it('lets the ingest function push its message back, read the Gemini key and use documents/ only', () => {
    const statements = statementsOf('ingestDocument');
    const queueActions = statements
      .filter((st) => st.resources.some((r) => r.includes(queueId)))
      .flatMap((st) => st.actions);
    assert.ok(queueActions.includes('sqs:ChangeMessageVisibility'));
    assert.ok(!queueActions.includes('sqs:SendMessage'));
    assert.ok(statements.some((st) => st.actions.includes('secretsmanager:GetSecretValue')));
    assert.deepEqual(s3ObjectGrants('ingestDocument'), {
      's3:DeleteObject': ['documents/*'],
      's3:GetObject': ['documents/*'],
      's3:PutObject': ['documents/*'],
    });
  });
});

describe('s3 grants', () => {
  it('scope every function to the key prefixes its handler uses', () => {
    assert.deepEqual(s3ObjectGrants('generateChunkWorker'), {
      's3:GetObject': ['content/*', 'documents/*'],
      's3:PutObject': ['assessments/*', 'checkpoints/*', 'content/*', 'raw/*'],
    });
    assert.deepEqual(s3ObjectGrants('assembleResults'), {
      's3:GetObject': ['assessments/*', 'checkpoints/*', 'content/*', 'results/*'],
      's3:PutObject': ['assessments/*', 'content/*', 'results/*'],
    });
    assert.deepEqual(s3ObjectGrants('contentApi'), {
      's3:GetObject': ['content/*'],
      's3:PutObject': ['content/*'],
    });
    // results/: exports too large for a response, under results/<owner>/exports/; batches/: a
    // batch-mode job's rounds state, when cancelling or reconciling the job cancels its batches.
    assert.deepEqual(s3ObjectGrants('quizGeneratorApi'), {
      's3:GetObject': ['batches/*', 'checkpoints/*', 'results/*'],
      's3:PutObject': ['batches/*', 'results/*'],
    });
    assert.deepEqual(s3ObjectGrants('assessmentsApi'), {
      's3:GetObject': ['assessments/*', 'documents/*'],
      's3:PutObject': ['documents/*'],
      's3:DeleteObject': ['documents/*'],
    });
    // Planning a content job reads its request and writes the section plan; "Finalize job",
    // "Mark job failed" and the execution-ended function read the request for the webhook URL,
    // and a batch-mode job's rounds state (batches/) to cancel its batches still in flight.
    assert.deepEqual(s3ObjectGrants('planChunks'), {
      's3:GetObject': ['content/*'],
      's3:PutObject': ['content/*'],
    });
    for (const role of ['finalizeJob', 'markJobFailed', 'executionEnded'] as const) {
      assert.deepEqual(
        s3ObjectGrants(role),
        { 's3:GetObject': ['batches/*', 'content/*'], 's3:PutObject': ['batches/*'] },
        role,
      );
    }
    for (const role of ['deadLetter', 'healthApi'] as const) {
      assert.deepEqual(s3ObjectGrants(role), {}, role);
    }
  });

  it('never grants the whole bucket; only the functions that remove documents delete, under documents/', () => {
    const policies = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    assert.doesNotMatch(policies, /"s3:\*"|"s3:GetObject\*"|"s3:DeleteObject\*"|"s3:Abort\*"/);
    assert.doesNotMatch(policies, /"Arn"\]\},"\/\*"\]/, 'no <bucket>/* resource');
    const deleters = functionEntries(json).filter((f) => 's3:DeleteObject' in s3ObjectGrants(f.role));
    assert.deepEqual(deleters.map((f) => f.role).sort(), ['assessmentsApi', 'ingestDocument']);
  });
});

describe('api', () => {
  const restApiId = resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0]?.[0];

  /** Full resource paths, rebuilt from each resource's PathPart and ParentId; the root is `/`. */
  function methodPath(resourceId: { Ref?: string }): string {
    return resourceId.Ref ? resourcePath(resourceId.Ref) : '/';
  }
  function resourcePath(logicalId: string): string {
    const resource = json.Resources[logicalId];
    const props = resource?.Properties as { PathPart: string; ParentId: { Ref?: string } };
    const parent = props.ParentId.Ref;
    return `${parent ? resourcePath(parent) : ''}/${props.PathPart}`;
  }

  const allMethods = resourcesOfType(json, 'AWS::ApiGateway::Method').map(([, m]) => {
    const props = m.Properties as {
      HttpMethod: string;
      ApiKeyRequired?: boolean;
      ResourceId: { Ref?: string };
    };
    return {
      method: props.HttpMethod,
      path: methodPath(props.ResourceId),
      apiKeyRequired: props.ApiKeyRequired,
      integration: (m.Properties as { Integration: { Type: string } }).Integration,
    };
  });
  const methods = allMethods.filter((m) => m.method !== 'OPTIONS');
  const preflights = allMethods.filter((m) => m.method === 'OPTIONS');

  it('puts a regional web ACL on the stage whose rules answer oversized bodies with 413 and let the rest through', () => {
    const stageId = resourcesOfType(json, 'AWS::ApiGateway::Stage')[0]?.[0];
    const [aclId, acl] = resourcesOfType(json, 'AWS::WAFv2::WebACL')[0] ?? [];
    assert.ok(aclId && acl && stageId);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
      ResourceArn: {
        'Fn::Join': ['', Match.arrayWith([{ Ref: restApiId }, '/stages/', { Ref: stageId }])],
      },
    });
    const props = acl.Properties as {
      Scope: string;
      DefaultAction: unknown;
      Rules: { Name: string; Action: { Block?: { CustomResponse?: { ResponseCode: number } } } }[];
    };
    assert.equal(props.Scope, 'REGIONAL');
    assert.deepEqual(props.DefaultAction, { Allow: {} });
    assert.deepEqual(
      props.Rules.map((rule) => [rule.Name, rule.Action.Block?.CustomResponse?.ResponseCode]),
      [
        ['JsonBodyTooLarge', 413],
        ['BodyTooLarge', 413],
      ],
    );
  });

  it('has exactly one method per route of ROUTES', () => {
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    assert.deepEqual(methods.map(key).sort(), ROUTES.map(key).sort());
  });

  it('requires an API key on every method except GET /health, GET /, GET /help, GET /openapi.json, GET /docs and the web console', () => {
    const open = [
      'GET /',
      'GET /health',
      'GET /help',
      'GET /openapi.json',
      'GET /docs',
      'GET /console',
      'GET /console/{asset}',
    ];
    for (const m of methods) {
      assert.equal(
        m.apiKeyRequired ?? false,
        !open.includes(`${m.method} ${m.path}`),
        `${m.method} ${m.path}`,
      );
    }
  });

  it('proxies every route to its handler function', () => {
    const targets = ['quizGeneratorApi', 'healthApi', 'docsApi', 'assessmentsApi', 'contentApi'] as const;
    const ids = Object.fromEntries(targets.map((role) => [role, logicalIdOf('function', role)]));
    for (const [, m] of resourcesOfType(json, 'AWS::ApiGateway::Method')) {
      if ((m.Properties as { HttpMethod: string }).HttpMethod === 'OPTIONS') continue;
      const props = m.Properties as {
        Integration: { Type: string; Uri: unknown };
        ResourceId: { Ref?: string };
      };
      assert.equal(props.Integration.Type, 'AWS_PROXY');
      const uri = JSON.stringify(props.Integration.Uri);
      const path = methodPath(props.ResourceId);
      const route = ROUTES.find(
        (r) => r.path === path && r.method === (m.Properties as { HttpMethod: string }).HttpMethod,
      );
      assert.ok(route, path);
      assert.deepEqual(
        targets.filter((role) => uri.includes(ids[role] ?? '?')),
        [route.handler],
        `${route.method} ${route.path}`,
      );
    }
  });

  it('serves the assessment and review routes at the API root, each behind the API key', () => {
    const assessmentRoutes = methods
      .filter((m) =>
        ROUTES.some((r) => r.handler === 'assessmentsApi' && r.path === m.path && r.method === m.method),
      )
      .map((m) => `${m.method} ${m.path} ${m.apiKeyRequired}`)
      .sort();
    assert.deepEqual(assessmentRoutes, [
      'DELETE /assessments/{assessment_id} true',
      'DELETE /documents/{document_id} true',
      'GET /api/assessments/history true',
      'GET /api/assessments/{assessment_id} true',
      'GET /assessments true',
      'GET /assessments/{assessment_id} true',
      'GET /chunking/status true',
      'GET /documents true',
      'GET /documents/{document_id} true',
      'GET /job_status true',
      'GET /questions true',
      'GET /questions/{id}/history true',
      'PATCH /questions/{id} true',
      'POST /api/assessments/save true',
      'POST /assessments true',
      'POST /chat true',
      'POST /chunking true',
      'POST /documents true',
      'POST /documents/{document_id}/complete true',
      'POST /generate true',
      'POST /generate_assessment true',
      'POST /questions/review true',
      'POST /questions/{id}/regenerate true',
      'PUT /assessments/{assessment_id} true',
    ]);
  });

  it('hands document uploads to the function base64-encoded, JSON as text, and zip exports out as bytes', () => {
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { BinaryMediaTypes: [...BINARY_MEDIA_TYPES] });
    assert.deepEqual([...BINARY_MEDIA_TYPES].sort(), [
      'application/octet-stream',
      'application/pdf',
      'application/zip',
      'multipart/form-data',
      'text/markdown',
      'text/plain',
    ]);
    assert.ok(!BINARY_MEDIA_TYPES.some((type) => type.includes('*') || type.includes('json')));
  });

  it('gives each API function one invoke permission for the whole API, and the authorizer its own', () => {
    const permissions = resourcesOfType(json, 'AWS::Lambda::Permission').filter(
      ([, p]) => p.Properties?.Principal === 'apigateway.amazonaws.com',
    );
    // Five API functions (quiz, health, docs, assessments, content) and the authorizer.
    assert.equal(permissions.length, 6);
  });

  it('checks every keyed method through the key authorizer, which hands API Gateway the key', () => {
    const [authorizerId, authorizer] = resourcesOfType(json, 'AWS::ApiGateway::Authorizer')[0] ?? [];
    assert.ok(authorizerId && authorizer);
    assert.equal(authorizer.Properties?.Type, 'REQUEST');
    // Cached results would be keyed by identity sources, and no single header is always present.
    assert.equal(authorizer.Properties?.AuthorizerResultTtlInSeconds, 0);
    const [, restApi] = resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0] ?? [];
    assert.equal(restApi?.Properties?.ApiKeySourceType, 'AUTHORIZER');
    for (const [, method] of resourcesOfType(json, 'AWS::ApiGateway::Method')) {
      const props = method.Properties ?? {};
      if (props.ApiKeyRequired === true) {
        assert.equal(props.AuthorizationType, 'CUSTOM');
        assert.deepEqual(props.AuthorizerId, { Ref: authorizerId });
      } else {
        assert.notEqual(props.AuthorizationType, 'CUSTOM', 'public routes and preflights run no authorizer');
      }
    }
  });

  it("serves the Content Generator's routes at the API root through the content function", () => {
    const contentRoutes = methods
      .filter((m) =>
        ROUTES.some((r) => r.handler === 'contentApi' && r.path === m.path && r.method === m.method),
      )
      .map((m) => `${m.method} ${m.path} ${m.apiKeyRequired ?? false}`)
      .sort();
    assert.deepEqual(contentRoutes, [
      'GET / false',
      'GET /api/analytics true',
      'GET /api/economy/pricing true',
      'GET /api/economy/stats true',
      'GET /api/jobs true',
      'GET /api/jobs/{id} true',
      'GET /api/jobs/{id}/content true',
      'GET /api/jobs/{id}/status true',
      'GET /api/stats true',
      'GET /api/templates true',
      'GET /api/templates/{name} true',
      'GET /api/webhooks/secret true',
      'GET /help false',
      'POST /api/economy/estimate true',
      'POST /api/execute true',
      'POST /api/jobs/{id}/cancel true',
      'POST /api/jobs/{id}/retry true',
      'POST /api/templates true',
      'PUT /api/templates/{name} true',
    ]);
  });

  it('lets the content API run content jobs, use content/ and read the Gemini key, within 29 s and 1024 MB', () => {
    const props = propsOf('contentApi');
    assert.equal(props.Timeout, 29);
    assert.equal(props.MemorySize, 1024);
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const name of [
      'TABLE_NAME',
      'BUCKET_NAME',
      'STATE_MACHINE_ARN',
      'GEMINI_API_KEY_SECRET_ARN',
      'GEMINI_MODEL',
    ]) {
      assert.ok(env[name], name);
    }
    assert.equal(env.CONTENT_REQUESTS_PER_MINUTE, String(CUSTOM_SETTINGS.contentRequestsPerMinute));
    assert.equal(env.CONTENT_MAX_CONCURRENT_JOBS, String(CUSTOM_SETTINGS.contentMaxConcurrentJobs));
    assert.equal(env.CONTENT_INLINE_MAX_BYTES, String(CUSTOM_SETTINGS.contentInlineMaxBytes));
    assert.equal(env.WEBHOOK_TIMEOUT_SECONDS, String(CUSTOM_SETTINGS.webhookTimeoutSeconds));
    const actions = statementsOf('contentApi').flatMap((st) => st.actions);
    for (const action of [
      'states:StartExecution',
      'states:StopExecution',
      'states:DescribeExecution',
      'secretsmanager:GetSecretValue',
      'dynamodb:Query',
      'dynamodb:PutItem',
    ]) {
      assert.ok(actions.includes(action), action);
    }
    assert.ok(!actions.some((a) => a.startsWith('sqs:')), 'the content API queues nothing itself');
  });

  it('gives the pipeline functions that send webhooks and build content the content settings', () => {
    for (const role of ['generateChunkWorker', 'assembleResults', 'finalizeJob'] as const) {
      const env = (propsOf(role).Environment as { Variables: Record<string, unknown> }).Variables;
      assert.equal(env.WEBHOOK_TIMEOUT_SECONDS, String(CUSTOM_SETTINGS.webhookTimeoutSeconds), role);
      assert.equal(env.CONTENT_INLINE_MAX_BYTES, String(CUSTOM_SETTINGS.contentInlineMaxBytes), role);
    }
  });

  it('answers CORS preflights on every resource with the API key header allowed and the rate-limit headers exposed', () => {
    const resources = new Set(allMethods.map((m) => m.path));
    assert.deepEqual(new Set(preflights.map((m) => m.path)), resources);
    for (const preflight of preflights) {
      assert.equal(preflight.apiKeyRequired ?? false, false, preflight.path);
      assert.equal((preflight.integration as { Type: string }).Type, 'MOCK', preflight.path);
    }
    const [preflight] = resourcesOfType(json, 'AWS::ApiGateway::Method').filter(
      ([, m]) => (m.Properties as { HttpMethod: string }).HttpMethod === 'OPTIONS',
    );
    assert.ok(preflight);
    const integration = preflight[1].Properties?.Integration as {
      IntegrationResponses: { ResponseParameters: Record<string, string> }[];
    };
    const headers = integration.IntegrationResponses[0]?.ResponseParameters;
    assert.equal(headers?.['method.response.header.Access-Control-Allow-Origin'], "'*'");
    assert.equal(
      headers?.['method.response.header.Access-Control-Allow-Headers'],
      `'${CORS_ALLOWED_HEADERS.join(',')}'`,
    );
    assert.equal(
      headers?.['method.response.header.Access-Control-Expose-Headers'],
      `'${CORS_EXPOSED_HEADERS.join(',')}'`,
    );
    assert.deepEqual([...CORS_EXPOSED_HEADERS].slice(0, 3), [
      'X-RateLimit-Limit',
      'X-RateLimit-Remaining',
      'X-RateLimit-Reset',
    ]);
  });

  it('lets the assessments API queue documents, run assessment jobs and hand out upload URLs', () => {
    const props = propsOf('assessmentsApi');
    assert.equal(props.Timeout, 29);
    assert.equal(props.MemorySize, 1024);
    const env = (props.Environment as { Variables: Record<string, unknown> }).Variables;
    for (const name of [
      'TABLE_NAME',
      'BUCKET_NAME',
      'STATE_MACHINE_ARN',
      'DOCUMENT_QUEUE_URL',
      'GEMINI_API_KEY_SECRET_ARN',
      'GEMINI_MODEL',
      'QUESTIONS_PER_CAREER_LEVEL',
    ]) {
      assert.ok(env[name], name);
    }
    assert.equal(env.INLINE_UPLOAD_MAX_BYTES, String(CUSTOM_SETTINGS.inlineUploadMaxBytes));
    assert.equal(env.DOCUMENT_MAX_BYTES, String(CUSTOM_SETTINGS.documentMaxBytes));
    assert.equal(env.ASSESSMENT_TIMEOUT_SECONDS, String(CUSTOM_SETTINGS.assessmentTimeoutSeconds));
    assert.equal(env.ASSESSMENT_RETENTION_HOURS, String(CUSTOM_SETTINGS.assessmentRetentionHours));
    // Presigned PUT URLs must not carry a checksum of the empty body.
    assert.equal(env.AWS_REQUEST_CHECKSUM_CALCULATION, 'WHEN_REQUIRED');
    const actions = statementsOf('assessmentsApi').flatMap((st) => st.actions);
    for (const action of [
      'sqs:SendMessage',
      'states:StartExecution',
      'states:StopExecution',
      'states:DescribeExecution',
      'secretsmanager:GetSecretValue',
      'dynamodb:Query',
    ]) {
      assert.ok(actions.includes(action), action);
    }
    assert.ok(!actions.includes('sqs:ReceiveMessage'));
  });

  it('throttles each key by the usage plan and all keys together by the stage’s own, higher limit', () => {
    template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      Throttle: {
        RateLimit: CUSTOM_SETTINGS.apiThrottleRateLimit,
        BurstLimit: CUSTOM_SETTINGS.apiThrottleBurstLimit,
      },
      Quota: { Limit: CUSTOM_SETTINGS.apiQuotaLimit, Period: CUSTOM_SETTINGS.apiQuotaPeriod },
      ApiStages: [Match.objectLike({ ApiId: { Ref: restApiId }, Stage: Match.anyValue() })],
    });
    template.resourceCountIs('AWS::ApiGateway::UsagePlanKey', 1);
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: API_STAGE_NAME,
      TracingEnabled: true,
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
      MethodSettings: [
        Match.objectLike({
          // Not one key's limit: that made every key together share what one key may use.
          ThrottlingRateLimit: CUSTOM_SETTINGS.apiStageThrottleRateLimit,
          ThrottlingBurstLimit: CUSTOM_SETTINGS.apiStageThrottleBurstLimit,
          MetricsEnabled: true,
        }),
      ],
    });
  });

  /** A gateway response body as API Gateway would send it for this message. */
  const render = (template: string, message: string) =>
    template
      .replaceAll('$context.error.messageString', JSON.stringify(message))
      .replaceAll('$context.requestTime', '08/Jan/2025:10:00:00 +0000');

  it('answers gateway errors in both envelopes at once, readable from a browser', () => {
    const responses = template.findResources('AWS::ApiGateway::GatewayResponse');
    assert.deepEqual(
      Object.values(responses)
        .map((r) => r.Properties.ResponseType)
        .sort(),
      [
        'DEFAULT_4XX',
        'DEFAULT_5XX',
        'INTEGRATION_TIMEOUT',
        'INVALID_API_KEY',
        'MISSING_AUTHENTICATION_TOKEN',
        'QUOTA_EXCEEDED',
        'THROTTLED',
        'UNAUTHORIZED',
      ],
    );
    for (const response of Object.values(responses)) {
      const body = response.Properties.ResponseTemplates['application/json'] as string;
      const rendered = JSON.parse(render(body, 'Some message'));
      assert.equal(typeof rendered.detail, 'string', response.Properties.ResponseType);
      assert.equal(rendered.success, false);
      assert.equal(typeof rendered.error, 'string');
      assert.equal(rendered.metadata.timestamp, '08/Jan/2025:10:00:00 +0000');
      assert.match(rendered.metadata.details.code, /^[A-Z_]+$/);
      assert.ok(rendered.metadata.details.suggestion.length > 10);
      assert.deepEqual(response.Properties.ResponseParameters, {
        'gatewayresponse.header.Access-Control-Allow-Origin': "'*'",
      });
    }
  });

  it('uses plain $context substitution in gateway responses, since API Gateway runs no VTL there', () => {
    for (const response of Object.values(template.findResources('AWS::ApiGateway::GatewayResponse'))) {
      const body = response.Properties.ResponseTemplates['application/json'] as string;
      assert.doesNotMatch(
        body,
        /#(if|set|foreach|else|end)|\$util|\$input/,
        response.Properties.ResponseType,
      );
    }
  });

  it('answers a missing key with 401 INVALID_AUTH, naming both ways to send one', () => {
    const missing = GATEWAY_ERRORS.find((e) => e.type === apigw.ResponseType.UNAUTHORIZED);
    assert.ok(missing);
    assert.equal(missing.statusCode, undefined, "API Gateway's own 401");
    const body = JSON.parse(render(gatewayErrorTemplate(missing), 'Unauthorized'));
    assert.equal(body.metadata.details.code, 'INVALID_AUTH');
    assert.match(body.detail, /X-API-Key or Authorization: Bearer/);
  });

  it("answers a bad API key with 401, the seed's INVALID_API_KEY code and its suggestion", () => {
    const invalidKey = GATEWAY_ERRORS.find((e) => e.type === apigw.ResponseType.INVALID_API_KEY);
    assert.ok(invalidKey);
    assert.equal(invalidKey.statusCode, '401', "the content seed's status instead of API Gateway's 403");
    const body = JSON.parse(render(gatewayErrorTemplate(invalidKey), 'Forbidden'));
    assert.deepEqual(body, {
      detail: 'Invalid API key',
      success: false,
      error: 'Invalid API key',
      metadata: {
        timestamp: '08/Jan/2025:10:00:00 +0000',
        details: { code: 'INVALID_API_KEY', suggestion: 'Check your API key is correct and not expired' },
      },
    });
  });

  it('answers throttling and an exhausted quota with RATE_LIMIT_EXCEEDED', () => {
    for (const type of ['THROTTLED', 'QUOTA_EXCEEDED']) {
      const [response] = Object.values(
        template.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: type } }),
      );
      assert.equal(response?.Properties.StatusCode, undefined, `${type} keeps 429`);
      const body = JSON.parse(render(response?.Properties.ResponseTemplates['application/json'], 'x'));
      assert.equal(body.metadata.details.code, 'RATE_LIMIT_EXCEEDED', type);
    }
  });

  it('answers an unknown path with 404 "Not Found" instead of "Missing Authentication Token"', () => {
    const [response] = Object.values(
      template.findResources('AWS::ApiGateway::GatewayResponse', {
        Properties: { ResponseType: 'MISSING_AUTHENTICATION_TOKEN' },
      }),
    );
    assert.equal(response?.Properties.StatusCode, '404');
    const body = JSON.parse(render(response?.Properties.ResponseTemplates['application/json'], 'ignored'));
    assert.equal(body.detail, 'Not Found');
    assert.equal(body.error, 'Not Found');
    assert.equal(body.metadata.details.code, 'NOT_FOUND');
  });

  it('lets the API function start, stop and describe executions and read the Gemini key', () => {
    const apiFn = logicalIdOf('function', 'quizGeneratorApi');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Timeout: 29,
      Environment: {
        Variables: Match.objectLike({
          STATE_MACHINE_ARN: Match.anyValue(),
          TABLE_NAME: Match.anyValue(),
          BUCKET_NAME: Match.anyValue(),
          GEMINI_API_KEY_SECRET_ARN: Match.anyValue(),
        }),
      },
    });
    const fnProps = json.Resources[apiFn]?.Properties as { Role: { 'Fn::GetAtt': [string, string] } };
    const role = fnProps.Role['Fn::GetAtt'][0];
    const policy = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
    )[0];
    const actions = JSON.stringify(policy?.Properties);
    for (const action of [
      'states:StartExecution',
      'states:StopExecution',
      'states:DescribeExecution',
      'secretsmanager:GetSecretValue',
    ]) {
      assert.ok(actions.includes(action), action);
    }
  });
});

describe('functions', () => {
  const functions = functionEntries(json);

  it('runs one function per handler of HANDLER_ENTRIES, each naming its source file in quizgen:entry', () => {
    assert.deepEqual(functions.map((f) => f.role).sort(), Object.keys(HANDLER_ENTRIES).sort());
    for (const f of functions) assert.equal(f.entry, HANDLER_ENTRIES[f.role], f.logicalId);
  });

  it('runs every function on Node 24, ARM64, with X-Ray, JSON logs in its own log group, and no --enable-source-maps', () => {
    for (const f of functions) {
      const props = json.Resources[f.logicalId]?.Properties ?? {};
      assert.equal(props.Runtime, 'nodejs24.x', f.logicalId);
      assert.deepEqual(props.Architectures, ['arm64'], f.logicalId);
      assert.deepEqual(props.TracingConfig, { Mode: 'Active' }, f.logicalId);
      // Stack traces are mapped when read (lambdas/platform/stack-traces.ts), not at every load.
      assert.equal(f.environment.NODE_OPTIONS, undefined, f.logicalId);
      assert.equal(f.environment.POWERTOOLS_SERVICE_NAME, 'quizgen', f.logicalId);
      const logging = props.LoggingConfig as { LogFormat: string; LogGroup: { Ref: string } };
      assert.equal(logging.LogFormat, 'JSON');
      assert.equal(json.Resources[logging.LogGroup.Ref]?.Type, 'AWS::Logs::LogGroup');
    }
  });

  it('gives no function the account-wide AWSLambdaBasicExecutionRole', () => {
    assert.doesNotMatch(
      JSON.stringify(template.findResources('AWS::IAM::Role')),
      /AWSLambdaBasicExecutionRole/,
    );
  });
});

describe('outputs', () => {
  it('exports what an operator needs after deploying', () => {
    for (const name of Object.values(OUTPUTS)) template.hasOutput(name, { Value: Match.anyValue() });
    template.hasOutput(OUTPUTS.getApiKeyCommand, {
      Value: {
        'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('^aws apigateway get-api-key --api-key ')])],
      },
    });
  });
});
