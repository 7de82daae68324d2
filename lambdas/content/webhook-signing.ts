/**
 * Webhook signatures, Stripe-style so a captured request cannot be replayed later:
 *   X-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 * `t` is taken at each attempt, so a retry an hour later still verifies within the tolerance;
 * the body (and its `deliveryId`) is the same on every attempt, so receivers dedupe on it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DEFAULT_SIGNATURE_TOLERANCE_SECONDS = 300;

export function hmacHex(secret: string, text: string): string {
  return createHmac('sha256', secret).update(text, 'utf8').digest('hex');
}

/** The `X-Webhook-Signature` value for `body` (the exact bytes sent) at `timestamp` (unix seconds). */
export function signPayload(secret: string, body: string, timestamp: number): string {
  if (!Number.isInteger(timestamp) || timestamp < 0) {
    throw new TypeError('timestamp must be a whole number of unix seconds');
  }
  return `t=${timestamp},v1=${hmacHex(secret, `${timestamp}.${body}`)}`;
}

/**
 * True when `header` carries a `v1` signature of `body` under `secret` whose `t` is within
 * `toleranceSeconds` of now (either way: a receiver's clock may be ahead). Several `v1` values
 * are accepted so a receiver can check during a secret rotation. Compares in constant time.
 */
export function verifySignature(
  secret: string,
  header: string | undefined | null,
  body: string,
  toleranceSeconds: number = DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  nowSeconds: number = Math.floor(Date.now() / 1000),
): boolean {
  if (!header) return false;
  let timestamp: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(',')) {
    const [name, value] = part.trim().split('=', 2);
    if (name === 't' && value !== undefined && /^\d{1,12}$/.test(value)) timestamp = Number(value);
    if (name === 'v1' && value !== undefined && /^[0-9a-f]{64}$/i.test(value)) candidates.push(value);
  }
  if (timestamp === undefined || candidates.length === 0) return false;
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, `${timestamp}.${body}`), 'hex');
  let valid = false;
  // Every candidate is compared, so timing does not tell which one matched.
  for (const candidate of candidates) {
    valid = timingSafeEqual(expected, Buffer.from(candidate, 'hex')) || valid;
  }
  return valid;
}
