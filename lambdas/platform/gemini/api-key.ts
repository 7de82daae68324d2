/**
 * Where the Gemini API key comes from: `GEMINI_API_KEY` when set, otherwise the Secrets Manager
 * secret named by `GEMINI_API_KEY_SECRET_ARN` (created by the stack, its value set by the user).
 */
import { secrets } from '../clients.ts';
import { ENV, optionalEnv } from '../config.ts';

/** The value the stack puts in the secret until the user sets a real key. */
export const PLACEHOLDER_KEY = 'NOT_CONFIGURED';
const CACHE_MS = 5 * 60 * 1000;

let cached: { value: string | undefined; at: number } | undefined;

function usable(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed && trimmed !== PLACEHOLDER_KEY ? trimmed : undefined;
}

/** The key, or undefined when none is configured. Secret reads are cached for a few minutes. */
export async function geminiApiKey(): Promise<string | undefined> {
  const direct = usable(optionalEnv(ENV.geminiApiKey));
  if (direct) return direct;
  const secretArn = optionalEnv(ENV.geminiApiKeySecretArn);
  if (!secretArn) return undefined;
  if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
  const { client, sdk } = await secrets();
  const result = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretArn }));
  cached = { value: usable(result.SecretString), at: Date.now() };
  return cached.value;
}
