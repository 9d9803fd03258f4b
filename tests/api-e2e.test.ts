import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type DevServer, startDevServer } from '@sdedge/api/dev-server';
import { decodeImage, loadPipeline } from '@sdedge/pipeline/node';
import { analyzeScene } from '@sdedge/pipeline/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.ts';

// The API under `wrangler dev` (its own workerd process, local D1/DO/R2), driven over real HTTP
// by a client and by a runner that renders with the real pipeline and the embedded model.
const MODEL = join(REPO_ROOT, 'packages/pipeline/models/sdedge-micro');

let server: DevServer;
beforeAll(async () => {
  server = await startDevServer();
}, 120_000);
afterAll(() => server?.stop());

const json = (body: unknown, token: string) => ({
  method: 'POST',
  headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** One runner iteration: lease, render with progress, upload, complete. */
async function runOneJob(url: string) {
  const leased = await fetch(
    `${url}/runner/v1/lease`,
    json({ runner_id: 'e2e', models: ['sdedge-micro'], wait_seconds: 20 }, 'dev-runner-token'),
  );
  const [lease] = (
    (await leased.json()) as {
      leases: { lease_id: string; job: { id: string; input: Record<string, never> } }[];
    }
  ).leases;
  if (!lease) throw new Error('no job leased');
  const { job } = lease;
  const pipe = await loadPipeline(MODEL, { executionProviders: ['cpu'] });
  const progress: { type: 'progress'; step: number; total_steps: number }[] = [];
  const started = performance.now();
  const { images } = await pipe.txt2img({
    prompt: job.input.prompt,
    seed: job.input.seed,
    steps: job.input.steps,
    sampler: job.input.sampler,
    guidanceScale: job.input.guidance_scale,
    onStep: (p) => progress.push({ type: 'progress', step: p.step, total_steps: p.totalSteps }),
  });
  await pipe.dispose();
  await fetch(
    `${url}/runner/v1/jobs/${job.id}/events`,
    json({ lease_id: lease.lease_id, events: progress }, 'dev-runner-token'),
  );
  const image = images[0];
  if (!image) throw new Error('no image');
  const upload = await fetch(
    `${url}/runner/v1/jobs/${job.id}/outputs/0.png?lease_id=${lease.lease_id}`,
    {
      method: 'PUT',
      headers: { Authorization: 'Bearer dev-runner-token', 'content-type': 'image/png' },
      body: image.toPng(),
    },
  );
  expect(upload.status).toBe(201);
  const done = await fetch(
    `${url}/runner/v1/jobs/${job.id}/complete`,
    json(
      {
        lease_id: lease.lease_id,
        runner_seconds: (performance.now() - started) / 1000,
        outputs: [
          {
            name: '0.png',
            seed: image.seed,
            width: image.image.width,
            height: image.image.height,
            content_type: 'image/png',
          },
        ],
      },
      'dev-runner-token',
    ),
  );
  expect(done.status).toBe(200);
}

describe('the API under wrangler dev, end to end', () => {
  it('serves /docs with Swagger UI from its own assets (no CDN, works offline)', async () => {
    const html = await (await fetch(`${server.url}/docs`)).text();
    expect(html).not.toMatch(/https?:\/\//);
    const scripts = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
    expect(scripts).toEqual([
      '/docs/assets/swagger-ui-dist/swagger-ui.css',
      '/docs/assets/swagger-ui-dist/swagger-ui-bundle.js',
    ]);
    for (const path of scripts) {
      const asset = await fetch(`${server.url}${path}`);
      expect(asset.status, path).toBe(200);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100_000);
    }
    expect((await fetch(`${server.url}/openapi.json`)).status).toBe(200);
  });

  it('takes a job from a client to a runner and back, streaming its progress', async () => {
    const created = await fetch(
      `${server.url}/admin/keys`,
      json({ name: 'e2e', credits: 10 }, 'dev-admin-token'),
    );
    expect(created.status).toBe(201);
    const { key } = (await created.json()) as { key: string };
    const submitted = await fetch(
      `${server.url}/v1/images/txt2img`,
      json(
        {
          prompt: 'a red square in the bottom right on a white background',
          seed: 3,
          steps: 12,
          sampler: 'dpmpp_2m_karras',
        },
        key,
      ),
    );
    expect(submitted.status).toBe(202);
    const job = (await submitted.json()) as { id: string; urls: { stream: string } };
    expect(job.urls.stream).toBe(`${server.url}/v1/jobs/${job.id}/events`);

    const stream = fetch(job.urls.stream, { headers: { Authorization: `Bearer ${key}` } }).then(
      (r) => r.text(),
    );
    await runOneJob(server.url);
    const events = [...(await stream).matchAll(/^event: (\w+)$/gm)].map((m) => m[1]);
    expect(events).toEqual([
      'queued',
      'started',
      ...Array(12).fill('progress'),
      'output',
      'succeeded',
    ]);

    const final = (await (
      await fetch(`${server.url}/v1/jobs/${job.id}`, {
        headers: { Authorization: `Bearer ${key}` },
      })
    ).json()) as {
      status: string;
      outputs: { url: string; seed: number }[];
      usage: { credits: number };
    };
    expect(final).toMatchObject({
      status: 'succeeded',
      usage: { credits: 1 },
      outputs: [{ seed: 3 }],
    });
    const png = new Uint8Array(await (await fetch(final.outputs[0]?.url ?? '')).arrayBuffer());
    const vocabulary = JSON.parse(readFileSync(join(MODEL, 'sdedge_scenes.json'), 'utf8'));
    expect(analyzeScene(decodeImage(png), vocabulary)).toMatchObject({
      color: 'red',
      background: 'white',
      position: 'bottom right',
    });
  });
});
