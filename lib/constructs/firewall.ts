import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { LAMBDA_SYNC_PAYLOAD_MAX_BYTES, MAX_INLINE_UPLOAD_BYTES } from '../settings.ts';

/**
 * The largest body API Gateway may hand a function in a binary media type: it arrives
 * base64-encoded (4 bytes per 3), and 4.5 MB so encoded is 6 MB, leaving about 290 KB of Lambda's
 * 6 MB invoke limit for headers, path, query and request context (API Gateway caps headers at
 * 10 KB). An inline upload (at most 4 MiB) fits with its multipart framing.
 */
export const BINARY_BODY_MAX_BYTES = 4_499_999;

/**
 * The largest body in any other type (JSON): API Gateway puts it into the event as a JSON string,
 * where a control character takes 6 bytes (`\u0001`), so only a body under 1 MB is sure to fit
 * 6 MB. Course structures larger than that are sent by reference (`input.structureReference`),
 * documents through an upload URL.
 */
export const TEXT_BODY_MAX_BYTES = 999_999;

/** Header names WAF puts on its own answers: it prefixes the names a rule gives with `x-amzn-waf-`. */
export const FIREWALL_HEADER_PREFIX = 'x-amzn-waf-';

/**
 * A regular expression that matches the decimal numbers (leading zeros allowed) of at least
 * `n`: a number with more digits, or as many digits and greater at the first digit that differs,
 * or `n` itself. Written with non-capturing groups only, the subset AWS WAF's regex engine
 * and JavaScript read alike: WAF refuses capturing subexpressions and backreferences
 * (https://docs.aws.amazon.com/waf/latest/developerguide/waf-regex-pattern-support.html).
 */
export function atLeastPattern(n: number): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`atLeastPattern needs a positive integer, got ${n}`);
  const digits = String(n);
  const width = digits.length;
  const alternatives = [`[1-9][0-9]{${width},}`];
  for (let i = 0; i < width; i++) {
    const digit = Number(digits[i]);
    if (digit === 9) continue;
    const rest = width - i - 1;
    alternatives.push(`${digits.slice(0, i)}[${digit + 1}-9]${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  alternatives.push(digits);
  return `^0*(?:${alternatives.join('|')})$`;
}

/**
 * A `Content-Type` that API Gateway reads as one of `binaryMediaTypes` (case-insensitive, the
 * media type before any parameter); `*` in a type stands for any run of characters but `;`.
 */
export function binaryTypePattern(binaryMediaTypes: readonly string[]): string {
  const types = binaryMediaTypes.map((type) =>
    type
      .toLowerCase()
      .replace(/[.+?^${}()|[\]\\]/g, '\\$&')
      .replaceAll('*', '[^;]*'),
  );
  return `^\\s*(?:${types.join('|')})\\s*(?:;|$)`;
}

interface BodyLimit {
  name: string;
  maxBytes: number;
  /** Only for bodies not in a binary media type; for all bodies when absent. */
  notBinary?: boolean;
  what: string;
  suggestion: string;
}

const BODY_LIMITS: readonly BodyLimit[] = [
  {
    name: 'JsonBodyTooLarge',
    maxBytes: TEXT_BODY_MAX_BYTES,
    notBinary: true,
    what: `Request body too large: at most ${TEXT_BODY_MAX_BYTES} bytes of JSON or text`,
    suggestion:
      'Send a large course structure by reference (input.structureReference) and documents through an upload URL (POST /documents with {"filename", "size_bytes"})',
  },
  {
    name: 'BodyTooLarge',
    maxBytes: BINARY_BODY_MAX_BYTES,
    what: `Request body too large: at most ${BINARY_BODY_MAX_BYTES} bytes`,
    suggestion:
      'Upload large documents through an upload URL: POST /documents with {"filename", "size_bytes"}, then PUT the file to the URL it answers',
  },
];

/**
 * The firewall's own answer: both error envelopes in one body, as in the gateway responses
 * (a rule is not told which API a path belongs to). WAF bodies are static text, so unlike a
 * gateway response it carries no `metadata.timestamp`; the HTTP `Date` header has the time.
 */
export function firewallErrorBody(limit: { what: string; maxBytes: number; suggestion: string }): string {
  return JSON.stringify({
    detail: `${limit.what}. ${limit.suggestion}.`,
    success: false,
    error: limit.what,
    metadata: {
      details: { code: 'REQUEST_TOO_LARGE', limit_bytes: limit.maxBytes, suggestion: limit.suggestion },
    },
  });
}

export interface FirewallProps {
  stage: apigw.Stage;
  binaryMediaTypes: readonly string[];
}

/**
 * An AWS WAF web ACL on the API stage. API Gateway takes bodies up to 10 MB, but a Lambda proxy
 * event must stay under 6 MB; a body in between would make API Gateway answer its own 5xx once
 * the invocation is refused. The firewall answers such requests with a 413 that says the limit
 * and the way around it, before they reach API Gateway. It reads `Content-Length`, which every
 * HTTP/1.1 request with a body but a chunked one carries.
 */
export class Firewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: FirewallProps) {
    super(scope, id);
    if (Math.ceil((BINARY_BODY_MAX_BYTES + 1) / 3) * 4 > LAMBDA_SYNC_PAYLOAD_MAX_BYTES - 256 * 1024) {
      throw new Error(
        'BINARY_BODY_MAX_BYTES leaves too little of the Lambda payload for the rest of the event',
      );
    }
    if (MAX_INLINE_UPLOAD_BYTES + 64 * 1024 > BINARY_BODY_MAX_BYTES) {
      throw new Error('BINARY_BODY_MAX_BYTES is too small for an inline upload with its multipart framing');
    }
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const contentLengthAtLeast = (bytes: number): wafv2.CfnWebACL.StatementProperty => ({
      regexMatchStatement: {
        fieldToMatch: { singleHeader: { Name: 'content-length' } },
        regexString: atLeastPattern(bytes),
        textTransformations: [{ priority: 0, type: 'NONE' }],
      },
    });
    const binaryBody: wafv2.CfnWebACL.StatementProperty = {
      regexMatchStatement: {
        fieldToMatch: { singleHeader: { Name: 'content-type' } },
        regexString: binaryTypePattern(props.binaryMediaTypes),
        textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
      },
    };

    const customResponseBodies: Record<string, wafv2.CfnWebACL.CustomResponseBodyProperty> = {};
    const rules = BODY_LIMITS.map((limit, priority): wafv2.CfnWebACL.RuleProperty => {
      const key = `${limit.name}Body`;
      customResponseBodies[key] = { contentType: 'APPLICATION_JSON', content: firewallErrorBody(limit) };
      const tooLong = contentLengthAtLeast(limit.maxBytes + 1);
      return {
        name: limit.name,
        priority,
        statement: limit.notBinary
          ? { andStatement: { statements: [tooLong, { notStatement: { statement: binaryBody } }] } }
          : tooLong,
        action: {
          block: {
            customResponse: {
              responseCode: 413,
              customResponseBodyKey: key,
              responseHeaders: [{ name: 'body-limit-bytes', value: String(limit.maxBytes) }],
            },
          },
        },
        visibilityConfig: visibility(limit.name),
      };
    });

    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      description: 'Refuses request bodies API Gateway would accept but Lambda could not be invoked with',
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      customResponseBodies,
      rules,
      visibilityConfig: visibility('QuizGenApi'),
    });
    new wafv2.CfnWebACLAssociation(this, 'StageAssociation', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
