// Standard Webhooks signatures (https://www.standardwebhooks.com): v1, HMAC-SHA256 of "id.timestamp.body" keyed by
// the base64-decoded secret, base64; during a rotation one signature per secret, space-separated.
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';

/** "whsec_" and the base64 of 32 random bytes. */
export function newSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** The three headers of one attempt. */
export function signedHeaders(
  secrets: string[],
  message: { id: string; timestamp: Date; body: string },
): { 'webhook-id': string; 'webhook-timestamp': string; 'webhook-signature': string } {
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(Math.floor(message.timestamp.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(message.id, message.timestamp, message.body)).join(' '),
  };
}
