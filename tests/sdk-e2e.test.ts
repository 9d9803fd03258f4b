import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { type DevServer, startDevServer } from '@sdedge/api/dev-server';
import { decodeImage, encodePng } from '@sdedge/pipeline/node';
import {
  APITimeoutError,
  APIUserAbortError,
  AuthenticationError,
  ConflictError,
  InsufficientCreditsError,
  JobCanceledError,
  JobFailedError,
  NotFoundError,
  type Progress,
  RateLimitError,
  Sdedge,
  ValidationError,
} from '@sdedge/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderApiTypes } from '../packages/sdk/scripts/render-api-types.ts';
import { REPO_ROOT } from './helpers.ts';
import { createApiKey, type RunnerProcess, startRunner, waitFor } from './runner-process.ts';

// The SDK (its compiled package, as users import it) against the API under wrangler dev with a
// real runner process. Faults are injected by wrapping fetch around real HTTP.
let server: DevServer;
let runner: RunnerProcess;
let key: { key: string; webhook_secret: string };

beforeAll(async () => {
  server = await startDevServer();
  runner = await startRunner(server.url);
  key = await newKey({ credits: 100_000 });
}, 120_000);
afterAll(async () => {
  await runner?.kill('SIGTERM');
  await server?.stop();
});

const newKey = (body: Record<string, unknown>) =>
  createApiKey(server.url, { name: 'sdk-e2e', ...body });

const client = (options: ConstructorParameters<typeof Sdedge>[0] = {}) =>
  new Sdedge({ apiKey: key.key, baseUrl: server.url, ...options });

const LONG = { width: 256, height: 256, steps: 150, seed: 5 };

