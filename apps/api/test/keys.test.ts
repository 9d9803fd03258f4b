import { runInDurableObject, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Account } from '../src/durable-objects/account.ts';
import type { Dispatcher } from '../src/durable-objects/dispatcher.ts';
import { sha256Hex } from '../src/hashing.ts';
import { cachedKey, cacheKey, forgetKey, KEY_CACHE_MS } from '../src/middleware/auth/key-cache.ts';
import {
  admin,
  api,
  balanceOf,
  clearQueue,
  createKey,
  dispatcherStub,
  finish,
  lease,
  newJob,
  testEnv,
  txt2img,
} from './helpers.ts';

describe('admin: API keys', () => {
  it('refuses calls without the admin token', async () => {
    const res = await api('wrong', '/admin/keys');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
  });

  it('refuses the development admin token on a non-local host', async () => {
    const res = await SELF.fetch('https://api.example.com/admin/keys', {
      headers: { Authorization: 'Bearer dev-admin-token' },
    });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      'development default',
    );
  });

  it('creates a key shown once, stored only as a SHA-256 hash with a visible prefix', async () => {
    const key = await createKey({ credits: 25 });
    expect(key.key).toMatch(/^sk_live_[0-9A-Za-z]{32}$/);
    expect(key.prefix).toBe(key.key.slice(0, 12));
    expect(key.webhook_secret).toMatch(/^whsec_/);
    const row = await testEnv.DB.prepare('SELECT * FROM api_keys WHERE id = ?')
      .bind(key.id)
      .first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(key.key);
    const digest = [
      ...new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(key.key))),
    ]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
    expect(row?.hash).toBe(digest);
    const list = (await (await admin('/admin/keys')).json()) as { data: Record<string, unknown>[] };
    const listed = list.data.find((k) => k.id === key.id);
    expect(listed).toMatchObject({ prefix: key.prefix, scopes: ['images', 'videos', 'read'] });
    expect(JSON.stringify(list)).not.toContain(key.key);
    expect(await balanceOf(key)).toBe(25);
  });

  it('revokes a key at once', async () => {
    const key = await createKey();
    expect((await api(key, '/v1/models')).status).toBe(200);
    expect((await admin(`/admin/keys/${key.id}/revoke`, { body: {} })).status).toBe(200);
    const res = await api(key, '/v1/models');
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain(
      'revoked',
    );
  });

  it("cancels and refunds a revoked key's queued jobs, lets its running job finish, queues no more", async () => {
    const key = await createKey({ credits: 100 });
    const first = (await (await txt2img(key)).json()) as {
      id: string;
      usage: { credits_reserved: number };
    };
    const second = (await (await txt2img(key)).json()) as { id: string };
    const [running] = await lease({ capacity: 1 });
    expect(running?.job.id).toBe(first.id);
    expect((await admin(`/admin/keys/${key.id}/revoke`, { body: {} })).status).toBe(200);

    const account = testEnv.ACCOUNTS.get(testEnv.ACCOUNTS.idFromName(key.id));
    await runInDurableObject(dispatcherStub(), (dispatcher: Dispatcher) => {
      expect(dispatcher.getJob(second.id)).toMatchObject({
        status: 'canceled',
        charged: 0,
        error: { code: 'key_revoked' },
      });
      expect(dispatcher.getJob(first.id)?.status).toBe('running');
    });
    const held = first.usage.credits_reserved;
    expect(await runInDurableObject(account, (a: Account) => a.balance())).toBe(100 - held);
    // The running job completes and is charged as it would have been.
    if (running) expect((await finish(running)).status).toBe(200);
    expect(await runInDurableObject(account, (a: Account) => a.balance())).toBe(100 - held);

    // A request that got past auth before the revocation is not queued.
    const late = await runInDurableObject(dispatcherStub(), (dispatcher: Dispatcher) =>
      dispatcher.enqueue(newJob('job_late', key.id)),
    );
    expect(late).toMatchObject({ apiError: { code: 'unauthorized' } });
    await clearQueue();
  });

  it('a revocation made in another isolate: reads pass for at most the cache time, jobs are refused at once', async () => {
    const key = await createKey({ credits: 50 });
    expect((await api(key, '/v1/models')).status).toBe(200); // the key is now cached here
    // What the revoke route does, as another isolate would (this one's cache is not told).
    await testEnv.DB.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ?')
      .bind(new Date().toISOString(), key.id)
      .run();
    await runInDurableObject(dispatcherStub(), (dispatcher: Dispatcher) =>
      dispatcher.revokeKey(key.id),
    );
    expect((await api(key, '/v1/models')).status).toBe(200); // stale for up to KEY_CACHE_MS
    const job = await txt2img(key);
    expect(job.status).toBe(401);
    // The reservation made before the Dispatcher refused is given back.
    const account = testEnv.ACCOUNTS.get(testEnv.ACCOUNTS.idFromName(key.id));
    expect(await runInDurableObject(account, (a: Account) => a.balance())).toBe(50);
    const lookup = `hash:${await sha256Hex(key.key)}`;
    expect(cachedKey(lookup)?.id).toBe(key.id);
    expect(cachedKey(lookup, Date.now() + KEY_CACHE_MS + 1)).toBeUndefined(); // then D1 again
  });

  it('forgets a cached key once its entry is older than KEY_CACHE_MS', () => {
    const row = {
      id: 'key_c',
      name: 'c',
      prefix: 'sk_live_c',
      scopes: '[]',
      rate_limit_per_minute: 1,
      revoked_at: null,
    };
    cacheKey('hash:c', row, 1000);
    expect(cachedKey('hash:c', 1000 + KEY_CACHE_MS - 1)).toEqual(row);
    expect(cachedKey('hash:c', 1000 + KEY_CACHE_MS)).toBeUndefined();
    cacheKey('hash:c', row, 1000);
    forgetKey('key_c');
    expect(cachedKey('hash:c', 1001)).toBeUndefined();
  });

  it('sets scopes: a key without "images" gets 403 on image jobs', async () => {
    const key = await createKey({ scopes: ['read'] });
    const res = await api(key, '/v1/images/txt2img', { body: { prompt: 'x' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ error: { code: 'forbidden', scope: 'images' } });
    await admin(`/admin/keys/${key.id}`, { method: 'PATCH', body: { scopes: ['images', 'read'] } });
    expect((await api(key, '/v1/images/txt2img', { body: { prompt: 'x' } })).status).toBe(202);
    const readOnly = await createKey({ scopes: ['images'] });
    expect((await api(readOnly, '/v1/jobs')).status).toBe(403);
  });

  it('grants credits once per grant id', async () => {
    const key = await createKey({ credits: 0 });
    for (let i = 0; i < 3; i++)
      await admin(`/admin/keys/${key.id}/credits`, { body: { amount: 40, grant_id: 'invoice-7' } });
    expect(await balanceOf(key)).toBe(40);
    await admin(`/admin/keys/${key.id}/credits`, { body: { amount: 2 } });
    expect(await balanceOf(key)).toBe(42);
  });

  it('validates admin input and answers 404 for unknown keys', async () => {
    const bad = await admin('/admin/keys', { body: { name: '', scopes: ['root'] } });
    expect(bad.status).toBe(400);
    const body = (await bad.json()) as { error: { code: string; issues: { param: string }[] } };
    expect(body.error.code).toBe('invalid_request');
    expect(body.error.issues.map((i) => i.param).sort()).toEqual(['name', 'scopes.0']);
    expect((await admin('/admin/keys/key_nope/revoke', { body: {} })).status).toBe(404);
    expect((await admin('/admin/keys/key_nope/credits', { body: { amount: -5 } })).status).toBe(
      400,
    );
  });
});
