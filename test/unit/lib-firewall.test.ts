import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { BINARY_MEDIA_TYPES } from '../../lib/constructs/api.ts';
import {
  atLeastPattern,
  BINARY_BODY_MAX_BYTES,
  binaryTypePattern,
  TEXT_BODY_MAX_BYTES,
} from '../../lib/constructs/firewall.ts';
import { LAMBDA_SYNC_PAYLOAD_MAX_BYTES, MAX_INLINE_UPLOAD_BYTES } from '../../lib/settings.ts';
import type { CfnTemplate } from '../../local/cloudformation.ts';
import { type FirewallRequest, wafRegexRefusal, webAclFromTemplate } from '../../local/web-acl.ts';
import { synthesize } from '../infra/fixtures.ts';

/** A small deterministic generator, so a failure names a value that reproduces. */
function numbers(seed: number, count: number): number[] {
  let state = seed;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    out.push(Math.floor((state / 2 ** 31) * 10 ** (1 + (i % 10))));
  }
  return out;
}

describe('atLeastPattern', () => {
  it('matches exactly the decimal numbers at or above its bound', () => {
    const bounds = [
      1, 7, 9, 10, 99, 100, 101, 909, 999_999, 1_000_000, 4_499_999, 4_500_000, 1_234_567, 9_999_999,
    ];
    for (const bound of [...bounds, ...numbers(7, 40).filter((n) => n > 0)]) {
      const regex = new RegExp(atLeastPattern(bound));
      const values = [
        0,
        bound - 1,
        bound,
        bound + 1,
        bound * 10,
        Math.floor(bound / 10),
        ...numbers(bound, 200),
      ];
      for (const value of values.filter((v) => v >= 0)) {
        assert.equal(regex.test(String(value)), value >= bound, `${value} against ${bound}`);
        assert.equal(regex.test(`000${value}`), value >= bound, `000${value} against ${bound}`);
      }
    }
  });

  it('matches nothing that is not a plain decimal number', () => {
    const regex = new RegExp(atLeastPattern(1_000_000));
    for (const value of [
      '',
      'abc',
      '1e7',
      '-5000000',
      ' 5000000',
      '5000000 ',
      '5,000,000',
      '0x1000000',
      '50000000x',
    ]) {
      assert.equal(regex.test(value), false, JSON.stringify(value));
    }
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const bound of [0, -1, 1.5, Number.NaN]) assert.throws(() => atLeastPattern(bound));
  });
});

describe('binaryTypePattern', () => {
  const regex = new RegExp(binaryTypePattern(BINARY_MEDIA_TYPES));
  it('reads a Content-Type as API Gateway does: the media type before any parameter', () => {
    for (const type of [
      'application/pdf',
      'multipart/form-data; boundary=----x',
      'text/plain;charset=utf-8',
      ' application/zip ',
    ]) {
      assert.equal(regex.test(type), true, type);
    }
    for (const type of [
      'application/json',
      'text/plain2',
      'application/pdfx',
      'text/html',
      'xapplication/pdf',
      '',
    ]) {
      assert.equal(regex.test(type), false, type);
    }
  });

  it('reads * in a binary media type as any type but never past a parameter', () => {
    const wildcard = new RegExp(binaryTypePattern(['image/*']));
    assert.equal(wildcard.test('image/png'), true);
    assert.equal(wildcard.test('image/png; q=1'), true);
    assert.equal(wildcard.test('application/json; x=image/png'), false);
  });
});

describe('body limits', () => {
  it('keep every body the firewall lets through within Lambda’s 6 MB, with room for the rest of the event', () => {
    const binaryInEvent = Math.ceil(BINARY_BODY_MAX_BYTES / 3) * 4;
    // The worst JSON-escaped text: a control character becomes 6 bytes (\u0001).
    const textInEvent = TEXT_BODY_MAX_BYTES * 6;
    const restOfEvent = 200 * 1024;
    assert.ok(binaryInEvent + restOfEvent <= LAMBDA_SYNC_PAYLOAD_MAX_BYTES, `${binaryInEvent}`);
    assert.ok(textInEvent + restOfEvent <= LAMBDA_SYNC_PAYLOAD_MAX_BYTES, `${textInEvent}`);
    assert.ok(
      Buffer.byteLength(JSON.stringify('\u0001'.repeat(10))) - 2 === 60,
      'a control character escapes to 6 bytes',
    );
  });

  it('leave room for the largest inline upload with its multipart framing', () => {
    assert.ok(MAX_INLINE_UPLOAD_BYTES + 64 * 1024 <= BINARY_BODY_MAX_BYTES);
  });
});

