import { SdedgeError } from '../errors.ts';
import type { PredictionType } from './config.ts';
import type { NoiseSource } from './scheduler.ts';

/**
 * The denoised estimate x0 in the variance-preserving form x_t = alpha_t x0 + sigma_t eps
 * (DDIM, LCM, DPM-Solver, UniPC), from whatever the model predicts.
 */
export function predictX0(
  prediction: PredictionType,
  sample: Float32Array,
  modelOutput: Float32Array,
  alphaT: number,
  sigmaT: number,
): Float32Array {
  const out = new Float32Array(sample.length);
  for (let i = 0; i < out.length; i++) {
    const x = sample[i];
    const m = modelOutput[i];
    if (prediction === 'epsilon') out[i] = (x - sigmaT * m) / alphaT;
    else if (prediction === 'v_prediction') out[i] = alphaT * x - sigmaT * m;
    else out[i] = m;
  }
  return out;
}

/**
 * The denoised estimate in k-diffusion's variance-exploding form x = x0 + sigma eps
 * (Euler, Euler ancestral, Heun, LMS), where the model saw x / sqrt(sigma^2 + 1).
 */
export function predictX0FromSigma(
  prediction: PredictionType,
  sample: Float32Array,
  modelOutput: Float32Array,
  sigma: number,
): Float32Array {
  const out = new Float32Array(sample.length);
  const vScale = -sigma / Math.sqrt(sigma * sigma + 1);
  const vSample = 1 / (sigma * sigma + 1);
  for (let i = 0; i < out.length; i++) {
    const x = sample[i];
    const m = modelOutput[i];
    if (prediction === 'epsilon') out[i] = x - sigma * m;
    else if (prediction === 'v_prediction') out[i] = m * vScale + x * vSample;
    else out[i] = m;
  }
  return out;
}

/** a * x + b * y, elementwise. */
export function combine(a: number, x: Float32Array, b: number, y: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = a * x[i] + b * y[i];
  return out;
}

/** x * s, elementwise. */
export function scale(x: Float32Array, s: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < out.length; i++) out[i] = x[i] * s;
  return out;
}

export function clampInPlace(x: Float32Array, limit: number): void {
  for (let i = 0; i < x.length; i++) x[i] = Math.min(limit, Math.max(-limit, x[i]));
}

/**
 * Standard normal noise for a sample of `length` values, drawn as diffusers' randn_tensor draws
 * it: all at once from one generator, or one batch item per generator from a list.
 */
export function drawNoise(
  source: NoiseSource | undefined,
  length: number,
  schedulerName: string,
): Float32Array {
  if (!source) {
    throw new SdedgeError(
      'missing_generator',
      `The ${schedulerName} scheduler adds noise at each step: pass { generator } to step().`,
    );
  }
  if (!Array.isArray(source))
    return (source as Exclude<NoiseSource, readonly unknown[]>).randn([length]);
  const generators = source as Exclude<NoiseSource, { randn: unknown }>;
  if (generators.length === 0 || length % generators.length !== 0) {
    throw new SdedgeError(
      'shape_mismatch',
      `${generators.length} generators cannot split a sample of ${length} values into equal batch items.`,
    );
  }
  const per = length / generators.length;
  const out = new Float32Array(length);
  generators.forEach((g, i) => {
    out.set(g.randn([per]), i * per);
  });
  return out;
}

/** The noise estimate eps in the variance-preserving form, from whatever the model predicts. */
export function predictEpsilon(
  prediction: PredictionType,
  sample: Float32Array,
  modelOutput: Float32Array,
  alphaT: number,
  sigmaT: number,
): Float32Array {
  if (prediction === 'epsilon') return modelOutput;
  const out = new Float32Array(sample.length);
  for (let i = 0; i < out.length; i++) {
    const x = sample[i];
    const m = modelOutput[i];
    out[i] = prediction === 'v_prediction' ? alphaT * m + sigmaT * x : (x - alphaT * m) / sigmaT;
  }
  return out;
}

/** sum_k coefficient_k * array_k, elementwise: the update every multistep solver computes. */
export function weightedSum(terms: readonly (readonly [number, Float32Array])[]): Float32Array {
  const out = new Float64Array(terms[0][1].length);
  for (const [coefficient, values] of terms) {
    if (coefficient === 0) continue;
    for (let i = 0; i < out.length; i++) out[i] += coefficient * values[i];
  }
  return Float32Array.from(out);
}
