import { SdedgeError } from '../errors.ts';
import { latentPreview } from '../image/latent-preview.ts';
import type { TorchGenerator } from '../random/torch-generator.ts';
import type { UNetModel } from '../runtime/unet.ts';
import type { Scheduler } from '../schedulers/scheduler.ts';
import type { ResolvedOptions } from './generation-options.ts';
import type { StageTimings } from './stage-timings.ts';

export interface DenoiseInputs {
  unet: UNetModel;
  scheduler: Scheduler;
  /** The timesteps to run (all of the scheduler's, or the tail for img2img). */
  timesteps: readonly number[];
  /** [batch, 4, h, w] starting latents. */
  latents: Float32Array;
  /** [sequence, dim] conditioning of the prompt and of the negative prompt. */
  condition: Float32Array;
  uncondition: Float32Array;
  sequence: number;
  contextDim: number;
  latentHeight: number;
  latentWidth: number;
  generators: TorchGenerator[];
  options: ResolvedOptions;
  timings: StageTimings;
  /** Extra UNet input channels per batch item (inpainting UNets: mask + masked-image latents). */
  extraChannels?: Float32Array;
  /** Called after each scheduler step (inpainting with ordinary UNets blends latents here). */
  afterStep?: (latents: Float32Array, index: number) => Float32Array;
}

/**
 * The denoising loop of diffusers' StableDiffusionPipeline: per timestep, scale the latents, run
 * the UNet on [unconditional, conditional] in one batch (or on the conditional alone when
 * guidance <= 1), apply classifier-free guidance, and step the scheduler.
 */
export async function denoise(inputs: DenoiseInputs): Promise<Float32Array> {
  const { unet, scheduler, options, timings, latentHeight: h, latentWidth: w } = inputs;
  const batch = options.batchSize;
  const guided = options.guidanceScale > 1;
  const perItem = 4 * h * w;
  const context = buildContext(inputs, guided);
  let latents = inputs.latents;

  for (let i = 0; i < inputs.timesteps.length; i++) {
    throwIfAborted(options.signal);
    const t = inputs.timesteps[i];
    let start = performance.now();
    const scaled = scheduler.scaleModelInput(latents, t);
    let unetInput = inputs.extraChannels
      ? interleaveChannels(scaled, inputs.extraChannels, batch, h * w)
      : scaled;
    if (guided) unetInput = concat(unetInput, unetInput);
    timings.add('scheduler', performance.now() - start);

    start = performance.now();
    const prediction = await unet.predict(unetInput, t, context, guided ? 2 * batch : batch, {
      height: h,
      width: w,
      sequence: inputs.sequence,
      contextDim: inputs.contextDim,
    });
    timings.add('unet', performance.now() - start);

    start = performance.now();
    let noise = prediction;
    if (guided) {
      noise = new Float32Array(batch * perItem);
      const g = options.guidanceScale;
      for (let k = 0; k < noise.length; k++) {
        const uncond = prediction[k];
        noise[k] = uncond + g * (prediction[batch * perItem + k] - uncond);
      }
    }
    latents = scheduler.step(noise, t, latents, { generator: inputs.generators, eta: options.eta });
    if (inputs.afterStep) latents = inputs.afterStep(latents, i);
    timings.add('scheduler', performance.now() - start);

    if (options.onStep) {
      const wantPreview =
        options.previewEvery > 0 &&
        ((i + 1) % options.previewEvery === 0 || i === inputs.timesteps.length - 1);
      options.onStep({
        step: i + 1,
        totalSteps: inputs.timesteps.length,
        timestep: t,
        ...(wantPreview ? { preview: latentPreview(latents, w, h) } : {}),
      });
    }
  }
  throwIfAborted(options.signal);
  return latents;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new SdedgeError('canceled', 'Generation was canceled.', {
      reason: String(signal.reason ?? ''),
    });
  }
}

/** [uncond x batch, cond x batch] (or cond x batch), each [sequence, dim]. */
function buildContext(inputs: DenoiseInputs, guided: boolean): Float32Array {
  const batch = inputs.options.batchSize;
  const parts = [
    ...(guided ? new Array(batch).fill(inputs.uncondition) : []),
    ...new Array(batch).fill(inputs.condition),
  ];
  const out = new Float32Array(parts.length * inputs.condition.length);
  parts.forEach((part, i) => {
    out.set(part, i * part.length);
  });
  return out;
}

/** Per batch item: the 4 latent channels followed by that item's extra channels. */
function interleaveChannels(
  latents: Float32Array,
  extra: Float32Array,
  batch: number,
  plane: number,
): Float32Array {
  const extraPerItem = extra.length / batch;
  const per = 4 * plane + extraPerItem;
  const out = new Float32Array(batch * per);
  for (let b = 0; b < batch; b++) {
    out.set(latents.subarray(b * 4 * plane, (b + 1) * 4 * plane), b * per);
    out.set(extra.subarray(b * extraPerItem, (b + 1) * extraPerItem), b * per + 4 * plane);
  }
  return out;
}

function concat(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
