/**
 * Per-stage time of txt2img on ONNX Runtime (CPU here): the tiny model at 64x64 and a mid-size
 * Stable Diffusion-architecture model (random weights) at 256x256.
 *   npx tsx bench/pipeline.ts [--smoke] [--execution-provider cpu]
 * "ours" is everything outside session.run: tokenizing, tensor conversion, guidance, scheduler.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPipeline } from '@sdedge/pipeline/node';
import { buildTinyModel } from '@sdedge/pipeline/testing';
import { buildMidSizeModel } from './lib/mid-size-model.ts';
import { printTable } from './lib/timing.ts';

const smoke = process.argv.includes('--smoke');
const providerFlag = process.argv.indexOf('--execution-provider');
const executionProviders = providerFlag > 0 ? process.argv[providerFlag + 1].split(',') : ['cpu'];
const work = mkdtempSync(join(tmpdir(), 'sdedge-bench-'));

const cases = [
  { name: 'tiny', size: 64, steps: smoke ? 2 : 20, build: (dir: string) => buildTinyModel(dir) },
  ...(smoke
    ? []
    : [{ name: 'mid-size', size: 256, steps: 8, build: (dir: string) => buildMidSizeModel(dir) }]),
];

const rows: string[][] = [];
try {
  for (const c of cases) {
    const dir = join(work, c.name);
    await c.build(dir);
    const pipe = await loadPipeline(dir, { executionProviders });
    // One warm-up run: ONNX Runtime's first run allocates and plans.
    await pipe.txt2img({
      prompt: 'a lighthouse at dusk',
      seed: 1,
      steps: 1,
      width: c.size,
      height: c.size,
    });
    const { timings: t } = await pipe.txt2img({
      prompt: 'a lighthouse at dusk',
      seed: 1,
      steps: c.steps,
      width: c.size,
      height: c.size,
    });
    const ours = t.total - t.ort;
    const perStep = t.unet / c.steps;
    rows.push([
      `${c.name} ${c.size}x${c.size}`,
      pipe.executionProviders[1].replace('UNet: ', ''),
      ms(t.tokenize),
      ms(t.textEncoder),
      ms(perStep),
      ms(t.scheduler / c.steps),
      ms(t.vaeDecode),
      ms(t.total),
      `${ms(ours)} (${((ours / c.steps / perStep) * 100).toFixed(2)}% of a step)`,
    ]);
    await pipe.dispose();
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
printTable(
  [
    'what',
    'provider',
    'tokenize',
    'text encoder',
    'UNet / step',
    'scheduler / step',
    'VAE decode',
    'total',
    'ours (outside ORT)',
  ],
  rows,
);

function ms(value: number): string {
  return `${value.toFixed(value < 10 ? 2 : 0)} ms`;
}
