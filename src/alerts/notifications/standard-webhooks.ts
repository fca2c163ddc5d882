import { createHmac } from 'node:crypto';

/**
 * Webhook signing as Standard Webhooks specify: `webhook-id` (the same on every retry: the idempotency key),
 * `webhook-timestamp` (Unix seconds of this attempt) and `webhook-signature: v1,<base64 HMAC-SHA256 of
 * "<id>.<timestamp>.<body>">`. The secret is `whsec_` + base64 of the key's bytes, as the official libraries read it
 * (other secrets are refused when the notification file is loaded, so a receiver's library always verifies).
 */

const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** Why a signing secret is not a Standard Webhooks one, or undefined when it is. */
export function standardWebhookSecretProblem(secret: string): string | undefined {
  const m = SECRET.exec(secret);
  const bytes = m ? Buffer.from(m[1]!, 'base64').length : 0;
  if (m && bytes >= 24 && bytes <= 64 && m[1]!.length % 4 === 0) return undefined;
  return "must hold a Standard Webhooks secret: 'whsec_' and the base64 of 24 to 64 random bytes (e.g. whsec_$(openssl rand -base64 32))";
}

function key(secret: string): Buffer {
  return Buffer.from(secret.slice('whsec_'.length), 'base64');
}

export function sign(secret: string, id: string, timestampSeconds: number, body: string): string {
  const mac = createHmac('sha256', key(secret)).update(`${id}.${timestampSeconds}.${body}`).digest('base64');
  return `v1,${mac}`;
}

export function signatureHeaders(
  secret: string,
  id: string,
  body: string,
  now = Date.now(),
): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': sign(secret, id, timestamp, body),
  };
}
