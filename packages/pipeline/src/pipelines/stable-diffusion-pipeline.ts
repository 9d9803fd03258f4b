import { SdedgeError } from '../errors.ts';
import { formatGenerationParameters } from '../image/generation-parameters.ts';
import { encodePng } from '../image/image-codecs.ts';
import {
  blurMask,
  compositeWithMask,
  latentMask,
  maskedImageTensor,
  maskFromImage,
} from '../image/mask.ts';
import { assertRgbImage, imageToTensor, type RgbImage, tensorToImage } from '../image/rgb-image.ts';
import { TorchGenerator } from '../random/torch-generator.ts';
import type { OnnxComponent } from '../runtime/onnx-component.ts';
import type { ClipTextEncoder } from '../runtime/text-encoder.ts';
import type { UNetModel } from '../runtime/unet.ts';
import type { VaeModel } from '../runtime/vae.ts';
import { createScheduler, schedulerLabel } from '../schedulers/create-scheduler.ts';
import type { Scheduler } from '../schedulers/scheduler.ts';
import type { ClipTokenizer } from '../text/clip-tokenizer.ts';
import { equalizeChunks, tokenizeWeighted } from '../text/weighted-tokens.ts';
import { denoise, throwIfAborted } from './denoise-loop.ts';
import { GENERATION_DEFAULTS } from './generation-defaults.ts';
import {
  DEFAULT_LIMITS,
  type GenerationLimits,
  type Img2ImgOptions,
  type InpaintOptions,
  type ResolvedOptions,
  resolveCommonOptions,
  resolveSize,
  resolveStrength,
  type Txt2ImgOptions,
} from './generation-options.ts';
import { StageTimings } from './stage-timings.ts';

export interface GeneratedImage {
  image: RgbImage;
  seed: number;
  /** AUTOMATIC1111-style generation parameters ("PNG info"). */
  parameters: string;
  /** The image as PNG with `parameters` in a tEXt chunk. */
  toPng(): Uint8Array;
}

export interface GenerationResult {
  images: GeneratedImage[];
  /** Milliseconds per stage: tokenize, textEncoder, vaeEncode, unet, scheduler, vaeDecode, total, ort. */
  timings: Record<string, number>;
  /** What the caller should know about the result (an all-white mask repaints everything). */
  warnings?: string[];
}

export interface PipelineComponents {
  name: string;
  tokenizer: ClipTokenizer;
  textEncoder: ClipTextEncoder;
  unet: UNetModel;
  vae: VaeModel;
  schedulerConfig: unknown;
  sessions: OnnxComponent[];
  defaultSize: number;
  limits?: Partial<GenerationLimits>;
}

const LATENT_CHANNELS = 4;

/**
 * Stable Diffusion txt2img, img2img and inpainting over ONNX Runtime sessions, with diffusers'
 * numerics (torch-compatible noise, its schedulers and timestep selection) and AUTOMATIC1111's
 * prompt syntax and PNG parameters. Made by loadPipeline; dispose() releases the sessions.
 */
export class StableDiffusionPipeline {
  readonly limits: GenerationLimits;
  private disposed = false;

  constructor(private readonly parts: PipelineComponents) {
    this.limits = { ...DEFAULT_LIMITS, ...parts.limits };
  }

  get name(): string {
    return this.parts.name;
  }

  /** Width and height the model was trained at (unet sample_size x VAE factor). */
  get defaultSize(): number {
    return this.parts.defaultSize;
  }

  /** True for 9-channel inpainting UNets. */
  get isInpaintingModel(): boolean {
    return this.parts.unet.inChannels === 9;
  }

  get executionProviders(): string[] {
    return this.parts.sessions.map((s) => `${s.label}: ${s.executionProvider}`);
  }

