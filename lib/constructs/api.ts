import * as cdk from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeManagedPolicy } from '../nag.ts';
import { API_STAGE_NAME, ROUTES } from '../routes.ts';
import { type Settings, settingsEnvironment } from '../settings.ts';
import type { GeminiSecret } from './gemini-secret.ts';
import type { Ingestion } from './ingestion.ts';
import type { Pipeline } from './pipeline.ts';
import { QuizgenFunction } from './quizgen-function.ts';
import type { Storage } from './storage.ts';

export interface ApiProps {
  settings: Settings;
  storage: Storage;
  pipeline: Pipeline;
  ingestion: Ingestion;
  geminiSecret: GeminiSecret;
}

/**
 * Request bodies API Gateway hands to the function base64-encoded (`isBase64Encoded: true`):
 * the document types `POST /documents` accepts, a form upload (`curl -F`) and raw bytes.
 * `application/json` is not among them, so JSON bodies still arrive as text.
 */
export const BINARY_MEDIA_TYPES = [
  'application/pdf',
  'application/octet-stream',
  'multipart/form-data',
  'text/markdown',
  'text/plain',
] as const;

/**
 * Seed's error envelope for errors API Gateway answers itself (missing or wrong API key, unknown
 * path, throttling). `messageString` is the message already quoted and escaped for JSON by API
 * Gateway, the same variable its own default `{"message":...}` template uses.
 */
export const GATEWAY_ERROR_TEMPLATE = '{"detail":$context.error.messageString}';

/**
 * The REST API: one resource per route of ROUTES (so the console lists every route), API keys
 * with a usage plan, access logs, and the seed's `{"detail": ...}` envelope on gateway errors.
 */
