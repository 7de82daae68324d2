/**
 * What the local stack reads from the synthesized template: the local names of its resources
 * (as CloudFormation would name them), the one resource of a kind it expects, the bucket's CORS
 * rules, and the environment the template gives the handlers.
 */

import { ENV } from '#platform/config.ts';
import {
  type CfnResource,
  type CfnTemplate,
  isRecord,
  LOCAL_ACCOUNT_ID,
  LOCAL_REGION,
  type RefResolver,
  resolveIntrinsics,
  resourcesOfType,
} from './cloudformation.ts';
import { functionArn, type TemplateFunction } from './lambda-runtime.ts';

/** Variables that only make sense in AWS (a secret to read, Node flags for a fresh process). */
// Secrets Manager does not run locally: the Gemini key and the webhook signing secret come as plain variables.
const DROPPED_VARIABLES = new Set<string>([
  ENV.geminiApiKeySecretArn,
  ENV.webhookSigningSecretArn,
  'NODE_OPTIONS',
]);

/** The template's resources, named locally the way CloudFormation names them: `<stack>-<logicalId>`. */
export class LocalNames {
  readonly stackName: string;
  readonly template: CfnTemplate;
  sqsEndpoint = '';
  constructor(stackName: string, template: CfnTemplate) {
    this.stackName = stackName;
    this.template = template;
  }

  physical(logicalId: string): string {
    const resource = this.template.Resources[logicalId];
    const props = resource?.Properties ?? {};
    const explicit = [
      props.TableName,
      props.BucketName,
      props.QueueName,
      props.FunctionName,
      props.StateMachineName,
    ].find((name) => typeof name === 'string');
    if (typeof explicit === 'string') return explicit;
    const base = `${this.stackName}-${logicalId}`;
    if (resource?.Type === 'AWS::S3::Bucket') return base.toLowerCase().slice(0, 63);
    if (resource?.Type === 'AWS::SQS::Queue') {
      return props.FifoQueue === true ? `${base.slice(0, 75)}.fifo` : base.slice(0, 80);
    }
    return base.slice(0, 64);
  }

  resolver: RefResolver = (logicalId, attribute) => {
    const resource = this.template.Resources[logicalId];
    if (!resource) throw new Error(`The template has no resource ${logicalId}`);
    const name = this.physical(logicalId);
    const region = LOCAL_REGION;
    const account = LOCAL_ACCOUNT_ID;
    switch (resource.Type) {
      case 'AWS::DynamoDB::Table':
        return attribute === 'Arn' ? `arn:aws:dynamodb:${region}:${account}:table/${name}` : name;
      case 'AWS::S3::Bucket':
        if (attribute === 'Arn') return `arn:aws:s3:::${name}`;
        return attribute?.includes('DomainName') ? `${name}.s3.amazonaws.com` : name;
      case 'AWS::SQS::Queue': {
        const arn = `arn:aws:sqs:${region}:${account}:${name}`;
        if (attribute === 'Arn') return arn;
        if (attribute === 'QueueName') return name;
        return `${this.sqsEndpoint}/${account}/${name}`;
      }
      case 'AWS::Lambda::Function':
        return attribute === 'Arn' ? functionArn(name) : name;
      case 'AWS::StepFunctions::StateMachine': {
        const arn = `arn:aws:states:${region}:${account}:stateMachine:${name}`;
        return attribute === 'Name' ? name : arn;
      }
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${region}:${account}:secret:${name}-local`;
      case 'AWS::IAM::Role':
        return attribute === 'Arn' ? `arn:aws:iam::${account}:role/${name}` : name;
      case 'AWS::Logs::LogGroup':
        return attribute === 'Arn' ? `arn:aws:logs:${region}:${account}:log-group:${name}:*` : name;
      default:
        return attribute ? `arn:aws:local:${region}:${account}:${logicalId}/${attribute}` : name;
    }
  };
}

export function onlyResource(template: CfnTemplate, type: string, purpose: string): [string, CfnResource] {
  const found = resourcesOfType(template, type);
  if (found.length !== 1 || !found[0])
    throw new Error(`Expected one ${type} (${purpose}), found ${found.length}`);
  return found[0];
}

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/**
 * The bucket's CorsConfiguration as the S3 XML s3rver reads, so a browser page can use the
 * presigned upload and download URLs locally as it would in AWS.
 */
export function corsConfigs(bucket: CfnResource): string[] {
  const cors = bucket.Properties?.CorsConfiguration;
  const rules = isRecord(cors) && Array.isArray(cors.CorsRules) ? cors.CorsRules.filter(isRecord) : [];
  if (rules.length === 0) return [];
  const elements: [string, string][] = [
    ['AllowedOrigins', 'AllowedOrigin'],
    ['AllowedMethods', 'AllowedMethod'],
    ['AllowedHeaders', 'AllowedHeader'],
    ['ExposedHeaders', 'ExposeHeader'],
  ];
  const xmlRules = rules.map((rule) => {
    const parts = elements.flatMap(([property, element]) =>
      (Array.isArray(rule[property]) ? rule[property] : []).map(
        (value: unknown) => `<${element}>${escapeXml(String(value))}</${element}>`,
      ),
    );
    if (typeof rule.MaxAge === 'number') parts.push(`<MaxAgeSeconds>${rule.MaxAge}</MaxAgeSeconds>`);
    return `<CORSRule>${parts.join('')}</CORSRule>`;
  });
  return [`<CORSConfiguration>${xmlRules.join('')}</CORSConfiguration>`];
}

/**
 * The handlers' environment: what the template gives each function, resolved to local names.
 * All handlers share one process here, so a variable the functions disagree on keeps its first
 * value, with a warning.
 */
export function handlerEnvironment(
  functions: TemplateFunction[],
  resolver: RefResolver,
  say: (line: string) => void,
): Record<string, string> {
  const functionEnv: Record<string, string> = {};
  for (const { logicalId, resource } of functions) {
    const variables = (
      resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
    )?.Variables;
    const resolved = resolveIntrinsics(variables ?? {}, resolver) as Record<string, unknown>;
    for (const [name, value] of Object.entries(resolved)) {
      if (DROPPED_VARIABLES.has(name)) continue;
      const text = String(value);
      if (functionEnv[name] !== undefined && functionEnv[name] !== text) {
        say(`warning: ${name} differs between functions; ${logicalId} gets "${functionEnv[name]}" locally`);
        continue;
      }
      functionEnv[name] = text;
    }
  }
  return functionEnv;
}