describe('the SDK against the API and a runner', () => {
  it('has types generated from the OpenAPI document the API serves (committed, up to date)', async () => {
    const document = await (await fetch(`${server.url}/openapi.json`)).json();
    const committed = readFileSync(join(REPO_ROOT, 'packages/sdk/src/generated/api.ts'), 'utf8');
    expect(committed, 'run npm run generate -w @sdedge/sdk').toBe(await renderApiTypes(document));
  });

  it('txt2img: a batch of 2 with progress in order; each image remade alone from its seed gives the same bytes', async () => {
    const sd = client();
    const progress: Progress[] = [];
    const { job, images } = await sd.txt2img(
      'a red square in the bottom right on a white background',
      {
        steps: 10,
        seed: 7,
        n: 2,
        sampler: 'dpmpp_2m_karras',
        onProgress: (p) => progress.push(p),
      },
    );
    expect(job.status).toBe('succeeded');
    expect(progress.map((p) => p.step)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(progress.some((p) => p.preview?.startsWith('data:image/jpeg;base64,'))).toBe(true);
    expect(images.map((i) => [i.seed, i.width, i.height, i.contentType])).toEqual([
      [7, 64, 64, 'image/png'],
      [8, 64, 64, 'image/png'],
    ]);
    const second = await images[1]?.bytes();
    const alone = await sd.txt2img('a red square in the bottom right on a white background', {
      steps: 10,
      seed: 8,
      sampler: 'dpmpp_2m_karras',
    });
    expect(await alone.images[0]?.bytes()).toEqual(second);
    expect((await images[0]?.blob())?.type).toBe('image/png');
  });

  it('img2img from bytes, inpaint from a file path and a Blob, animate to an MP4', async () => {
    const sd = client();
    const square = await (
      await sd.txt2img('a red square on a white background', { steps: 6, seed: 1 })
    ).images[0]?.bytes();
    const img = await sd.img2img(square as Uint8Array, 'a red square on a white background', {
      strength: 0.5,
      steps: 6,
      seed: 2,
    });
    expect(decodeImage(await img.images[0]!.bytes())).toMatchObject({ width: 64, height: 64 });
    const dir = mkdtempSync(join(tmpdir(), 'sdedge-sdk-'));
    writeFileSync(join(dir, 'init.png'), square as Uint8Array);
    const mask = { width: 64, height: 64, data: new Uint8Array(64 * 64 * 3).fill(255) };
    const painted = await sd.inpaint(
      join(dir, 'init.png'),
      new Blob([encodePng(mask)]),
      'a blue circle',
      { steps: 5, seed: 3 },
    );
    expect(painted.job.kind).toBe('inpaint');
    const { video, job } = await sd.animate({
      max_frames: 3,
      W: 64,
      H: 64,
      steps: 3,
      seed: 4,
      prompts: { 0: 'a green triangle' },
    });
    expect(job.kind).toBe('animate');
    expect(video.contentType).toBe('video/mp4');
    expect(new TextDecoder().decode((await video.bytes()).subarray(4, 8))).toBe('ftyp');
  });

  it('generations (OpenAI shape), jobs.get/list/cancel/stream, usage and models', async () => {
    const sd = client();
    const openai = await sd.generations({
      prompt: 'a blue circle',
      n: 1,
      response_format: 'b64_json',
    });
    expect(openai.data[0]?.b64_json?.length).toBeGreaterThan(100);
    const models = await sd.models();
    expect(models.data.map((m) => m.id)).toContain('sdedge-micro');
    const created = await sd.jobs.create('/v1/images/txt2img', {
      prompt: 'a red circle',
      steps: 3,
    });
    const types = [];
    for await (const event of sd.jobs.stream(created.id)) types.push(event.type);
    expect(types).toEqual([
      'queued',
      'started',
      'progress',
      'progress',
      'progress',
      'output',
      'succeeded',
    ]);
    expect((await sd.jobs.get(created.id)).status).toBe('succeeded');
    const listed = [];
    for await (const j of sd.jobs.list({ limit: 2 })) listed.push(j.id);
    expect(listed.length).toBeGreaterThan(2); // more than one page of 2: every page was read
    expect(new Set(listed).size).toBe(listed.length);
    expect(listed).toContain(created.id);
    const usage = await sd.usage();
    expect(usage.balance).toBeLessThan(100_000);
    await expect(sd.jobs.cancel(created.id)).rejects.toBeInstanceOf(ConflictError);
  });

  it('resumes a stream cut mid-job with nothing lost or repeated', async () => {
    const eventRequests: Headers[] = [];
    let cut = false;
    const cutting: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      const response = await fetch(request);
      if (!request.url.endsWith('/events')) return response;
      eventRequests.push(request.headers);
      if (cut || !response.body) return response;
      cut = true;
      // Pass the stream through until its second progress event, then break the connection.
      let seen = '';
      const reader = response.body.getReader();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          seen += new TextDecoder().decode(value);
          controller.enqueue(value);
          if ((seen.match(/event: progress/g) ?? []).length >= 2) {
            await reader.cancel();
            controller.error(new TypeError('terminated: connection reset'));
          }
        },
      });
      return new Response(body, { status: response.status, headers: response.headers });
    };
    const progress: number[] = [];
    const { job } = await client({ fetch: cutting }).txt2img('a blue circle', {
      width: 128,
      height: 128,
      steps: 20,
      onProgress: (p) => progress.push(p.step),
    });
    expect(job.status).toBe('succeeded');
    expect(progress).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(eventRequests.length).toBe(2);
    expect(Number(eventRequests[1]?.get('last-event-id'))).toBeGreaterThan(2);
  });

  it('falls back to polling when the stream is unavailable', async () => {
    const noStreams: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (request.url.endsWith('/events'))
        return new Response('buffered by a proxy', { headers: { 'content-type': 'text/plain' } });
      return fetch(request);
    };
    const progress: Progress[] = [];
    const { job } = await client({ fetch: noStreams }).txt2img('a blue circle', {
      ...LONG,
      steps: 20,
      onProgress: (p) => progress.push(p),
    });
    expect(job.status).toBe('succeeded');
    expect(progress.length).toBeGreaterThan(0);
    const polled = await client().txt2img('a red circle', { steps: 3, stream: false });
    expect(polled.images).toHaveLength(1);
  });

  it('an abort cancels the job on the server', async () => {
    const sd = client();
    const controller = new AbortController();
    let jobId = '';
    const run = sd.txt2img('a blue circle', {
      ...LONG,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    });
    await expect(run).rejects.toBeInstanceOf(APIUserAbortError);
    for await (const j of sd.jobs.list({ limit: 1 })) {
      jobId = j.id;
      break;
    }
    const job = await waitFor(
      () => sd.jobs.get(jobId),
      (j) => j.status !== 'running',
      10_000,
    );
    expect(job.status).toBe('canceled');
  });

  it('throws each error class', async () => {
    await expect(
      new Sdedge({ apiKey: 'sk_live_wrong', baseUrl: server.url }).models(),
    ).rejects.toBeInstanceOf(AuthenticationError);
    const sd = client();
    await expect(sd.jobs.get('job_nope')).rejects.toBeInstanceOf(NotFoundError);
    const invalid = await sd.txt2img('x', { steps: 1000 }).catch((e) => e);
    expect(invalid).toBeInstanceOf(ValidationError);
    expect(invalid).toMatchObject({ status: 400, code: 'invalid_request', param: 'steps' });
    expect(invalid.requestId).toMatch(/^req_/);
    const poor = await newKey({ credits: 0 });
    await expect(
      new Sdedge({ apiKey: poor.key, baseUrl: server.url }).txt2img('x'),
    ).rejects.toBeInstanceOf(InsufficientCreditsError);
    const limited = await newKey({ credits: 10, rate_limit_per_minute: 1 });
    const slow = new Sdedge({ apiKey: limited.key, baseUrl: server.url, maxRetries: 0 });
    await slow.models();
    const limitedError = await slow.models().catch((e) => e);
    expect(limitedError).toBeInstanceOf(RateLimitError);
    expect(limitedError.retryAfter).toBeGreaterThan(0);
    // Settings the API can evaluate itself are refused at once ...
    const refused = await sd
      .animate({
        max_frames: 3,
        W: 64,
        H: 64,
        steps: 2,
        zoom: '0:(1.0), 2:(1.1',
        prompts: { 0: 'a' },
      })
      .catch((e) => e);
    expect(refused).toBeInstanceOf(ValidationError);
    expect(refused).toMatchObject({ code: 'invalid_settings', param: 'settings.zoom' });
    // ... what only the runner finds (a PNG with a header and no pixels) fails the job.
    const png = Buffer.alloc(33);
    png.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    png.writeUInt32BE(64, 16);
    png.writeUInt32BE(64, 20);
    png.set([8, 2, 0, 0, 0], 24);
    const failed = await sd.img2img(new Uint8Array(png), 'x', { steps: 2 }).catch((e) => e);
    expect(failed).toBeInstanceOf(JobFailedError);
    expect(failed.code).toBe('invalid_image');
    // A job no runner serves: its queue deadline passes, and it is canceled.
    const stuck = await sd
      .txt2img('a lighthouse', {
        model: 'stable-diffusion-v1-5',
        steps: 2,
        timeout: { queue: 1500 },
      })
      .catch((e) => e);
    expect(stuck).toBeInstanceOf(APITimeoutError);
    // Canceled by someone else while this caller waits.
    const waiting = sd.txt2img('a blue circle', {
      ...LONG,
      onProgress: async () => {
        for await (const j of sd.jobs.list({ status: 'running', limit: 1 }))
          await sd.jobs.cancel(j.id).catch(() => {});
      },
    });
    await expect(waiting).rejects.toBeInstanceOf(JobCanceledError);
  });

  it('a create whose answer is lost is retried with the same idempotency key: one job, charged once', async () => {
    const fresh = await newKey({ credits: 1000 });
    const keys: string[] = [];
    let dropped = false;
    const lossy: typeof fetch = async (input, init) => {
      const request = new Request(input, init);
      if (request.method === 'POST' && request.url.endsWith('/v1/images/txt2img')) {
        keys.push(request.headers.get('idempotency-key') ?? '');
        const response = await fetch(request);
        if (!dropped) {
          dropped = true;
          await response.body?.cancel();
          throw new TypeError('fetch failed: socket hang up'); // the server made the job; the answer is lost
        }
        return response;
      }
      return fetch(request);
    };
    const sd = new Sdedge({ apiKey: fresh.key, baseUrl: server.url, fetch: lossy });
    const { job } = await sd.txt2img('a red circle', { steps: 2 });
    expect(keys).toHaveLength(2);
    expect(keys[0]).toBe(keys[1]);
    const all = [];
    for await (const j of sd.jobs.list()) all.push(j.id);
    expect(all).toEqual([job.id]);
    expect((await sd.usage()).balance).toBe(1000 - (job.usage.credits ?? 0));
  });

  it('a browser token minted by a secret key works like a key until its jobs are used up', async () => {
    const { token, max_jobs } = await client().tokens.create({
      maxJobs: 1,
      expiresIn: 300,
      scopes: ['images', 'read'],
    });
    expect(max_jobs).toBe(1);
    const browser = new Sdedge({ apiKey: token, baseUrl: server.url });
    const { images } = await browser.txt2img('a red circle', { steps: 2 });
    expect(images).toHaveLength(1);
    await expect(browser.txt2img('a red circle', { steps: 2 })).rejects.toBeInstanceOf(
      AuthenticationError,
    );
    await expect(browser.tokens.create()).rejects.toThrow(/cannot mint tokens/);
  });

  it('verifies a real webhook delivery; a tampered one is refused', async () => {
    const received: { body: string; headers: IncomingMessage['headers'] }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        received.push({ body, headers: req.headers });
        res.end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      const sd = client();
      const { job } = await sd.txt2img('a red circle', {
        steps: 2,
        webhook: { url, events: ['succeeded'] },
      });
      const delivery = await waitFor(
        async () => received[0],
        (d) => d !== undefined,
        30_000,
      );
      const headers = delivery!.headers as Record<string, string>;
      const event = await sd.webhooks.verify(delivery!.body, headers, key.webhook_secret);
      expect(event).toMatchObject({
        type: 'job.succeeded',
        data: { id: job.id, status: 'succeeded' },
      });
      await expect(
        sd.webhooks.verify(
          delivery!.body.replace('succeeded', 'failed'),
          headers,
          key.webhook_secret,
        ),
      ).rejects.toThrow();
    } finally {
      receiver.close();
    }
  });
});

