import { BASE_DEFAULTS, type SchedulerConfig } from './config.ts';
import { addNoiseVariancePreserving } from './ddim.ts';
import { predictEpsilon, weightedSum } from './sample-math.ts';
import { BaseScheduler, type StepOptions } from './scheduler.ts';
import { integerTimesteps } from './timestep-spacing.ts';

export const PNDM_DEFAULTS: SchedulerConfig = {
  ...BASE_DEFAULTS,
  set_alpha_to_one: false,
  timestep_spacing: 'leading',
};

/**
 * PLMS (Liu et al. 2022): diffusers' PNDMScheduler with skip_prk_steps, the "PLMS" of
 * AUTOMATIC1111. A linear multistep method over past noise predictions; its second step repeats
 * the first timestep to warm up. The Runge-Kutta warm-up (skip_prk_steps false) is not offered.
 */
export class PndmScheduler extends BaseScheduler {
  readonly name: string = 'pndm';
  private ets: Float32Array[] = [];
  private counter = 0;
  private firstSample: Float32Array | null = null;

  protected computeTimesteps(n: number): void {
    const c = this.config;
    let ascending = integerTimesteps(
      c.timestep_spacing,
      c.num_train_timesteps,
      n,
      c.steps_offset,
    ).reverse();
    // diffusers' PNDM "trailing" reverses arange(N, 0, -N/n) before subtracting 1: same values.
    ascending = [...ascending.slice(0, -1), ...ascending.slice(-2, -1), ...ascending.slice(-1)];
    this.timesteps = ascending.reverse();
    this.ets = [];
    this.counter = 0;
    this.firstSample = null;
  }

  protected computeStep(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    _options: StepOptions,
  ): Float32Array {
    const stride = Math.floor(this.config.num_train_timesteps / this.numInferenceSteps!);
    let timestep = t;
    let prevTimestep = t - stride;
    if (this.counter !== 1) {
      this.ets = this.ets.slice(-3);
      this.ets.push(modelOutput);
    } else {
      // The repeated step evaluates the model at t - stride and averages with the first one.
      prevTimestep = t;
      timestep = t + stride;
    }
    const ets = this.ets;
    const n = ets.length;
    let eps: Float32Array;
    let x = sample;
    if (n === 1 && this.counter === 0) {
      eps = modelOutput;
      this.firstSample = sample;
    } else if (n === 1 && this.counter === 1) {
      eps = weightedSum([
        [0.5, modelOutput],
        [0.5, ets[0]],
      ]);
      x = this.firstSample!;
      this.firstSample = null;
    } else if (n === 2) {
      eps = weightedSum([
        [3 / 2, ets[1]],
        [-1 / 2, ets[0]],
      ]);
    } else if (n === 3) {
      eps = weightedSum([
        [23 / 12, ets[2]],
        [-16 / 12, ets[1]],
        [5 / 12, ets[0]],
      ]);
    } else {
      eps = weightedSum([
        [55 / 24, ets[3]],
        [-59 / 24, ets[2]],
        [37 / 24, ets[1]],
        [-9 / 24, ets[0]],
      ]);
    }
    this.counter++;
    return this.previousSample(x, timestep, prevTimestep, eps);
  }

  /** Formula (9) of the PNDM paper: the deterministic move from t to prevT given eps. */
  private previousSample(
    sample: Float32Array,
    t: number,
    prevT: number,
    output: Float32Array,
  ): Float32Array {
    const alphaProd = this.alphaProdAt(t);
    const alphaProdPrev = this.alphaProdAt(prevT);
    const betaProd = 1 - alphaProd;
    const betaProdPrev = 1 - alphaProdPrev;
    const eps = predictEpsilon(
      this.config.prediction_type,
      sample,
      output,
      Math.sqrt(alphaProd),
      Math.sqrt(betaProd),
    );
    const sampleCoeff = Math.sqrt(alphaProdPrev / alphaProd);
    const denom =
      alphaProd * Math.sqrt(betaProdPrev) + Math.sqrt(alphaProd * betaProd * alphaProdPrev);
    const epsCoeff = (alphaProdPrev - alphaProd) / denom;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = sampleCoeff * sample[i] - epsCoeff * eps[i];
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseVariancePreserving(this.alphaProdAt(t), original, noise);
  }
}
