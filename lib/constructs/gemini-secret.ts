import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { ENV } from '#platform/config.ts';
import { acknowledge } from '../nag.ts';

/** The value the secret holds until an operator puts the real key; handlers read it as "not configured". */
export const GEMINI_KEY_PLACEHOLDER = 'NOT_CONFIGURED';

/**
 * The Gemini API key. Google issues it, so the stack cannot generate it: the secret starts with
 * a placeholder and the operator puts the key once (the SetGeminiKeyCommand output). Later
 * deployments leave the value alone, because the template's SecretString never changes.
 */
export class GeminiSecret extends Construct {
  readonly secret: secretsmanager.Secret;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.secret = new secretsmanager.Secret(this, 'Secret', {
      description: 'Gemini API key used by the quiz generator (put the real key with put-secret-value)',
      secretStringValue: cdk.SecretValue.unsafePlainText(GEMINI_KEY_PLACEHOLDER),
      removalPolicy: cdk.RemovalPolicy.DESTROY,
    });
    acknowledge(
      this.secret,
      'AwsSolutions-SMG4',
      'The secret is a third-party API key issued by Google AI Studio; a rotation Lambda cannot mint a new one, so it is rotated by hand in Google and put here.',
    );
  }

  /** GEMINI_API_KEY_SECRET_ARN and permission to read the key. */
  useKey(fn: lambda.Function): void {
    fn.addEnvironment(ENV.geminiApiKeySecretArn, this.secret.secretArn);
    // GetSecretValue only: grantRead adds DescribeSecret, which the handlers never call.
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['secretsmanager:GetSecretValue'],
        resources: [this.secret.secretArn],
      }),
    );
  }
}
