/**
 * A secret the stack keeps across `cdk destroy`, or one that already exists and is only named.
 *
 * Secrets Manager never deletes a secret at once: deleting it schedules the deletion after a
 * recovery window of at least seven days ("Delete an AWS Secrets Manager secret",
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/manage_delete-secret.html), and
 * then it is gone with its value. The stack's secrets are RETAINed instead: the Gemini key was
 * put by hand, and every integrator's webhook signatures derive from the signing secret. A new
 * stack creates a new secret, though; to keep the old value, deploy with the retained secret's
 * ARN (or name) in the matching setting, and the stack uses it without owning it.
 */
import * as cdk from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { acknowledgeWildcards } from '../nag.ts';

/** A secret's complete ARN ends in a hyphen and six random characters. */
export const COMPLETE_SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;
/** Secrets Manager's secret names: up to 512 of these characters. */
export const SECRET_NAME = /^[A-Za-z0-9/_+=.@-]{1,512}$/;

/**
 * `existing` (a complete ARN or a name) when given, else a new secret made by `create`, kept when
 * the stack is deleted.
 */
export function retainedOrExisting(
  scope: Construct,
  id: string,
  existing: string,
  create: () => secretsmanager.SecretProps,
): secretsmanager.ISecret {
  if (existing.startsWith('arn:')) return secretsmanager.Secret.fromSecretCompleteArn(scope, id, existing);
  if (existing !== '') return secretsmanager.Secret.fromSecretNameV2(scope, id, existing);
  return new secretsmanager.Secret(scope, id, { ...create(), removalPolicy: cdk.RemovalPolicy.RETAIN });
}

/** Sets `variable` to the secret's ARN and lets `fn` read its value (GetSecretValue only). */
export function grantSecretValue(
  secret: secretsmanager.ISecret,
  fn: lambda.Function,
  variable: string,
): void {
  fn.addEnvironment(variable, secret.secretArn);
  // grantRead would add DescribeSecret, which the handlers never call. A secret named without
  // its ARN has no full ARN here: IAM names it as the name's ARN followed by -??????.
  const resource = secret.secretFullArn ?? `${secret.secretArn}-??????`;
  fn.addToRolePolicy(
    new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [resource] }),
  );
  if (secret.secretFullArn === undefined) {
    acknowledgeWildcards(
      fn.role ?? fn,
      { resources: [resource] },
      'A secret named in the settings without its ARN: -?????? stands for the six characters Secrets Manager appends to the name, the only way to name its ARN.',
    );
  }
}
