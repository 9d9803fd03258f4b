import { BASE_DEFAULTS, type SchedulerConfig } from './config.ts';
import { predictX0FromSigma } from './sample-math.ts';
import type { StepOptions } from './scheduler.ts';
import { SigmaScheduler } from './sigma-scheduler.ts';

export const EULER_DEFAULTS: SchedulerConfig = { ...BASE_DEFAULTS };

/** Euler's method on the probability-flow ODE (Karras et al. 2022), diffusers' EulerDiscreteScheduler. */
export class EulerScheduler extends SigmaScheduler {
  readonly name: string = 'euler';

  constructor(config: SchedulerConfig) {
    super(config, { clampFinalAlpha: true });
  }

  protected computeStep(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    _options: StepOptions,
  ): Float32Array {
    const i = this.currentStepIndex(t);
    const sigma = this.sigmas[i];
    const x0 = predictX0FromSigma(this.config.prediction_type, sample, modelOutput, sigma);
    const dt = this.sigmas[i + 1] - sigma;
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) {
      const derivative = (sample[k] - x0[k]) / sigma;
      out[k] = sample[k] + derivative * dt;
    }
    this.advanceStepIndex();
    return out;
  }
}
