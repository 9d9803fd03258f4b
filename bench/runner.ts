/**
 * A job through the real stack: the API under `wrangler dev`, one `sdedge-runner` process, and a
 * client over HTTP. For sdedge-micro (64x64) and the mid-size SD-architecture model (256x256,
 * random weights): time from job creation to the first progress event and to the result, steps
 * per second, the runner's stage times (from its /metrics), and the overhead over calling the
 * pipeline directly in one process on the same model and settings.
 *   npx tsx bench/runner.ts [--smoke]
 * The mid-size model is served under the API's `stable-diffusion-v1-5` name (its architecture,
 * at a third of the width): the API only accepts the models of its catalog.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDevServer } from '@sdedge/api/dev-server';
import { EMBEDDED_MODEL_DIR, loadPipeline } from '@sdedge/pipeline/node';
import { startRunner } from '../tests/runner-process.ts';
import { buildMidSizeModel } from './lib/mid-size-model.ts';
import { printTable } from './lib/timing.ts';

const smoke = process.argv.includes('--smoke');
const work = mkdtempSync(join(tmpdir(), 'sdedge-bench-runner-'));
const modelsDir = join(work, 'models');
mkdirSync(modelsDir);

const cases = [
  {
    name: 'sdedge-micro',
    label: 'sdedge-micro 64x64',
    size: 64,
    steps: smoke ? 2 : 20,
    jobs: smoke ? 1 : 5,
  },
  ...(smoke
    ? []
    : [{ name: 'stable-diffusion-v1-5', label: 'mid-size 256x256', size: 256, steps: 8, jobs: 2 }]),
];

const server = await startDevServer();
const rows: string[][] = [];
try {
  const admin = await fetch(`${server.url}/admin/keys`, {
    method: 'POST',
    headers: { Authorization: 'Bearer dev-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', credits: 1_000_000, rate_limit_per_minute: 100_000 }),
  });
  const { key } = (await admin.json()) as { key: string };
  for (const c of cases) {
    const dir = c.name === 'sdedge-micro' ? EMBEDDED_MODEL_DIR : join(modelsDir, c.name);
    if (c.name !== 'sdedge-micro') await buildMidSizeModel(dir);
    const body = {
      prompt: 'a blue circle on a white background',
      model: c.name,
      width: c.size,
      height: c.size,
      steps: c.steps,
      seed: 1,
      sampler: 'euler',
    };

    const runner = await startRunner(server.url, {
      SDEDGE_MODELS_DIR: modelsDir,
      SDEDGE_PRELOAD: c.name,
      SDEDGE_LEASE_SECONDS: '60',
      SDEDGE_POLL_SECONDS: '20',
    });
    const timed = [];
    let stages: Record<string, number> = {};
    try {
      await runJob(server.url, key, body); // warm-up: first runs allocate
      for (let i = 0; i < c.jobs; i++) timed.push(await runJob(server.url, key, body));
      stages = parseStages(await runner.metrics());
    } finally {
      await runner.kill('SIGTERM');
    }

    const pipe = await loadPipeline(dir, { executionProviders: ['cpu'] });
    const options = {
      prompt: body.prompt,
      width: c.size,
      height: c.size,
      steps: c.steps,
      seed: 1,
      sampler: 'euler' as const,
    };
    await pipe.txt2img(options);
    const direct = [];
    for (let i = 0; i < c.jobs; i++) direct.push((await pipe.txt2img(options)).timings.total);
    await pipe.dispose();

    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const result = mean(timed.map((t) => t.resultMs));
    const directMs = mean(direct);
    rows.push([
      c.label,
      `${c.steps}`,
      ms(mean(timed.map((t) => t.firstProgressMs))),
      ms(result),
      (c.steps / mean(timed.map((t) => t.runnerSeconds))).toFixed(1),
      ms(mean(timed.map((t) => t.runnerSeconds * 1000))),
      ms(directMs),
      `${ms(result - directMs)} (${(((result - directMs) / result) * 100).toFixed(1)}%)`,
      ['download', 'generate', 'upload', 'complete']
        .map((s) => `${s} ${ms(stages[s] ?? 0)}`)
        .join(', '),
    ]);
  }
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

printTable(
  [
    'what',
    'steps',
    'to first progress',
    'to result',
    'steps/s (runner)',
    'runner seconds',
    'pipeline directly',
    'overhead (of the job)',
    'runner stages (mean)',
  ],
  rows,
);

/** Creates a job, follows its event stream, and times the first progress event and the end. */
async function runJob(url: string, key: string, body: object) {
  const started = performance.now();
  const created = await fetch(`${url}/v1/images/txt2img`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (created.status !== 202) throw new Error(`create: ${created.status} ${await created.text()}`);
  const job = (await created.json()) as { id: string; urls: { stream: string } };
  const stream = await fetch(job.urls.stream, { headers: { Authorization: `Bearer ${key}` } });
  const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let text = '';
  let firstProgressMs = Number.NaN;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (Number.isNaN(firstProgressMs) && text.includes('event: progress'))
      firstProgressMs = performance.now() - started;
  }
  const resultMs = performance.now() - started;
  if (!text.includes('event: succeeded'))
    throw new Error(`job ${job.id} did not succeed:\n${text}`);
  const final = (await (
    await fetch(`${url}/v1/jobs/${job.id}`, { headers: { Authorization: `Bearer ${key}` } })
  ).json()) as {
    usage: { runner_seconds: number };
  };
  return { firstProgressMs, resultMs, runnerSeconds: final.usage.runner_seconds };
}

/** Mean seconds per stage from the runner's sdedge_runner_stage_seconds histogram, in ms. */
function parseStages(metrics: string): Record<string, number> {
  const sums: Record<string, number> = {};
  const counts: Record<string, number> = {};
  for (const m of metrics.matchAll(
    /^sdedge_runner_stage_seconds_(sum|count)\{stage="(\w+)"\} ([\d.e+-]+)$/gm,
  ))
    (m[1] === 'sum' ? sums : counts)[m[2] ?? ''] = Number(m[3]);
  return Object.fromEntries(
    Object.keys(sums).map((s) => [s, ((sums[s] ?? 0) / (counts[s] || 1)) * 1000]),
  );
}

function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
}
