import { runInDurableObject, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../src/durable-objects/dispatcher.ts';
import { FINISHED_JOB_RETENTION_MS } from '../src/durable-objects/dispatcher.ts';
import { Q } from '../src/durable-objects/dispatcher-queries.ts';
import {
  api,
  balanceOf,
  clearQueue,
  createKey,
  dispatcherStub,
  finish,
  lease,
  type TestKey,
  txt2img,
} from './helpers.ts';

type Job = {
  id: string;
  status: string;
  error: { code: string; message: string } | null;
  outputs: { url: string }[];
  usage: { credits: number | null };
};

afterEach(clearQueue);

/** Makes the given jobs look ended `ago` ms before now, then runs the Dispatcher's alarm. */
async function age(ids: string[], ago: number) {
  await runInDurableObject(dispatcherStub(), async (dispatcher: Dispatcher, state) => {
    for (const id of ids)
      state.storage.sql.exec('UPDATE jobs SET finished_at = ? WHERE id = ?', Date.now() - ago, id);
    await dispatcher.alarm();
  });
}

const inDispatcher = (id: string) =>
  runInDurableObject(dispatcherStub(), (dispatcher: Dispatcher) => dispatcher.getJob(id) !== null);

async function succeededJob(key: TestKey): Promise<Job> {
  const created = (await (await txt2img(key)).json()) as Job;
  const [l] = await lease();
  if (!l) throw new Error('no lease');
  expect((await finish(l)).status).toBe(200);
  return (await (await api(key, `/v1/jobs/${created.id}`)).json()) as Job;
}

describe('finished jobs leave the Dispatcher after the retention, and still answer', () => {
  it('prunes a job a day after it ended; GET, list, cancel, events and its output still work', async () => {
    const key = await createKey();
    const done = await succeededJob(key);
    await age([done.id], FINISHED_JOB_RETENTION_MS - 60000);
    expect(await inDispatcher(done.id)).toBe(true); // not yet

    await age([done.id], FINISHED_JOB_RETENTION_MS + 1000);
    expect(await inDispatcher(done.id)).toBe(false);
    const events = await runInDurableObject(dispatcherStub(), (_d: Dispatcher, state) =>
      state.storage.sql.exec('SELECT COUNT(*) AS n FROM events WHERE job_id = ?', done.id).one(),
    );
    expect(events.n).toBe(0);

    const got = await api(key, `/v1/jobs/${done.id}`);
    expect(got.status).toBe(200);
    const archived = (await got.json()) as Job;
    expect({ ...archived, outputs: [] }).toEqual({ ...done, outputs: [] });
    expect(archived.outputs).toHaveLength(1);
    // Its output link (freshly signed from the archived record) still serves the image.
    const output = await SELF.fetch(archived.outputs[0]?.url ?? '');
    expect(output.status).toBe(200);
    expect(output.headers.get('content-type')).toBe('image/png');

    const listed = (await (await api(key, '/v1/jobs')).json()) as { data: Job[] };
    expect(listed.data.map((j) => j.id)).toContain(done.id);
    expect(listed.data.find((j) => j.id === done.id)?.status).toBe('succeeded');

    const cancel = await api(key, `/v1/jobs/${done.id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(409);
    expect(((await cancel.json()) as { error: { code: string } }).error.code).toBe('job_finished');

    const stream = await api(key, `/v1/jobs/${done.id}/events`);
    expect(stream.status).toBe(200);
    expect(await stream.text()).toBe('');

    // Another key still gets 404 for it.
    const other = await createKey();
    expect((await api(other, `/v1/jobs/${done.id}`)).status).toBe(404);
  });

  it('keeps a job whose credits are not settled or whose webhook is still due', async () => {
    const key = await createKey();
    const a = await succeededJob(key);
    const b = await succeededJob(key);
    await runInDurableObject(dispatcherStub(), async (dispatcher: Dispatcher, state) => {
      const sql = state.storage.sql;
      const cutoff = Date.now() - FINISHED_JOB_RETENTION_MS;
      for (const id of [a.id, b.id])
        sql.exec('UPDATE jobs SET finished_at = ? WHERE id = ?', cutoff - 1000, id);
      const prunable = () =>
        sql
          .exec(Q.prunable, cutoff, 10)
          .toArray()
          .map((r) => r.id);
      sql.exec('UPDATE jobs SET settled = 0 WHERE id = ?', a.id);
      sql.exec(
        "INSERT INTO deliveries (id, job_id, event_seq, attempt, next_at, status) VALUES ('msg_t', ?, 1, 1, ?, 'pending')",
        b.id,
        Date.now() + 3600000,
      );
      expect(prunable()).toEqual([]);
      sql.exec('UPDATE jobs SET settled = 1, mirrored = 0 WHERE id = ?', a.id);
      expect(prunable()).toEqual([]); // not yet in D1
      // The alarm writes a's history row first, then prunes it; b waits for its webhook.
      await dispatcher.alarm();
    });
    expect(await inDispatcher(a.id)).toBe(false);
    expect(await inDispatcher(b.id)).toBe(true);
    await runInDurableObject(dispatcherStub(), async (dispatcher: Dispatcher, state) => {
      state.storage.sql.exec("DELETE FROM deliveries WHERE id = 'msg_t'");
      await dispatcher.alarm();
    });
    expect(await inDispatcher(b.id)).toBe(false);
    expect((await api(key, `/v1/jobs/${a.id}`)).status).toBe(200);
  });

  it('numbers new jobs after pruned ones (the listing order stays right)', async () => {
    const key = await createKey();
    const old = await succeededJob(key);
    await age([old.id], FINISHED_JOB_RETENTION_MS + 1000);
    expect(await inDispatcher(old.id)).toBe(false);
    const fresh = (await (await txt2img(key)).json()) as Job;
    const listed = (await (await api(key, '/v1/jobs?limit=2')).json()) as { data: Job[] };
    expect(listed.data.map((j) => j.id)).toEqual([fresh.id, old.id]);
  });
});

describe('queue deadlines', () => {
  it('fails and refunds a job no runner takes in time (a model nobody serves)', async () => {
    const key = await createKey({ credits: 100 });
    const res = await txt2img(key, { model: 'stable-diffusion-v1-5', queue_timeout_seconds: 30 });
    expect(res.status).toBe(202);
    const job = (await res.json()) as Job;
    expect(await balanceOf(key)).toBeLessThan(100);
    await runInDurableObject(dispatcherStub(), async (dispatcher: Dispatcher, state) => {
      const row = state.storage.sql
        .exec('SELECT queue_deadline - created_at AS d FROM jobs WHERE id = ?', job.id)
        .one();
      expect(row.d).toBe(30000);
      state.storage.sql.exec(
        'UPDATE jobs SET queue_deadline = ? WHERE id = ?',
        Date.now() - 1,
        job.id,
      );
      await dispatcher.alarm();
    });
    const failed = (await (await api(key, `/v1/jobs/${job.id}`)).json()) as Job;
    expect(failed.status).toBe('failed');
    expect(failed.error?.code).toBe('queue_timeout');
    expect(failed.error?.message).toMatch(/30 seconds/);
    expect(failed.usage.credits).toBe(0);
    expect(await balanceOf(key)).toBe(100);
  });

  it('gives a job put back in the queue a fresh deadline', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key, { queue_timeout_seconds: 60 })).json()) as Job;
    const [l] = await lease();
    expect(l?.job.id).toBe(job.id);
    const before = Date.now();
    await runInDurableObject(dispatcherStub(), async (dispatcher: Dispatcher, state) => {
      state.storage.sql.exec('UPDATE jobs SET queue_deadline = 1 WHERE id = ?', job.id);
      state.storage.sql.exec(
        'UPDATE jobs SET lease_deadline = ? WHERE id = ?',
        Date.now() - 1,
        job.id,
      );
      await dispatcher.alarm(); // the lease expires: back to the queue
      const row = state.storage.sql
        .exec('SELECT status, queue_deadline FROM jobs WHERE id = ?', job.id)
        .one();
      expect(row.status).toBe('queued');
      expect(Number(row.queue_deadline)).toBeGreaterThanOrEqual(before + 60000);
    });
  });

  it('takes 1 hour by default and refuses a timeout out of range', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key)).json()) as Job;
    await runInDurableObject(dispatcherStub(), (_d: Dispatcher, state) => {
      expect(
        state.storage.sql.exec('SELECT queue_timeout FROM jobs WHERE id = ?', job.id).one()
          .queue_timeout,
      ).toBe(3600);
    });
    for (const bad of [5, 86401, 1.5, '60']) {
      const res = await txt2img(key, { queue_timeout_seconds: bad });
      expect(res.status, String(bad)).toBe(400);
    }
  });
});
