import { runDurableObjectAlarm, runInDurableObject, SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { Dispatcher } from '../src/durable-objects/dispatcher.ts';
import {
  api,
  BASE,
  balanceOf,
  clearQueue,
  createKey,
  dispatcherStub,
  finish,
  lease,
  PNG_BYTES,
  runnerCall,
  txt2img,
} from './helpers.ts';

type Job = {
  id: string;
  status: string;
  attempts: number;
  progress: unknown;
  error: { code: string } | null;
  usage: { credits_reserved: number; credits: number | null; runner_seconds: number | null };
  outputs: { url: string; seed: number; content_type: string }[];
  poll_after_seconds: number | null;
};

afterEach(clearQueue);

const getJob = async (key: Parameters<typeof api>[0], id: string) =>
  (await (await api(key, `/v1/jobs/${id}`)).json()) as Job;

/** Moves every running job's lease deadline into the past, then runs the Dispatcher's alarm. */
async function expireLeases() {
  await runInDurableObject(dispatcherStub(), (_d: Dispatcher, state) => {
    state.storage.sql.exec(
      "UPDATE jobs SET lease_deadline = ? WHERE status = 'running'",
      Date.now() - 1,
    );
  });
  await runInDurableObject(dispatcherStub(), (dispatcher: Dispatcher) => dispatcher.alarm());
}

describe('a job from queue to outputs', () => {
  it('runs: lease, heartbeat, progress, upload, complete; charges the estimate', async () => {
    const key = await createKey({ credits: 50 });
    const created = (await (
      await txt2img(key, { width: 256, height: 256, steps: 8 })
    ).json()) as Job;
    expect(created.usage.credits_reserved).toBe(2);
    const [l] = await lease();
    expect(l?.job).toMatchObject({
      id: created.id,
      kind: 'txt2img',
      model: 'sdedge-micro',
      attempt: 1,
    });
    expect((await getJob(key, created.id)).status).toBe('running');

    const beat = await runnerCall(`/jobs/${created.id}/heartbeat`, { lease_id: l?.lease_id });
    expect(await beat.json()).toMatchObject({ canceled: false });
    const events = await runnerCall(`/jobs/${created.id}/events`, {
      lease_id: l?.lease_id,
      events: [1, 2, 3].map((step) => ({ type: 'progress', step, total_steps: 8 })),
    });
    expect(events.status).toBe(200);
    expect((await getJob(key, created.id)).progress).toEqual({ step: 3, total_steps: 8 });

    const done = await finish(l as NonNullable<typeof l>, 2.25);
    expect(done.status).toBe(200);
    const job = await getJob(key, created.id);
    expect(job).toMatchObject({
      status: 'succeeded',
      usage: { credits_reserved: 2, credits: 2, runner_seconds: 2.25 },
      poll_after_seconds: null,
    });
    expect(job.outputs[0]).toMatchObject({ seed: 42, content_type: 'image/png' });
    expect(await balanceOf(key)).toBe(48);

    // The signed link works without a key; the plain path needs the owner's key.
    const signed = await SELF.fetch(job.outputs[0]?.url ?? '');
    expect(signed.status).toBe(200);
    expect(signed.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await signed.arrayBuffer())).toEqual(PNG_BYTES);
    const path = `/v1/outputs/${job.id}/0.png`;
    expect((await api(key, path)).status).toBe(200);
    const stranger = await createKey();
    expect((await api(stranger, path)).status).toBe(404);
    // Flip the signature's first hex digit (replacing it with a fixed one fails 1 time in 16).
    const tampered =
      job.outputs[0]?.url.replace(
        /signature=(\w)/,
        (_m, c: string) => `signature=${c === '0' ? '1' : '0'}`,
      ) ?? '';
    expect((await SELF.fetch(tampered)).status).toBe(403);
    const expired = await SELF.fetch(
      `${BASE}${path}?expires=1000&signature=${new URL(job.outputs[0]?.url ?? '').searchParams.get('signature')}`,
    );
    expect(expired.status).toBe(403);
  });

  it('completes once: a second complete, or one after the lease moved on, is 409 lease_lost', async () => {
    const key = await createKey();
    await txt2img(key);
    const [l] = await lease();
    const lv = l as NonNullable<typeof l>;
    expect((await finish(lv)).status).toBe(200);
    const again = await finish(lv);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: 'lease_lost' } });
    const wrong = await runnerCall(`/jobs/${lv.job.id}/heartbeat`, { lease_id: 'lease_forged' });
    expect(wrong.status).toBe(409);
    const unknown = await runnerCall('/jobs/job_nope/heartbeat', { lease_id: 'x' });
    expect(unknown.status).toBe(404);
  });

  it('refuses a complete whose outputs were not uploaded, and bad runner input', async () => {
    const key = await createKey();
    await txt2img(key);
    const [l] = await lease();
    const res = await runnerCall(`/jobs/${l?.job.id}/complete`, {
      lease_id: l?.lease_id,
      runner_seconds: 1,
      outputs: [{ name: 'missing.png', seed: 1, width: 64, height: 64, content_type: 'image/png' }],
    });
    expect(res.status).toBe(400);
    expect(((await runnerCall('/lease', { runner_id: 'r', models: [] })) as Response).status).toBe(
      400,
    );
    const badName = await SELF.fetch(
      `${BASE}/runner/v1/jobs/${l?.job.id}/outputs/..%2Fescape?lease_id=${l?.lease_id}`,
      {
        method: 'PUT',
        headers: { Authorization: 'Bearer dev-runner-token' },
        body: PNG_BYTES,
      },
    );
    expect(badName.status).toBe(400);
    expect(
      (await SELF.fetch(`${BASE}/runner/v1/lease`, { method: 'POST', body: '{}' })).status,
    ).toBe(401);
  });

  it('answers every bad runner field with 400 naming it', async () => {
    const key = await createKey();
    await txt2img(key);
    const [l] = await lease();
    const id = l?.job.id;
    const lease_id = l?.lease_id;
    const cases: [string, Record<string, unknown>, string][] = [
      ['/lease', { models: ['sdedge-micro'] }, 'runner_id'],
      ['/lease', { runner_id: 'r', models: ['sdedge-micro'], capacity: 9 }, 'capacity'],
      ['/lease', { runner_id: 'r', models: ['sdedge-micro'], lease_seconds: 0 }, 'lease_seconds'],
      ['/lease', { runner_id: 'r', models: ['sdedge-micro'], wait_seconds: 31 }, 'wait_seconds'],
      [`/jobs/${id}/heartbeat`, {}, 'lease_id'],
      [`/jobs/${id}/events`, { lease_id, events: [] }, 'events'],
      [
        `/jobs/${id}/events`,
        { lease_id, events: [{ type: 'progress', step: -1, total_steps: 2 }] },
        'events.0.step',
      ],
      [
        `/jobs/${id}/events`,
        { lease_id, events: [{ type: 'done', step: 1, total_steps: 2 }] },
        'events.0.type',
      ],
      [`/jobs/${id}/complete`, { lease_id, runner_seconds: 1, outputs: [] }, 'outputs'],
      [
        `/jobs/${id}/complete`,
        {
          lease_id,
          runner_seconds: -1,
          outputs: [{ name: 'a.png', seed: 1, width: 1, height: 1, content_type: 'image/png' }],
        },
        'runner_seconds',
      ],
      [`/jobs/${id}/fail`, { lease_id, message: 'x' }, 'code'],
    ];
    for (const [path, body, param] of cases) {
      const res = await runnerCall(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(((await res.json()) as { error: { param: string } }).error.param, path).toBe(param);
    }
  });

  it('404s another key’s job on every route', async () => {
    const owner = await createKey();
    const other = await createKey();
    const job = (await (await txt2img(owner)).json()) as Job;
    for (const [path, method] of [
      [`/v1/jobs/${job.id}`, 'GET'],
      [`/v1/jobs/${job.id}/events`, 'GET'],
      [`/v1/jobs/${job.id}/cancel`, 'POST'],
    ] as const) {
      const res = await api(other, path, { method });
      expect(res.status, path).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('job_not_found');
    }
    expect((await getJob(owner, job.id)).status).toBe('queued');
  });
});

