import * as cdk from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { acknowledge, acknowledgeManagedPolicy } from '../nag.ts';
import { API_STAGE_NAME, ROUTES } from '../routes.ts';
import { type Settings, settingsEnvironment } from '../settings.ts';
import type { GeminiSecret } from './gemini-secret.ts';
import type { Pipeline } from './pipeline.ts';
import { QuizgenFunction } from './quizgen-function.ts';
import type { Storage } from './storage.ts';

export interface ApiProps {
  settings: Settings;
  storage: Storage;
  pipeline: Pipeline;
  geminiSecret: GeminiSecret;
}

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
  readonly functions: { quizGeneratorApi: QuizgenFunction; healthApi: QuizgenFunction };

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const { settings, storage, pipeline, geminiSecret } = props;

    const quizGeneratorApi = new QuizgenFunction(this, 'QuizGeneratorApiFunction', {
      role: 'quizGeneratorApi',
      description: 'Quiz generator REST API: jobs, synchronous and asynchronous generation, results',
      // API Gateway gives up at 29 s; synchronous generate calls wait up to syncWaitSeconds.
      timeout: cdk.Duration.seconds(29),
      environment: settingsEnvironment(settings),
    });
    storage.useTable(quizGeneratorApi);
    storage.readBucket(quizGeneratorApi);
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
    this.functions = { quizGeneratorApi, healthApi };

    const accessLogs = new logs.LogGroup(this, 'AccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });

    this.restApi = new apigw.RestApi(this, 'RestApi', {
      description: 'Quiz generation service',
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

    // One Lambda permission for the whole API instead of two per method: seventeen methods
    // would push the function's resource policy past its 20 KB limit.
    const integrations = {
      quizGeneratorApi: new apigw.LambdaIntegration(quizGeneratorApi, { scopePermissionToMethod: false }),
      healthApi: new apigw.LambdaIntegration(healthApi, { scopePermissionToMethod: false }),
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
