/**
 * The service's webhook signing secret: WEBHOOK_SIGNING_SECRET when set (local mode), otherwise
 * the Secrets Manager secret the stack generated (WEBHOOK_SIGNING_SECRET_ARN), read once per
 * cold start. Each owner's secret is derived from it (`webhookSecretFor`).
 */
import { secrets } from '#platform/clients.ts';
import { ENV, optionalEnv } from '#platform/config.ts';
import { webhookSecretFor } from './webhooks.ts';

let cached: string | undefined;

export async function signingSecret(): Promise<string> {
  const direct = optionalEnv(ENV.webhookSigningSecret);
  if (direct) return direct;
  if (cached) return cached;
  const arn = optionalEnv(ENV.webhookSigningSecretArn);
  if (!arn) throw new Error(`Missing ${ENV.webhookSigningSecret} or ${ENV.webhookSigningSecretArn}`);
  const { client, sdk } = await secrets();
  const result = await client.send(new sdk.GetSecretValueCommand({ SecretId: arn }));
  cached = result.SecretString?.trim();
  if (!cached) throw new Error('The webhook signing secret is empty');
  return cached;
}

export async function ownerWebhookSecret(owner: string): Promise<string> {
  return webhookSecretFor(owner, await signingSecret());
}
