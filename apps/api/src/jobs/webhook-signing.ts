import { hmacSha256, toBase64 } from '../hashing.ts';

/**
 * Standard Webhooks (standardwebhooks.com): the secret is `whsec_` + base64 bytes; the signature
 * header is `v1,` + base64(HMAC-SHA256(secret bytes, `${id}.${timestamp}.${body}`)).
 */
export async function webhookSecretFor(signingSecret: string, keyId: string): Promise<string> {
  return `whsec_${toBase64(await hmacSha256(signingSecret, `webhook:${keyId}`))}`;
}

export async function signWebhook(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Promise<string> {
  const raw = Uint8Array.from(atob(secret.replace(/^whsec_/, '')), (ch) => ch.charCodeAt(0));
  return `v1,${toBase64(await hmacSha256(raw, `${id}.${timestamp}.${body}`))}`;
}

export async function webhookHeaders(secret: string, id: string, timestamp: number, body: string) {
  return {
    'content-type': 'application/json',
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': await signWebhook(secret, id, timestamp, body),
  };
}