describe("the SDK README's examples", () => {
  // Each ```js block of packages/sdk/README.md, run as written by plain node in a folder where
  // @sdedge/sdk resolves to the built package, with photo.png and mask.png beside it.
  const readme = readFileSync(join(REPO_ROOT, 'packages/sdk/README.md'), 'utf8');
  const examples = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1] as string);

  it('has an example for every job method, jobs.*, usage, models, tokens and webhooks', () => {
    const all = examples.join('\n');
    for (const call of [
      'sd.txt2img(',
      'sd.img2img(',
      'sd.inpaint(',
      'sd.animate(',
      'sd.generations(',
      'sd.jobs.create(',
      'sd.jobs.stream(',
      'sd.jobs.wait(',
      'sd.jobs.list(',
      'sd.jobs.cancel(',
      'sd.usage()',
      'sd.models()',
      'sd.tokens.create(',
      'sd.webhooks.verify(',
    ])
      expect(all, call).toContain(call);
  });

  it.each(
    examples.map((code, i) => [
      i + 1,
      code.split('\n').find((l) => l.startsWith('//') || l.startsWith('const')),
      code,
    ]),
  )(
    'example %i (%s) runs and exits 0',
    async (_n, _first, code) => {
      const dir = mkdtempSync(join(tmpdir(), 'sdk-readme-'));
      mkdirSync(join(dir, 'node_modules/@sdedge'), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'packages/sdk'), join(dir, 'node_modules/@sdedge/sdk'));
      const square = (inside: number[], outside: number[]) =>
        encodePng({
          width: 64,
          height: 64,
          data: Uint8Array.from({ length: 64 * 64 * 3 }, (_, i) => {
            const p = Math.floor(i / 3);
            const isInside = p % 64 >= 16 && p % 64 < 48 && p >= 16 * 64 && p < 48 * 64;
            return (isInside ? inside : outside)[i % 3] as number;
          }),
        });
      writeFileSync(join(dir, 'photo.png'), square([0, 0, 255], [255, 255, 255]));
      writeFileSync(join(dir, 'mask.png'), square([255, 255, 255], [0, 0, 0]));
      writeFileSync(join(dir, 'example.mjs'), code as string);
      const run = await promisify(execFile)(process.execPath, ['example.mjs'], {
        cwd: dir,
        timeout: 240_000,
        env: {
          ...process.env,
          SDEDGE_API_KEY: key.key,
          SDEDGE_API_URL: server.url,
          SDEDGE_WEBHOOK_SECRET: key.webhook_secret,
        },
      });
      expect(run.stdout.length).toBeGreaterThan(0);
    },
    300_000,
  );
});
