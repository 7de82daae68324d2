import * as cdk from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeManagedPolicy, acknowledgeWildcards } from '../nag.ts';
import { API_STAGE_NAME, CORS_ALLOWED_HEADERS, CORS_EXPOSED_HEADERS, ROUTES } from '../routes.ts';
import { type Settings, settingsEnvironment } from '../settings.ts';
import { Firewall } from './firewall.ts';
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
 * `application/json` is not among them, so JSON bodies still arrive as text. The same list
 * decides which base64 answers go out as bytes: a zip export, to a client that sends
 * `Accept: application/zip`.
 */
export const BINARY_MEDIA_TYPES = [
  'application/pdf',
  'application/octet-stream',
  'multipart/form-data',
  'text/markdown',
  'text/plain',
  // QTI exports are zips; API Gateway sends a base64 answer as bytes when Accept names this.
  'application/zip',
] as const;

/**
 * The body of an error API Gateway answers itself (missing or wrong API key, unknown path,
 * throttling, a failed integration). The quiz and assessment APIs answer errors as
 * `{"detail": ...}`, the content API as `{"success": false, "error", "metadata": {...}}`, and a
 * gateway response cannot tell them apart: it is set per API and response type, not per path,
 * and its template gets plain variable substitution only (API Gateway does not run VTL there,
 * so no `#if` on `$context.path`). So every gateway error carries both envelopes in one object;
 * each client reads its own keys. `detail` and `error` are JSON values: a quoted literal, or
 * `$context.error.messageString`, which API Gateway substitutes already quoted and escaped.
 */
export function gatewayErrorTemplate(error: {
  detail: string;
  error: string;
  code: string;
  suggestion: string;
}): string {
  return (
    `{"detail":${error.detail},"success":false,"error":${error.error},` +
    `"metadata":{"timestamp":"$context.requestTime","details":{"code":${JSON.stringify(error.code)},` +
    `"suggestion":${JSON.stringify(error.suggestion)}}}}`
  );
}

const GATEWAY_MESSAGE = '$context.error.messageString';

interface GatewayError {
  id: string;
  type: apigw.ResponseType;
  statusCode?: string;
  detail: string;
  error: string;
  code: string;
  suggestion: string;
}

/**
 * The gateway responses, with the content API's code for each. The status stays API Gateway's
 * own, except for an unknown path (404 instead of "Missing Authentication Token", 403) and a
 * key API Gateway does not know (401 as the content API's specification says, instead of 403;
 * the quiz and assessment specifications define no authentication, and 401 is the status HTTP
 * means for it). No credentials at all is the authorizer's 401.
 */
export const GATEWAY_ERRORS: readonly GatewayError[] = [
  {
    id: 'Default4xx',
    type: apigw.ResponseType.DEFAULT_4XX,
    detail: GATEWAY_MESSAGE,
    error: GATEWAY_MESSAGE,
    code: 'INVALID_REQUEST',
    suggestion: 'Check the request against GET /help',
  },
  {
    id: 'Default5xx',
    type: apigw.ResponseType.DEFAULT_5XX,
    detail: GATEWAY_MESSAGE,
    error: GATEWAY_MESSAGE,
    code: 'INTERNAL_ERROR',
    suggestion: 'Try again; if it persists, contact the operator',
  },
  {
    id: 'UnknownPath',
    type: apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    statusCode: '404',
    detail: JSON.stringify('Not Found'),
    error: JSON.stringify('Not Found'),
    code: 'NOT_FOUND',
    suggestion: 'Check the method and path; GET /help lists the endpoints',
  },
  {
    id: 'MissingCredentials',
    type: apigw.ResponseType.UNAUTHORIZED,
    detail: JSON.stringify('Missing API key: send it as X-API-Key or Authorization: Bearer'),
    error: JSON.stringify('Authentication failed'),
    code: 'INVALID_AUTH',
    suggestion: 'Send your API key as X-API-Key: <key> or Authorization: Bearer <key>',
  },
  {
    id: 'InvalidApiKey',
    type: apigw.ResponseType.INVALID_API_KEY,
    statusCode: '401',
    detail: JSON.stringify('Invalid API key'),
    error: JSON.stringify('Invalid API key'),
    code: 'INVALID_API_KEY',
    suggestion: 'Check your API key is correct and not expired',
  },
  {
    id: 'Throttled',
    type: apigw.ResponseType.THROTTLED,
    detail: GATEWAY_MESSAGE,
    error: JSON.stringify('Rate limit exceeded'),
    code: 'RATE_LIMIT_EXCEEDED',
    suggestion: 'Please wait before making more requests',
  },
  {
    id: 'QuotaExceeded',
    type: apigw.ResponseType.QUOTA_EXCEEDED,
    detail: GATEWAY_MESSAGE,
    error: JSON.stringify('Request quota exceeded'),
    code: 'RATE_LIMIT_EXCEEDED',
    suggestion: "Your API key's request quota for this period is used up; wait for the next period",
  },
  {
    id: 'IntegrationTimeout',
    type: apigw.ResponseType.INTEGRATION_TIMEOUT,
    detail: GATEWAY_MESSAGE,
    error: JSON.stringify('Request took too long'),
    code: 'REQUEST_TIMEOUT',
    suggestion: 'Use the asynchronous endpoints and poll the job, or try again',
  },
];

