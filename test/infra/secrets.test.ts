import assert from 'node:assert/strict';
import * as cdk from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, it } from 'vitest';
import { ENV } from '#platform/config.ts';
import { resourcesOfType } from '../../lib/definition.ts';
import { InvalidSettingsError, readSettings } from '../../lib/settings.ts';
import { synthesize } from './fixtures.ts';

const GEMINI_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:quizgen/gemini-key-AbC123';
const WEBHOOK_NAME = 'quizgen/webhook-signing';

/** Every GetSecretValue resource granted in the template, as JSON text. */
function secretGrants(json: ReturnType<typeof synthesize>['json']): string[] {
  const resources = new Set<string>();
  for (const [, policy] of resourcesOfType(json, 'AWS::IAM::Policy')) {
    const document = policy.Properties?.PolicyDocument as
      | { Statement: Record<string, unknown>[] }
      | undefined;
    const statements = document?.Statement ?? [];
    for (const statement of statements) {
      const actions = ([] as unknown[]).concat(statement.Action);
      if (actions.includes('secretsmanager:GetSecretValue')) {
        for (const resource of ([] as unknown[]).concat(statement.Resource))
          resources.add(JSON.stringify(resource));
      }
    }
  }
  return [...resources];
}

function nagFindings(stack: cdk.Stack): string[] {
  const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(stack);
  return report.violations.map(
    (v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`,
  );
}

describe('secrets', () => {
  it('survive `cdk destroy`: the Gemini key and the webhook signing secret are retained', () => {
    const { json } = synthesize({});
    const secrets = resourcesOfType(json, 'AWS::SecretsManager::Secret');
    assert.equal(secrets.length, 2);
    for (const [id, secret] of secrets) {
      // The old stack had Delete: a redeploy then changed every integrator's signatures.
      assert.equal(secret.DeletionPolicy, 'Retain', id);
      assert.equal(secret.UpdateReplacePolicy, 'Retain', id);
    }
  });

  it('can be existing ones, by complete ARN or by name, which the stack uses but does not own', () => {
    const { json, stack } = synthesize({ geminiKeySecret: GEMINI_ARN, webhookSigningSecret: WEBHOOK_NAME });
    assert.equal(resourcesOfType(json, 'AWS::SecretsManager::Secret').length, 0);
    const functions = resourcesOfType(json, 'AWS::Lambda::Function');
    const env = (name: string) =>
      functions
        .map(
          ([, fn]) =>
            (fn.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables?.[
              name
            ],
        )
        .filter((value) => value !== undefined)
        .map((value) => JSON.stringify(value));
    assert.ok(env(ENV.geminiApiKeySecretArn).length > 0);
    assert.deepEqual(new Set(env(ENV.geminiApiKeySecretArn)), new Set([JSON.stringify(GEMINI_ARN)]));
    assert.ok(env(ENV.webhookSigningSecretArn).every((value) => value.includes(`secret:${WEBHOOK_NAME}`)));
    const grants = secretGrants(json);
    assert.ok(grants.includes(JSON.stringify(GEMINI_ARN)), grants.join('\n'));
    // A secret named without its ARN is granted with the six characters Secrets Manager appends.
    assert.ok(
      grants.some((g) => g.includes(`secret:${WEBHOOK_NAME}-??????`)),
      grants.join('\n'),
    );
    assert.deepEqual(nagFindings(stack), []);
  });

  it('refuse a reference that is neither a complete ARN nor a secret name', () => {
    assert.throws(
      () =>
        readSettings(new cdk.App(), {
          geminiKeySecret: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:quizgen/gemini-key',
          webhookSigningSecret: 'has spaces',
        }),
      (error: unknown) => {
        assert.ok(error instanceof InvalidSettingsError);
        assert.match(
          error.problems[0] ?? '',
          /^geminiKeySecret must be a secret's complete ARN \(ending in -XXXXXX\)/,
        );
        assert.match(
          error.problems[1] ?? '',
          /^webhookSigningSecret must be a secret's complete ARN or its name/,
        );
        return true;
      },
    );
  });
});
