import assert from 'node:assert/strict';
import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, it } from 'vitest';
import { synthesize } from './fixtures.ts';

// cdk-nag v3 is a policy-validation plugin, not an Aspect: it reports violations instead of
// annotations, so the test runs the pack over the synthesized tree (what `cdk synth` does via
// bin/app.ts) and reads its report.
const { stack } = synthesize({});
const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);

function acknowledgements(): { path: string; id: string; reason: string }[] {
  return stack.node.findAll().flatMap((construct) =>
    construct.node.metadata
      .filter((entry) => entry.type === cdk.Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) =>
        Object.entries(entry.data as Record<string, string>).map(([id, reason]) => ({
          path: construct.node.path,
          id: id.replace(/^annotation::/i, ''),
          reason,
        })),
      ),
  );
}

describe('cdk-nag AwsSolutions', () => {
  it('reports no unacknowledged error', () => {
    const errors = report.violations.filter((v) => v.severity === 'error');
    assert.deepEqual(
      errors.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
      [],
    );
  });

  it('reports no unacknowledged warning', () => {
    const warnings = report.violations.filter((v) => v.severity !== 'error');
    assert.deepEqual(
      warnings.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
      [],
    );
  });

  it('acknowledges narrowly: IAM findings name the exact wildcard, and every reason says why', () => {
    const acks = acknowledgements();
    assert.ok(acks.length > 0);
    for (const ack of acks) {
      assert.doesNotMatch(ack.id, /^AwsSolutions-IAM[45]$/, `${ack.path}: ${ack.id} must name its finding`);
      assert.ok(ack.reason.length >= 40, `${ack.path}: ${ack.id} needs a real reason`);
    }
    assert.equal(
      acks.some((a) => a.path === stack.node.path),
      false,
      'nothing is acknowledged for the whole stack',
    );
  });
});
