/**
 * The API as the synthesized template defines it: routes from its resources and methods (with
 * their integration, authorizer, key requirement and timeout), its gateway responses, stage,
 * binary media types and web ACL. `startApiGateway` serves what this reads.
 */

import {
  type CfnResource,
  type CfnTemplate,
  isRecord,
  referencedLogicalIds,
  referenceOf,
  resourcesOfType,
} from './cloudformation.ts';
import { type WebAcl, webAclFromTemplate } from './web-acl.ts';

/** The id the local REST API answers to, in ARNs and request contexts. */
export const LOCAL_REST_API_ID = 'localapi01';

export type RouteIntegration =
  | { type: 'lambda'; functionLogicalId: string }
  | { type: 'mock'; statusCode: number; headers: Record<string, string> };

export interface Route {
  restApiLogicalId: string;
  /** Resource path template, e.g. `/api/v1/quiz-generator/jobs/{job_id}`. */
  resourcePath: string;
  resourceLogicalId: string;
  httpMethod: string;
  apiKeyRequired: boolean;
  integration: RouteIntegration;
  /** A Lambda REQUEST authorizer that runs before the key check. */
  authorizer?: { functionLogicalId: string; identitySources: string[] };
  timeoutMs?: number;
}

export interface GatewayResponseSpec {
  statusCode?: number;
  headers: Record<string, string>;
  template?: string;
}

export interface ApiDefinition {
  routes: Route[];
  /** Where the key comes from: the `x-api-key` header, or the authorizer's `usageIdentifierKey`. */
  apiKeySource: 'HEADER' | 'AUTHORIZER';
  gatewayResponses: Record<string, GatewayResponseSpec>;
  stageName: string;
  binaryMediaTypes: string[];
  /** The WAF web ACL on the stage: it sees each request before the gateway does. */
  webAcl?: WebAcl;
}

/** A literal in a header mapping is written in single quotes (`'*'`); a request reference is not. */
export function stripQuotes(value: string): string {
  return value.length >= 2 && value.startsWith("'") && value.endsWith("'") ? value.slice(1, -1) : value;
}

function refId(value: unknown): { logicalId: string; root: boolean } | undefined {
  const reference = referenceOf(value);
  return reference && { logicalId: reference.logicalId, root: reference.attribute === 'RootResourceId' };
}

function integrationOf(template: CfnTemplate, method: CfnResource, where: string): RouteIntegration {
  const integration = method.Properties?.Integration;
  if (!isRecord(integration)) throw new Error(`${where}: method has no Integration`);
  if (integration.Type === 'MOCK') {
    const first = Array.isArray(integration.IntegrationResponses)
      ? integration.IntegrationResponses[0]
      : undefined;
    const params = isRecord(first) && isRecord(first.ResponseParameters) ? first.ResponseParameters : {};
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(params)) {
      const name = key.replace(/^method\.response\.header\./, '');
      if (typeof value === 'string') headers[name] = stripQuotes(value);
    }
    return { type: 'mock', statusCode: Number(isRecord(first) ? (first.StatusCode ?? 200) : 200), headers };
  }
  if (integration.Type !== 'AWS_PROXY') {
    throw new Error(`${where}: integration type ${String(integration.Type)} is not supported locally`);
  }
  for (const logicalId of referencedLogicalIds(integration.Uri)) {
    const resource = template.Resources[logicalId];
    if (resource?.Type === 'AWS::Lambda::Function') return { type: 'lambda', functionLogicalId: logicalId };
    if (resource?.Type === 'AWS::Lambda::Alias') {
      const target = refId(resource.Properties?.FunctionName);
      if (target) return { type: 'lambda', functionLogicalId: target.logicalId };
    }
  }
  throw new Error(`${where}: the integration URI names no Lambda function of this template`);
}

function authorizerOf(template: CfnTemplate, method: CfnResource, where: string): Route['authorizer'] {
  const props = method.Properties ?? {};
  if (props.AuthorizationType !== 'CUSTOM') return undefined;
  const authorizerId = refId(props.AuthorizerId)?.logicalId;
  const authorizer = authorizerId ? template.Resources[authorizerId] : undefined;
  if (authorizer?.Type !== 'AWS::ApiGateway::Authorizer' || authorizer.Properties?.Type !== 'REQUEST') {
    throw new Error(`${where}: only Lambda REQUEST authorizers of this template run locally`);
  }
  const functionLogicalId = [...referencedLogicalIds(authorizer.Properties?.AuthorizerUri)].find(
    (id) => template.Resources[id]?.Type === 'AWS::Lambda::Function',
  );
  if (!functionLogicalId) throw new Error(`${where}: the authorizer URI names no Lambda function`);
  const source = authorizer.Properties?.IdentitySource;
  const identitySources =
    typeof source === 'string'
      ? source
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean)
      : [];
  return { functionLogicalId, identitySources };
}

