import { WebhookVerificationError } from './errors.ts';
import type { Job } from './types.ts';

/** A verified webhook: `job.succeeded`, `job.failed`, ... with the job as it then was. */
export interface WebhookEvent {
  type: `job.${'queued' | 'started' | 'output' | 'succeeded' | 'failed' | 'canceled'}`;
  timestamp: string;
  data: Job;
}

export interface VerifyOptions {
  /** Seconds a delivery may be old (or early); default 300, as Standard Webhooks advises. */
  toleranceSeconds?: number;
  /** For tests: the time to check against, in ms. */
  now?: number;
}

type HeaderSource = Headers | Record<string, string | string[] | undefined>;

/**
 * Checks a delivery per Standard Webhooks: `webhook-signature` holds `v1,<base64 HMAC-SHA256 of
 * id.timestamp.body>` under the key's `whsec_` secret (several space-separated signatures are
 * allowed, for secret rotation), compared in constant time; the timestamp must be within the
 * tolerance. Pass the body exactly as received (a string or bytes, not re-serialised JSON).
 */
export async function verifyWebhook(
  body: string | Uint8Array,
  headers: HeaderSource,
  secret: string,
  options: VerifyOptions = {},
): Promise<WebhookEvent> {
  const id = header(headers, 'webhook-id');
  const timestamp = header(headers, 'webhook-timestamp');
  const signatures = header(headers, 'webhook-signature');
  if (!id || !timestamp || !signatures)
    throw new WebhookVerificationError(
      'Missing webhook-id, webhook-timestamp or webhook-signature.',
    );
  if (!/^\d+$/.test(timestamp))
    throw new WebhookVerificationError('webhook-timestamp is not a number.');
  const now = Math.floor((options.now ?? Date.now()) / 1000);
  if (Math.abs(now - Number(timestamp)) > (options.toleranceSeconds ?? 300))
    throw new WebhookVerificationError(
      'The webhook timestamp is outside the tolerance (a replay or a wrong clock).',
    );
  const text = typeof body === 'string' ? body : new TextDecoder().decode(body);
  const key = await crypto.subtle.importKey(
    'raw',
    secretBytes(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const expected = new Uint8Array(
    await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`${id}.${timestamp}.${text}`)),
  );
  const match = signatures
    .split(' ')
    .filter((s) => s.startsWith('v1,'))
    .some((s) => constantTimeEqual(decodeBase64(s.slice(3)), expected));
  if (!match)
    throw new WebhookVerificationError('No webhook signature matches this secret and body.');
  try {
    return JSON.parse(text) as WebhookEvent;
  } catch {
    throw new WebhookVerificationError('The webhook body is not JSON.');
  }
}

function header(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function')
    return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const key = Object.keys(record).find((k) => k.toLowerCase() === name);
  const value = key ? record[key] : undefined;
  return Array.isArray(value) ? value.join(' ') : value;
}

function secretBytes(secret: string): Uint8Array<ArrayBuffer> {
  if (!secret.startsWith('whsec_'))
    throw new WebhookVerificationError('The secret must be the key’s whsec_ secret.');
  return decodeBase64(secret.slice(6));
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  try {
    return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    return new Uint8Array(0);
  }
}

function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