describe('cancel in each state', () => {
  it('queued: ends at once, refunds in full, and is never leased', async () => {
    const key = await createKey({ credits: 10 });
    const job = (await (await txt2img(key)).json()) as Job;
    const res = await api(key, `/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'canceled', usage: { credits: 0 } });
    expect(await balanceOf(key)).toBe(10);
    expect(await lease()).toEqual([]);
    // A retried cancel answers as the first did.
    const again = await api(key, `/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'canceled', usage: { credits: 0 } });
  });

  it('running: the runner hears it, its later calls are 409, the finished share is charged', async () => {
    const key = await createKey({ credits: 100 });
    const job = (await (await txt2img(key, { width: 256, height: 256, steps: 40 })).json()) as Job;
    expect(job.usage.credits_reserved).toBe(10);
    const [l] = await lease();
    await runnerCall(`/jobs/${job.id}/events`, {
      lease_id: l?.lease_id,
      events: [{ type: 'progress', step: 10, total_steps: 40 }],
    });
    const canceled = (await (
      await api(key, `/v1/jobs/${job.id}/cancel`, { method: 'POST' })
    ).json()) as Job;
    expect(canceled).toMatchObject({ status: 'canceled', usage: { credits: 3 } }); // ceil(10 x 10/40)
    expect(await balanceOf(key)).toBe(97);
    const beat = await runnerCall(`/jobs/${job.id}/heartbeat`, { lease_id: l?.lease_id });
    expect(await beat.json()).toMatchObject({ canceled: true });
    const complete = await finish(l as NonNullable<typeof l>);
    expect(complete.status).toBe(409);
    expect((await getJob(key, job.id)).status).toBe('canceled');
  });

  it('ended: 409 job_finished', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key)).json()) as Job;
    const [l] = await lease();
    await finish(l as NonNullable<typeof l>);
    const res = await api(key, `/v1/jobs/${job.id}/cancel`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      error: { code: 'job_finished', status: 'succeeded' },
    });
  });
});