/** How long a browser may cache a CORS preflight answer. */
const CORS_MAX_AGE = cdk.Duration.hours(1);

/**
 * The REST API: one resource per route of ROUTES (so the console lists every route), API keys
 * with a usage plan, access logs, CORS for browser clients, and the seeds' error envelopes on
 * gateway errors.
 */
export class Api extends Construct {
  readonly restApi: apigw.RestApi;
  readonly apiKey: apigw.IApiKey;
  readonly usagePlan: apigw.UsagePlan;
  /** The web ACL in front of the stage: bodies Lambda could not take get a 413 there. */
  readonly firewall: Firewall;
  readonly functions: {
    quizGeneratorApi: QuizgenFunction;
    healthApi: QuizgenFunction;
    docsApi: QuizgenFunction;
    assessmentsApi: QuizgenFunction;
    contentApi: QuizgenFunction;
    apiAuthorizer: QuizgenFunction;
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
    storage.useBucket(quizGeneratorApi, { read: ['checkpoints', 'results'], write: ['results'] });
    pipeline.useStateMachine(quizGeneratorApi);
    geminiSecret.useKey(quizGeneratorApi);

    const healthApi = new QuizgenFunction(this, 'HealthApiFunction', {
      role: 'healthApi',
      description: "Unauthenticated liveness check and the web console's static files",
      timeout: cdk.Duration.seconds(10),
      memorySize: 256,
      // It reports the configured model; it touches no data, so it gets no grants.
      environment: settingsEnvironment(settings),
      // The console's built files go into the function's asset, next to its bundle.
      extraFiles: 'console',
    });
    const docsApi = new QuizgenFunction(this, 'DocsApiFunction', {
      role: 'docsApi',
      description: 'Unauthenticated API description: /openapi.json and the /docs page',
      timeout: cdk.Duration.seconds(10),
      memorySize: 512,
      // It builds the document from the APIs' request schemas; it touches no data: no grants.
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
    // DeleteItem: DELETE of a document or a saved assessment.
    storage.useTable(assessmentsApi, { delete: true });
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
    // The review API it serves names a reviewer by the API key's name.
    allowKeyNames(assessmentsApi);

    const contentApi = new QuizgenFunction(this, 'ContentApiFunction', {
      role: 'contentApi',
      description:
        'Content Generator REST API: execute, templates, jobs, stats, analytics and economy; its help and root pages',
      // API Gateway gives up at 29 s; /api/execute answers 202 with the job before that.
      timeout: cdk.Duration.seconds(29),
      // A course structure and the assembled content are parsed and serialized in memory.
      memorySize: 1024,
      environment: settingsEnvironment(settings),
    });
    storage.useTable(contentApi);
    // content/: structures stored by reference, content too large to answer inline (and the
    // presigned URLs to it), user templates kept as files.
    storage.useBucket(contentApi, { read: ['content'], write: ['content'] });
    pipeline.useStateMachine(contentApi);
    geminiSecret.useKey(contentApi);

    // Reads the key from X-API-Key or Authorization: Bearer; API Gateway still validates it
    // against the usage plan. Not cached: with two alternative headers there is no identity
    // source every request has, and API Gateway caches only by identity sources.
    const apiAuthorizer = new QuizgenFunction(this, 'ApiAuthorizerFunction', {
      role: 'apiAuthorizer',
      description: 'Finds the API key in X-API-Key or Authorization: Bearer for API Gateway',
      timeout: cdk.Duration.seconds(5),
      memorySize: 256,
      // It reads request headers only: no environment, no grants.
    });
    const authorizer = new apigw.RequestAuthorizer(this, 'KeyAuthorizer', {
      handler: apiAuthorizer,
      identitySources: [],
      resultsCacheTtl: cdk.Duration.seconds(0),
    });

    this.functions = { quizGeneratorApi, healthApi, docsApi, assessmentsApi, contentApi, apiAuthorizer };

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });

    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'Quiz generation service',
      binaryMediaTypes: [...BINARY_MEDIA_TYPES],
      endpointTypes: [apigw.EndpointType.REGIONAL],
      // The authorizer hands API Gateway the key, wherever the client put it.
      apiKeySourceType: apigw.ApiKeySourceType.AUTHORIZER,
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
        // Every key together; each key has its own, lower throttle in the usage plan.
        throttlingRateLimit: settings.apiStageThrottleRateLimit,
        throttlingBurstLimit: settings.apiStageThrottleBurstLimit,
      },
      // Browser clients call with an API key, which makes every request preflighted. The
      // functions add Access-Control-Allow-Origin and -Expose-Headers to their own answers.
      defaultCorsPreflightOptions: {
        allowOrigins: apigw.Cors.ALL_ORIGINS,
        allowMethods: apigw.Cors.ALL_METHODS,
        allowHeaders: [...CORS_ALLOWED_HEADERS],
        exposeHeaders: [...CORS_EXPOSED_HEADERS],
        maxAge: CORS_MAX_AGE,
      },
    });

    // One Lambda permission per function for the whole API instead of two per method: a
    // permission per method would push a function's resource policy past its 20 KB limit.
    const integrations = {
      quizGeneratorApi: new apigw.LambdaIntegration(quizGeneratorApi, { scopePermissionToMethod: false }),
      healthApi: new apigw.LambdaIntegration(healthApi, { scopePermissionToMethod: false }),
      docsApi: new apigw.LambdaIntegration(docsApi, { scopePermissionToMethod: false }),
      assessmentsApi: new apigw.LambdaIntegration(assessmentsApi, { scopePermissionToMethod: false }),
      contentApi: new apigw.LambdaIntegration(contentApi, { scopePermissionToMethod: false }),
    };
    for (const route of ROUTES) {
      const resource = this.restApi.root.resourceForPath(route.path);
      const method = resource.addMethod(route.method, integrations[route.handler], {
        apiKeyRequired: route.apiKeyRequired,
        ...(route.apiKeyRequired ? { authorizer, authorizationType: apigw.AuthorizationType.CUSTOM } : {}),
      });
      if (!route.apiKeyRequired) {
        acknowledge(
          method,
          'AwsSolutions-APIG4',
          "Health check, root page, help, the API description and the web console's static files are public by design: uptime probes and new users call them without a key, and they return no user data (the console asks for the key and sends it only to the keyed routes).",
        );
      }
      acknowledge(
        method,
        'AwsSolutions-COG4',
        'The service specification authenticates with API keys, not Cognito user pools.',
      );
    }
    for (const preflight of this.restApi.methods.filter((m) => m.httpMethod === 'OPTIONS')) {
      acknowledge(
        preflight,
        'AwsSolutions-APIG4',
        'CORS preflight: browsers send OPTIONS without credentials by specification; a mock integration answers with the CORS headers and reaches no function or data.',
      );
      acknowledge(
        preflight,
        'AwsSolutions-COG4',
        'CORS preflight: browsers send OPTIONS without credentials by specification, so it cannot require a Cognito token.',
      );
    }

    // A browser reads an error body only with Access-Control-Allow-Origin on it.
    for (const { id, type, statusCode, ...error } of GATEWAY_ERRORS) {
      this.restApi.addGatewayResponse(id, {
        type,
        statusCode,
        responseHeaders: { 'Access-Control-Allow-Origin': "'*'" },
        templates: { 'application/json': gatewayErrorTemplate(error) },
      });
    }

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
    this.firewall = new Firewall(this, 'Firewall', {
      stage: this.restApi.deploymentStage,
      binaryMediaTypes: BINARY_MEDIA_TYPES,
    });
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

/** Every API key of the stack's region, as IAM names them. */
export const API_KEYS_ARN = `arn:${cdk.Aws.PARTITION}:apigateway:${cdk.Aws.REGION}::/apikeys/*`;

/**
 * GetApiKey (`GET /apikeys/{id}`, lambdas/platform/key-names.ts): the IAM action is
 * `apigateway:GET` on the ApiKey resource, `arn:${Partition}:apigateway:${Region}::/apikeys/${ApiKeyId}`
 * (Service Authorization Reference, "Actions, resources, and condition keys for Amazon API
 * Gateway Management"). Read-only, API keys only, this region only.
 */
function allowKeyNames(fn: QuizgenFunction): void {
  const apiKeys = API_KEYS_ARN;
  fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['apigateway:GET'], resources: [apiKeys] }));
  acknowledgeWildcards(
    fn.role ?? fn,
    { resources: [apiKeys] },
    "Any API key of this region: keys are added for new clients after deployment (each with a usage plan key), and a reviewer's key is whichever key called. GET only: it reads a key's name; it cannot create, change or delete keys.",
  );
}
