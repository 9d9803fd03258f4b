import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeImage,
  imageToTensorForTests,
  loadPipeline,
  parseGenerationParameters,
  readPngText,
  type StableDiffusionPipeline,
  TINY_VARIANTS,
} from './helpers/pipeline-imports.ts';
import { maxPixelDifference, rectangleMask, testImage, tinyModel } from './helpers/tiny-models.ts';

const FAST = { steps: 4, sampler: 'euler' as const };

describe.each(TINY_VARIANTS)('txt2img on the tiny %s model', (variant) => {
  let pipe: StableDiffusionPipeline;
  beforeAll(async () => {
    pipe = await loadPipeline(await tinyModel(variant), { executionProviders: ['cpu'] });
  });
  afterAll(() => pipe.dispose());

  it('is deterministic per seed, and seeds differ', async () => {
    const a = await pipe.txt2img({ prompt: 'a red circle', seed: 1, ...FAST });
    const b = await pipe.txt2img({ prompt: 'a red circle', seed: 1, ...FAST });
    const c = await pipe.txt2img({ prompt: 'a red circle', seed: 2, ...FAST });
    expect(a.images[0].image.data).toEqual(b.images[0].image.data);
    expect(maxPixelDifference(a.images[0].image.data, c.images[0].image.data)).toBeGreaterThan(0);
    expect(a.images[0].image.width).toBe(64);
  });
});