describe('failures and lease expiry', () => {
  it('a retryable failure goes back to the queue; a final one fails and refunds', async () => {
    const key = await createKey({ credits: 10 });
    const job = (await (await txt2img(key)).json()) as Job;
    const [first] = await lease();
    const retry = await runnerCall(`/jobs/${job.id}/fail`, {
      lease_id: first?.lease_id,
      code: 'cuda_oom',
      message: 'out of memory',
      retryable: true,
    });
    expect(await retry.json()).toMatchObject({ status: 'queued', attempts: 1 });
    const [second] = await lease();
    expect(second?.job).toMatchObject({ id: job.id, attempt: 2 });
    const final = await runnerCall(`/jobs/${job.id}/fail`, {
      lease_id: second?.lease_id,
      code: 'invalid_settings',
      message: 'bad schedule',
    });
    expect(await final.json()).toMatchObject({
      status: 'failed',
      error: { code: 'invalid_settings', message: 'bad schedule' },
      usage: { credits: 0 },
    });
    expect(await balanceOf(key)).toBe(10);
  });

  it('an expired lease requeues the job; after 3 attempts it fails and is refunded', async () => {
    const key = await createKey({ credits: 10 });
    const job = (await (await txt2img(key)).json()) as Job;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const [l] = await lease({ lease_seconds: 30 });
      expect(l?.job).toMatchObject({ id: job.id, attempt });
      await expireLeases();
      const now = await getJob(key, job.id);
      expect(now.status).toBe(attempt < 3 ? 'queued' : 'failed');
      // The runner that lost the lease cannot complete the job any more.
      expect((await finish(l as NonNullable<typeof l>)).status).toBe(409);
    }
    const failed = await getJob(key, job.id);
    expect(failed).toMatchObject({
      status: 'failed',
      attempts: 3,
      error: { code: 'lease_expired' },
      usage: { credits: 0 },
    });
    expect(await balanceOf(key)).toBe(10);
  });

  it('a released lease goes back to the queue at once without using an attempt', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key)).json()) as Job;
    const [l] = await lease();
    const released = await runnerCall(`/jobs/${job.id}/release`, { lease_id: l?.lease_id });
    expect(released.status).toBe(200);
    expect(await released.json()).toMatchObject({ status: 'queued', attempts: 0 });
    expect((await finish(l as NonNullable<typeof l>)).status).toBe(409);
    const [again] = await lease();
    expect(again?.job).toMatchObject({ id: job.id, attempt: 1 });
    const forged = await runnerCall(`/jobs/${job.id}/release`, { lease_id: 'lease_forged' });
    expect(forged.status).toBe(409);
  });

  it('keeps uploads per lease: a later attempt cannot complete with an earlier one’s file', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key)).json()) as Job;
    const [first] = await lease({ lease_seconds: 30 });
    const put = await SELF.fetch(
      `${BASE}/runner/v1/jobs/${job.id}/outputs/0.png?lease_id=${first?.lease_id}`,
      {
        method: 'PUT',
        headers: { Authorization: 'Bearer dev-runner-token', 'content-type': 'image/png' },
        body: PNG_BYTES,
      },
    );
    expect(put.status).toBe(201);
    await expireLeases();
    const [second] = await lease({ lease_seconds: 30 });
    expect(second?.job).toMatchObject({ id: job.id, attempt: 2 });
    const stale = await runnerCall(`/jobs/${job.id}/complete`, {
      lease_id: second?.lease_id,
      runner_seconds: 1,
      outputs: [{ name: '0.png', seed: 1, width: 1, height: 1, content_type: 'image/png' }],
    });
    expect(stale.status).toBe(400);
    expect(await stale.json()).toMatchObject({ error: { param: 'outputs' } });
    // Its own upload completes it, and the output served is the second lease's bytes.
    expect((await finish(second as NonNullable<typeof second>)).status).toBe(200);
    const done = await getJob(key, job.id);
    const bytes = new Uint8Array(
      await (await SELF.fetch(done.outputs[0]?.url ?? '')).arrayBuffer(),
    );
    expect(bytes).toEqual(PNG_BYTES);
  });
  it('a heartbeat keeps the lease alive past its first deadline', async () => {
    const key = await createKey();
    const job = (await (await txt2img(key)).json()) as Job;
    const [l] = await lease({ lease_seconds: 1 });
    await new Promise((r) => setTimeout(r, 600));
    await runnerCall(`/jobs/${job.id}/heartbeat`, { lease_id: l?.lease_id });
    await new Promise((r) => setTimeout(r, 600));
    await runDurableObjectAlarm(dispatcherStub());
    expect((await getJob(key, job.id)).status).toBe('running');
    expect((await finish(l as NonNullable<typeof l>)).status).toBe(200);
  });
});

