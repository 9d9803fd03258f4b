import { BASE_DEFAULTS, type SchedulerConfig } from './config.ts';
import { drawNoise, predictX0FromSigma } from './sample-math.ts';
import type { StepOptions } from './scheduler.ts';
import { SigmaScheduler } from './sigma-scheduler.ts';

export const EULER_ANCESTRAL_DEFAULTS: SchedulerConfig = { ...BASE_DEFAULTS };

/**
 * Euler ancestral ("Euler a"): an Euler step down to sigma_down, then fresh noise of sigma_up, so
 * the sample never converges to one image as steps grow. diffusers' EulerAncestralDiscreteScheduler;
 * noise is drawn at every step, the last included, as diffusers draws it.
 */
export class EulerAncestralScheduler extends SigmaScheduler {
  readonly name: string = 'euler_a';

  constructor(config: SchedulerConfig) {
    super(config, { clampFinalAlpha: true });
  }

  protected computeStep(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    options: StepOptions,
  ): Float32Array {
    const i = this.currentStepIndex(t);
    const sigmaFrom = this.sigmas[i];
    const sigmaTo = this.sigmas[i + 1];
    const x0 = predictX0FromSigma(this.config.prediction_type, sample, modelOutput, sigmaFrom);
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigmaFrom ** 2 - sigmaTo ** 2)) / sigmaFrom ** 2);
    const sigmaDown = Math.sqrt(sigmaTo ** 2 - sigmaUp ** 2);
    const dt = sigmaDown - sigmaFrom;
    const noise = drawNoise(options.generator, sample.length, this.name);
    const out = new Float32Array(sample.length);
    for (let k = 0; k < out.length; k++) {
      const derivative = (sample[k] - x0[k]) / sigmaFrom;
      out[k] = sample[k] + derivative * dt + noise[k] * sigmaUp;
    }
    this.advanceStepIndex();
    return out;
  }
}