describe('txt2img on the tiny sd15 model', () => {
  let pipe: StableDiffusionPipeline;
  beforeAll(async () => {
    pipe = await loadPipeline(await tinyModel('sd15'), { executionProviders: ['cpu'] });
  });
  afterAll(() => pipe.dispose());

  it('lets any image of a batch be remade alone from seed + i', async () => {
    const batch = await pipe.txt2img({
      prompt: 'a cat',
      seed: 10,
      batchSize: 3,
      sampler: 'euler_a',
      steps: 4,
    });
    expect(batch.images.map((i) => i.seed)).toEqual([10, 11, 12]);
    const alone = await pipe.txt2img({ prompt: 'a cat', seed: 12, sampler: 'euler_a', steps: 4 });
    expect(
      maxPixelDifference(batch.images[2].image.data, alone.images[0].image.data),
    ).toBeLessThanOrEqual(1);
  });

  it('honours width and height (not swapped)', async () => {
    const result = await pipe.txt2img({ prompt: 'a cat', seed: 1, width: 96, height: 48, ...FAST });
    expect([result.images[0].image.width, result.images[0].image.height]).toEqual([96, 48]);
    expect(result.images[0].image.data).toHaveLength(96 * 48 * 3);
  });

  it('conditions on the prompt, the negative prompt and the guidance scale', async () => {
    const base = await pipe.txt2img({ prompt: 'a red circle', seed: 5, ...FAST });
    const other = await pipe.txt2img({ prompt: 'a blue square', seed: 5, ...FAST });
    const negative = await pipe.txt2img({
      prompt: 'a red circle',
      negativePrompt: 'blurry',
      seed: 5,
      ...FAST,
    });
    const unguided = await pipe.txt2img({
      prompt: 'a red circle',
      seed: 5,
      guidanceScale: 1,
      ...FAST,
    });
    for (const changed of [other, negative, unguided]) {
      expect(
        maxPixelDifference(base.images[0].image.data, changed.images[0].image.data),
      ).toBeGreaterThan(0);
    }
  });

  it('encodes prompts longer than 75 tokens chunk by chunk', async () => {
    const long = `${'a red circle on a blue background, '.repeat(12)}and one more word`;
    const cut = 'a red circle on a blue background, '.repeat(12);
    const a = await pipe.txt2img({ prompt: long, seed: 1, ...FAST });
    const b = await pipe.txt2img({ prompt: cut, seed: 1, ...FAST });
    expect(maxPixelDifference(a.images[0].image.data, b.images[0].image.data)).toBeGreaterThan(0);
  });

  it('applies prompt weights and clip skip', async () => {
    const plain = await pipe.txt2img({ prompt: 'a red circle', seed: 1, ...FAST });
    const weighted = await pipe.txt2img({ prompt: 'a (red:1.5) circle', seed: 1, ...FAST });
    const skipped = await pipe.txt2img({ prompt: 'a red circle', seed: 1, clipSkip: 2, ...FAST });
    expect(
      maxPixelDifference(plain.images[0].image.data, weighted.images[0].image.data),
    ).toBeGreaterThan(0);
    expect(
      maxPixelDifference(plain.images[0].image.data, skipped.images[0].image.data),
    ).toBeGreaterThan(0);
    expect(skipped.images[0].parameters).toContain('Clip skip: 2');
    await expect(pipe.txt2img({ prompt: 'x', clipSkip: 4, ...FAST })).rejects.toMatchObject({
      code: 'invalid_options',
    });
  });

  it('runs every sampler', async () => {
    for (const sampler of [
      'ddim',
      'pndm',
      'lms',
      'heun',
      'dpmpp_2m',
      'dpmpp_2m_karras',
      'unipc',
      'lcm',
      'euler_karras',
      'lms_karras',
      'heun_karras',
    ] as const) {
      const result = await pipe.txt2img({ prompt: 'a cat', seed: 1, steps: 4, sampler });
      expect(result.images[0].parameters, sampler).toMatch(/Sampler: /);
    }
  });

  it("takes AUTOMATIC1111's sampler names and writes the label to the parameters", async () => {
    const result = await pipe.txt2img({
      prompt: 'a cat',
      seed: 1,
      steps: 2,
      sampler: 'DPM++ 2M Karras' as never,
    });
    expect(result.images[0].parameters).toContain('Sampler: DPM++ 2M Karras');
    await expect(
      pipe.txt2img({ prompt: 'a cat', steps: 2, sampler: 'DPM++ 9M' as never }),
    ).rejects.toMatchObject({ code: 'unknown_scheduler' });
  });

  it('reports progress with previews and stops within one step when cancelled', async () => {
    const steps: number[] = [];
    const previews: number[] = [];
    await pipe.txt2img({
      prompt: 'a cat',
      seed: 1,
      steps: 6,
      previewEvery: 2,
      onStep: (p) => {
        steps.push(p.step);
        if (p.preview) previews.push(p.preview.width * p.preview.height);
        expect(p.totalSteps).toBe(6);
      },
    });
    expect(steps).toEqual([1, 2, 3, 4, 5, 6]);
    expect(previews).toEqual([64, 64, 64]);

    const controller = new AbortController();
    const seen: number[] = [];
    const run = pipe.txt2img({
      prompt: 'a cat',
      steps: 10,
      signal: controller.signal,
      onStep: ({ step }) => {
        seen.push(step);
        if (step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'canceled' });
    expect(seen).toEqual([1, 2]);
  });

  it('writes AUTOMATIC1111 parameters into the PNG, and they read back', async () => {
    const result = await pipe.txt2img({
      prompt: 'a lighthouse, (dusk:1.2)',
      negativePrompt: 'blurry',
      seed: 42,
      steps: 5,
      sampler: 'euler_a',
      guidanceScale: 6.5,
    });
    const png = result.images[0].toPng();
    const decoded = decodeImage(png);
    expect(decoded.data).toEqual(result.images[0].image.data);
    const text = readPngText(png).parameters;
    expect(text).toBe(result.images[0].parameters);
    const parsed = parseGenerationParameters(text);
    expect(parsed.prompt).toBe('a lighthouse, (dusk:1.2)');
    expect(parsed.negativePrompt).toBe('blurry');
    expect(parsed.settings).toMatchObject({
      Steps: '5',
      Sampler: 'Euler a',
      'CFG scale': '6.5',
      Seed: '42',
      Size: '64x64',
    });
  });

  it('refuses bad options with clear codes', async () => {
    const cases: [object, string][] = [
      [{ width: 60 }, 'invalid_size'],
      [{ height: 0 }, 'invalid_size'],
      [{ width: 4096, height: 4096 }, 'invalid_size'],
      [{ steps: 0 }, 'invalid_steps'],
      [{ steps: 2.5 }, 'invalid_steps'],
      [{ guidanceScale: Number.NaN }, 'invalid_options'],
      [{ sampler: 'magic' }, 'unknown_scheduler'],
      [{ seed: -1 }, 'invalid_seed'],
      [{ seed: 1.5 }, 'invalid_seed'],
      [{ seed: 2 ** 32 }, 'invalid_seed'],
      [{ batchSize: 0 }, 'invalid_options'],
      [{ prompt: 42 }, 'invalid_prompt'],
      [{ negativePrompt: null }, 'invalid_prompt'],
      [{ onStep: 'nope' }, 'invalid_options'],
    ];
    for (const [bad, code] of cases) {
      await expect(
        pipe.txt2img({ prompt: 'a cat', ...FAST, ...bad } as never),
        JSON.stringify(bad),
      ).rejects.toMatchObject({ code });
    }
  });
});

describe('img2img and inpainting on the tiny models', () => {
  let sd15: StableDiffusionPipeline;
  let inpainting: StableDiffusionPipeline;
  const image = testImage();
  beforeAll(async () => {
    sd15 = await loadPipeline(await tinyModel('sd15'), { executionProviders: ['cpu'] });
    inpainting = await loadPipeline(await tinyModel('inpaint'), { executionProviders: ['cpu'] });
  });
  afterAll(async () => {
    await sd15.dispose();
    await inpainting.dispose();
  });

  it('img2img at strength 0 returns the input through the VAE round trip', async () => {
    const result = await sd15.img2img({ prompt: 'a cat', image, strength: 0, seed: 3, ...FAST });
    const other = await sd15.img2img({ prompt: 'a dog', image, strength: 0, seed: 9, ...FAST });
    expect(result.images[0].image.data).toEqual(other.images[0].image.data);
    const roundTrip = await vaeRoundTrip(await tinyModel('sd15'), image);
    expect(maxPixelDifference(result.images[0].image.data, roundTrip)).toBeLessThanOrEqual(1);
  });

  it('img2img at strength 1 ignores the input (same as txt2img for the seed)', async () => {
    const a = await sd15.img2img({ prompt: 'a cat', image, strength: 1, seed: 3, ...FAST });
    const b = await sd15.img2img({
      prompt: 'a cat',
      image: testImage(64, 64, 9),
      strength: 1,
      seed: 3,
      ...FAST,
    });
    const t = await sd15.txt2img({ prompt: 'a cat', seed: 3, ...FAST });
    expect(a.images[0].image.data).toEqual(b.images[0].image.data);
    expect(a.images[0].image.data).toEqual(t.images[0].image.data);
  });

  it('img2img at strength 0.5 depends on both the input and the seed', async () => {
    const a = await sd15.img2img({
      prompt: 'a cat',
      image,
      strength: 0.5,
      seed: 3,
      steps: 8,
      sampler: 'dpmpp_2m',
    });
    const b = await sd15.img2img({
      prompt: 'a cat',
      image: testImage(64, 64, 9),
      strength: 0.5,
      seed: 3,
      steps: 8,
      sampler: 'dpmpp_2m',
    });
    const c = await sd15.img2img({
      prompt: 'a cat',
      image,
      strength: 0.5,
      seed: 4,
      steps: 8,
      sampler: 'dpmpp_2m',
    });
    expect(maxPixelDifference(a.images[0].image.data, b.images[0].image.data)).toBeGreaterThan(0);
    expect(maxPixelDifference(a.images[0].image.data, c.images[0].image.data)).toBeGreaterThan(0);
    expect(a.images[0].parameters).toContain('Denoising strength: 0.5');
  });

  it.each([
    ['an ordinary UNet (latent blending)', 'sd15'],
    ['a 9-channel inpainting UNet', 'inpaint'],
  ])('inpainting with %s leaves unmasked pixels unchanged', async (_, which) => {
    const pipe = which === 'sd15' ? sd15 : inpainting;
    const mask = rectangleMask(64, 64, { x0: 16, y0: 16, x1: 48, y1: 48 });
    const sharp = await pipe.inpaint({
      prompt: 'a cat',
      image,
      mask,
      maskBlur: 0,
      seed: 2,
      ...FAST,
    });
    const out = sharp.images[0].image.data;
    let changedInside = 0;
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const p = (y * 64 + x) * 3;
        const inside = x >= 16 && x < 48 && y >= 16 && y < 48;
        if (!inside) expect(out.subarray(p, p + 3)).toEqual(image.data.subarray(p, p + 3));
        else if (maxPixelDifference(out.subarray(p, p + 3), image.data.subarray(p, p + 3)) > 0)
          changedInside++;
      }
    }
    expect(changedInside).toBeGreaterThan(32 * 32 * 0.5);
    // With the default blur, pixels well away from the edge are still untouched.
    const blurred = await pipe.inpaint({ prompt: 'a cat', image, mask, seed: 2, ...FAST });
    expect(blurred.images[0].image.data.subarray(0, 64 * 3 * 4)).toEqual(
      image.data.subarray(0, 64 * 3 * 4),
    );
  });

  it('refuses bad images, masks and strengths', async () => {
    const mask = rectangleMask(64, 64, { x0: 0, y0: 0, x1: 8, y1: 8 });
    await expect(sd15.img2img({ prompt: 'x', image, strength: 1.5 })).rejects.toMatchObject({
      code: 'invalid_options',
    });
    await expect(sd15.img2img({ prompt: 'x', image, strength: -0.1 })).rejects.toMatchObject({
      code: 'invalid_options',
    });
    await expect(sd15.img2img({ prompt: 'x', image: testImage(60, 64) })).rejects.toMatchObject({
      code: 'invalid_size',
    });
    await expect(
      sd15.img2img({ prompt: 'x', image: { width: 64, height: 64, data: new Uint8Array(5) } }),
    ).rejects.toMatchObject({
      code: 'invalid_image',
    });
    await expect(
      sd15.inpaint({ prompt: 'x', image, mask: testImage(32, 32) }),
    ).rejects.toMatchObject({ code: 'invalid_size' });
    await expect(sd15.inpaint({ prompt: 'x', image, mask, maskBlur: -1 })).rejects.toMatchObject({
      code: 'invalid_options',
    });
  });

  it('refuses an all-black mask (nothing to repaint) and says when it is all white', async () => {
    const solid = (value: number) => ({
      width: 64,
      height: 64,
      data: new Uint8Array(64 * 64 * 3).fill(value),
    });
    await expect(
      sd15.inpaint({ prompt: 'x', image, mask: solid(0), ...FAST }),
    ).rejects.toMatchObject({ code: 'invalid_image', message: /all black/ });
    const all = await sd15.inpaint({ prompt: 'x', image, mask: solid(255), seed: 1, ...FAST });
    expect(all.warnings).toEqual([expect.stringContaining('all white')]);
    const part = rectangleMask(64, 64, { x0: 0, y0: 0, x1: 8, y1: 8 });
    const some = await sd15.inpaint({ prompt: 'x', image, mask: part, seed: 1, ...FAST });
    expect(some.warnings).toBeUndefined();
  });
});

/** decode(encode(image)) computed directly with ONNX Runtime, independent of the pipeline. */
async function vaeRoundTrip(
  dir: string,
  image: { width: number; height: number; data: Uint8Array },
) {
  const encoder = await ort.InferenceSession.create(join(dir, 'vae_encoder/model.onnx'));
  const decoder = await ort.InferenceSession.create(join(dir, 'vae_decoder/model.onnx'));
  const x = imageToTensorForTests(image);
  const { latent_sample } = await encoder.run({
    sample: new ort.Tensor('float32', x, [1, 3, 64, 64]),
  });
  const { sample } = await decoder.run({ latent_sample });
  const out = sample.data as Float32Array;
  const data = new Uint8Array(64 * 64 * 3);
  for (let p = 0; p < 64 * 64; p++) {
    for (let c = 0; c < 3; c++)
      data[p * 3 + c] = Math.round(Math.min(1, Math.max(0, out[c * 4096 + p] / 2 + 0.5)) * 255);
  }
  await encoder.release();
  await decoder.release();
  return data;
}
