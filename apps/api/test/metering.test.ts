import { evictDurableObject, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Account } from '../src/durable-objects/account.ts';
import {
  admin,
  api,
  balanceOf,
  clearQueue,
  createKey,
  finish,
  lease,
  testEnv,
  txt2img,
} from './helpers.ts';

afterEach(clearQueue);

describe('credits', () => {
  it('50 concurrent jobs with credits for 10 admit exactly 10', async () => {
    const key = await createKey({ credits: 10 });
    const answers = await Promise.all(
      Array.from({ length: 50 }, (_, i) => txt2img(key, { seed: i })),
    );
    const statuses = answers.map((r) => r.status);
    expect(statuses.filter((s) => s === 202)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(40);
    expect(await balanceOf(key)).toBe(0);
    await Promise.all(answers.map((r) => r.body?.cancel()));
  });

  it('settles a job once however often settlement is repeated', async () => {
    const key = await createKey({ credits: 100 });
    const job = (await (await txt2img(key, { width: 256, height: 256, steps: 40 })).json()) as {
      id: string;
    };
    const [l] = await lease();
    await finish(l as NonNullable<typeof l>);
    expect(await balanceOf(key)).toBe(90);
    const stub = testEnv.ACCOUNTS.get(testEnv.ACCOUNTS.idFromName(key.id));
    const again = await runInDurableObject(stub, async (account: Account) => [
      account.settle(job.id, 0),
      account.settle(job.id, 10),
    ]);
    expect(again).toEqual([
      { charged: 10, refunded: 0 },
      { charged: 10, refunded: 0 },
    ]);
    expect(await balanceOf(key)).toBe(90);
    const rows = await runInDurableObject(stub, (_a: Account, state) =>
      state.storage.sql
        .exec('SELECT kind, amount, charged FROM ledger WHERE job_id = ? ORDER BY kind', job.id)
        .toArray(),
    );
    expect(rows).toEqual([
      { kind: 'reserve', amount: -10, charged: null },
      { kind: 'settle', amount: 0, charged: 10 },
    ]);
  });

  it('reports usage as what settled jobs were charged; a refunded job is no usage, an open one is reserved', async () => {
    const key = await createKey({ credits: 100 });
    await txt2img(key, { width: 256, height: 256, steps: 40 }); // 10, will succeed
    const canceled = (await (
      await txt2img(key, { width: 256, height: 256, steps: 20 })
    ).json()) as { id: string }; // 5, refunded
    const [l] = await lease();
    await finish(l as NonNullable<typeof l>);
    await api(key, `/v1/jobs/${canceled.id}/cancel`, { method: 'POST' });
    await txt2img(key, { width: 256, height: 256, steps: 8 }); // 2, still queued
    const usage = (await (await api(key, '/v1/usage')).json()) as {
      balance: number;
      reserved: number;
      usage: { day: string; kind: string; credits: number; jobs: number }[];
    };
    expect(usage.balance).toBe(88);
    expect(usage.reserved).toBe(2);
    expect(usage.usage).toEqual([
      { day: new Date().toISOString().slice(0, 10), kind: 'txt2img', credits: 10, jobs: 1 },
    ]);
    expect((await api(key, '/v1/usage?days=0')).status).toBe(400);
  });
});

describe('grants', () => {
  it('counts a retried grant once, and refuses its grant_id with another amount (409)', async () => {
    const key = await createKey({ credits: 0 });
    const grant = (amount: number) =>
      admin(`/admin/keys/${key.id}/credits`, { body: { amount, grant_id: 'g-1' } });
    expect(await (await grant(50)).json()).toEqual({ balance: 50 });
    expect(await (await grant(50)).json()).toEqual({ balance: 50 });
    const conflict = await grant(500);
    expect(conflict.status).toBe(409);
    expect(await conflict.json()).toMatchObject({
      error: { code: 'grant_id_reused', param: 'grant_id' },
    });
    expect(await balanceOf(key)).toBe(50);
  });
});

describe('rate limits', () => {
  // The window is the calendar minute: keep each test clear of a minute boundary.
  beforeEach(async () => {
    const left = 60000 - (Date.now() % 60000);
    if (left < 5000) await new Promise((r) => setTimeout(r, left + 50));
  });

  it('allows the per-key limit per minute, then 429 with Retry-After and RateLimit headers', async () => {
    const key = await createKey({ rate_limit_per_minute: 5 });
    const answers = [];
    for (let i = 0; i < 6; i++) answers.push(await api(key, '/v1/models'));
    expect(answers.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 429]);
    expect(answers[0]?.headers.get('RateLimit-Limit')).toBe('5');
    expect(answers[0]?.headers.get('RateLimit-Remaining')).toBe('4');
    const refused = answers[5] as Response;
    expect(Number(refused.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(refused.headers.get('RateLimit-Remaining')).toBe('0');
    expect(await refused.json()).toMatchObject({ error: { code: 'rate_limited' } });
    // Another key is not affected; raising the limit takes effect at once.
    expect((await api(await createKey(), '/v1/models')).status).toBe(200);
    await admin(`/admin/keys/${key.id}`, { method: 'PATCH', body: { rate_limit_per_minute: 100 } });
    expect((await api(key, '/v1/models')).status).toBe(200);
  });

  it('keeps counting when the Account object is evicted', async () => {
    const key = await createKey({ rate_limit_per_minute: 3 });
    for (let i = 0; i < 3; i++) expect((await api(key, '/v1/models')).status).toBe(200);
    await evictDurableObject(testEnv.ACCOUNTS.get(testEnv.ACCOUNTS.idFromName(key.id)));
    expect((await api(key, '/v1/models')).status).toBe(429);
  });

  it('counts job creations, refused bodies included, and reserves nothing for a refused one', async () => {
    const key = await createKey({ rate_limit_per_minute: 4, credits: 100 });
    const bad = await txt2img(key, { steps: 0 }); // counted after its 400
    expect(bad.status).toBe(400);
    expect(bad.headers.get('RateLimit-Remaining')).toBe('3');
    const made = [await txt2img(key), await txt2img(key), await txt2img(key)];
    expect(made.map((r) => r.status)).toEqual([202, 202, 202]);
    expect(made[2]?.headers.get('RateLimit-Remaining')).toBe('0');
    const account = testEnv.ACCOUNTS.get(testEnv.ACCOUNTS.idFromName(key.id));
    const balance = () => runInDurableObject(account, (a: Account) => a.balance());
    const before = await balance();
    const over = await txt2img(key);
    expect(over.status).toBe(429);
    expect(Number(over.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect(await balance()).toBe(before); // refused: nothing reserved
    const overBad = await txt2img(key, { steps: 0 }); // over the limit, a 400 becomes a 429
    expect(overBad.status).toBe(429);
    expect(await overBad.json()).toMatchObject({ error: { code: 'rate_limited' } });
  });

  it('counts concurrent requests exactly', async () => {
    const key = await createKey({ rate_limit_per_minute: 7 });
    const answers = await Promise.all(Array.from({ length: 20 }, () => api(key, '/v1/models')));
    expect(answers.filter((r) => r.status === 200)).toHaveLength(7);
  });
});

describe('listing and reading', () => {
  it('lists newest first with a cursor and a status filter, only the caller’s jobs', async () => {
    const key = await createKey();
    const other = await createKey();
    await txt2img(other);
    const ids = [];
    for (let i = 0; i < 5; i++)
      ids.push(((await (await txt2img(key, { seed: i })).json()) as { id: string }).id);
    await api(key, `/v1/jobs/${ids[1]}/cancel`, { method: 'POST' });
    type Page = {
      data: { id: string; status: string }[];
      has_more: boolean;
      next_cursor: string | null;
    };
    const first = (await (await api(key, '/v1/jobs?limit=2')).json()) as Page;
    expect(first.data.map((j) => j.id)).toEqual([ids[4], ids[3]]);
    expect(first.has_more).toBe(true);
    const second = (await (
      await api(key, `/v1/jobs?limit=2&cursor=${first.next_cursor}`)
    ).json()) as Page;
    expect(second.data.map((j) => j.id)).toEqual([ids[2], ids[1]]);
    const third = (await (
      await api(key, `/v1/jobs?limit=2&cursor=${second.next_cursor}`)
    ).json()) as Page;
    expect(third).toMatchObject({ has_more: false, next_cursor: null });
    expect(third.data.map((j) => j.id)).toEqual([ids[0]]);
    const canceled = (await (await api(key, '/v1/jobs?status=canceled')).json()) as Page;
    expect(canceled.data.map((j) => j.id)).toEqual([ids[1]]);
    expect((await api(key, '/v1/jobs?status=lost')).status).toBe(400);
    expect((await api(key, '/v1/jobs?limit=1000')).status).toBe(400);
    expect((await api(key, '/v1/jobs?cursor=garbage')).status).toBe(400);
  });
});
