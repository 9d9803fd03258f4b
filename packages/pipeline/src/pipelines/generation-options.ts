import { SdedgeError } from '../errors.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { MAX_SEED, normalizeSeed } from '../random/seed.ts';
import {
  SCHEDULER_NAMES,
  type SchedulerName,
  samplerByName,
} from '../schedulers/create-scheduler.ts';
import { GENERATION_BOUNDS, GENERATION_DEFAULTS } from './generation-defaults.ts';

/** What a step reports to `onStep`. */
export interface StepProgress {
  /** 1-based index of the step just taken. */
  step: number;
  totalSteps: number;
  timestep: number;
  /** A small RGB preview of the first image, every `previewEvery` steps. */
  preview?: RgbImage;
}

export interface CommonGenerationOptions {
  prompt: string;
  negativePrompt?: string;
  /** Denoising steps (default 20). */
  steps?: number;
  /** Classifier-free guidance scale (default 7); 1 or less skips the unconditional pass. */
  guidanceScale?: number;
  /** Our sampler name; AUTOMATIC1111's display names are taken too, in any case ("DPM++ 2M Karras"). */
  sampler?: SchedulerName;
  /** 0..2^32-1; random when absent. Image i of a batch uses seed + i. */
  seed?: number;
  batchSize?: number;
  /** 1 = last CLIP layer; 2 = the one before it (AUTOMATIC1111's "Clip skip"). */
  clipSkip?: number;
  /** DDIM's eta. */
  eta?: number;
  onStep?: (progress: StepProgress) => void;
  /**
   * Blends the prompt's conditioning with another prompt's: (1 - weight) * prompt + weight *
   * blend.prompt (Deforum's interpolation mode). The negative prompt is shared.
   */
  promptBlend?: { prompt: string; weight: number };
  /** Preview interval in steps for onStep (0 = no previews). */
  previewEvery?: number;
  signal?: AbortSignal;
}

export interface Txt2ImgOptions extends CommonGenerationOptions {
  width?: number;
  height?: number;
}

export interface Img2ImgOptions extends CommonGenerationOptions {
  image: RgbImage;
  /** How much to change the image: 0 keeps it, 1 ignores it (default 0.75). */
  strength?: number;
}

export interface InpaintOptions extends CommonGenerationOptions {
  image: RgbImage;
  /** White = repaint, black = keep; same size as the image. */
  mask: RgbImage;
  /** Gaussian blur of the mask edge in pixels (default 4). */
  maskBlur?: number;
  /** Default 1: the masked area is generated from pure noise. */
  strength?: number;
}

export interface GenerationLimits {
  maxPixels: number;
  maxSteps: number;
  maxBatchSize: number;
  maxPromptLength: number;
}

export const DEFAULT_LIMITS: GenerationLimits = {
  maxPixels: 2048 * 2048,
  maxSteps: GENERATION_BOUNDS.steps.max,
  maxBatchSize: GENERATION_BOUNDS.batchSize.max,
  maxPromptLength: 10_000,
};

/** Options after defaults and validation. */
export interface ResolvedOptions {
  prompt: string;
  negativePrompt: string;
  steps: number;
  guidanceScale: number;
  sampler: SchedulerName;
  seed: number;
  batchSize: number;
  clipSkip: number;
  eta: number;
  previewEvery: number;
  promptBlend?: { prompt: string; weight: number };
  onStep?: (progress: StepProgress) => void;
  signal?: AbortSignal;
}

