import { SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import { api, BASE, clearQueue, createKey, finish, lease, PNG_BYTES, txt2img } from './helpers.ts';

afterEach(clearQueue);

const RUNNER = { Authorization: 'Bearer dev-runner-token' };

/** `depth` arrays inside each other: [[[...]]]. */
const nested = (depth: number) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`);
const huge = (bytes: number) => 'x'.repeat(bytes);
const video = { max_frames: 2, W: 64, H: 64, steps: 2, prompts: { 0: 'a red circle' } };

// The probe's classes of input that ended in a 500 (or were accepted): each must be a 4xx with a
// stable code, and reserve nothing.
describe('bad input is a 4xx, never a 500', () => {
  it.each<[string, string, unknown, number, string]>([
    [
      'settings nested 5,000 deep',
      '/v1/videos/animate',
      { settings: { ...video, extra: nested(5000) } },
      400,
      'invalid_request',
    ],
    [
      'settings nested 9 deep',
      '/v1/videos/animate',
      { settings: { ...video, extra: nested(9) } },
      400,
      'invalid_request',
    ],
    [
      'a 3 MB unknown settings field',
      '/v1/videos/animate',
      { settings: { ...video, extra: huge(3 * 1024 * 1024) } },
      400,
      'invalid_request',
    ],
    [
      'a 3 MB webhook URL',
      '/v1/images/txt2img',
      { prompt: 'x', webhook: { url: `https://example.com/${huge(3 * 1024 * 1024)}` } },
      400,
      'invalid_request',
    ],
    [
      'a 2,000-character model name',
      '/v1/images/txt2img',
      { prompt: 'x', model: huge(2000) },
      400,
      'invalid_request',
    ],
    ['a 100 KB prompt', '/v1/images/txt2img', { prompt: huge(100_000) }, 400, 'invalid_request'],
    [
      '2,000 keyframe prompts',
      '/v1/videos/animate',
      {
        settings: {
          ...video,
          prompts: Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [i, 'p'])),
        },
      },
      400,
      'invalid_request',
    ],
    [
      'an OpenAI user field of 10 KB',
      '/v1/images/generations',
      { prompt: 'x', user: huge(10_000) },
      400,
      'invalid_request',
    ],
  ])('%s', async (_name, path, body, status, code) => {
    const key = await createKey({ credits: 1000 });
    const res = await api(key, path, { body });
    expect(res.status, (await res.clone().text()).slice(0, 300)).toBe(status);
    const error = ((await res.json()) as { error: { code: string } }).error;
    expect(error.code).toBe(code);
    const usage = (await (await api(key, '/v1/usage')).json()) as { balance: number };
    expect(usage.balance).toBe(1000);
  });

  it.each<[string, string, RequestInit, number]>([
    ['a job id over R2 key limits (GET)', `/v1/jobs/${huge(2000)}`, {}, 400],
    ['an output name of 1,100 bytes', `/v1/outputs/job_x/${huge(1100)}`, {}, 400],
    ['a job list cursor of 10 KB', `/v1/jobs?cursor=${huge(10_000)}`, {}, 400],
  ])('%s', async (_name, path, init, status) => {
    const key = await createKey();
    const res = await SELF.fetch(`${BASE}${path}`, {
      ...init,
      headers: { Authorization: `Bearer ${key.key}` },
    });
    expect(res.status).toBe(status);
  });

  it.each<[string, string, RequestInit, number]>([
    [
      'an upload named 1,100 bytes',
      `/runner/v1/jobs/job_x/outputs/${huge(1100)}?lease_id=l`,
      { method: 'PUT', body: PNG_BYTES, headers: { 'content-type': 'image/png' } },
      400,
    ],
    [
      'an upload for a job id of 2,000 bytes',
      `/runner/v1/jobs/${huge(2000)}/outputs/0.png?lease_id=l`,
      { method: 'PUT', body: PNG_BYTES, headers: { 'content-type': 'image/png' } },
      400,
    ],
    [
      'an input named 1,100 bytes',
      `/runner/v1/jobs/job_x/inputs/${huge(1100)}?lease_id=l`,
      {},
      400,
    ],
    [
      'a lease id of 5,000 bytes',
      `/runner/v1/jobs/job_x/inputs/a.png?lease_id=${huge(5000)}`,
      {},
      400,
    ],
  ])('runner: %s', async (_name, path, init, status) => {
    const res = await SELF.fetch(`${BASE}${path}`, {
      ...init,
      headers: { ...RUNNER, ...(init.headers as Record<string, string>) },
    });
    expect(res.status).toBe(status);
  });
});

