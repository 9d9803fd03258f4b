import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../src/index.ts';

const secret = `whsec_${Buffer.from('a secret of thirty-two bytes!!!!').toString('base64')}`;
const body = JSON.stringify({
  type: 'job.succeeded',
  timestamp: '2026-12-02T00:00:00.000Z',
  data: { id: 'job_1' },
});
const now = 1_796_000_000;

// Signed here with Node's own HMAC, independently of the SDK's Web Crypto code.
function sign(id: string, timestamp: number, payload: string, key = secret) {
  const mac = createHmac('sha256', Buffer.from(key.slice(6), 'base64')).update(
    `${id}.${timestamp}.${payload}`,
  );
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${mac.digest('base64')}`,
  };
}

describe('verifyWebhook', () => {
  it('accepts a valid delivery and returns the typed event', async () => {
    const event = await verifyWebhook(body, new Headers(sign('msg_1', now, body)), secret, {
      now: now * 1000,
    });
    expect(event).toMatchObject({ type: 'job.succeeded', data: { id: 'job_1' } });
    // Bytes too, a plain header object, and a rotated secret's signature beside ours.
    const headers = sign('msg_1', now, body);
    headers['webhook-signature'] = `v1,AAAA ${headers['webhook-signature']}`;
    await expect(
      verifyWebhook(new TextEncoder().encode(body), headers, secret, { now: now * 1000 }),
    ).resolves.toBeTruthy();
  });

  it.each([
    [
      'a tampered body',
      () =>
        verifyWebhook(body.replace('job_1', 'job_2'), sign('msg_1', now, body), secret, {
          now: now * 1000,
        }),
    ],
    [
      'a wrong secret',
      () =>
        verifyWebhook(
          body,
          sign('msg_1', now, body, `whsec_${Buffer.from('another').toString('base64')}`),
          secret,
          { now: now * 1000 },
        ),
    ],
    [
      'a stale timestamp',
      () => verifyWebhook(body, sign('msg_1', now - 301, body), secret, { now: now * 1000 }),
    ],
    [
      'a timestamp from the future',
      () => verifyWebhook(body, sign('msg_1', now + 400, body), secret, { now: now * 1000 }),
    ],
    [
      'a changed webhook-id',
      () =>
        verifyWebhook(body, { ...sign('msg_1', now, body), 'webhook-id': 'msg_2' }, secret, {
          now: now * 1000,
        }),
    ],
    [
      'no signature',
      () =>
        verifyWebhook(body, { 'webhook-id': 'x', 'webhook-timestamp': String(now) }, secret, {
          now: now * 1000,
        }),
    ],
  ])('refuses %s', async (_name, verify) => {
    await expect(verify()).rejects.toBeInstanceOf(WebhookVerificationError);
  });
});
