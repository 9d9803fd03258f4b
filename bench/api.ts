/**
 * The edge API under `wrangler dev` (workerd, local D1/DO/R2): requests per second and p50/p99
 * latency for job creation and job reads, next to a bare Hono handler on the same runtime.
 * Also the same with a preloaded job history (default 100,000 finished jobs), against the fresh
 * Dispatcher. wrangler's DevTools inspector is off unless --inspector.
 *   npx tsx bench/api.ts [--smoke] [--concurrency N] [--seconds S] [--history N] [--inspector]
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
    history: { type: 'string', default: '100000' },
    /** Keep wrangler's DevTools inspector on (the CLI's default), to see what it costs. */
    inspector: { type: 'boolean', default: false },
  },
});
const concurrency = values.smoke ? 2 : Number(values.concurrency);
const seconds = values.smoke ? 0.5 : Number(values.seconds);
const history = values.smoke ? 1000 : Number(values.history);

interface Load {
  rps: number;
  p50: number;
  p99: number;
  failures: number;
}

/** Runs `request` from `concurrency` loops for `seconds`; latencies in ms. */
async function load(request: () => Promise<Response>): Promise<Load> {
  // Warm-up: a second of the same load (JIT, SQLite page cache), not counted.
  const warm = performance.now() + Math.min(1, seconds) * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < warm) await (await request()).arrayBuffer();
    }),
  );
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

const inspector = values.inspector;
const api = await startDevServer({ inspector, vars: { BENCH_ROUTES: 'true' } });
const bare = await startDevServer({
  config: join(import.meta.dirname, 'lib/bare-hono/wrangler.toml'),
  migrate: false,
  inspector,
});
try {
  const created = await fetch(`${api.url}/admin/keys`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', credits: 1e9, rate_limit_per_minute: 100000 }),
  });
  const { key, id: keyId } = (await created.json()) as { key: string; id: string };
  const headers = { Authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const body = JSON.stringify({ prompt: 'a red circle on a blue background', steps: 20 });
  const job = (await (
    await fetch(`${api.url}/v1/images/txt2img`, { method: 'POST', headers, body })
  ).json()) as { id: string };

  const create = () => fetch(`${api.url}/v1/images/txt2img`, { method: 'POST', headers, body });
  const read = () => fetch(`${api.url}/v1/jobs/${job.id}`, { headers });
  const bareCreate = () =>
    fetch(`${bare.url}/v1/images/txt2img`, { method: 'POST', headers, body });
  const bareRead = () => fetch(`${bare.url}/v1/jobs/${job.id}`, { headers });

  const rows: string[][] = [];
  const row = (name: string, a: Load, b: Load, fresh?: Load) => {
    if (a.failures) throw new Error(`${name}: ${a.failures} failed requests`);
    rows.push([
      name,
      a.rps.toFixed(0),
      `${a.p50.toFixed(1)} / ${a.p99.toFixed(1)}`,
      b.rps.toFixed(0),
      `${b.p50.toFixed(1)} / ${b.p99.toFixed(1)}`,
      `${((100 * a.rps) / b.rps).toFixed(0)}%`,
      `${(a.p99 / b.p99).toFixed(1)}x`,
      fresh ? `${((100 * a.rps) / fresh.rps).toFixed(0)}%` : '',
    ]);
  };
  const freshCreate = await load(create);
  row('create job (POST /v1/images/txt2img)', freshCreate, await load(bareCreate));
  const freshRead = await load(read);
  row('read job (GET /v1/jobs/{id})', freshRead, await load(bareRead));

  const seeded = await fetch(`${api.url}/admin/bench/history`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ key_id: keyId, count: history }),
  });
  if (!seeded.ok) throw new Error(`seeding history: ${seeded.status} ${await seeded.text()}`);
  const stored = history.toLocaleString('en-US');
  row(
    `create job, ${stored} finished jobs stored`,
    await load(create),
    await load(bareCreate),
    freshCreate,
  );
  row(
    `read job, ${stored} finished jobs stored`,
    await load(read),
    await load(bareRead),
    freshRead,
  );

  console.log(
    `wrangler dev (workerd), inspector ${inspector ? 'on' : 'off'}, ${concurrency} concurrent clients, ${seconds} s per case`,
  );
  printTable(
    [
      'what',
      'sdedge req/s',
      'sdedge p50 / p99 ms',
      'bare Hono req/s',
      'bare p50 / p99 ms',
      'sdedge / bare (req/s)',
      'p99 vs bare',
      'vs fresh Dispatcher',
    ],
    rows,
  );
} finally {
  await api.stop();
  await bare.stop();
}
