/**
 * The edge API under `wrangler dev` (workerd, local D1/DO/R2): requests per second and p50/p99
 * latency for job creation and job reads, next to a bare Hono handler on the same runtime.
 *   npx tsx bench/api.ts [--smoke] [--concurrency N] [--seconds S]
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startDevServer } from '@sdedge/api/dev-server';
import { printTable } from './lib/timing.ts';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    concurrency: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '5' },
  },
});
const concurrency = values.smoke ? 2 : Number(values.concurrency);
const seconds = values.smoke ? 0.5 : Number(values.seconds);

/** Runs `request` from `concurrency` loops for `seconds`; latencies in ms. */
async function load(request: () => Promise<Response>) {
  for (let i = 0; i < 20; i++) await (await request()).arrayBuffer(); // warm-up
  const latencies: number[] = [];
  let failures = 0;
  const end = performance.now() + seconds * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const start = performance.now();
        const res = await request();
        await res.arrayBuffer();
        if (res.status >= 400) failures++;
        latencies.push(performance.now() - start);
      }
    }),
  );
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? Number.NaN;
  return { rps: latencies.length / seconds, p50: at(0.5), p99: at(0.99), failures };
}

const api = await startDevServer();
const bare = await startDevServer({
  config: join(import.meta.dirname, 'lib/bare-hono/wrangler.toml'),
  migrate: false,
});
try {
  const created = await fetch(`${api.url}/admin/keys`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', credits: 1e9, rate_limit_per_minute: 100000 }),
  });
  const { key } = (await created.json()) as { key: string };
  const headers = { Authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const body = JSON.stringify({ prompt: 'a red circle on a blue background', steps: 20 });
  const job = (await (
    await fetch(`${api.url}/v1/images/txt2img`, { method: 'POST', headers, body })
  ).json()) as { id: string };

  const cases = [
    [
      'create job (POST /v1/images/txt2img)',
      () => fetch(`${api.url}/v1/images/txt2img`, { method: 'POST', headers, body }),
      () => fetch(`${bare.url}/v1/images/txt2img`, { method: 'POST', headers, body }),
    ],
    [
      'read job (GET /v1/jobs/{id})',
      () => fetch(`${api.url}/v1/jobs/${job.id}`, { headers }),
      () => fetch(`${bare.url}/v1/jobs/${job.id}`, { headers }),
    ],
  ] as const;
  const rows: string[][] = [];
  for (const [name, sdedge, baseline] of cases) {
    const a = await load(sdedge);
    const b = await load(baseline);
    if (a.failures) throw new Error(`${name}: ${a.failures} failed requests`);
    rows.push([
      name,
      a.rps.toFixed(0),
      `${a.p50.toFixed(1)} / ${a.p99.toFixed(1)}`,
      b.rps.toFixed(0),
      `${b.p50.toFixed(1)} / ${b.p99.toFixed(1)}`,
      `${(b.rps / a.rps).toFixed(1)}x`,
    ]);
  }
  console.log(`wrangler dev (workerd), ${concurrency} concurrent clients, ${seconds} s per case`);
  printTable(
    [
      'what',
      'sdedge req/s',
      'sdedge p50 / p99 ms',
      'bare Hono req/s',
      'bare p50 / p99 ms',
      'bare / sdedge',
    ],
    rows,
  );
} finally {
  await api.stop();
  await bare.stop();
}