  async txt2img(options: Txt2ImgOptions): Promise<GenerationResult> {
    this.assertOpen();
    const o = resolveCommonOptions(options, this.limits);
    const size = resolveSize(
      options.width ?? this.defaultSize,
      options.height ?? this.defaultSize,
      this.factor,
      this.limits,
    );
    return this.run(o, size, {}, async (ctx) => {
      const latents = this.initialNoise(ctx.generators, size, ctx.scheduler.initNoiseSigma);
      let extraChannels: Float32Array | undefined;
      if (this.isInpaintingModel) {
        // An inpainting UNet generating from nothing: the whole image is masked.
        const blank: RgbImage = {
          ...size,
          data: new Uint8Array(size.width * size.height * 3).fill(128),
        };
        const fullMask: RgbImage = {
          ...size,
          data: new Uint8Array(size.width * size.height * 3).fill(255),
        };
        extraChannels = await this.inpaintingChannels(
          blank,
          maskFromImage(fullMask),
          size,
          o.batchSize,
          ctx.timings,
        );
      }
      return { latents, timesteps: ctx.scheduler.timesteps, extraChannels };
    });
  }

  async img2img(options: Img2ImgOptions): Promise<GenerationResult> {
    this.assertOpen();
    const o = resolveCommonOptions(options, this.limits);
    assertRgbImage(options.image, 'image');
    const size = resolveSize(options.image.width, options.image.height, this.factor, this.limits);
    const strength = resolveStrength(options.strength, GENERATION_DEFAULTS.img2imgStrength);
    if (this.isInpaintingModel)
      return this.inpaint({ ...options, mask: fullMask(size), strength, maskBlur: 0 });
    return this.run(o, size, { 'Denoising strength': String(strength) }, async (ctx) => {
      const image = imageToTensor(options.image);
      const { timesteps, beginIndex } = strengthTimesteps(ctx.scheduler, o.steps, strength);
      const encoded: Float32Array[] = [];
      for (const generator of ctx.generators) {
        encoded.push(
          await ctx.timings.time('vaeEncode', () =>
            this.parts.vae.encode(image, size.height, size.width, generator),
          ),
        );
      }
      const init = concatAll(encoded);
      if (timesteps.length === 0) return { latents: init, timesteps };
      ctx.scheduler.setBeginIndex(beginIndex);
      const noise = concatAll(
        ctx.generators.map((g) => g.randn([1, LATENT_CHANNELS, ...this.latentSize(size)])),
      );
      // At full strength start from pure noise, as diffusers' inpainting does: the input is ignored.
      const latents =
        strength >= 1
          ? scale(noise, ctx.scheduler.initNoiseSigma)
          : ctx.scheduler.addNoise(init, noise, timesteps[0]);
      return { latents, timesteps };
    });
  }

  async inpaint(options: InpaintOptions): Promise<GenerationResult> {
    this.assertOpen();
    const o = resolveCommonOptions(options, this.limits);
    assertRgbImage(options.image, 'image');
    assertRgbImage(options.mask, 'mask');
    if (
      options.mask.width !== options.image.width ||
      options.mask.height !== options.image.height
    ) {
      throw new SdedgeError(
        'invalid_size',
        `The mask is ${options.mask.width}x${options.mask.height} but the image is ${options.image.width}x${options.image.height}.`,
        { field: 'mask' },
      );
    }
    const size = resolveSize(options.image.width, options.image.height, this.factor, this.limits);
    const strength = resolveStrength(options.strength, GENERATION_DEFAULTS.inpaintStrength);
    const painted = maskFromImage(options.mask);
    const warnings = maskWarnings(painted.data);
    const mask = blurMask(painted, options.maskBlur ?? GENERATION_DEFAULTS.maskBlur);
    const [lh, lw] = this.latentSize(size);
    const settings = {
      'Denoising strength': String(strength),
      'Mask blur': String(options.maskBlur ?? GENERATION_DEFAULTS.maskBlur),
    };
    const result = await this.run(o, size, settings, async (ctx) => {
      const image = imageToTensor(options.image);
      const { timesteps, beginIndex } = strengthTimesteps(ctx.scheduler, o.steps, strength);
      const imageLatents = await ctx.timings.time('vaeEncode', () =>
        this.parts.vae.encode(image, size.height, size.width),
      );
      const init = concatAll(ctx.generators.map(() => imageLatents));
      if (timesteps.length === 0) return { latents: init, timesteps };
      ctx.scheduler.setBeginIndex(beginIndex);
      const noise = concatAll(ctx.generators.map((g) => g.randn([1, LATENT_CHANNELS, lh, lw])));
      const latents =
        strength >= 1
          ? scale(noise, ctx.scheduler.initNoiseSigma)
          : ctx.scheduler.addNoise(init, noise, timesteps[0]);
      if (this.isInpaintingModel) {
        return {
          latents,
          timesteps,
          extraChannels: await this.inpaintingChannels(
            options.image,
            mask,
            size,
            o.batchSize,
            ctx.timings,
          ),
        };
      }
      // Ordinary UNet: keep the unmasked latents on the original's noisy trajectory at each step.
      const m = latentMask(mask, lw, lh);
      const afterStep = (current: Float32Array, i: number) => {
        const proper =
          i < timesteps.length - 1 ? ctx.scheduler.addNoise(init, noise, timesteps[i + 1]) : init;
        const plane = lh * lw;
        return current.map((v, k) => {
          const keep = 1 - m[k % plane];
          return keep * proper[k] + (1 - keep) * v;
        });
      };
      return { latents, timesteps, afterStep };
    });
    // Paste the result over the original through the blurred mask, as AUTOMATIC1111 does.
    for (const generated of result.images)
      generated.image = compositeWithMask(options.image, generated.image, mask);
    return warnings.length > 0 ? { ...result, warnings } : result;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await Promise.all(this.parts.sessions.map((s) => s.release()));
  }