describe('dispatch order', () => {
  it('gives a runner only jobs for the models it has', async () => {
    const key = await createKey();
    const job = (await (
      await txt2img(key, { model: 'stable-diffusion-v1-5', width: 64, height: 64 })
    ).json()) as Job;
    expect(await lease({ models: ['sdedge-micro'] })).toEqual([]);
    const [l] = await lease({ models: ['stable-diffusion-v1-5'] });
    expect(l?.job.id).toBe(job.id);
  });

  it('is oldest first, but a key with many jobs queued cannot starve another key', async () => {
    const busy = await createKey();
    const quiet = await createKey();
    const busyJobs = [];
    for (let i = 0; i < 4; i++)
      busyJobs.push(((await (await txt2img(busy, { seed: i })).json()) as Job).id);
    const quietJob = ((await (await txt2img(quiet)).json()) as Job).id;
    const order = [];
    for (let i = 0; i < 5; i++) order.push((await lease())[0]?.job.id);
    // busy's oldest first; then quiet's (no job running) before busy's second.
    expect(order).toEqual([busyJobs[0], quietJob, busyJobs[1], busyJobs[2], busyJobs[3]]);
  });

  it('long-polls: a lease waiting for work gets a job queued after it asked', async () => {
    const key = await createKey();
    const waiting = lease({ wait_seconds: 10 });
    await new Promise((r) => setTimeout(r, 200));
    const job = (await (await txt2img(key)).json()) as Job;
    const [l] = await waiting;
    expect(l?.job.id).toBe(job.id);
    const started = Date.now();
    expect(await lease({ wait_seconds: 0.3 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('leases up to capacity jobs at once', async () => {
    const key = await createKey();
    for (let i = 0; i < 3; i++) await txt2img(key, { seed: i });
    expect(await lease({ capacity: 2 })).toHaveLength(2);
    expect(await lease({ capacity: 2 })).toHaveLength(1);
  });
});
