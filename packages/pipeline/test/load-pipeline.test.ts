import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ortWeb from 'onnxruntime-web';
import { describe, expect, it } from 'vitest';
import { buildVaeEncoder } from '../src/onnx-builder/autoencoder-kl.ts';
import { buildClipTextModel } from '../src/onnx-builder/clip-text-model.ts';
import { externalizeWeights } from '../src/onnx-builder/external-data.ts';
import { buildUNet2DCondition } from '../src/onnx-builder/unet-2d-condition.ts';
import {
  loadPipeline,
  loadPipelineWithRuntime,
  memoryModelFiles,
  type OrtRuntime,
  TorchGenerator,
} from './helpers/load-imports.ts';
import { copyModel, editJson, readTree } from './helpers/model-copies.ts';
import { maxPixelDifference, testImage, tinyModel } from './helpers/tiny-models.ts';

const FAST = { prompt: 'a red circle', seed: 7, steps: 3, sampler: 'euler' as const };

async function render(dir: string, options: object = {}) {
  const pipe = await loadPipeline(dir, { executionProviders: ['cpu'] });
  try {
    return (await pipe.txt2img({ ...FAST, ...options })).images[0].image.data;
  } finally {
    await pipe.dispose();
  }
}

function unetConfig(dir: string) {
  return JSON.parse(readFileSync(join(dir, 'unet/config.json'), 'utf8'));
}

describe('loadPipeline: execution providers that cannot run', () => {
  it('refuses an unknown provider as a bad option, not a broken model file', async () => {
    await expect(
      loadPipeline(await tinyModel(), { executionProviders: ['foo'] }),
    ).rejects.toMatchObject({ code: 'invalid_options', message: /Unknown execution provider foo/ });
  });

  it('says WebGPU could not start, with the lavapipe hint, when there is no Vulkan driver', async () => {
    let pipe: Awaited<ReturnType<typeof loadPipeline>> | undefined;
    try {
      pipe = await loadPipeline(await tinyModel(), { executionProviders: ['webgpu'] });
    } catch (error) {
      expect(error).toMatchObject({
        code: 'execution_provider_unavailable',
        message: expect.stringContaining('scripts/setup-lavapipe.sh'),
      });
      return;
    }
    // This process found a Vulkan driver (a GPU, or lavapipe configured): nothing to report.
    await pipe.dispose();
  });
});

describe('loadPipeline: model folders with missing or wrong files', () => {
  it('names a missing model_index.json', async () => {
    const dir = copyModel(await tinyModel());
    rmSync(join(dir, 'model_index.json'));
    await expect(loadPipeline(dir)).rejects.toMatchObject({
      code: 'model_file_missing',
      message: expect.stringContaining(join(dir, 'model_index.json')),
    });
  });

  it('names malformed JSON', async () => {
    const dir = copyModel(await tinyModel());
    writeFileSync(join(dir, 'scheduler/scheduler_config.json'), '{"beta_start": ');
    await expect(loadPipeline(dir)).rejects.toMatchObject({
      code: 'model_file_invalid',
      message: expect.stringContaining('scheduler_config.json'),
    });
  });

  it('names a missing model file and a missing tokenizer file', async () => {
    const dir = copyModel(await tinyModel());
    rmSync(join(dir, 'unet/model.onnx'));
    await expect(loadPipeline(dir)).rejects.toMatchObject({
      code: 'model_file_missing',
      message: expect.stringContaining('unet'),
    });
    const other = copyModel(await tinyModel());
    rmSync(join(other, 'tokenizer/merges.txt'));
    await expect(loadPipeline(other)).rejects.toMatchObject({
      code: 'tokenizer_file_missing',
      message: expect.stringContaining('merges.txt'),
    });
  });

  it('refuses an empty or malformed list of execution providers', async () => {
    const dir = await tinyModel();
    for (const executionProviders of [[], [''], 'cpu' as unknown as string[]]) {
      await expect(loadPipeline(dir, { executionProviders })).rejects.toMatchObject({
        code: 'invalid_options',
      });
    }
  });

  it('reports a corrupt ONNX file', async () => {
    const dir = copyModel(await tinyModel());
    writeFileSync(join(dir, 'vae_decoder/model.onnx'), 'not a model');
    await expect(loadPipeline(dir)).rejects.toMatchObject({
      code: 'model_file_invalid',
      message: expect.stringContaining('VAE decoder'),
    });
  });

  it('reports a model whose inputs are not a UNet’s', async () => {
    const dir = copyModel(await tinyModel());
    writeFileSync(join(dir, 'unet/model.onnx'), readFileSync(join(dir, 'vae_decoder/model.onnx')));
    await expect(loadPipeline(dir)).rejects.toMatchObject({
      code: 'model_unsupported',
      message: expect.stringContaining('no input named sample'),
    });
  });

  it('generates without a VAE encoder, and says img2img needs one', async () => {
    const dir = copyModel(await tinyModel());
    rmSync(join(dir, 'vae_encoder'), { recursive: true });
    const pipe = await loadPipeline(dir);
    await expect(pipe.txt2img(FAST)).resolves.toBeDefined();
    await expect(pipe.img2img({ ...FAST, image: testImage() })).rejects.toMatchObject({
      code: 'model_unsupported',
    });
    await pipe.dispose();
    await expect(pipe.txt2img(FAST)).rejects.toMatchObject({ code: 'invalid_options' });
  });
});