  private get factor(): number {
    return this.parts.vae.config.spatialFactor;
  }

  private latentSize(size: { width: number; height: number }): [number, number] {
    return [size.height / this.factor, size.width / this.factor];
  }

  private initialNoise(
    generators: TorchGenerator[],
    size: { width: number; height: number },
    sigma: number,
  ): Float32Array {
    return scale(
      concatAll(generators.map((g) => g.randn([1, LATENT_CHANNELS, ...this.latentSize(size)]))),
      sigma,
    );
  }

  /** Mask (1 channel) and masked-image latents (4) per batch item, for 9-channel UNets. */
  private async inpaintingChannels(
    image: RgbImage,
    mask: ReturnType<typeof maskFromImage>,
    size: { width: number; height: number },
    batch: number,
    timings: StageTimings,
  ): Promise<Float32Array> {
    const [lh, lw] = this.latentSize(size);
    const masked = await timings.time('vaeEncode', () =>
      this.parts.vae.encode(maskedImageTensor(imageToTensor(image), mask), size.height, size.width),
    );
    const item = new Float32Array(5 * lh * lw);
    item.set(latentMask(mask, lw, lh));
    item.set(masked, lh * lw);
    return concatAll(new Array(batch).fill(item));
  }

  private async run(
    o: ResolvedOptions,
    size: { width: number; height: number },
    extraSettings: Record<string, string>,
    prepare: (ctx: {
      scheduler: Scheduler;
      generators: TorchGenerator[];
      timings: StageTimings;
    }) => Promise<{
      latents: Float32Array;
      timesteps: readonly number[];
      extraChannels?: Float32Array;
      afterStep?: (latents: Float32Array, i: number) => Float32Array;
    }>,
  ): Promise<GenerationResult> {
    const started = performance.now();
    const ortBefore = this.ortMs();
    const timings = new StageTimings();
    const [lh, lw] = this.latentSize(size);
    const scheduler = createScheduler(o.sampler, this.parts.schedulerConfig);
    scheduler.setTimesteps(o.steps);
    const generators = Array.from(
      { length: o.batchSize },
      (_, i) => new TorchGenerator(o.seed + i),
    );

    const start = performance.now();
    const tokenizer = this.parts.tokenizer;
    const lists = [
      tokenizeWeighted(tokenizer, o.prompt),
      tokenizeWeighted(tokenizer, o.negativePrompt),
    ];
    if (o.promptBlend) lists.push(tokenizeWeighted(tokenizer, o.promptBlend.prompt));
    const [positive, negative, blend] = equalizeChunks(tokenizer, lists);
    timings.add('tokenize', performance.now() - start);
    throwIfAborted(o.signal);
    const guided = o.guidanceScale > 1;
    const groups = [positive, ...(guided ? [negative] : []), ...(blend ? [blend] : [])];
    const embeddings = await timings.time('textEncoder', () =>
      this.parts.textEncoder.encode(groups.flat(), o.clipSkip),
    );
    const perPrompt = positive.length * 77 * this.parts.textEncoder.hiddenSize;
    let condition = embeddings.subarray(0, perPrompt);
    const uncondition = guided
      ? embeddings.subarray(perPrompt, 2 * perPrompt)
      : new Float32Array(0);
    if (blend && o.promptBlend) {
      const other = embeddings.subarray(embeddings.length - perPrompt);
      const w = o.promptBlend.weight;
      condition = condition.map((v, i) => (1 - w) * v + w * other[i]);
    }

    const prepared = await prepare({ scheduler, generators, timings });
    const latents = await denoise({
      unet: this.parts.unet,
      scheduler,
      timesteps: prepared.timesteps,
      latents: prepared.latents,
      condition,
      uncondition,
      sequence: positive.length * 77,
      contextDim: this.parts.textEncoder.hiddenSize,
      latentHeight: lh,
      latentWidth: lw,
      generators,
      options: o,
      timings,
      extraChannels: prepared.extraChannels,
      afterStep: prepared.afterStep,
    });

    const images: GeneratedImage[] = [];
    const perItem = LATENT_CHANNELS * lh * lw;
    for (let b = 0; b < o.batchSize; b++) {
      throwIfAborted(o.signal);
      const decoded = await timings.time('vaeDecode', () =>
        this.parts.vae.decode(latents.subarray(b * perItem, (b + 1) * perItem), lh, lw),
      );
      const parameters = formatGenerationParameters({
        prompt: o.prompt,
        negativePrompt: o.negativePrompt,
        settings: {
          Steps: String(o.steps),
          Sampler: schedulerLabel(o.sampler),
          'CFG scale': String(o.guidanceScale),
          Seed: String(o.seed + b),
          Size: `${size.width}x${size.height}`,
          Model: this.parts.name,
          ...(o.clipSkip > 1 ? { 'Clip skip': String(o.clipSkip) } : {}),
          ...(o.sampler === 'ddim' && o.eta > 0 ? { Eta: String(o.eta) } : {}),
          ...extraSettings,
        },
      });
      images.push(
        generatedImage(tensorToImage(decoded, size.width, size.height), o.seed + b, parameters),
      );
    }
    timings.add('total', performance.now() - started);
    timings.add('ort', this.ortMs() - ortBefore);
    return { images, timings: timings.ms };
  }

