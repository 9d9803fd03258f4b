import { env, runInDurableObject, SELF } from 'cloudflare:test';
import type { Dispatcher, NewJob } from '../src/durable-objects/dispatcher.ts';
import type { Env } from '../src/env.ts';

export const BASE = 'https://api.sdedge.test';
export const testEnv = env as unknown as Env;
const ADMIN = { Authorization: `Bearer ${testEnv.ADMIN_TOKEN}` };
const RUNNER = { Authorization: `Bearer ${testEnv.RUNNER_TOKEN}` };

export interface TestKey {
  id: string;
  key: string;
  webhook_secret: string;
  prefix: string;
}

export async function createKey(
  options: { credits?: number; scopes?: string[]; rate_limit_per_minute?: number } = {},
): Promise<TestKey> {
  const res = await SELF.fetch(`${BASE}/admin/keys`, {
    method: 'POST',
    headers: { ...ADMIN, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'test', credits: 1000, rate_limit_per_minute: 10000, ...options }),
  });
  if (res.status !== 201) throw new Error(`createKey: ${res.status} ${await res.text()}`);
  return res.json();
}

export function admin(path: string, init: { method?: string; body?: unknown } = {}) {
  return SELF.fetch(`${BASE}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: { ...ADMIN, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
}

/** A request as an API user: JSON in, the Response out. */
export function api(
  key: TestKey | string,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const secret = typeof key === 'string' ? key : key.key;
  return SELF.fetch(`${BASE}${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      Authorization: `Bearer ${secret}`,
      'content-type': 'application/json',
      ...init.headers,
    },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body),
  });
}

export async function txt2img(
  key: TestKey,
  body: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) {
  return api(key, '/v1/images/txt2img', { body: { prompt: 'a red circle', ...body }, headers });
}

export function runnerCall(path: string, body?: unknown, method = 'POST') {
  return SELF.fetch(`${BASE}/runner/v1${path}`, {
    method,
    headers: { ...RUNNER, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export interface LeaseView {
  lease_id: string;
  lease_deadline: string;
  job: {
    id: string;
    kind: string;
    model: string;
    attempt: number;
    input: Record<string, unknown>;
    input_images: { name: string; url: string }[];
  };
}

export async function lease(
  options: {
    models?: string[];
    capacity?: number;
    wait_seconds?: number;
    lease_seconds?: number;
    runner_id?: string;
  } = {},
): Promise<LeaseView[]> {
  const res = await runnerCall('/lease', {
    runner_id: 'runner-1',
    models: ['sdedge-micro'],
    wait_seconds: 0,
    ...options,
  });
  if (res.status !== 200) throw new Error(`lease: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { leases: LeaseView[] }).leases;
}

/** A 64x64 grey PNG (the micro model's size; init images keep their size, a multiple of 8). */
export const PNG_BYTES = Uint8Array.from(
  atob(
    'iVBORw0KGgoAAAANSUhEUgAAAEAAAABACAIAAAAlC+aJAAAAV0lEQVR4Xu3PAQ0AAAjAIPsnM5YxPjdowOxzAjWBmkBNoCZQE6gJ1ARqAjWBmkBNoCZQE6gJ1ARqAjWBmkBNoCZQE6gJ1ARqAjWBmkBNoCZQE6gJ1N4HDjWrgiyCemL3AAAAAElFTkSuQmCC',
  ),
  (c) => c.charCodeAt(0),
);
export const PNG_BASE64 = btoa(String.fromCharCode(...PNG_BYTES));

/** Uploads one PNG output and completes the leased job, as a runner does; the failing answer if any. */
export async function finish(l: LeaseView, runnerSeconds = 1.5) {
  const put = await SELF.fetch(
    `${BASE}/runner/v1/jobs/${l.job.id}/outputs/0.png?lease_id=${l.lease_id}`,
    {
      method: 'PUT',
      headers: { ...RUNNER, 'content-type': 'image/png' },
      body: PNG_BYTES,
    },
  );
  if (put.status !== 201) return put; // a runner that lost its lease hears it at the upload
  return runnerCall(`/jobs/${l.job.id}/complete`, {
    lease_id: l.lease_id,
    runner_seconds: runnerSeconds,
    outputs: [{ name: '0.png', seed: 42, width: 64, height: 64, content_type: 'image/png' }],
  });
}

export function dispatcherStub() {
  return testEnv.DISPATCHER.get(testEnv.DISPATCHER.idFromName('global'));
}

/** Ends every unfinished job, so one test's leftovers are not leased by the next. */
export async function clearQueue() {
  await runInDurableObject(dispatcherStub(), (_instance: Dispatcher, state) => {
    state.storage.sql.exec(
      "UPDATE jobs SET status = 'canceled', settled = 1, finished_at = ? WHERE status IN ('queued', 'running')",
      Date.now(),
    );
  });
}

export async function balanceOf(key: TestKey): Promise<number> {
  const res = await api(key, '/v1/usage');
  return ((await res.json()) as { balance: number }).balance;
}

/** A minimal job for the Dispatcher's enqueue, as the API would make it. */
export function newJob(id: string, keyId: string): NewJob {
  return {
    id,
    keyId,
    kind: 'txt2img',
    model: 'sdedge-micro',
    input: {},
    inputImages: [],
    cost: 1,
    webhook: null,
    baseUrl: 'https://x',
    queueTimeoutSeconds: 60,
  };
}