export function resolveCommonOptions(
  options: CommonGenerationOptions,
  limits: GenerationLimits,
): ResolvedOptions {
  if (!options || typeof options !== 'object')
    throw invalid('options', 'Options must be an object.');
  const prompt = text(options.prompt, 'prompt', limits);
  const negativePrompt =
    options.negativePrompt === undefined
      ? ''
      : text(options.negativePrompt, 'negativePrompt', limits);
  const steps = integer(options.steps ?? GENERATION_DEFAULTS.steps, 'steps', 1, limits.maxSteps);
  const guidanceScale = number(
    options.guidanceScale ?? GENERATION_DEFAULTS.guidanceScale,
    'guidanceScale',
    GENERATION_BOUNDS.guidanceScale.min,
    GENERATION_BOUNDS.guidanceScale.max,
  );
  const requested = options.sampler ?? GENERATION_DEFAULTS.sampler;
  const sampler = typeof requested === 'string' ? samplerByName(requested) : undefined;
  if (!sampler) {
    throw new SdedgeError(
      'unknown_scheduler',
      `Unknown sampler ${JSON.stringify(requested)}; valid samplers: ${SCHEDULER_NAMES.join(', ')} (or AUTOMATIC1111's names, such as "DPM++ 2M Karras").`,
      {
        field: 'sampler',
      },
    );
  }
  let seed: number;
  if (options.seed === undefined) seed = randomSeed();
  else {
    if (typeof options.seed !== 'number' || options.seed > MAX_SEED) {
      throw new SdedgeError(
        'invalid_seed',
        `seed must be an integer from 0 to ${MAX_SEED}, got ${String(options.seed)}.`,
        { field: 'seed' },
      );
    }
    seed = normalizeSeed(options.seed);
  }
  const batchSize = integer(
    options.batchSize ?? GENERATION_DEFAULTS.batchSize,
    'batchSize',
    1,
    limits.maxBatchSize,
  );
  if (seed + batchSize - 1 > MAX_SEED) {
    throw invalid('seed', `seed + batchSize - 1 must stay below 2^32 (image i uses seed + i).`);
  }
  const onStep = options.onStep;
  if (onStep !== undefined && typeof onStep !== 'function')
    throw invalid('onStep', 'onStep must be a function.');
  const signal = options.signal;
  if (signal !== undefined && (typeof signal !== 'object' || typeof signal.aborted !== 'boolean')) {
    throw invalid('signal', 'signal must be an AbortSignal.');
  }
  let promptBlend: ResolvedOptions['promptBlend'];
  if (options.promptBlend !== undefined) {
    const blend = options.promptBlend;
    if (!blend || typeof blend !== 'object')
      throw invalid('promptBlend', 'promptBlend must be { prompt, weight }.');
    promptBlend = {
      prompt: text(blend.prompt, 'promptBlend.prompt', limits),
      weight: number(blend.weight, 'promptBlend.weight', 0, 1),
    };
  }
  return {
    prompt,
    negativePrompt,
    promptBlend,
    steps,
    guidanceScale,
    sampler,
    seed,
    batchSize,
    clipSkip: integer(options.clipSkip ?? 1, 'clipSkip', 1, 12),
    eta: number(options.eta ?? 0, 'eta', 0, 1),
    previewEvery: integer(options.previewEvery ?? 0, 'previewEvery', 0, limits.maxSteps),
    onStep,
    signal,
  };
}

/** Width and height: multiples of the VAE factor, within the pixel limit. */
export function resolveSize(
  width: unknown,
  height: unknown,
  factor: number,
  limits: GenerationLimits,
): { width: number; height: number } {
  for (const [name, value] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (
      !Number.isInteger(value) ||
      (value as number) < factor ||
      (value as number) % factor !== 0
    ) {
      throw new SdedgeError(
        'invalid_size',
        `${name} must be a positive multiple of ${factor}, got ${String(value)}.`,
        { field: name },
      );
    }
  }
  const pixels = (width as number) * (height as number);
  if (pixels > limits.maxPixels) {
    throw new SdedgeError(
      'invalid_size',
      `${width}x${height} is above the limit of ${limits.maxPixels} pixels.`,
      { field: 'width' },
    );
  }
  return { width: width as number, height: height as number };
}

export function resolveStrength(value: unknown, fallback: number): number {
  return number(value ?? fallback, 'strength', 0, 1);
}

function text(value: unknown, field: string, limits: GenerationLimits): string {
  if (typeof value !== 'string')
    throw new SdedgeError('invalid_prompt', `${field} must be a string.`, { field });
  if (value.length > limits.maxPromptLength) {
    throw new SdedgeError(
      'invalid_prompt',
      `${field} is longer than ${limits.maxPromptLength} characters.`,
      { field },
    );
  }
  return value;
}

function integer(value: unknown, field: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    throw new SdedgeError(
      field === 'steps' ? 'invalid_steps' : 'invalid_options',
      `${field} must be an integer from ${min} to ${max}, got ${String(value)}.`,
      {
        field,
      },
    );
  }
  return value as number;
}

function number(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !(value >= min && value <= max)) {
    throw new SdedgeError(
      'invalid_options',
      `${field} must be a number from ${min} to ${max}, got ${String(value)}.`,
      { field },
    );
  }
  return value;
}

function invalid(field: string, message: string): SdedgeError {
  return new SdedgeError('invalid_options', message, { field });
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0];
}
