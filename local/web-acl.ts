/**
 * AWS WAF in front of the local API Gateway, built from the template's `AWS::WAFv2::WebACL` and
 * the `AWS::WAFv2::WebACLAssociation` that puts it on the REST API's stage. Rules run in
 * priority order before the gateway sees the request; the first terminating action decides, as
 * in WAF, and a Block answers with the rule's custom response: its status, its body from the
 * ACL's `CustomResponseBodies`, and its headers named with the `x-amzn-waf-` prefix WAF adds.
 *
 * Only what the template uses is read: regex, byte and size matches on a header, the URI path,
 * the query string or the method, combined with And/Or/Not, text transformations NONE and
 * LOWERCASE. Anything else (managed rule groups, rate rules, body inspection) fails at startup
 * rather than being silently let through.
 */
import { type CfnTemplate, isRecord, referencedLogicalIds, resourcesOfType } from './cloudformation.ts';

/** What a rule can inspect of a request; header names lower-case. */
export interface FirewallRequest {
  method: string;
  uriPath: string;
  queryString: string;
  headers: Record<string, string | undefined>;
}

export interface FirewallBlock {
  rule: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export interface WebAcl {
  name: string;
  /** The Block answer for a request, or `undefined` when the ACL lets it through. */
  inspect(request: FirewallRequest): FirewallBlock | undefined;
}

type Predicate = (request: FirewallRequest) => boolean;

const BODY_CONTENT_TYPES: Record<string, string> = {
  APPLICATION_JSON: 'application/json',
  TEXT_PLAIN: 'text/plain',
  TEXT_HTML: 'text/html',
};

/** WAF's answer to a Block without a custom response. */
const DEFAULT_BLOCK = { status: 403, body: '<html><body><h1>403 Forbidden</h1></body></html>' };

class UnsupportedRule extends Error {}

/**
 * What AWS WAF refuses in a regex and JavaScript would accept: capturing subexpressions (named
 * ones too) and backreferences
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html).
 * Answers the first such construct, or undefined.
 */
export function wafRegexRefusal(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && (/[1-9]/.test(next) || next === 'k' || next === 'g')) return `backreference \\${next}`;
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
    } else if (c === '[') {
      inClass = true;
    } else if (c === '(') {
      const after = pattern.slice(i + 1, i + 4);
      const named = after.startsWith('?<') && !after.startsWith('?<=') && !after.startsWith('?<!');
      if (!after.startsWith('?') || named || after.startsWith('?P<')) return `capturing group at ${i}`;
    }
  }
  return undefined;
}

function fieldOf(field: unknown, where: string): (request: FirewallRequest) => string | undefined {
  if (!isRecord(field)) throw new UnsupportedRule(`${where}: no FieldToMatch`);
  if (isRecord(field.SingleHeader)) {
    const name = String(field.SingleHeader.Name ?? '').toLowerCase();
    return (request) => request.headers[name];
  }
  if ('UriPath' in field) return (request) => request.uriPath;
  if ('QueryString' in field) return (request) => request.queryString;
  if ('Method' in field) return (request) => request.method;
  throw new UnsupportedRule(`${where}: FieldToMatch ${Object.keys(field).join(', ')} is not read locally`);
}

function transformOf(transformations: unknown, where: string): (value: string) => string {
  const steps = (Array.isArray(transformations) ? transformations : [])
    .filter(isRecord)
    .sort((a, b) => Number(a.Priority) - Number(b.Priority))
    .map((step) => {
      if (step.Type === 'NONE') return (value: string) => value;
      if (step.Type === 'LOWERCASE') return (value: string) => value.toLowerCase();
      throw new UnsupportedRule(`${where}: text transformation ${String(step.Type)} is not applied locally`);
    });
  return (value) => steps.reduce((current, step) => step(current), value);
}

function byteMatch(value: string, search: string, constraint: unknown, where: string): boolean {
  switch (constraint) {
    case 'EXACTLY':
      return value === search;
    case 'STARTS_WITH':
      return value.startsWith(search);
    case 'ENDS_WITH':
      return value.endsWith(search);
    case 'CONTAINS':
      return value.includes(search);
    default:
      throw new UnsupportedRule(`${where}: positional constraint ${String(constraint)} is not read locally`);
  }
}

const SIZE_COMPARISONS: Record<string, (a: number, b: number) => boolean> = {
  EQ: (a, b) => a === b,
  NE: (a, b) => a !== b,
  LE: (a, b) => a <= b,
  LT: (a, b) => a < b,
  GE: (a, b) => a >= b,
  GT: (a, b) => a > b,
};

