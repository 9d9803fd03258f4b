import { SdedgeError } from '../errors.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import type { StableDiffusionPipeline } from '../pipelines/stable-diffusion-pipeline.ts';
import { TorchGenerator } from '../random/torch-generator.ts';
import { matchColors } from './color-match.ts';
import type { AnimationSettings, KeyframePrompt } from './deforum-settings.ts';
import { applyContrast, blendFrames, warpFrame } from './frame-warp.ts';
import { SeedSequence } from './seed-behavior.ts';

export interface AnimationProgress {
  /** The frame being diffused (0-based). */
  frame: number;
  frames: number;
  step: number;
  totalSteps: number;
}

export interface RenderOptions {
  onProgress?: (progress: AnimationProgress) => void;
  /** Called with each finished frame, in order. */
  onFrame?: (frame: RgbImage, index: number) => void;
  signal?: AbortSignal;
  /** Frame 0's init image (settings.initImage, decoded by the caller). */
  initImage?: RgbImage;
}

export interface RenderResult {
  /** Every frame made, in order; fewer than maxFrames when cancelled. */
  frames: RgbImage[];
  /** Seed of each diffused frame. */
  seeds: { frame: number; seed: number }[];
  canceled: boolean;
}

/**
 * Renders a Deforum animation. 2D mode, per diffused frame in Deforum's order: read the
 * schedules; warp the previous frame (zoom, angle, translation about the centre); match colours
 * to the first frame; apply contrast; add noise; img2img at denoising strength
 * 1 - strength_schedule; advance the seed. Frame 0 is txt2img (or img2img from the init image).
 * With cadence N only every Nth frame is diffused and the frames between are warped and
 * cross-faded as Deforum does, including the last window (which Deforum drops).
 * Interpolation mode: txt2img for every frame with the two surrounding prompts blended.
 */
export async function renderAnimation(
  pipeline: StableDiffusionPipeline,
  settings: AnimationSettings,
  options: RenderOptions = {},
): Promise<RenderResult> {
  const frames: RgbImage[] = [];
  const seeds: { frame: number; seed: number }[] = [];
  const emit = (image: RgbImage) => {
    frames.push(image);
    options.onFrame?.(image, frames.length - 1);
  };
  try {
    if (settings.animationMode === 'Interpolation')
      await renderInterpolation(pipeline, settings, options, emit, seeds);
    else await render2D(pipeline, settings, options, emit, seeds);
    return { frames, seeds, canceled: false };
  } catch (error) {
    if (error instanceof SdedgeError && error.code === 'canceled')
      return { frames, seeds, canceled: true };
    throw error;
  }
}

type Emit = (image: RgbImage) => void;

async function render2D(
  pipeline: StableDiffusionPipeline,
  s: AnimationSettings,
  options: RenderOptions,
  emit: Emit,
  seeds: { frame: number; seed: number }[],
): Promise<void> {
  const sequence = new SeedSequence(s.seed, s.seedBehavior, s.schedules.seed);
  const warp = (image: RgbImage, frame: number) =>
    warpFrame(
      image,
      {
        angle: s.schedules.angle[frame],
        zoom: s.schedules.zoom[frame],
        translationX: s.schedules.translationX[frame],
        translationY: s.schedules.translationY[frame],
        centerX: s.schedules.centerX[frame],
        centerY: s.schedules.centerY[frame],
      },
      s.border,
    );
  const cadence = s.cadence;
  let previous: RgbImage | null = null;
  let colorReference: RgbImage | null = null;
  // Cadence state: the last two diffused frames, each warped forward as the tweens advance.
  let turboPrev: { image: RgbImage; frame: number } | null = null;
  let turboNext: { image: RgbImage; frame: number } | null = null;
  const emitTweens = (from: number, to: number, windowEnd: number) => {
    for (let f = from; f < to; f++) {
      const tween = (f - from + 1) / (windowEnd - from);
      if (turboPrev && f > turboPrev.frame)
        turboPrev = { image: warp(turboPrev.image, f), frame: f };
      if (turboNext && f > turboNext.frame)
        turboNext = { image: warp(turboNext.image, f), frame: f };
      const image =
        turboPrev && tween < 1
          ? blendFrames(turboPrev.image, turboNext!.image, tween)
          : turboNext!.image;
      emit(image);
    }
  };

  let frame = 0;
  while (frame < s.maxFrames) {
    if (cadence > 1 && turboNext) {
      emitTweens(Math.max(0, frame - cadence), frame, frame);
      previous = turboNext.image;
    }
    let init: RgbImage | null = null;
    let strength = 1;
    if (previous) {
      let warped = warp(previous, frame);
      if (s.colorCoherence !== 'None') {
        if (colorReference === null) colorReference = warped;
        else warped = matchColors(warped, colorReference, s.colorCoherence);
      }
      init = addNoise(
        applyContrast(warped, s.schedules.contrast[frame]),
        s.schedules.noise[frame],
        sequence.seedFor(frame),
      );
      strength = 1 - clamp01(s.schedules.strength[frame]);
    } else if (options.initImage) {
      init = options.initImage;
      strength = 1 - clamp01(s.initStrength);
    }
    const seed = sequence.seedFor(frame);
    seeds.push({ frame, seed });
    const image = await diffuse(
      pipeline,
      s,
      frame,
      seed,
      init,
      strength,
      promptAt(s.prompts, frame),
      options,
    );
    previous = image;
    sequence.advance();
    if (cadence > 1) {
      turboPrev = turboNext;
      turboNext = { image, frame };
      frame += cadence;
    } else {
      emit(image);
      frame += 1;
    }
  }
  // Deforum stops here and loses the frames after the last diffused one; we finish its window.
  if (cadence > 1 && turboNext) {
    const last = turboNext.frame;
    emitTweens(last, s.maxFrames, last + cadence);
  }
}

