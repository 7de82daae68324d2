import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { HANDLER_ENTRIES } from '../../lambdas/commons/pipeline-contract.ts';
import { GATEWAY_ERROR_TEMPLATE } from '../../lib/constructs/api.ts';
import { functionEntries, resourcesOfType } from '../../lib/definition.ts';
import { OUTPUTS } from '../../lib/quizgen-stack.ts';
import { API_STAGE_NAME, ROUTES } from '../../lib/routes.ts';
import { CUSTOM_SETTINGS, synthesize } from './fixtures.ts';

const { template, json } = synthesize();

function logicalIdOf(type: string, role: keyof typeof HANDLER_ENTRIES): string {
  const fn = functionEntries(json).find((f) => f.role === role);
  assert.ok(fn, `no ${type} for ${role}`);
  return fn.logicalId;
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

  it('expires raw model responses after rawResponseRetentionDays and aborts stale uploads', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LoggingConfiguration: Match.objectLike({ DestinationBucketName: Match.anyValue() }),
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Prefix: 'raw/',
            ExpirationInDays: CUSTOM_SETTINGS.rawResponseRetentionDays,
            Status: 'Enabled',
          }),
          Match.objectLike({ AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 }, Status: 'Enabled' }),
        ]),
      },
    });
  });
});

describe('pipeline', () => {
  it('sends chunks to an encrypted queue whose dead-letter queue takes a message after chunkMaxReceives', () => {
    template.resourceCountIs('AWS::SQS::Queue', 2);
    template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: CUSTOM_SETTINGS.workerTimeoutSeconds + 60,
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
    assert.equal(Object.keys(sslOnly).length, 2);
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

  it('drains the dead-letter queue into the deadLetter handler, which answers the waiting task', () => {
    const [dlq] = resourcesOfType(json, 'AWS::SQS::Queue').filter(([, q]) => !q.Properties?.RedrivePolicy);
    assert.ok(dlq);
    template.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf('dead-letter handler', 'deadLetter') },
      EventSourceArn: { 'Fn::GetAtt': [dlq[0], 'Arn'] },
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

describe('api', () => {
  const restApiId = resourcesOfType(json, 'AWS::ApiGateway::RestApi')[0]?.[0];

  /** Full resource paths, rebuilt from each resource's PathPart and ParentId. */
  function resourcePath(logicalId: string): string {
    const resource = json.Resources[logicalId];
    const props = resource?.Properties as { PathPart: string; ParentId: { Ref?: string } };
    const parent = props.ParentId.Ref;
    return `${parent ? resourcePath(parent) : ''}/${props.PathPart}`;
  }

  const methods = resourcesOfType(json, 'AWS::ApiGateway::Method').map(([, m]) => {
    const props = m.Properties as {
      HttpMethod: string;
      ApiKeyRequired?: boolean;
      ResourceId: { Ref: string };
    };
    return {
      method: props.HttpMethod,
      path: resourcePath(props.ResourceId.Ref),
      apiKeyRequired: props.ApiKeyRequired,
    };
  });

  it('has exactly one method per route of ROUTES', () => {
    const key = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
    assert.deepEqual(methods.map(key).sort(), ROUTES.map(key).sort());
  });

  it('requires an API key on every method except GET /health', () => {
    for (const m of methods) {
      const isHealth = m.method === 'GET' && m.path === '/health';
      assert.equal(m.apiKeyRequired ?? false, !isHealth, `${m.method} ${m.path}`);
    }
  });

  it('proxies every route to its handler function', () => {
    const api = logicalIdOf('function', 'quizGeneratorApi');
    const health = logicalIdOf('function', 'healthApi');
    for (const [, m] of resourcesOfType(json, 'AWS::ApiGateway::Method')) {
      const integration = (m.Properties as { Integration: { Type: string; Uri: unknown } }).Integration;
      assert.equal(integration.Type, 'AWS_PROXY');
      const uri = JSON.stringify(integration.Uri);
      assert.ok(uri.includes(api) !== uri.includes(health), `one target per method: ${uri}`);
    }
  });

  it('applies the usage plan throttle and quota from the settings to the prod stage', () => {
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
          ThrottlingRateLimit: CUSTOM_SETTINGS.apiThrottleRateLimit,
          ThrottlingBurstLimit: CUSTOM_SETTINGS.apiThrottleBurstLimit,
          MetricsEnabled: true,
        }),
      ],
    });
  });

  it('answers gateway errors in the seed\'s {"detail": ...} envelope', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
        ResponseType: type,
        ResponseTemplates: { 'application/json': GATEWAY_ERROR_TEMPLATE },
      });
    }
    // messageString is already a quoted JSON string: wrapping it in quotes again would break the body.
    const rendered = GATEWAY_ERROR_TEMPLATE.replace(
      '$context.error.messageString',
      JSON.stringify('Forbidden'),
    );
    assert.deepEqual(JSON.parse(rendered), { detail: 'Forbidden' });
  });

  it('answers an unknown path with 404 "Not Found" instead of "Missing Authentication Token"', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': '{"detail":"Not Found"}' },
    });
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

  it('runs every function on Node 24, ARM64, with X-Ray, source maps and JSON logs in its own log group', () => {
    for (const f of functions) {
      const props = json.Resources[f.logicalId]?.Properties ?? {};
      assert.equal(props.Runtime, 'nodejs24.x', f.logicalId);
      assert.deepEqual(props.Architectures, ['arm64'], f.logicalId);
      assert.deepEqual(props.TracingConfig, { Mode: 'Active' }, f.logicalId);
      assert.equal(f.environment.NODE_OPTIONS, '--enable-source-maps', f.logicalId);
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
