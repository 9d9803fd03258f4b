/**
 * The pipeline benchmark for a GPU machine reached through the device tool: UNet time per step
 * on ONNX Runtime's WebGPU provider (the GPU's own Vulkan driver) next to the CPU, for the tiny
 * model and the mid-size model. Bundled and carried by scripts/pack-gpu-bench.sh; writes a
 * Markdown table to stdout and to $OUT/gpu-bench.md when OUT is set.
 *   npx tsx bench/gpu-device.ts [--smoke]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWebGpuAdapter, loadPipeline } from '@sdedge/pipeline/node';
import { buildTinyModel } from '@sdedge/pipeline/testing';
import { buildMidSizeModel } from './lib/mid-size-model.ts';

const smoke = process.argv.includes('--smoke');
const lines: string[] = [];
const say = (line: string) => {
  console.log(line);
  lines.push(line);
};

const adapter = await describeWebGpuAdapter();
say(
  `date: ${new Date().toISOString()}; node ${process.version}; ${cpus().length} CPU cores (${cpus()[0]?.model ?? '?'})`,
);
say(
  adapter
    ? `WebGPU adapter: ${adapter.description} (vendor ${adapter.vendor}, ${adapter.isFallbackAdapter ? 'software' : 'hardware'}, shader-f16 ${adapter.shaderF16})`
    : 'WebGPU adapter: none',
);
say('');
say('| what | provider | UNet / step | total |');
say('| --- | --- | --- | --- |');
const work = mkdtempSync(join(tmpdir(), 'sdedge-gpu-bench-'));
try {
  const cases = [
    {
      name: 'tiny 64x64',
      size: 64,
      steps: smoke ? 1 : 20,
      build: (d: string) => buildTinyModel(d),
    },
    ...(smoke
      ? []
      : [
          {
            name: 'mid-size 256x256',
            size: 256,
            steps: 10,
            build: (d: string) => buildMidSizeModel(d),
          },
        ]),
  ];
  for (const c of cases) {
    const dir = join(work, c.name.split(' ')[0]);
    await c.build(dir);
    for (const provider of adapter ? ['cpu', 'webgpu'] : ['cpu']) {
      try {
        const pipe = await loadPipeline(dir, { executionProviders: [provider] });
        const options = {
          prompt: 'a lighthouse at dusk',
          seed: 1,
          width: c.size,
          height: c.size,
          sampler: 'euler' as const,
        };
        await pipe.txt2img({ ...options, steps: 1 });
        const { timings } = await pipe.txt2img({ ...options, steps: c.steps });
        say(
          `| ${c.name} | ${provider} | ${(timings.unet / c.steps).toFixed(1)} ms | ${timings.total.toFixed(0)} ms |`,
        );
        await pipe.dispose();
      } catch (error) {
        say(`| ${c.name} | ${provider} | failed: ${(error as Error).message.slice(0, 120)} | |`);
      }
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
if (process.env.OUT) writeFileSync(join(process.env.OUT, 'gpu-bench.md'), `${lines.join('\n')}\n`);
