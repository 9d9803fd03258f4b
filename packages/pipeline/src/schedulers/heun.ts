import { BASE_DEFAULTS, type SchedulerConfig } from './config.ts';
import { clampInPlace, predictX0FromSigma } from './sample-math.ts';
import type { StepOptions } from './scheduler.ts';
import { SigmaScheduler } from './sigma-scheduler.ts';

export const HEUN_DEFAULTS: SchedulerConfig = {
  ...BASE_DEFAULTS,
  beta_start: 0.00085,
  beta_end: 0.012,
};

/**
 * Heun's second-order method (Karras et al. 2022, algorithm 1), diffusers' HeunDiscreteScheduler.
 * Every interval but the last takes two model evaluations, so the schedule lists each inner
 * timestep twice (`order` = 2): an Euler step to the next sigma, then a correction with the
 * average of both slopes. The last interval, down to sigma 0, is a plain Euler step.
 */
export class HeunScheduler extends SigmaScheduler {
  readonly name: string = 'heun';
  override readonly order: number = 2;
  private firstSlope: Float32Array | null = null;
  private firstSample: Float32Array | null = null;
  private firstDt = 0;

  protected override computeTimesteps(n: number): void {
    const { timesteps, sigmas } = this.sigmaSchedule(n);
    this.sigmas = [
      sigmas[0],
      ...sigmas.slice(1, -1).flatMap((s) => [s, s]),
      sigmas[sigmas.length - 1],
    ];
    this.timesteps = [timesteps[0], ...timesteps.slice(1).flatMap((t) => [t, t])];
    this.firstSlope = null;
    this.firstSample = null;
  }

  protected computeStep(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    _options: StepOptions,
  ): Float32Array {
    const i = this.currentStepIndex(t);
    const firstOrder = this.firstSlope === null;
    const sigma = firstOrder ? this.sigmas[i] : this.sigmas[i - 1];
    const sigmaNext = firstOrder ? this.sigmas[i + 1] : this.sigmas[i];
    const x0 = predictX0FromSigma(
      this.config.prediction_type,
      sample,
      modelOutput,
      firstOrder ? sigma : sigmaNext,
    );
    if (this.config.clip_sample) clampInPlace(x0, this.config.clip_sample_range);

    const out = new Float32Array(sample.length);
    if (firstOrder) {
      const slope = new Float32Array(sample.length);
      const dt = sigmaNext - sigma;
      for (let k = 0; k < out.length; k++) {
        slope[k] = (sample[k] - x0[k]) / sigma;
        out[k] = sample[k] + slope[k] * dt;
      }
      [this.firstSlope, this.firstSample, this.firstDt] = [slope, sample, dt];
    } else {
      const [first, start, dt] = [this.firstSlope!, this.firstSample!, this.firstDt];
      for (let k = 0; k < out.length; k++) {
        const slope = (first[k] + (sample[k] - x0[k]) / sigmaNext) / 2;
        out[k] = start[k] + slope * dt;
      }
      [this.firstSlope, this.firstSample] = [null, null];
    }
    this.advanceStepIndex();
    return out;
  }
}
