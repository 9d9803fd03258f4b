import { describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../src/index.ts';

// Runs in Node, workerd and the browser, so no node:crypto here. Independence from the SDK's own
// HMAC code comes from the published Standard Webhooks test vector below; the other cases are
// signed with Web Crypto to vary one thing at a time.
const secret = `whsec_${btoa('a secret of thirty-two bytes!!!!')}`;
const body = JSON.stringify({
  type: 'job.succeeded',
  timestamp: '2026-12-02T00:00:00.000Z',
  data: { id: 'job_1' },
});
const now = 1_796_000_000;

async function sign(id: string, timestamp: number, payload: string, key = secret) {
  const raw = Uint8Array.from(atob(key.slice(6)), (c) => c.charCodeAt(0));
  const hmac = await crypto.subtle.importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
  ]);
  const mac = await crypto.subtle.sign(
    'HMAC',
    hmac,
    new TextEncoder().encode(`${id}.${timestamp}.${payload}`),
  );
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': `v1,${btoa(String.fromCharCode(...new Uint8Array(mac)))}`,
  } as Record<string, string>;
}

describe('verifyWebhook', () => {
  it("accepts the Standard Webhooks specification's published example", async () => {
    const payload = '{"test": 2432232314}';
    const headers = {
      'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      'webhook-timestamp': '1614265330',
      'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    const vectorSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    await expect(
      verifyWebhook(payload, headers, vectorSecret, { now: 1614265330 * 1000 }),
    ).resolves.toEqual({ test: 2432232314 });
    const flipped = {
      ...headers,
      'webhook-signature': 'v1,h0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    };
    await expect(
      verifyWebhook(payload, flipped, vectorSecret, { now: 1614265330 * 1000 }),
    ).rejects.toBeInstanceOf(WebhookVerificationError);
  });

  it('accepts a valid delivery and returns the typed event', async () => {
    const event = await verifyWebhook(body, new Headers(await sign('msg_1', now, body)), secret, {
      now: now * 1000,
    });
    expect(event).toMatchObject({ type: 'job.succeeded', data: { id: 'job_1' } });
    // Bytes too, a plain header object, and a rotated secret's signature beside ours.
    const headers = await sign('msg_1', now, body);
    headers['webhook-signature'] = `v1,AAAA ${headers['webhook-signature']}`;
    await expect(
      verifyWebhook(new TextEncoder().encode(body), headers, secret, { now: now * 1000 }),
    ).resolves.toBeTruthy();
  });

  // Each row makes the (body, headers, secret) of one bad delivery.
  type Delivery = [string, Record<string, string>, string];
  it.each<[string, () => Promise<Delivery>]>([
    [
      'a tampered body',
      async () => [body.replace('job_1', 'job_2'), await sign('msg_1', now, body), secret],
    ],
    [
      'a wrong secret',
      async () => [body, await sign('msg_1', now, body, `whsec_${btoa('another')}`), secret],
    ],
    ['a stale timestamp', async () => [body, await sign('msg_1', now - 301, body), secret]],
    [
      'a timestamp from the future',
      async () => [body, await sign('msg_1', now + 400, body), secret],
    ],
    [
      'a changed webhook-id',
      async () => [body, { ...(await sign('msg_1', now, body)), 'webhook-id': 'msg_2' }, secret],
    ],
    [
      'no signature',
      async () => [body, { 'webhook-id': 'x', 'webhook-timestamp': String(now) }, secret],
    ],
  ])('refuses %s', async (_name, delivery) => {
    const [payload, headers, key] = await delivery();
    await expect(verifyWebhook(payload, headers, key, { now: now * 1000 })).rejects.toBeInstanceOf(
      WebhookVerificationError,
    );
  });
});
