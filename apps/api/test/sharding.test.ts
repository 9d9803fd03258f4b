import { runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { shardCount, shardName, shardOfJob } from '../src/dispatch-shards.ts';
import type { Dispatcher } from '../src/durable-objects/dispatcher.ts';
import { admin, api, createKey, finish, lease, testEnv, txt2img } from './helpers.ts';

// Runs in the "sharded" vitest project: DISPATCHER_SHARDS = 4.
type Job = { id: string; status: string; attempts: number };

const shards = () =>
  Array.from({ length: shardCount(testEnv) }, (_, n) =>
    testEnv.DISPATCHER.get(testEnv.DISPATCHER.idFromName(shardName(n))),
  );

/** Status counts over every shard's jobs table. */
async function statusCounts(): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const shard of shards())
    await runInDurableObject(shard, (_d: Dispatcher, state) => {
      for (const row of state.storage.sql
        .exec('SELECT status, COUNT(*) AS n FROM jobs GROUP BY status')
        .toArray())
        counts[String(row.status)] = (counts[String(row.status)] ?? 0) + Number(row.n);
    });
  return counts;
}

async function drain() {
  for (;;) {
    const leases = await lease({ capacity: 8 });
    if (leases.length === 0) return;
    for (const l of leases) await finish(l);
  }
}

describe('a sharded Dispatcher (4 shards)', () => {
  it('spreads jobs over the shards; each is read, listed and leased exactly once', async () => {
    expect(shardCount(testEnv)).toBe(4);
    await drain();
    const key = await createKey({ credits: 10000 });
    const made: Job[] = [];
    for (let i = 0; i < 40; i++) made.push((await (await txt2img(key, { seed: i })).json()) as Job);
    const used = new Set(made.map((j) => shardOfJob(j.id)));
    expect(used.size).toBeGreaterThanOrEqual(3); // 40 draws over 4 shards
    for (const job of made.slice(0, 5))
      expect(((await (await api(key, `/v1/jobs/${job.id}`)).json()) as Job).id).toBe(job.id);
    const listed = (await (await api(key, '/v1/jobs?limit=100')).json()) as { data: Job[] };
    expect(listed.data.map((j) => j.id)).toEqual(made.map((j) => j.id).reverse());

    const leased: string[] = [];
    for (;;) {
      const leases = await lease({ capacity: 8 });
      if (leases.length === 0) break;
      leased.push(...leases.map((l) => l.job.id));
      for (const l of leases) expect((await finish(l)).status).toBe(200);
    }
    expect(leased.sort()).toEqual(made.map((j) => j.id).sort());
    const after = (await (await api(key, '/v1/jobs?limit=100')).json()) as { data: Job[] };
    expect(new Set(after.data.map((j) => j.status))).toEqual(new Set(['succeeded']));
  });

  it('a long poll across shards answers when a job arrives in any shard, and strands none', async () => {
    await drain();
    const key = await createKey({ credits: 10000 });
    const before = await statusCounts();
    const waiting = lease({ capacity: 1, wait_seconds: 10 });
    await new Promise((r) => setTimeout(r, 300));
    // Two jobs at once, likely in two shards: both shards may wake for the one-job poll.
    const [a, b] = await Promise.all([txt2img(key), txt2img(key)]);
    const ids = [((await a.json()) as Job).id, ((await b.json()) as Job).id];
    const started = Date.now();
    const got = await waiting;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(got).toHaveLength(1);
    expect(ids).toContain(got[0]?.job.id);
    // The other is queued again (a lease the runner never got is handed back), not held.
    const counts = await statusCounts();
    expect((counts.running ?? 0) - (before.running ?? 0)).toBe(1);
    expect((counts.queued ?? 0) - (before.queued ?? 0)).toBe(1);
    const other = ids.find((id) => id !== got[0]?.job.id) as string;
    expect(((await (await api(key, `/v1/jobs/${other}`)).json()) as Job).attempts).toBe(0);
    if (got[0]) await finish(got[0]);
    await drain();
  });

  it('revoking a key cancels its queued jobs in every shard; /v1/models sees every shard', async () => {
    await drain();
    const key = await createKey({ credits: 10000 });
    const made: Job[] = [];
    for (let i = 0; i < 12; i++) made.push((await (await txt2img(key)).json()) as Job);
    expect((await admin(`/admin/keys/${key.id}/revoke`, { body: {} })).status).toBe(200);
    for (const job of made)
      await runInDurableObject(
        shards()[shardOfJob(job.id)] as ReturnType<typeof shards>[number],
        (dispatcher: Dispatcher) => expect(dispatcher.getJob(job.id)?.status).toBe('canceled'),
      );
    const viewer = await createKey();
    await lease({ models: ['stable-diffusion-v1-5'] });
    const models = (await (await api(viewer, '/v1/models')).json()) as { data: { id: string }[] };
    expect(models.data.map((m) => m.id)).toContain('stable-diffusion-v1-5');
  });
});
