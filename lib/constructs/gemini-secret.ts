import * as cdk from 'aws-cdk-lib';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '#platform/config.ts';
import { acknowledge } from '../nag.ts';
import { grantSecretValue, retainedOrExisting } from './existing-secret.ts';

/** The value the secret holds until an operator puts the real key; handlers read it as "not configured". */
export const GEMINI_KEY_PLACEHOLDER = 'NOT_CONFIGURED';

/**
 * The Gemini API key. Google issues it, so the stack cannot generate it: the secret starts with
 * a placeholder and the operator puts the key once (the SetGeminiKeyCommand output). Later
 * deployments leave the value alone, because the template's SecretString never changes.
 * `cdk destroy` keeps it (see existing-secret.ts); `existing` names a secret to use instead.
 */
export class GeminiSecret extends Construct {
  readonly secret: secretsmanager.ISecret;

  constructor(scope: Construct, id: string, existing = '') {
    super(scope, id);
    this.secret = retainedOrExisting(this, 'Secret', existing, () => ({
      description: 'Gemini API key used by the quiz generator (put the real key with put-secret-value)',
      secretStringValue: cdk.SecretValue.unsafePlainText(GEMINI_KEY_PLACEHOLDER),
    }));
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'The secret is a third-party API key issued by Google AI Studio; a rotation Lambda cannot mint a new one, so it is rotated by hand in Google and put here.',
    );
  }

  /** GEMINI_API_KEY_SECRET_ARN and permission to read the key. */
  useKey(fn: lambda.Function): void {
    grantSecretValue(this.secret, fn, ENV.geminiApiKeySecretArn);
  }
}
