import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  describeWebGpuAdapter,
  loadPipeline,
  TorchGenerator,
  type WebGpuAdapterInfo,
} from '../src/node.ts';
import { GraphBuilder } from '../src/onnx-builder/graph-builder.ts';
import { Layers } from '../src/onnx-builder/layers.ts';
import { TINY_VARIANTS } from '../src/testing.ts';
import { maxPixelDifference, testImage, tinyModel } from './helpers/tiny-models.ts';

let adapter: WebGpuAdapterInfo | null = null;
beforeAll(async () => {
  adapter = await describeWebGpuAdapter();
  if (!adapter) {
    console.warn(
      '[skip] no WebGPU adapter (no Vulkan driver, and lavapipe not set up: run scripts/setup-lavapipe.sh)',
    );
  } else {
    console.log(
      `WebGPU adapter: ${adapter.description} (${adapter.vendor}), fallback ${adapter.isFallbackAdapter}, shader-f16 ${adapter.shaderF16}`,
    );
  }
});

// ONNX Runtime's WebGPU kernels sum in other orders than its CPU ones: images agree to a few
// levels out of 255 on the tiny models.
const TOLERANCE = 3;
const OPTIONS = { prompt: 'a red circle', seed: 3, steps: 3, sampler: 'euler' as const };

// ONNX Runtime 1.30's WebGPU Conv is wrong for 9 input channels (the inpainting UNet's conv_in);
// see the failing-by-design test below. Every other variant runs on WebGPU.
const WEBGPU_VARIANTS = TINY_VARIANTS.filter((v) => v !== 'inpaint');

describe.each(WEBGPU_VARIANTS)('the tiny %s model on WebGPU', (variant) => {
  it('gives the same image as on the CPU', async (context) => {
    if (!adapter) return context.skip();
    if (variant === 'fp16' && !adapter.shaderF16) return context.skip();
    const dir = await tinyModel(variant);
    const gpu = await loadPipeline(dir, { executionProviders: ['webgpu'] });
    const cpu = await loadPipeline(dir, { executionProviders: ['cpu'] });
    try {
      expect(gpu.executionProviders.every((p) => p.endsWith('webgpu'))).toBe(true);
      const a = await gpu.txt2img(OPTIONS);
      const b = await cpu.txt2img(OPTIONS);
      expect(
        maxPixelDifference(a.images[0].image.data, b.images[0].image.data),
      ).toBeLessThanOrEqual(TOLERANCE);
      if (variant === 'sd15') {
        const image = testImage();
        const x = await gpu.img2img({ ...OPTIONS, image, strength: 0.5 });
        const y = await cpu.img2img({ ...OPTIONS, image, strength: 0.5 });
        expect(
          maxPixelDifference(x.images[0].image.data, y.images[0].image.data),
        ).toBeLessThanOrEqual(TOLERANCE);
      }
    } finally {
      await gpu.dispose();
      await cpu.dispose();
    }
  });
});

describe('WebGPU adapter report and known provider bugs', () => {
  it('names the adapter', async (context) => {
    if (!adapter) return context.skip();
    expect(adapter.description.length).toBeGreaterThan(0);
  });

  // Fails today (max difference about 2.8): when an ONNX Runtime upgrade fixes it, this test
  // starts "failing" and the inpaint variant can join WEBGPU_VARIANTS.
  it.fails('ONNX Runtime WebGPU Conv with 9 input channels matches the CPU', async (context) => {
    if (!adapter) return context.skip();
    const g = new GraphBuilder(new TorchGenerator(0), 'conv');
    const x = g.input('x', 'float32', [2, 9, 8, 8]);
    g.output('y', new Layers(g).conv('conv_in', x, 9, 32, 3), 'float32', [2, 32, 8, 8]);
    const feeds = {
      x: new ort.Tensor(
        'float32',
        Float32Array.from({ length: 2 * 9 * 64 }, (_, i) => Math.sin(i)),
        [2, 9, 8, 8],
      ),
    };
    const outputs: Float32Array[] = [];
    for (const provider of ['cpu', 'webgpu']) {
      const session = await ort.InferenceSession.create(g.toBytes(), {
        executionProviders: [provider],
        logSeverityLevel: 3,
      });
      outputs.push((await session.run(feeds)).y.data as Float32Array);
      await session.release();
    }
    const worst = outputs[0].reduce((m, v, i) => Math.max(m, Math.abs(v - outputs[1][i])), 0);
    expect(worst).toBeLessThan(1e-4);
  });
});