describe('outputs are served only as media', () => {
  it('refuses an upload that is not an image or video (415) and serves outputs with nosniff', async () => {
    const key = await createKey();
    await txt2img(key);
    const [l] = await lease();
    const url = `${BASE}/runner/v1/jobs/${l?.job.id}/outputs/page.html?lease_id=${l?.lease_id}`;
    for (const type of ['text/html', 'image/svg+xml', 'application/javascript', ''])
      expect(
        (
          await SELF.fetch(url, {
            method: 'PUT',
            headers: { ...RUNNER, ...(type ? { 'content-type': type } : {}) },
            body: '<script>alert(1)</script>',
          })
        ).status,
        type,
      ).toBe(415);
    await finish(l as NonNullable<typeof l>);
    const job = (await (await api(key, `/v1/jobs/${l?.job.id}`)).json()) as {
      outputs: { url: string }[];
    };
    const served = await SELF.fetch(job.outputs[0]?.url ?? '');
    expect(served.headers.get('content-type')).toBe('image/png');
    expect(served.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('order of checks and idempotency', () => {
  it('answers a key without the scope 403 before it looks at the body', async () => {
    const key = await createKey({ scopes: ['read'] });
    for (const [path, body] of [
      ['/v1/images/txt2img', { prompt: '' }],
      ['/v1/images/img2img', { nonsense: true }],
      ['/v1/videos/animate', { settings: { max_frames: -1 } }],
    ] as const) {
      const res = await api(key, path, { body });
      expect(res.status, path).toBe(403);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('forbidden');
    }
    const noRead = await createKey({ scopes: ['images'] });
    expect((await api(noRead, '/v1/jobs?limit=100000')).status).toBe(403);
  });

  it('an Idempotency-Key reused with another model is 422, not a replay of the first job', async () => {
    const key = await createKey({ credits: 100_000 });
    const headers = { 'Idempotency-Key': `k-${crypto.randomUUID()}` };
    const settings = { max_frames: 2, W: 64, H: 64, steps: 2, prompts: { 0: 'x' } };
    const first = await api(key, '/v1/videos/animate', { body: { settings }, headers });
    expect(first.status, await first.clone().text()).toBe(202);
    const replay = await api(key, '/v1/videos/animate', { body: { settings }, headers });
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await replay.json()) as { id: string }).id).toBe(
      ((await first.json()) as { id: string }).id,
    );
    const other = await api(key, '/v1/videos/animate', {
      body: { settings, model: 'stable-diffusion-v1-5' },
      headers,
    });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { error: { code: string } }).error.code).toBe(
      'idempotency_key_reused',
    );
  });
});

describe('headers on every answer', () => {
  it.each([
    ['GET', '/health', 200],
    ['GET', '/openapi.json', 200],
    ['GET', '/v1/models', 200],
    ['GET', '/v1/nope', 404],
    ['POST', '/v1/images/txt2img', 400],
    ['GET', '/admin/keys', 401],
  ])('%s %s', async (method, path, status) => {
    const key = await createKey();
    const res = await SELF.fetch(`${BASE}${path}`, {
      method,
      headers: { Authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: method === 'POST' ? '{}' : undefined,
    });
    expect(res.status).toBe(status);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('strict-transport-security')).toContain('max-age=');
    if (path.startsWith('/v1/')) expect(res.headers.get('cache-control')).toBe('no-store');
  });

  it('never lets a cache keep an answer with signed links', async () => {
    const key = await createKey();
    const created = await txt2img(key);
    expect(created.headers.get('cache-control')).toBe('no-store');
    const job = (await created.json()) as { id: string };
    const [l] = await lease();
    await finish(l as NonNullable<typeof l>);
    const got = await api(key, `/v1/jobs/${job.id}`);
    expect(((await got.json()) as { outputs: { url: string }[] }).outputs[0]?.url).toContain(
      'signature=',
    );
    expect(got.headers.get('cache-control')).toBe('no-store');
    expect((await api(key, '/v1/jobs')).headers.get('cache-control')).toBe('no-store');
  });
});

describe('signed links are rate limited per client IP', () => {
  it('limits forged signatures from one address (429), not other addresses', async () => {
    const forged = `${BASE}/v1/outputs/job_x/0.png?expires=9999999999&signature=forged`;
    const from = (ip: string) => SELF.fetch(forged, { headers: { 'cf-connecting-ip': ip } });
    const ip = `198.51.100.${Math.floor(Math.random() * 250)}`;
    const statuses: number[] = [];
    for (let batch = 0; batch < 3; batch++)
      statuses.push(
        ...(await Promise.all(Array.from({ length: 20 }, () => from(ip)))).map((r) => r.status),
      );
    // 40 a minute here (vitest.config.ts), refilling at 2 a second while the test runs.
    const verified = statuses.filter((s) => s === 403).length;
    expect(verified).toBeGreaterThanOrEqual(40);
    expect(verified).toBeLessThan(48);
    expect(statuses.filter((s) => s === 429).length).toBe(60 - verified);
    expect((await from('203.0.113.9')).status).toBe(403);
  });
});
