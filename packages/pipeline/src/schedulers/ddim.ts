import { SdedgeError } from '../errors.ts';
import { BASE_DEFAULTS, type SchedulerConfig } from './config.ts';
import { clampInPlace, drawNoise, predictEpsilon, predictX0 } from './sample-math.ts';
import { assertSameLength, BaseScheduler, type StepOptions } from './scheduler.ts';
import { integerTimesteps } from './timestep-spacing.ts';

export const DDIM_DEFAULTS: SchedulerConfig = {
  ...BASE_DEFAULTS,
  clip_sample: true,
  timestep_spacing: 'leading',
};

/** DDIM (Song et al. 2020), diffusers' DDIMScheduler; eta > 0 adds fresh noise each step. */
export class DdimScheduler extends BaseScheduler {
  readonly name: string = 'ddim';

  protected computeTimesteps(n: number): void {
    const c = this.config;
    this.timesteps = integerTimesteps(c.timestep_spacing, c.num_train_timesteps, n, c.steps_offset);
  }

  protected computeStep(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    options: StepOptions,
  ): Float32Array {
    const eta = options.eta ?? 0;
    if (!(eta >= 0))
      throw new SdedgeError('invalid_argument', `DDIM eta must be >= 0, got ${eta}.`);
    const prevT = t - Math.floor(this.config.num_train_timesteps / this.numInferenceSteps!);
    const alphaProd = this.alphaProdAt(t);
    const alphaProdPrev = this.alphaProdAt(prevT);
    const betaProd = 1 - alphaProd;

    const prediction = this.config.prediction_type;
    const [alphaT, sigmaT] = [Math.sqrt(alphaProd), Math.sqrt(betaProd)];
    const x0 = predictX0(prediction, sample, modelOutput, alphaT, sigmaT);
    // Clipping bounds x0 only; the direction uses the unclipped noise estimate, as diffusers does.
    if (this.config.clip_sample) clampInPlace(x0, this.config.clip_sample_range);
    const eps = predictEpsilon(prediction, sample, modelOutput, alphaT, sigmaT);

    const variance = ((1 - alphaProdPrev) / betaProd) * (1 - alphaProd / alphaProdPrev);
    const stdDev = eta * Math.sqrt(variance);
    const directionScale = Math.sqrt(1 - alphaProdPrev - stdDev * stdDev);
    const out = new Float32Array(sample.length);
    const sqrtPrev = Math.sqrt(alphaProdPrev);
    for (let i = 0; i < out.length; i++) out[i] = sqrtPrev * x0[i] + directionScale * eps[i];
    if (eta > 0) {
      const noise = drawNoise(options.generator, out.length, this.name);
      for (let i = 0; i < out.length; i++) out[i] += stdDev * noise[i];
    }
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseVariancePreserving(this.alphaProdAt(t), original, noise);
  }
}

/** sqrt(alpha_bar) x0 + sqrt(1 - alpha_bar) noise: the forward process at one timestep. */
export function addNoiseVariancePreserving(
  alphaProd: number,
  original: Float32Array,
  noise: Float32Array,
): Float32Array {
  assertSameLength(original, noise, 'original', 'noise');
  const a = Math.sqrt(alphaProd);
  const b = Math.sqrt(1 - alphaProd);
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = a * original[i] + b * noise[i];
  return out;
}