export function apiFromTemplate(template: CfnTemplate): ApiDefinition {
  const resources = new Map(resourcesOfType(template, 'AWS::ApiGateway::Resource'));
  const pathCache = new Map<string, string>();
  const pathOf = (logicalId: string): string => {
    const cached = pathCache.get(logicalId);
    if (cached !== undefined) return cached;
    const resource = resources.get(logicalId);
    if (!resource) throw new Error(`Unknown API resource ${logicalId}`);
    const parent = refId(resource.Properties?.ParentId);
    const parentPath = !parent || parent.root ? '' : pathOf(parent.logicalId);
    const path = `${parentPath}/${String(resource.Properties?.PathPart)}`;
    pathCache.set(logicalId, path);
    return path;
  };

  const routes: Route[] = resourcesOfType(template, 'AWS::ApiGateway::Method').map(([logicalId, method]) => {
    const props = method.Properties ?? {};
    const target = refId(props.ResourceId);
    const resourcePath = !target || target.root ? '/' : pathOf(target.logicalId);
    const integration = isRecord(props.Integration) ? props.Integration : {};
    return {
      restApiLogicalId: refId(props.RestApiId)?.logicalId ?? '',
      resourcePath,
      resourceLogicalId: target?.logicalId ?? '',
      httpMethod: String(props.HttpMethod ?? 'ANY').toUpperCase(),
      apiKeyRequired: props.ApiKeyRequired === true || props.ApiKeyRequired === 'true',
      integration: integrationOf(
        template,
        method,
        `${logicalId} (${String(props.HttpMethod)} ${resourcePath})`,
      ),
      authorizer: authorizerOf(
        template,
        method,
        `${logicalId} (${String(props.HttpMethod)} ${resourcePath})`,
      ),
      timeoutMs: typeof integration.TimeoutInMillis === 'number' ? integration.TimeoutInMillis : undefined,
    };
  });

  const gatewayResponses: Record<string, GatewayResponseSpec> = {};
  for (const [, resource] of resourcesOfType(template, 'AWS::ApiGateway::GatewayResponse')) {
    const props = resource.Properties ?? {};
    const headers: Record<string, string> = {};
    for (const [key, value] of Object.entries(
      isRecord(props.ResponseParameters) ? props.ResponseParameters : {},
    )) {
      if (typeof value === 'string') headers[key.replace(/^gatewayresponse\.header\./, '')] = value;
    }
    const templates = isRecord(props.ResponseTemplates) ? props.ResponseTemplates : {};
    const body = templates['application/json'] ?? Object.values(templates)[0];
    gatewayResponses[String(props.ResponseType)] = {
      statusCode: props.StatusCode === undefined ? undefined : Number(props.StatusCode),
      headers,
      template: typeof body === 'string' ? body : undefined,
    };
  }

  const stage = resourcesOfType(template, 'AWS::ApiGateway::Stage')[0]?.[1];
  const deployment = resourcesOfType(template, 'AWS::ApiGateway::Deployment')[0]?.[1];
  const stageName = stage?.Properties?.StageName ?? deployment?.Properties?.StageName ?? 'prod';
  const [restApiLogicalId, restApi] = resourcesOfType(template, 'AWS::ApiGateway::RestApi')[0] ?? [];
  const binary = restApi?.Properties?.BinaryMediaTypes;
  return {
    routes,
    apiKeySource: restApi?.Properties?.ApiKeySourceType === 'AUTHORIZER' ? 'AUTHORIZER' : 'HEADER',
    gatewayResponses,
    stageName: String(stageName),
    binaryMediaTypes: Array.isArray(binary) ? binary.map((type) => String(type).replaceAll('~1', '/')) : [],
    webAcl: restApiLogicalId ? webAclFromTemplate(template, restApiLogicalId) : undefined,
  };
}