async function renderInterpolation(
  pipeline: StableDiffusionPipeline,
  s: AnimationSettings,
  options: RenderOptions,
  emit: Emit,
  seeds: { frame: number; seed: number }[],
): Promise<void> {
  const sequence = new SeedSequence(s.seed, s.seedBehavior, s.schedules.seed);
  for (let frame = 0; frame < s.maxFrames; frame++) {
    const index = s.prompts.findLastIndex((p) => p.frame <= frame);
    const current = s.prompts[Math.max(0, index)];
    const next = s.prompts[index + 1];
    const weight = next ? (frame - current.frame) / (next.frame - current.frame) : 0;
    const seed = sequence.seedFor(frame);
    seeds.push({ frame, seed });
    const blend = next && weight > 0 ? { prompt: next.prompt, weight } : undefined;
    emit(await diffuse(pipeline, s, frame, seed, null, 1, current, options, blend));
    sequence.advance();
  }
}

async function diffuse(
  pipeline: StableDiffusionPipeline,
  s: AnimationSettings,
  frame: number,
  seed: number,
  init: RgbImage | null,
  strength: number,
  prompt: KeyframePrompt,
  options: RenderOptions,
  promptBlend?: { prompt: string; weight: number },
): Promise<RgbImage> {
  const common = {
    prompt: prompt.prompt,
    negativePrompt: prompt.negativePrompt,
    steps: s.schedules.steps[frame],
    guidanceScale: s.schedules.cfgScale[frame],
    sampler: s.sampler,
    seed,
    signal: options.signal,
    promptBlend,
    onStep: ({ step, totalSteps }: { step: number; totalSteps: number }) =>
      options.onProgress?.({ frame, frames: s.maxFrames, step, totalSteps }),
  };
  const result = init
    ? await pipeline.img2img({ ...common, image: init, strength })
    : await pipeline.txt2img({ ...common, width: s.width, height: s.height });
  return result.images[0].image;
}

function promptAt(prompts: KeyframePrompt[], frame: number): KeyframePrompt {
  return prompts.findLast((p) => p.frame <= frame) ?? prompts[0];
}

/** Deforum's add_noise: x + N(0, 1) * amount in [-1, 1] pixel space, drawn from the frame's seed. */
function addNoise(image: RgbImage, amount: number, seed: number): RgbImage {
  if (amount <= 0) return image;
  const noise = new TorchGenerator(seed).randn([image.data.length]);
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++) {
    const v = image.data[i] / 127.5 - 1 + noise[i] * amount;
    data[i] = Math.round(Math.min(1, Math.max(-1, v)) * 127.5 + 127.5);
  }
  return { width: image.width, height: image.height, data };
}

function clamp01(v: number): number {
  return Math.min(1, Math.max(0, v));
}
