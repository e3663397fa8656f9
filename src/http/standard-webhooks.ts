// The Standard Webhooks signature (https://www.standardwebhooks.com, also Svix's): HMAC-SHA256 over
// `<id>.<timestamp>.<raw body>`, keyed by the base64 after `whsec_`. One definition for both sides:
// the ingress checks deliveries with it (src/providers/standard-webhooks.ts) and the `http` step's
// `sign:` signs outgoing requests with it (src/activities/http.ts).
import { createHmac } from 'node:crypto';

const BASE64_KEY = /^(?:[A-Za-z0-9+/]+={0,2}|[A-Za-z0-9_-]+)$/;

/**
 * The HMAC key of a `whsec_<base64>` secret (the prefix is optional, as in the reference library);
 * undefined when the rest is not base64 or decodes to nothing — an empty key would let anyone sign.
 */
export function standardWebhooksKey(secret: string): Buffer | undefined {
  const text = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!BASE64_KEY.test(text)) return undefined;
  const key = Buffer.from(text, text.includes('-') || text.includes('_') ? 'base64url' : 'base64');
  return key.length > 0 ? key : undefined;
}

/** Why a secret cannot key Standard Webhooks, for load-time and request-time messages; undefined if it can. */
export function standardWebhooksKeyProblem(secret: string): string | undefined {
  if (standardWebhooksKey(secret) !== undefined) return undefined;
  const shown = secret.length > 12 ? `${secret.slice(0, 10)}…` : secret;
  return `"${shown}" gives no HMAC key: a Standard Webhooks secret is "whsec_" followed by the base64 of a non-empty key`;
}

/** The v1 signature's bytes: what `webhook-signature` carries base64-encoded after `v1,`. */
export function standardWebhooksMac(key: Buffer, id: string, timestamp: string, body: Buffer): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest();
}

/** The `webhook-signature` value (`v1,<base64>`) for a delivery; throws with the problem when the secret gives no key. */
export function standardWebhooksSignature(secret: string, id: string, timestamp: string, body: Buffer): string {
  const key = standardWebhooksKey(secret);
  if (!key) throw new Error(standardWebhooksKeyProblem(secret));
  return `v1,${standardWebhooksMac(key, id, timestamp, body).toString('base64')}`;
}
