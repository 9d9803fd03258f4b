/**
 * Dispatch throughput with 1, 2 and 4 Dispatcher shards under `wrangler dev` (inspector off):
 * clients create jobs while simulated runners lease them (capacity 4, long poll), upload a
 * small PNG and complete them, through the real HTTP routes. Jobs/s is completed jobs per
 * second of the run.
 *   npx tsx bench/dispatch-shards.ts [--smoke] [--seconds S] [--clients N] [--runners N]
 */
import { parseArgs } from 'node:util';
import { startDevServer } from '@sdedge/api/dev-server';
import { printTable } from './lib/timing.ts';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '8' },
    clients: { type: 'string', default: '8' },
    runners: { type: 'string', default: '8' },
  },
});
const seconds = values.smoke ? 0.5 : Number(values.seconds);
const clients = values.smoke ? 2 : Number(values.clients);
const runners = values.smoke ? 2 : Number(values.runners);
const shardCounts = values.smoke ? [1, 2] : [1, 2, 4];

// A 1x1 PNG: what a simulated runner uploads as its output.
const PNG = Uint8Array.from(
  atob(
    'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==',
  ),
  (ch) => ch.charCodeAt(0),
);
const RUNNER = { Authorization: 'Bearer dev-runner-token', 'content-type': 'application/json' };

async function run(shards: number) {
  const api = await startDevServer({
    inspector: false,
    vars: { DISPATCHER_SHARDS: String(shards) },
  });
  try {
    const made = await fetch(`${api.url}/admin/keys`, {
      method: 'POST',
      headers: { Authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', credits: 1e9, rate_limit_per_minute: 100000 }),
    });
    const { key } = (await made.json()) as { key: string };
    const headers = { Authorization: `Bearer ${key}`, 'content-type': 'application/json' };
    const body = JSON.stringify({ prompt: 'a red circle', steps: 1 });
    let created = 0;
    let completed = 0;
    let failures = 0;
    const latencies: number[] = []; // creation to completion, ms
    const createdAt = new Map<string, number>();
    const end = performance.now() + seconds * 1000;
    const creators = Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const res = await fetch(`${api.url}/v1/images/txt2img`, { method: 'POST', headers, body });
        const job = (await res.json()) as { id: string };
        if (res.status !== 202) failures++;
        else {
          created++;
          createdAt.set(job.id, performance.now());
        }
      }
    });
    const workers = Array.from({ length: runners }, async (_, r) => {
      while (performance.now() < end) {
        const res = await fetch(`${api.url}/runner/v1/lease`, {
          method: 'POST',
          headers: RUNNER,
          body: JSON.stringify({
            runner_id: `sim-${r}`,
            models: ['sdedge-micro'],
            capacity: 4,
            wait_seconds: 1,
          }),
        });
        const { leases } = (await res.json()) as {
          leases: { lease_id: string; job: { id: string } }[];
        };
        await Promise.all(
          leases.map(async (lease) => {
            const base = `${api.url}/runner/v1/jobs/${lease.job.id}`;
            await (
              await fetch(`${base}/outputs/0.png?lease_id=${lease.lease_id}`, {
                method: 'PUT',
                headers: { ...RUNNER, 'content-type': 'image/png' },
                body: PNG,
              })
            ).arrayBuffer();
            const done = await fetch(`${base}/complete`, {
              method: 'POST',
              headers: RUNNER,
              body: JSON.stringify({
                lease_id: lease.lease_id,
                runner_seconds: 0.01,
                outputs: [
                  { name: '0.png', seed: 1, width: 1, height: 1, content_type: 'image/png' },
                ],
              }),
            });
            await done.arrayBuffer();
            if (done.status !== 200) failures++;
            else {
              completed++;
              const at = createdAt.get(lease.job.id);
              if (at !== undefined) latencies.push(performance.now() - at);
            }
          }),
        );
      }
    });
    await Promise.all([...creators, ...workers]);
    latencies.sort((a, b) => a - b);
    const p50 = latencies[Math.floor(latencies.length / 2)] ?? Number.NaN;
    return { shards, created, completed, failures, p50 };
  } finally {
    await api.stop();
  }
}

const rows: string[][] = [];
let single = 0;
for (const shards of shardCounts) {
  const r = await run(shards);
  if (r.failures) throw new Error(`${shards} shards: ${r.failures} failed requests`);
  if (shards === 1) single = r.completed;
  rows.push([
    `${shards} shard${shards === 1 ? '' : 's'}`,
    (r.created / seconds).toFixed(0),
    (r.completed / seconds).toFixed(0),
    `${r.p50.toFixed(0)} ms`,
    single ? `${(r.completed / single).toFixed(2)}x` : '',
  ]);
}
console.log(
  `wrangler dev (workerd, inspector off), ${clients} clients creating, ${runners} simulated runners (capacity 4), ${seconds} s per shard count`,
);
printTable(
  ['what', 'jobs created/s', 'jobs completed/s', 'p50 created -> completed', 'vs 1 shard'],
  rows,
);
