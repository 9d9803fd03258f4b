import { runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../src/durable-objects/dispatcher.ts';
import {
  api,
  clearQueue,
  createKey,
  dispatcherStub,
  finish,
  lease,
  runnerCall,
  txt2img,
} from './helpers.ts';

afterEach(clearQueue);

interface SseEvent {
  id: string;
  event: string;
  data: Record<string, unknown>;
}

/** Reads a Server-Sent Events response to its end. */
async function readEvents(res: Response): Promise<SseEvent[]> {
  const text = await res.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data:'))
    .map((block) => {
      const field = (name: string) =>
        block
          .split('\n')
          .find((l) => l.startsWith(`${name}: `))
          ?.slice(name.length + 2) ?? '';
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) };
    });
}

describe('GET /v1/jobs/{id}/events', () => {
  it('streams queued, started, progress (with preview), output, succeeded live, then ends', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key)).json()) as { id: string };
    const stream = await api(key, `/v1/jobs/${job.id}/events`);
    expect(stream.headers.get('content-type')).toContain('text/event-stream');
    const reading = readEvents(stream);
    const [l] = await lease();
    await runnerCall(`/jobs/${job.id}/events`, {
      lease_id: l?.lease_id,
      events: [
        {
          type: 'progress',
          step: 1,
          total_steps: 2,
          preview: 'data:image/png;base64,iVBORw0KGgo=',
        },
        { type: 'progress', step: 2, total_steps: 2 },
      ],
    });
    await finish(l as NonNullable<typeof l>);
    const events = await reading;
    expect(events.map((e) => e.event)).toEqual([
      'queued',
      'started',
      'progress',
      'progress',
      'output',
      'succeeded',
    ]);
    expect(events.map((e) => e.id)).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(events[2]?.data).toEqual({
      step: 1,
      total_steps: 2,
      preview: 'data:image/png;base64,iVBORw0KGgo=',
    });
    expect(events[4]?.data).toMatchObject({ seed: 42, content_type: 'image/png' });
  });

  it('resumes after Last-Event-ID with nothing lost and nothing repeated', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key)).json()) as { id: string };
    const [l] = await lease();
    await runnerCall(`/jobs/${job.id}/events`, {
      lease_id: l?.lease_id,
      events: [{ type: 'progress', step: 1, total_steps: 3 }],
    });
    // A client that saw events 1-2 reconnects; more happens while it is away.
    await runnerCall(`/jobs/${job.id}/events`, {
      lease_id: l?.lease_id,
      events: [{ type: 'progress', step: 2, total_steps: 3 }],
    });
    const resumed = readEvents(
      await api(key, `/v1/jobs/${job.id}/events`, { headers: { 'Last-Event-ID': '2' } }),
    );
    await runnerCall(`/jobs/${job.id}/events`, {
      lease_id: l?.lease_id,
      events: [{ type: 'progress', step: 3, total_steps: 3 }],
    });
    await finish(l as NonNullable<typeof l>);
    const events = await resumed;
    expect(events.map((e) => `${e.id}:${e.event}`)).toEqual([
      '3:progress',
      '4:progress',
      '5:progress',
      '6:output',
      '7:succeeded',
    ]);
    expect(events.map((e) => e.data.step).slice(0, 3)).toEqual([1, 2, 3]);
    // After the end, the whole history replays and the stream closes at once.
    const all = await readEvents(await api(key, `/v1/jobs/${job.id}/events`));
    expect(all).toHaveLength(7);
    expect(
      await readEvents(
        await api(key, `/v1/jobs/${job.id}/events`, { headers: { 'Last-Event-ID': '7' } }),
      ),
    ).toEqual([]);
  });

  it('keeps a finished job’s events for a day, the job itself longer', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key)).json()) as { id: string };
    await api(key, `/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(await readEvents(await api(key, `/v1/jobs/${job.id}/events`))).toHaveLength(2);
    await runInDurableObject(dispatcherStub(), async (dispatcher: Dispatcher, state) => {
      state.storage.sql.exec(
        'UPDATE jobs SET finished_at = ? WHERE id = ?',
        Date.now() - 25 * 3600 * 1000,
        job.id,
      );
      await dispatcher.alarm();
    });
    expect(await readEvents(await api(key, `/v1/jobs/${job.id}/events`))).toEqual([]);
    expect(
      ((await (await api(key, `/v1/jobs/${job.id}`)).json()) as { status: string }).status,
    ).toBe('canceled');
  });

  it('ends with canceled when the job is canceled', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key)).json()) as { id: string };
    const reading = readEvents(await api(key, `/v1/jobs/${job.id}/events`));
    await api(key, `/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect((await reading).map((e) => e.event)).toEqual(['queued', 'canceled']);
  });
});

type Delivery = { url: string; headers: Record<string, string>; body: string };
const deliveries = async (path: string) =>
  ((await (await fetch('http://webhooks.test/__log')).json()) as Delivery[]).filter(
    (d) => new URL(d.url).pathname === path,
  );