  private ortMs(): number {
    return this.parts.sessions.reduce((sum, s) => sum + s.runMs, 0);
  }

  private assertOpen(): void {
    if (this.disposed) throw new SdedgeError('invalid_options', 'This pipeline has been disposed.');
  }
}

/** diffusers' get_timesteps: skip the first (1 - strength) of the schedule. */
function strengthTimesteps(scheduler: Scheduler, steps: number, strength: number) {
  const initTimestep = Math.min(Math.floor(steps * strength), steps);
  const tStart = Math.max(steps - initTimestep, 0);
  const beginIndex = tStart * scheduler.order;
  return { timesteps: scheduler.timesteps.slice(beginIndex), beginIndex };
}

function generatedImage(image: RgbImage, seed: number, parameters: string): GeneratedImage {
  const result: GeneratedImage = {
    image,
    seed,
    parameters,
    toPng: () => encodePng(result.image, { text: { parameters } }),
  };
  return result;
}

function fullMask(size: { width: number; height: number }): RgbImage {
  return { ...size, data: new Uint8Array(size.width * size.height * 3).fill(255) };
}

function scale(values: Float32Array, s: number): Float32Array {
  return values.map((v) => v * s);
}

function concatAll(parts: Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * An all-black mask would change nothing (refused: it is a mistake, such as a mask saved
 * inverted or an empty layer); an all-white one repaints everything (allowed, and said).
 */
function maskWarnings(mask: Float32Array): string[] {
  let min = 1;
  let max = 0;
  for (const v of mask) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  if (max < 0.5 / 255)
    throw new SdedgeError(
      'invalid_image',
      'The mask is all black, so inpainting would change nothing: paint white where the image should change.',
      { field: 'mask' },
    );
  return min > 254.5 / 255
    ? ['The mask is all white: the whole image is repainted (as img2img at this strength).']
    : [];
}
