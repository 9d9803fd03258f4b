import { SELF } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import {
  api,
  BASE,
  balanceOf,
  clearQueue,
  createKey,
  finish,
  lease,
  PNG_BASE64,
  PNG_BYTES,
  txt2img,
} from './helpers.ts';

type ErrorBody = { error: { code: string; message: string; request_id: string; param?: string } };
type Job = {
  id: string;
  status: string;
  input: Record<string, unknown>;
  usage: { credits_reserved: number; credits: number | null };
  urls: Record<string, string>;
  outputs: { url: string }[];
};

afterEach(clearQueue);

describe('POST /v1/images/*', () => {
  it('queues a txt2img job: 202, the job, its URLs, Location and Retry-After', async () => {
    const key = await createKey({ credits: 100 });
    const res = await txt2img(key, { prompt: 'a blue circle', seed: 7, steps: 20 });
    expect(res.status).toBe(202);
    const job = (await res.json()) as Job;
    expect(job).toMatchObject({
      object: 'job',
      kind: 'txt2img',
      model: 'sdedge-micro',
      status: 'queued',
    });
    expect(job.input).toMatchObject({
      prompt: 'a blue circle',
      seed: 7,
      steps: 20,
      width: 64,
      height: 64,
      sampler: 'dpmpp_2m_karras', // the one default table (GENERATION_DEFAULTS)
      guidance_scale: 7,
      n: 1,
    });
    expect(job.urls).toEqual({
      get: `${BASE}/v1/jobs/${job.id}`,
      stream: `${BASE}/v1/jobs/${job.id}/events`,
      cancel: `${BASE}/v1/jobs/${job.id}/cancel`,
    });
    expect(res.headers.get('Location')).toBe(job.urls.get);
    expect(res.headers.get('Retry-After')).toBe('2');
    expect(res.headers.get('X-Request-Id')).toMatch(/^req_/);
    // 20 steps x 64x64 = 20 x 4096 / 262144 -> 1 credit (rounded up once per job).
    expect(job.usage.credits_reserved).toBe(1);
    expect(await balanceOf(key)).toBe(99);
  });

  it("takes AUTOMATIC1111's sampler names in any case and queues our name", async () => {
    const key = await createKey({ credits: 100 });
    for (const [given, name] of [
      ['DPM++ 2M Karras', 'dpmpp_2m_karras'],
      ['euler a', 'euler_a'],
      ['HEUN_KARRAS', 'heun_karras'],
    ]) {
      const res = await txt2img(key, { prompt: 'x', steps: 4, sampler: given });
      expect(res.status, given).toBe(202);
      expect(((await res.json()) as Job).input.sampler).toBe(name);
    }
    const bad = await txt2img(key, { prompt: 'x', steps: 4, sampler: 'DPM++ 9M' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as ErrorBody).error.param).toBe('sampler');
  });

  it('prices by steps x pixels / 512^2 x n, img2img by strength', async () => {
    const key = await createKey({ credits: 1000 });
    const big = (await (
      await txt2img(key, { width: 256, height: 256, steps: 40, n: 2 })
    ).json()) as Job;
    expect(big.usage.credits_reserved).toBe(20); // 40 x 65536 x 2 / 262144
    // img2img keeps the init image's size, so that size is priced: a 256x256 image.
    const img = (await (
      await api(key, '/v1/images/img2img', {
        body: { prompt: 'x', init_image: pngHeader(256, 256), steps: 40, strength: 0.5 },
      })
    ).json()) as Job & { input: { width: number } };
    expect(img.usage.credits_reserved).toBe(5); // 20 steps x 65536 / 262144
    expect(img.input.width).toBe(256);
  });

  it('answers every bad field with 400 invalid_request naming the field', async () => {
    const key = await createKey();
    const cases: [Record<string, unknown>, string][] = [
      [{}, 'prompt'],
      [{ prompt: '' }, 'prompt'],
      [{ prompt: 'x', width: 100 }, 'width'],
      [{ prompt: 'x', height: 2048 }, 'height'],
      [{ prompt: 'x', steps: 0 }, 'steps'],
      [{ prompt: 'x', steps: 2.5 }, 'steps'],
      [{ prompt: 'x', guidance_scale: -1 }, 'guidance_scale'],
      [{ prompt: 'x', sampler: 'k_euler_magic' }, 'sampler'],
      [{ prompt: 'x', seed: -1 }, 'seed'],
      [{ prompt: 'x', seed: 2 ** 32 }, 'seed'],
      [{ prompt: 'x', n: 9 }, 'n'],
      [{ prompt: 'x', model: 'dall-e-9' }, 'model'],
      [{ prompt: 'x', width: 512 }, 'width'], // over sdedge-micro's 256
      [{ prompt: 'x', webhook: { url: 'ftp://x' } }, 'webhook.url'],
      [
        { prompt: 'x', webhook: { url: 'https://x.test', events: ['progress'] } },
        'webhook.events.0',
      ],
      [{ prompt: 123 }, 'prompt'],
    ];
    for (const [body, param] of cases) {
      const res = await api(key, '/v1/images/txt2img', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      const error = ((await res.json()) as ErrorBody).error;
      expect(error.code).toBe('invalid_request');
      expect(error.param, JSON.stringify(body)).toBe(param);
      expect(error.request_id).toMatch(/^req_/);
    }
  });

  it('answers malformed JSON, a wrong content type and unknown routes clearly', async () => {
    const key = await createKey();
    const junk = await api(key, '/v1/images/txt2img', { body: '{"prompt": ' });
    expect(junk.status).toBe(400);
    expect(((await junk.json()) as ErrorBody).error.code).toBe('invalid_json');
    const text = await api(key, '/v1/images/img2img', {
      body: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(((await text.json()) as ErrorBody).error.code).toBe('unsupported_media_type');
    const nowhere = await api(key, '/v1/nowhere');
    expect(nowhere.status).toBe(404);
    expect(((await nowhere.json()) as ErrorBody).error.code).toBe('not_found');
  });

  it('answers 401 without a key or with an unknown one', async () => {
    const none = await SELF.fetch(`${BASE}/v1/images/txt2img`, { method: 'POST', body: '{}' });
    expect(none.status).toBe(401);
    expect(((await none.json()) as ErrorBody).error.code).toBe('unauthorized');
    expect((await api('sk_live_nope', '/v1/models')).status).toBe(401);
  });

  it('answers 402 when the balance is short, and reserves nothing', async () => {
    const key = await createKey({ credits: 3 });
    const res = await txt2img(key, { width: 256, height: 256, steps: 40 });
    expect(res.status).toBe(402);
    expect(await res.json()).toMatchObject({
      error: { code: 'insufficient_credits', cost: 10, balance: 3 },
    });
    expect(await balanceOf(key)).toBe(3);
  });

  it('takes img2img images as base64, data URLs or multipart, and checks they are images', async () => {
    const key = await createKey();
    const b64 = await api(key, '/v1/images/img2img', {
      body: { prompt: 'x', init_image: PNG_BASE64 },
    });
    expect(b64.status).toBe(202);
    const dataUrl = await api(key, '/v1/images/inpaint', {
      body: {
        prompt: 'x',
        init_image: `data:image/png;base64,${PNG_BASE64}`,
        mask_image: PNG_BASE64,
      },
    });
    expect(dataUrl.status).toBe(202);
    const form = new FormData();
    form.set('request', JSON.stringify({ prompt: 'a multipart job', strength: 0.6 }));
    form.set('init_image', new File([PNG_BYTES], 'in.png', { type: 'image/png' }));
    const multipart = await SELF.fetch(`${BASE}/v1/images/img2img`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key.key}` },
      body: form,
    });
    expect(multipart.status).toBe(202);
    const job = (await multipart.json()) as Job;
    expect(job.input).toMatchObject({ prompt: 'a multipart job', strength: 0.6 });
    expect(job.input).not.toHaveProperty('init_image');
    const [l] = await lease({ capacity: 8 }).then((ls) => ls.filter((x) => x.job.id === job.id));
    expect(l?.job.input_images.map((i) => i.name)).toEqual(['init_image']);
    const input = await SELF.fetch(l?.job.input_images[0]?.url ?? '', {
      headers: { Authorization: 'Bearer dev-runner-token' },
    });
    expect(new Uint8Array(await input.arrayBuffer())).toEqual(PNG_BYTES);

    const missing = await api(key, '/v1/images/img2img', { body: { prompt: 'x' } });
    expect(((await missing.json()) as ErrorBody).error.param).toBe('init_image');
    const notImage = await api(key, '/v1/images/img2img', {
      body: { prompt: 'x', init_image: btoa('GIF89a not allowed') },
    });
    expect(notImage.status).toBe(400);
    expect(await notImage.json()).toMatchObject({
      error: { code: 'invalid_image', param: 'init_image' },
    });
    const notBase64 = await api(key, '/v1/images/img2img', {
      body: { prompt: 'x', init_image: '%%%' },
    });
    expect(((await notBase64.json()) as ErrorBody).error.code).toBe('invalid_image');
    const noMask = await api(key, '/v1/images/inpaint', {
      body: { prompt: 'x', init_image: PNG_BASE64 },
    });
    expect(((await noMask.json()) as ErrorBody).error.param).toBe('mask_image');
  });

  it('refuses bodies over the size limit with 413', async () => {
    const key = await createKey();
    const huge = 'A'.repeat(25 * 1024 * 1024);
    const res = await api(key, '/v1/images/img2img', {
      body: `{"prompt":"x","init_image":"${huge}"}`,
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as ErrorBody).error.code).toBe('payload_too_large');
    // Within the body limit, but the image itself is over 8 MB decoded.
    const bytes = new Uint8Array(9 * 1024 * 1024);
    bytes.set(PNG_BYTES);
    let binary = '';
    for (let i = 0; i < bytes.length; i += 65536)
      binary += String.fromCharCode(...bytes.subarray(i, i + 65536));
    const image = await api(key, '/v1/images/img2img', {
      body: { prompt: 'x', init_image: btoa(binary) },
    });
    expect(image.status).toBe(413);
    expect(await image.json()).toMatchObject({
      error: { code: 'payload_too_large', param: 'init_image' },
    });
  });

  it('replays an Idempotency-Key: the same job, no second charge; another body is 422', async () => {
    const key = await createKey({ credits: 10 });
    const headers = { 'Idempotency-Key': 'order-123' };
    const first = (await (await txt2img(key, { seed: 1 }, headers)).json()) as Job;
    const again = await txt2img(key, { seed: 1 }, headers);
    expect(again.headers.get('Idempotent-Replayed')).toBe('true');
    expect(((await again.json()) as Job).id).toBe(first.id);
    expect(await balanceOf(key)).toBe(9);
    const other = await txt2img(key, { seed: 2 }, headers);
    expect(other.status).toBe(422);
    expect(((await other.json()) as ErrorBody).error.code).toBe('idempotency_key_reused');
    const concurrent = await Promise.all(
      Array.from({ length: 5 }, () => txt2img(key, { seed: 3 }, { 'Idempotency-Key': 'burst' })),
    );
    const ids = new Set(
      await Promise.all(concurrent.map(async (r) => ((await r.json()) as Job).id)),
    );
    expect(ids.size).toBe(1);
    expect(await balanceOf(key)).toBe(8);
    const bad = await txt2img(key, {}, { 'Idempotency-Key': 'x'.repeat(300) });
    expect(bad.status).toBe(400);
  });

  it('holds the answer with Prefer: wait until the job ends', async () => {
    const key = await createKey();
    const pending = txt2img(key, { prompt: 'wait for me' }, { Prefer: 'wait=10' });
    let leases: Awaited<ReturnType<typeof lease>> = [];
    while (leases.length === 0) leases = await lease({ wait_seconds: 5 });
    await finish(leases[0] as (typeof leases)[0]);
    const res = await pending;
    expect(res.status).toBe(200);
    expect(res.headers.get('Preference-Applied')).toBe('wait=10');
    const job = (await res.json()) as Job;
    expect(job.status).toBe('succeeded');
    expect(job.outputs).toHaveLength(1);
    expect(res.headers.get('Retry-After')).toBeNull();

    const short = await txt2img(key, {}, { Prefer: 'wait=1' });
    expect(short.status).toBe(202);
    const tooLong = await txt2img(key, {}, { Prefer: 'wait=61' });
    expect(tooLong.status).toBe(400);
    expect(((await tooLong.json()) as ErrorBody).error.param).toBe('Prefer');
  });
});

/** Just a PNG's signature and IHDR (the API reads no further; the CRC is not checked). */
function pngHeader(width: number, height: number, depth = 8, colorType = 2): string {
  const b = new Uint8Array(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(b.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  b.set([depth, colorType, 0, 0, 0], 24);
  return btoa(String.fromCharCode(...b));
}

/** A JPEG's SOI and frame header (marker 0xc0 baseline, 0xc3 lossless ...). */
function jpegHeader(width: number, height: number, components = 3, marker = 0xc0): string {
  const b = [0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, marker, 0, 8 + 3 * components, 8];
  b.push(height >> 8, height & 255, width >> 8, width & 255, components);
  for (let i = 0; i < components; i++) b.push(i + 1, 0x11, 0);
  b.push(0xff, 0xd9);
  return btoa(String.fromCharCode(...b));
}

describe('input images are read by their header', () => {
  it.each([
    [
      'a PNG declaring 30000x30000 (a decompression bomb)',
      { init_image: pngHeader(30000, 30000) },
      'invalid_request',
      'width',
    ],
    ['a PNG with bit depth 3', { init_image: pngHeader(64, 64, 3) }, 'invalid_image', 'init_image'],
    [
      'a PNG with colour type 5',
      { init_image: pngHeader(64, 64, 8, 5) },
      'invalid_image',
      'init_image',
    ],
    [
      'a PNG 100 pixels wide (not a multiple of 8)',
      { init_image: pngHeader(100, 64) },
      'invalid_image',
      'init_image',
    ],
    ['a PNG of zero size', { init_image: pngHeader(0, 0) }, 'invalid_image', 'init_image'],
    [
      'a truncated PNG',
      { init_image: pngHeader(64, 64).slice(0, 24) },
      'invalid_image',
      'init_image',
    ],
    ['a CMYK JPEG', { init_image: jpegHeader(64, 64, 4) }, 'invalid_image', 'init_image'],
    ['a lossless JPEG', { init_image: jpegHeader(64, 64, 3, 0xc3) }, 'invalid_image', 'init_image'],
    ['a JPEG of 65000x65000', { init_image: jpegHeader(65000, 65000) }, 'invalid_request', 'width'],
    [
      'width that disagrees with the image',
      { init_image: pngHeader(64, 64), width: 128 },
      'invalid_request',
      'width',
    ],
    ['a GIF', { init_image: btoa('GIF89a\x40\x00\x40\x00') }, 'invalid_image', 'init_image'],
  ])('refuses %s', async (_name, fields, code, param) => {
    const key = await createKey({ credits: 1000 });
    const res = await api(key, '/v1/images/img2img', { body: { prompt: 'x', ...fields } });
    expect(res.status, await res.clone().text()).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ code, param });
  });

  it('refuses a mask of another size than the image', async () => {
    const key = await createKey();
    const res = await api(key, '/v1/images/inpaint', {
      body: { prompt: 'x', init_image: pngHeader(64, 64), mask_image: pngHeader(64, 128) },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({
      code: 'invalid_image',
      param: 'mask_image',
    });
  });

  it('accepts a baseline JPEG and sends its header size on', async () => {
    const key = await createKey();
    const res = await api(key, '/v1/images/img2img', {
      body: { prompt: 'x', init_image: jpegHeader(128, 64) },
    });
    expect(res.status).toBe(202);
    expect(((await res.json()) as { input: unknown }).input).toMatchObject({
      width: 128,
      height: 64,
    });
  });

  it('answers a malformed multipart body with its own code', async () => {
    const key = await createKey();
    for (const body of [
      // no closing boundary
      '--b\r\nContent-Disposition: form-data; name="request"\r\n\r\n{}',
      // the request part is not JSON (beside a real image part)
      '--b\r\nContent-Disposition: form-data; name="request"\r\n\r\n{not json\r\n--b\r\nContent-Disposition: form-data; name="init_image"; filename="a.png"\r\nContent-Type: image/png\r\n\r\nPNG\r\n--b--\r\n',
    ]) {
      const res = await SELF.fetch(`${BASE}/v1/images/img2img`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${key.key}`,
          'content-type': 'multipart/form-data; boundary=b',
        },
        body,
      });
      expect(res.status, await res.clone().text()).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe(
        'invalid_multipart',
      );
    }
  });
});