describe('the synthesized web ACL, as the local gateway runs it', () => {
  const { json } = synthesize({});
  const restApiId = Object.entries(json.Resources).find(
    ([, r]) => r.Type === 'AWS::ApiGateway::RestApi',
  )?.[0];
  assert.ok(restApiId);
  const acl = webAclFromTemplate(json, restApiId);
  assert.ok(acl, 'the template associates a web ACL with the API');
  const request = (headers: Record<string, string>): FirewallRequest => ({
    method: 'POST',
    uriPath: '/api/execute',
    queryString: '',
    headers,
  });

  it('lets through bodies up to each limit and requests without a length', () => {
    const allowed: Record<string, string>[] = [
      {},
      { 'content-type': 'application/json' },
      { 'content-type': 'application/json', 'content-length': String(TEXT_BODY_MAX_BYTES) },
      { 'content-length': String(TEXT_BODY_MAX_BYTES) },
      { 'content-type': 'application/pdf', 'content-length': String(BINARY_BODY_MAX_BYTES) },
      { 'content-type': 'Multipart/Form-Data; boundary=x', 'content-length': String(BINARY_BODY_MAX_BYTES) },
    ];
    for (const headers of allowed)
      assert.equal(acl.inspect(request(headers)), undefined, JSON.stringify(headers));
  });

  it('answers a larger body with 413, its limit and what to do, in both envelopes', () => {
    const cases: [Record<string, string>, number, RegExp][] = [
      [
        { 'content-type': 'application/json', 'content-length': String(TEXT_BODY_MAX_BYTES + 1) },
        TEXT_BODY_MAX_BYTES,
        /structureReference/,
      ],
      [{ 'content-length': '9000000' }, TEXT_BODY_MAX_BYTES, /structureReference/],
      [
        { 'content-type': 'application/pdf', 'content-length': String(BINARY_BODY_MAX_BYTES + 1) },
        BINARY_BODY_MAX_BYTES,
        /POST \/documents/,
      ],
      [{ 'content-type': 'text/plain', 'content-length': '0009999999' }, BINARY_BODY_MAX_BYTES, /upload URL/],
    ];
    for (const [headers, limit, advice] of cases) {
      const blocked = acl.inspect(request(headers));
      assert.ok(blocked, JSON.stringify(headers));
      assert.equal(blocked.status, 413);
      assert.equal(blocked.headers['x-amzn-waf-body-limit-bytes'], String(limit));
      assert.equal(blocked.headers['content-type'], 'application/json');
      const body = JSON.parse(blocked.body.toString());
      assert.match(body.detail, new RegExp(`at most ${limit} bytes`));
      assert.match(body.detail, advice);
      assert.equal(body.success, false);
      assert.equal(body.metadata.details.code, 'REQUEST_TOO_LARGE');
      assert.equal(body.metadata.details.limit_bytes, limit);
    }
  });

  /** The synthesized template with the web ACL's first rule's statement replaced. */
  const withFirstRule = (statement: unknown): CfnTemplate => {
    const aclId = Object.entries(json.Resources).find(([, r]) => r.Type === 'AWS::WAFv2::WebACL')?.[0];
    assert.ok(aclId);
    const changed = structuredClone(json) as CfnTemplate;
    const props = changed.Resources[aclId]?.Properties as { Rules: { Statement: unknown }[] };
    (props.Rules[0] as { Statement: unknown }).Statement = statement;
    return changed;
  };

  it('refuses at startup a rule the local gateway cannot evaluate, instead of letting requests through', () => {
    const changed = withFirstRule({
      ManagedRuleGroupStatement: { VendorName: 'AWS', Name: 'AWSManagedRulesCommonRuleSet' },
    });
    assert.throws(
      () => webAclFromTemplate(changed, restApiId),
      /ManagedRuleGroupStatement is not evaluated locally/,
    );
  });

  it('synthesizes only regexes WAF accepts: no capturing group, no backreference', () => {
    const found: string[] = [];
    const collect = (value: unknown): void => {
      if (Array.isArray(value)) value.forEach(collect);
      else if (value && typeof value === 'object') {
        for (const [key, inner] of Object.entries(value)) {
          if (key === 'RegexString') found.push(String(inner));
          else collect(inner);
        }
      }
    };
    collect(Object.values(json.Resources).filter((r) => r.Type === 'AWS::WAFv2::WebACL'));
    assert.ok(found.length >= 2, `the web ACL's regexes (${found.length})`);
    for (const pattern of found) assert.equal(wafRegexRefusal(pattern), undefined, pattern);
  });

  it('refuses at startup a regex WAF would refuse, as the WAF API does on deploy', () => {
    const changed = withFirstRule({
      RegexMatchStatement: {
        FieldToMatch: { SingleHeader: { Name: 'content-length' } },
        RegexString: '^0*([1-9][0-9]{7,})$',
        TextTransformations: [{ Priority: 0, Type: 'NONE' }],
      },
    });
    assert.throws(
      () => webAclFromTemplate(changed, restApiId),
      /WAF refuses this RegexString \(capturing group/,
    );
  });
});

describe('wafRegexRefusal', () => {
  it('names capturing groups, named ones included, and backreferences', () => {
    for (const pattern of ['(a)', '^x(?<n>a)$', '(?P<n>a)', '(a)\\1', '\\k<n>', 'a\\g1']) {
      assert.ok(wafRegexRefusal(pattern), pattern);
    }
  });

  it('accepts non-capturing groups, lookarounds, escaped and bracketed parentheses', () => {
    for (const pattern of [
      '(?:a|b)',
      '(?=a)',
      '(?!a)',
      '(?<=a)b',
      '(?<!a)b',
      '\\(a\\)',
      '[(]a[)]',
      '[\\d]',
    ]) {
      assert.equal(wafRegexRefusal(pattern), undefined, pattern);
    }
  });
});
