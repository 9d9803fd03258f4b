/**
 * UNet time per step on ONNX Runtime's WebGPU provider next to its CPU provider, for the tiny
 * model (64x64) and the mid-size model (256x256).
 *   npx tsx bench/webgpu.ts [--smoke]
 * Without a Vulkan driver it uses the project's lavapipe (scripts/setup-lavapipe.sh), re-running
 * itself with the environment that needs.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeWebGpuAdapter, loadPipeline } from '@sdedge/pipeline/node';
import { buildTinyModel, rerunWithLavapipe } from '@sdedge/pipeline/testing';
import { buildMidSizeModel } from './lib/mid-size-model.ts';
import { printTable } from './lib/timing.ts';

const status = rerunWithLavapipe();
if (status !== null) process.exit(status);

const smoke = process.argv.includes('--smoke');
const adapter = await describeWebGpuAdapter();
const rows: string[][] = [];
if (!adapter) {
  console.warn(
    '[skip] no WebGPU adapter: run scripts/setup-lavapipe.sh, or run on a machine with a Vulkan driver',
  );
} else {
  const work = mkdtempSync(join(tmpdir(), 'sdedge-webgpu-'));
  const cases = [
    { name: 'tiny', size: 64, steps: smoke ? 1 : 6, build: (d: string) => buildTinyModel(d) },
    ...(smoke
      ? []
      : [{ name: 'mid-size', size: 256, steps: 3, build: (d: string) => buildMidSizeModel(d) }]),
  ];
  try {
    for (const c of cases) {
      const dir = join(work, c.name);
      await c.build(dir);
      const perStep: Record<string, number> = {};
      for (const provider of ['cpu', 'webgpu']) {
        const pipe = await loadPipeline(dir, { executionProviders: [provider] });
        const options = {
          prompt: 'a lighthouse',
          seed: 1,
          width: c.size,
          height: c.size,
          sampler: 'euler' as const,
        };
        await pipe.txt2img({ ...options, steps: 1 }); // compiles shaders, plans memory
        const { timings } = await pipe.txt2img({ ...options, steps: c.steps });
        perStep[provider] = timings.unet / c.steps;
        await pipe.dispose();
      }
      rows.push([
        `${c.name} ${c.size}x${c.size}`,
        `${perStep.cpu.toFixed(1)} ms`,
        `${perStep.webgpu.toFixed(1)} ms`,
        `${(perStep.cpu / perStep.webgpu).toFixed(2)}x`,
      ]);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(
    `adapter: ${adapter.description} (${adapter.vendor}, ${adapter.isFallbackAdapter ? 'software fallback' : 'hardware'}, shader-f16 ${adapter.shaderF16})`,
  );
}
printTable(['what', 'UNet step on cpu', 'UNet step on webgpu', 'cpu / webgpu'], rows);