function predicateOf(statement: unknown, where: string): Predicate {
  if (!isRecord(statement)) throw new UnsupportedRule(`${where}: no Statement`);
  const [kind, body] = Object.entries(statement)[0] ?? [];
  if (!isRecord(body)) throw new UnsupportedRule(`${where}: empty Statement`);
  const at = `${where} ${kind}`;
  switch (kind) {
    case 'AndStatement':
    case 'OrStatement': {
      const parts = (Array.isArray(body.Statements) ? body.Statements : []).map((inner, i) =>
        predicateOf(inner, `${at}[${i}]`),
      );
      return kind === 'AndStatement'
        ? (request) => parts.every((part) => part(request))
        : (request) => parts.some((part) => part(request));
    }
    case 'NotStatement': {
      const inner = predicateOf(body.Statement, at);
      return (request) => !inner(request);
    }
    case 'RegexMatchStatement': {
      const field = fieldOf(body.FieldToMatch, at);
      const transform = transformOf(body.TextTransformations, at);
      const refused = wafRegexRefusal(String(body.RegexString));
      if (refused) throw new UnsupportedRule(`${at}: WAF refuses this RegexString (${refused})`);
      const regex = new RegExp(String(body.RegexString));
      // A header the request does not have matches nothing, as in WAF.
      return (request) => {
        const value = field(request);
        return value !== undefined && regex.test(transform(value));
      };
    }
    case 'ByteMatchStatement': {
      const field = fieldOf(body.FieldToMatch, at);
      const transform = transformOf(body.TextTransformations, at);
      const search = String(body.SearchString ?? '');
      return (request) => {
        const value = field(request);
        return value !== undefined && byteMatch(transform(value), search, body.PositionalConstraint, at);
      };
    }
    case 'SizeConstraintStatement': {
      const field = fieldOf(body.FieldToMatch, at);
      const transform = transformOf(body.TextTransformations, at);
      const compare = SIZE_COMPARISONS[String(body.ComparisonOperator)];
      if (!compare) throw new UnsupportedRule(`${at}: operator ${String(body.ComparisonOperator)}`);
      const size = Number(body.Size);
      return (request) => {
        const value = field(request);
        return value !== undefined && compare(Buffer.byteLength(transform(value)), size);
      };
    }
    default:
      throw new UnsupportedRule(`${where}: ${String(kind)} is not evaluated locally`);
  }
}

interface CompiledRule {
  name: string;
  priority: number;
  matches: Predicate;
  action: 'allow' | 'block' | 'count';
  /** The custom response's status, body key and headers; WAF's plain 403 without one. */
  block?: { status: number; body: { key: string } | 'empty' | 'default'; headers: Record<string, string> };
}

function ruleOf(rule: Record<string, unknown>, aclName: string): CompiledRule {
  const name = String(rule.Name);
  const where = `web ACL ${aclName}, rule ${name}`;
  const action = isRecord(rule.Action) ? rule.Action : {};
  const compiled = { name, priority: Number(rule.Priority), matches: predicateOf(rule.Statement, where) };
  if ('Allow' in action) return { ...compiled, action: 'allow' };
  if ('Count' in action) return { ...compiled, action: 'count' };
  if (!isRecord(action.Block))
    throw new UnsupportedRule(`${where}: action ${Object.keys(action).join(', ')}`);
  const custom = isRecord(action.Block.CustomResponse) ? action.Block.CustomResponse : undefined;
  const headers: Record<string, string> = {};
  for (const header of Array.isArray(custom?.ResponseHeaders) ? custom.ResponseHeaders : []) {
    if (isRecord(header)) headers[`x-amzn-waf-${String(header.Name)}`] = String(header.Value);
  }
  return {
    ...compiled,
    action: 'block',
    block: custom
      ? {
          status: Number(custom.ResponseCode),
          body:
            typeof custom.CustomResponseBodyKey === 'string'
              ? { key: custom.CustomResponseBodyKey }
              : 'empty',
          headers,
        }
      : { status: DEFAULT_BLOCK.status, body: 'default', headers },
  };
}

/**
 * The web ACL the template associates with `restApiLogicalId` (directly or through its stage),
 * or `undefined` when there is none.
 */
export function webAclFromTemplate(template: CfnTemplate, restApiLogicalId: string): WebAcl | undefined {
  const association = resourcesOfType(template, 'AWS::WAFv2::WebACLAssociation').find(([, resource]) =>
    referencedLogicalIds(resource.Properties?.ResourceArn).has(restApiLogicalId),
  );
  if (!association) return undefined;
  const aclId = [...referencedLogicalIds(association[1].Properties?.WebACLArn)].find(
    (id) => template.Resources[id]?.Type === 'AWS::WAFv2::WebACL',
  );
  const acl = aclId ? template.Resources[aclId] : undefined;
  if (!aclId || !acl) throw new Error(`${association[0]}: the association names no web ACL of this template`);
  const props = acl.Properties ?? {};
  const bodies = isRecord(props.CustomResponseBodies) ? props.CustomResponseBodies : {};
  let rules: CompiledRule[];
  try {
    rules = (Array.isArray(props.Rules) ? props.Rules : [])
      .filter(isRecord)
      .map((rule) => ruleOf(rule, aclId))
      .sort((a, b) => a.priority - b.priority);
  } catch (error) {
    if (error instanceof UnsupportedRule) throw new Error(`Local WAF: ${error.message}`);
    throw error;
  }
  const defaultAction = isRecord(props.DefaultAction) && 'Block' in props.DefaultAction ? 'block' : 'allow';

  const answer = (rule: string, block: NonNullable<CompiledRule['block']>): FirewallBlock => {
    let content = '';
    let contentType = 'text/plain';
    if (block.body === 'default') {
      content = DEFAULT_BLOCK.body;
      contentType = 'text/html';
    } else if (block.body !== 'empty') {
      const body = bodies[block.body.key];
      if (!isRecord(body)) throw new Error(`Local WAF: no response body ${block.body.key}`);
      content = String(body.Content);
      contentType = BODY_CONTENT_TYPES[String(body.ContentType)] ?? contentType;
    }
    return {
      rule,
      status: block.status,
      headers: { ...block.headers, 'content-type': contentType },
      body: Buffer.from(content),
    };
  };

  return {
    name: aclId,
    inspect(request) {
      for (const rule of rules) {
        if (rule.action === 'count' || !rule.matches(request)) continue;
        if (rule.action === 'allow') return undefined;
        return answer(rule.name, rule.block as NonNullable<CompiledRule['block']>);
      }
      return defaultAction === 'block'
        ? answer('DefaultAction', { status: DEFAULT_BLOCK.status, body: 'default', headers: {} })
        : undefined;
    },
  };
}
