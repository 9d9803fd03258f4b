import { SELF } from 'cloudflare:test';
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import {
  api,
  BASE,
  clearQueue,
  createKey,
  finish,
  lease,
  PNG_BYTES,
  runnerCall,
  type TestKey,
} from './helpers.ts';

afterEach(clearQueue);

/** The official openai client, unchanged, pointed at sdedge. */
const client = (key: TestKey | string) =>
  new OpenAI({
    apiKey: typeof key === 'string' ? key : key.key,
    baseURL: `${BASE}/v1`,
    fetch: (input, init) => SELF.fetch(input as string, init as RequestInit),
    maxRetries: 0,
  });

/** Completes the next job a runner gets (in the background while the client waits). */
async function runOneJob() {
  let leases: Awaited<ReturnType<typeof lease>> = [];
  while (leases.length === 0) leases = await lease({ wait_seconds: 5 });
  await finish(leases[0] as (typeof leases)[0]);
}

describe('POST /v1/images/generations (OpenAI-compatible)', () => {
  it('works with the official openai client: url and b64_json', async () => {
    const key = await createKey();
    const [result] = await Promise.all([
      client(key).images.generate({
        prompt: 'a red circle',
        size: '64x64' as never,
        model: 'sdedge-micro',
      }),
      runOneJob(),
    ]);
    expect(result.data).toHaveLength(1);
    const url = result.data?.[0]?.url ?? '';
    expect(url).toContain('/v1/outputs/');
    expect(new Uint8Array(await (await SELF.fetch(url)).arrayBuffer())).toEqual(PNG_BYTES);

    const [b64] = await Promise.all([
      client(key).images.generate({
        prompt: 'a red circle',
        response_format: 'b64_json',
        model: 'sdedge-micro',
      }),
      runOneJob(),
    ]);
    expect(b64.data?.[0]?.b64_json).toBe(btoa(String.fromCharCode(...PNG_BYTES)));
    expect(typeof b64.created).toBe('number');
  });

  it('reports a job the runner failed as 422 job_failed naming the cause (not a 500 the client would retry)', async () => {
    const key = await createKey();
    const failOne = async () => {
      let leases: Awaited<ReturnType<typeof lease>> = [];
      while (leases.length === 0) leases = await lease({ wait_seconds: 5 });
      const [l] = leases;
      await runnerCall(`/jobs/${l?.job.id}/fail`, {
        lease_id: l?.lease_id,
        code: 'cuda_oom',
        message: 'out of GPU memory',
      });
    };
    const [error] = await Promise.all([
      client(key)
        .images.generate({ prompt: 'x', model: 'sdedge-micro' })
        .catch((e) => e),
      failOne(),
    ]);
    expect(error).toBeInstanceOf(OpenAI.UnprocessableEntityError);
    expect(error.message).toContain('out of GPU memory');
    expect(error.code).toBe('job_failed');
  });

  it('reports a job canceled while the request waits as 409 job_canceled', async () => {
    const key = await createKey();
    const cancelOne = async () => {
      let leases: Awaited<ReturnType<typeof lease>> = [];
      while (leases.length === 0) leases = await lease({ wait_seconds: 5 });
      await api(key, `/v1/jobs/${leases[0]?.job.id}/cancel`, { method: 'POST' });
    };
    const [error] = await Promise.all([
      client(key)
        .images.generate({ prompt: 'x', model: 'sdedge-micro' })
        .catch((e) => e),
      cancelOne(),
    ]);
    expect(error).toBeInstanceOf(OpenAI.ConflictError);
    expect(error.code).toBe('job_canceled');
  });

  it('answers errors in OpenAI’s shape, which the client raises as its own error classes', async () => {
    const key = await createKey({ credits: 0 });
    const bad = await client('sk_live_wrong')
      .images.generate({ prompt: 'x', model: 'sdedge-micro' })
      .catch((e) => e);
    expect(bad).toBeInstanceOf(OpenAI.AuthenticationError);
    expect(bad).toMatchObject({ status: 401, code: 'unauthorized', type: 'authentication_error' });
    const poor = await client(key)
      .images.generate({ prompt: 'x', model: 'sdedge-micro' })
      .catch((e) => e);
    expect(poor).toMatchObject({
      status: 402,
      code: 'insufficient_credits',
      type: 'insufficient_quota',
    });
    const invalid = await client(key)
      .images.generate({ prompt: 'x', size: 'huge' as never, model: 'sdedge-micro' })
      .catch((e) => e);
    expect(invalid).toBeInstanceOf(OpenAI.BadRequestError);
    expect(invalid).toMatchObject({ status: 400, param: 'size', type: 'invalid_request_error' });
    const tooBig = await client(key)
      .images.generate({ prompt: 'x', size: '4096x4096' as never, model: 'sdedge-micro' })
      .catch((e) => e);
    expect(tooBig).toMatchObject({ status: 400, param: 'size' });
    const raw = await SELF.fetch(`${BASE}/v1/images/generations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key.key}` },
      body: '{}',
    });
    expect(Object.keys(((await raw.json()) as { error: object }).error).sort()).toEqual([
      'code',
      'message',
      'param',
      'type',
    ]);
  });
});