describe('loadPipeline: export variations', () => {
  it.each([
    ['[batch]', ['batch']],
    ['a scalar', []],
  ])('reads the UNet timestep shape from the session (%s)', async (_, shape) => {
    const base = await tinyModel();
    const dir = copyModel(base);
    const bytes = buildUNet2DCondition(unetConfig(base), new TorchGenerator(2), {
      io: 'float32',
      timestepType: 'float32',
      timestepShape: shape,
    });
    writeFileSync(join(dir, 'unet/model.onnx'), bytes);
    expect(maxPixelDifference(await render(dir), await render(base))).toBe(0);
  });

  it('loads external weight files (weights.pb) beside the model', async () => {
    const base = await tinyModel();
    const dir = copyModel(base);
    const external = externalize(unetConfig(base));
    writeFileSync(join(dir, 'unet/model.onnx'), external.model);
    writeFileSync(join(dir, 'unet/weights.pb'), external.data);
    expect(external.model.length).toBeLessThan(200_000);
    expect(maxPixelDifference(await render(dir), await render(base))).toBe(0);
  });

  it('reads the VAE scaling factor from the config', async () => {
    const base = await tinyModel();
    const dir = copyModel(base);
    editJson(join(dir, 'vae_decoder/config.json'), (c) => {
      c.scaling_factor = 0.5;
    });
    expect(maxPixelDifference(await render(dir), await render(base))).toBeGreaterThan(0);
  });

  it('reads v-prediction from the scheduler config', async () => {
    const base = await tinyModel('sd2-v');
    const dir = copyModel(base);
    editJson(join(dir, 'scheduler/scheduler_config.json'), (c) => {
      c.prediction_type = 'epsilon';
    });
    expect(maxPixelDifference(await render(dir), await render(base))).toBeGreaterThan(0);
  });

  it('samples VAE encoders that output latent_parameters with the seed’s generator', async () => {
    const base = await tinyModel();
    const dir = copyModel(base);
    const vae = JSON.parse(readFileSync(join(base, 'vae_encoder/config.json'), 'utf8'));
    writeFileSync(
      join(dir, 'vae_encoder/model.onnx'),
      buildVaeEncoder(vae, new TorchGenerator(3), 'float32', 'latent_parameters'),
    );
    const pipe = await loadPipeline(dir);
    const run = (seed: number) => pipe.img2img({ ...FAST, image: testImage(), strength: 0, seed });
    const [a, b, c] = [await run(1), await run(1), await run(2)];
    expect(a.images[0].image.data).toEqual(b.images[0].image.data);
    expect(maxPixelDifference(a.images[0].image.data, c.images[0].image.data)).toBeGreaterThan(0);
    await pipe.dispose();
  });
});

describe('the web backend (onnxruntime-web, wasm) in Node', () => {
  it('gives the same image as the node backend, from memory with external data', async () => {
    const base = await tinyModel();
    const files = readTree(base);
    const external = externalize(unetConfig(base));
    files['unet/model.onnx'] = external.model;
    files['unet/weights.pb'] = external.data;
    const textConfig = JSON.parse(readFileSync(join(base, 'text_encoder/config.json'), 'utf8'));
    files['text_encoder/model.onnx'] = buildClipTextModel(textConfig, new TorchGenerator(1));
    ortWeb.env.wasm.numThreads = 1;
    const web = await loadPipelineWithRuntime(memoryModelFiles(files, 'tiny-sd15'), {
      ort: ortWeb as unknown as OrtRuntime,
      executionProviders: ['wasm'],
    });
    const webImage = (await web.txt2img({ ...FAST, sampler: 'euler_a' })).images[0].image.data;
    await web.dispose();
    const nodeImage = await render(base, { sampler: 'euler_a' });
    expect(maxPixelDifference(webImage, nodeImage)).toBeLessThanOrEqual(2);
  }, 120_000);
});

/** The tiny model's UNet (same config and seed) with its weights moved to weights.pb. */
function externalize(config: Parameters<typeof buildUNet2DCondition>[0]) {
  return externalizeWeights(buildUNet2DCondition(config, new TorchGenerator(2)), 'weights.pb');
}