/** Verifies a delivery as a Standard Webhooks receiver does. */
async function verify(secret: string, d: Delivery): Promise<boolean> {
  const key = await crypto.subtle.importKey(
    'raw',
    Uint8Array.from(atob(secret.slice('whsec_'.length)), (c) => c.charCodeAt(0)),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const signed = `${d.headers['webhook-id']}.${d.headers['webhook-timestamp']}.${d.body}`;
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(signed)),
  );
  return d.headers['webhook-signature'] === `v1,${btoa(String.fromCharCode(...mac))}`;
}

/** Waits (up to 5 s) for the Dispatcher's own alarm to make `count` deliveries to `path`. */
async function waitForDeliveries(path: string, count: number) {
  for (let i = 0; i < 100 && (await deliveries(path)).length < count; i++)
    await new Promise((r) => setTimeout(r, 50));
  return deliveries(path);
}

describe('webhooks', () => {
  it('delivers the events asked for, signed per Standard Webhooks', async () => {
    const key = await createKey();
    const path = `/hook-${crypto.randomUUID()}`;
    const job = (await (
      await txt2img(key, {
        webhook: { url: `https://webhooks.test${path}`, events: ['started', 'succeeded'] },
      })
    ).json()) as { id: string };
    const [l] = await lease();
    await finish(l as NonNullable<typeof l>);
    const got = await waitForDeliveries(path, 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(await deliveries(path)).toHaveLength(2);
    expect(got.map((d) => JSON.parse(d.body).type)).toEqual(['job.started', 'job.succeeded']);
    for (const d of got) {
      expect(await verify(key.webhook_secret, d)).toBe(true);
      expect(d.headers['webhook-id']).toMatch(/^msg_/);
      expect(Math.abs(Number(d.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
    }
    const body = JSON.parse(got[1]?.body ?? '{}');
    expect(body.data).toMatchObject({ id: job.id, status: 'succeeded' });
    // A tampered body or another key's secret does not verify.
    expect(
      await verify(key.webhook_secret, { ...(got[1] as Delivery), body: `${got[1]?.body} ` }),
    ).toBe(false);
    expect(await verify((await createKey()).webhook_secret, got[1] as Delivery)).toBe(false);
  });

  it('retries a failing endpoint with backoff, with the same webhook-id', async () => {
    const key = await createKey();
    const path = `/fail-2-${crypto.randomUUID()}`;
    const job = (await (
      await txt2img(key, { webhook: { url: `https://webhooks.test${path}` } })
    ).json()) as { id: string };
    await api(key, `/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(await waitForDeliveries(path, 1)).toHaveLength(1);
    const next = await runInDurableObject(dispatcherStub(), (_d: Dispatcher, state) =>
      state.storage.sql
        .exec('SELECT attempt, next_at, status FROM deliveries WHERE job_id = ?', job.id)
        .one(),
    );
    expect(next).toMatchObject({ attempt: 1, status: 'pending' });
    expect(Number(next.next_at) - Date.now()).toBeGreaterThan(3000); // 5 s backoff
    // Skip the waits: make the retry due now and let the alarm fire.
    for (let i = 2; i <= 3; i++) {
      await runInDurableObject(dispatcherStub(), async (_d: Dispatcher, state) => {
        state.storage.sql.exec('UPDATE deliveries SET next_at = 0 WHERE job_id = ?', job.id);
        await state.storage.setAlarm(Date.now());
      });
      await waitForDeliveries(path, i);
    }
    const got = await deliveries(path);
    expect(got).toHaveLength(3);
    expect(new Set(got.map((d) => d.headers['webhook-id'])).size).toBe(1);
    expect(JSON.parse(got[2]?.body ?? '{}').type).toBe('job.canceled');
    const status = () =>
      runInDurableObject(dispatcherStub(), (_d: Dispatcher, state) =>
        String(
          state.storage.sql.exec('SELECT status FROM deliveries WHERE job_id = ?', job.id).one()
            .status,
        ),
      );
    for (let i = 0; i < 40 && (await status()) !== 'delivered'; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await status()).toBe('delivered');
  });

  it('gives a delivery up after its last retry', async () => {
    const key = await createKey();
    const path = `/fail-99-${crypto.randomUUID()}`;
    const job = (await (
      await txt2img(key, { webhook: { url: `https://webhooks.test${path}`, events: ['canceled'] } })
    ).json()) as { id: string };
    await api(key, `/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    await waitForDeliveries(path, 1);
    for (let i = 2; i <= 7; i++) {
      await runInDurableObject(dispatcherStub(), async (_d: Dispatcher, state) => {
        state.storage.sql.exec('UPDATE deliveries SET next_at = 0 WHERE job_id = ?', job.id);
        await state.storage.setAlarm(Date.now());
      });
      await waitForDeliveries(path, i);
    }
    const row = () =>
      runInDurableObject(dispatcherStub(), (_d: Dispatcher, state) =>
        state.storage.sql
          .exec('SELECT status, attempt, last_error FROM deliveries WHERE job_id = ?', job.id)
          .one(),
      );
    for (let i = 0; i < 40 && (await row()).status !== 'failed'; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await row()).toEqual({ status: 'failed', attempt: 7, last_error: 'HTTP 500' });
    expect(await deliveries(path)).toHaveLength(7);
  });
});

describe('webhook safety and fairness', () => {
  it.each([
    'http://127.0.0.1/hook',
    'http://2130706433/hook',
    'http://[::1]/hook',
    'http://localhost/hook',
    'http://169.254.169.254/latest/meta-data/',
    'http://10.0.0.1/hook',
    'https://user:pw@example.com/hook',
    `https://example.com/${'a'.repeat(3 * 1024 * 1024)}`,
  ])('refuses a job whose webhook is %.60s (400, before any credit is reserved)', async (url) => {
    const key = await createKey({ credits: 1000 });
    const res = await txt2img(key, { webhook: { url } });
    expect(res.status, await res.clone().text()).toBe(400);
    const body = (await res.json()) as { error: { code: string; param?: string } };
    expect(['unsafe_webhook_url', 'invalid_request']).toContain(body.error.code);
    expect(body.error.param).toBe('webhook.url');
    const usage = (await (await api(key, '/v1/usage')).json()) as { balance: number };
    expect(usage.balance).toBe(1000);
  });

  it('checks again at delivery: a name that resolves to loopback, and a redirect, are not followed', async () => {
    const key = await createKey();
    const rebind = `/hook-${crypto.randomUUID()}`;
    const redirect = `/redirect-${crypto.randomUUID()}`;
    const jobs: string[] = [];
    for (const url of [`https://rebind.webhooks.test${rebind}`, `https://webhooks.test${redirect}`])
      jobs.push(
        (
          (await (await txt2img(key, { webhook: { url, events: ['canceled'] } })).json()) as {
            id: string;
          }
        ).id,
      );
    for (const id of jobs) await api(key, `/v1/jobs/${id}/cancel`, { method: 'POST' });
    const rows = async () =>
      runInDurableObject(dispatcherStub(), (_d: Dispatcher, state) =>
        state.storage.sql
          .exec(
            `SELECT job_id, status, last_error FROM deliveries WHERE job_id IN (?, ?) ORDER BY job_id = ? DESC`,
            jobs[0],
            jobs[1],
            jobs[0],
          )
          .toArray(),
      );
    for (let i = 0; i < 100; i++) {
      const now = await rows();
      if (now.every((r) => r.last_error !== null)) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const [rebound, redirected] = await rows();
    // The rebinding name was never sent to; the refusal is final (no retries).
    expect(await deliveries(rebind)).toHaveLength(0);
    expect(rebound).toMatchObject({ status: 'failed' });
    expect(String(rebound?.last_error)).toMatch(/resolves to 127\.0\.0\.1.*loopback/);
    // The redirect was answered once and not followed (the receiver logs no second request).
    expect(await deliveries(redirect)).toHaveLength(1);
    expect(String(redirected?.last_error)).toMatch(/HTTP 302/);
    expect(
      (await fetch('http://webhooks.test/__log').then((r) => r.json())) as Delivery[],
    ).not.toContainEqual(expect.objectContaining({ url: 'http://169.254.169.254/' }));
  });

  it("one tenant's slow receiver does not delay another tenant's webhook", async () => {
    const slowKey = await createKey();
    const fastKey = await createKey();
    const slowPath = `/slow-3000-${crypto.randomUUID()}`;
    const fastPath = `/hook-${crypto.randomUUID()}`;
    const cancelWith = async (key: Awaited<ReturnType<typeof createKey>>, url: string) => {
      const job = (await (
        await txt2img(key, { webhook: { url, events: ['canceled'] } })
      ).json()) as { id: string };
      await api(key, `/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    };
    for (let i = 0; i < 4; i++) await cancelWith(slowKey, `https://slow.webhooks.test${slowPath}`);
    await waitForDeliveries(slowPath, 1);
    const fastAsked = Date.now();
    await cancelWith(fastKey, `https://webhooks.test${fastPath}`);
    const [fast] = await waitForDeliveries(fastPath, 1);
    expect(fast).toBeDefined();
    const slowSoFar = await deliveries(slowPath);
    // Two slow sends at a time (the per-host limit), each taking 3 s: the fast one went out
    // while the slow receiver still held its first pair, not after all four.
    expect(slowSoFar.length).toBeLessThanOrEqual(2);
    expect((fast as Delivery & { at: number }).at - fastAsked).toBeLessThan(2500);
    // And the slow ones all arrive in the end.
    for (let i = 0; i < 200 && (await deliveries(slowPath)).length < 4; i++)
      await new Promise((r) => setTimeout(r, 50));
    expect(await deliveries(slowPath)).toHaveLength(4);
  }, 30_000);
});