export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly apiKey: apigw.IApiKey;
  readonly usagePlan: apigw.UsagePlan;
  readonly functions: {
    quizGeneratorApi: QuizgenFunction;
    healthApi: QuizgenFunction;
    assessmentsApi: QuizgenFunction;
  };

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { settings, storage, pipeline, ingestion, geminiSecret } = props;

    const quizGeneratorApi = new QuizgenFunction(this, 'QuizGeneratorApiFunction', {
      role: 'quizGeneratorApi',
      description: 'Quiz generator REST API: jobs, synchronous and asynchronous generation, results',
      // API Gateway gives up at 29 s; synchronous generate calls wait up to syncWaitSeconds.
      timeout: cdk.Duration.seconds(29),
      environment: settingsEnvironment(settings),
    });
    storage.useTable(quizGeneratorApi);
    storage.useBucket(quizGeneratorApi, { read: ['checkpoints', 'results'] });
    pipeline.useStateMachine(quizGeneratorApi);
    geminiSecret.useKey(quizGeneratorApi);

    const healthApi = new QuizgenFunction(this, 'HealthApiFunction', {
      role: 'healthApi',
      description: 'Unauthenticated liveness check',
      timeout: cdk.Duration.seconds(10),
      memorySize: 256,
      // It reports the configured model; it touches no data, so it gets no grants.
      environment: settingsEnvironment(settings),
    });
    const assessmentsApi = new QuizgenFunction(this, 'AssessmentsApiFunction', {
      role: 'assessmentsApi',
      description: 'Documents, assessment generation, job status and saved assessments',
      timeout: cdk.Duration.seconds(29),
      // An inline upload arrives whole and base64-encoded, and is decoded (and parsed from a
      // form) in memory.
      memorySize: 1024,
      environment: {
        ...settingsEnvironment(settings),
        // The SDK otherwise signs a CRC32 of the empty body into presigned PUT URLs, and S3
        // then rejects every upload through them as a checksum mismatch.
        AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      },
    });
    storage.useTable(assessmentsApi);
    // documents/: inline uploads, presigned upload URLs and deleting a document's objects;
    // assessments/: the MCQs job_status returns and a saved assessment is made from.
    storage.useBucket(assessmentsApi, {
      read: ['documents', 'assessments'],
      write: ['documents'],
      delete: ['documents'],
    });
    ingestion.useQueue(assessmentsApi);
    // Assessments run through the same pipeline as quiz banks.
    pipeline.useStateMachine(assessmentsApi);
    geminiSecret.useKey(assessmentsApi);

    this.functions = { quizGeneratorApi, healthApi, assessmentsApi };

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });

    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'Quiz generation service',
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      endpointTypes: [apigw.EndpointType.REGIONAL],
      apiKeySourceType: apigw.ApiKeySourceType.HEADER,
      // API Gateway writes access and execution logs only with an account-level CloudWatch role;
      // creating it here lets a first deployment in a fresh account succeed.
      cloudWatchRole: true,
      deployOptions: {
        stageName: API_STAGE_NAME,
        accessLogDestination: new apigw.LogGroupLogDestination(accessLogs),
        accessLogFormat: apigw.AccessLogFormat.custom(
          JSON.stringify({
            requestId: apigw.AccessLogField.contextRequestId(),
            requestTime: apigw.AccessLogField.contextRequestTime(),
            ip: apigw.AccessLogField.contextIdentitySourceIp(),
            apiKeyId: apigw.AccessLogField.contextIdentityApiKeyId(),
            method: apigw.AccessLogField.contextHttpMethod(),
            resourcePath: apigw.AccessLogField.contextResourcePath(),
            status: apigw.AccessLogField.contextStatus(),
            responseLength: apigw.AccessLogField.contextResponseLength(),
            integrationLatency: apigw.AccessLogField.contextIntegrationLatency(),
            error: apigw.AccessLogField.contextErrorMessage(),
          }),
        ),
        tracingEnabled: true,
        metricsEnabled: true,
        // Errors only: INFO with data tracing would copy request bodies and keys into the logs.
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        throttlingRateLimit: settings.apiThrottleRateLimit,
        throttlingBurstLimit: settings.apiThrottleBurstLimit,
      },
    });

    // One Lambda permission per function for the whole API instead of two per method: a
    // permission per method would push a function's resource policy past its 20 KB limit.
    const integrations = {
      quizGeneratorApi: new apigw.LambdaIntegration(quizGeneratorApi, { scopePermissionToMethod: false }),
      healthApi: new apigw.LambdaIntegration(healthApi, { scopePermissionToMethod: false }),
      assessmentsApi: new apigw.LambdaIntegration(assessmentsApi, { scopePermissionToMethod: false }),
    };
    for (const route of ROUTES) {
      const resource = this.restApi.root.resourceForPath(route.path);
      const method = resource.addMethod(route.method, integrations[route.handler], {
        apiKeyRequired: route.apiKeyRequired,
      });
      acknowledge(
        method,
        'AwsSolutions-APIG4',
        route.apiKeyRequired
          ? 'Clients authenticate with API keys (x-api-key) as the service specification defines; each key has its own usage plan.'
          : 'The health check is public by design: load balancers and uptime probes call it without a key, and it returns no data.',
      );
      acknowledge(
        method,
        'AwsSolutions-COG4',
        'The service specification authenticates with API keys, not Cognito user pools.',
      );
    }

    for (const [name, type] of [
      ['Default4xx', apigw.ResponseType.DEFAULT_4XX],
      ['Default5xx', apigw.ResponseType.DEFAULT_5XX],
    ] as const) {
      this.restApi.addGatewayResponse(name, {
        type,
        templates: { 'application/json': GATEWAY_ERROR_TEMPLATE },
      });
    }
    // Without an authorizer, API Gateway answers an unknown path with "Missing Authentication
    // Token" (403); say what it is instead.
    this.restApi.addGatewayResponse('UnknownPath', {
      type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
      statusCode: '404',
      templates: { 'application/json': '{"detail":"Not Found"}' },
    });

    this.apiKey = this.restApi.addApiKey('ApiKey', {
      description: 'Default client key of the quiz generator',
    });
    this.usagePlan = this.restApi.addUsagePlan('UsagePlan', {
      description: 'Default client plan: throttle and quota from the deployment settings',
      throttle: { rateLimit: settings.apiThrottleRateLimit, burstLimit: settings.apiThrottleBurstLimit },
      quota: { limit: settings.apiQuotaLimit, period: apigw.Period[settings.apiQuotaPeriod] },
      apiStages: [{ api: this.restApi, stage: this.restApi.deploymentStage }],
    });
    this.usagePlan.addApiKey(this.apiKey);

    acknowledge(
      this.restApi,
      'AwsSolutions-APIG2',
      'Requests are validated in the Lambda handler with zod, which answers with the specification error envelope; an API Gateway validator would answer in its own format.',
    );
    acknowledge(
      this.restApi.deploymentStage,
      'AwsSolutions-APIG3',
      'Abuse is limited by per-key usage plans (throttle and quota) and stage throttling; a WAF web ACL is left to deployments that need IP rules.',
    );
    const cloudWatchRole = this.restApi.node.tryFindChild('CloudWatchRole');
    if (cloudWatchRole) {
      acknowledgeManagedPolicy(
        cloudWatchRole,
        'service-role/AmazonAPIGatewayPushToCloudWatchLogs',
        'The AWS managed policy made for the API Gateway account logging role; API Gateway, not this code, uses it.',
      );
    }
  }
}
