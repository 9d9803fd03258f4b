import { BASE_DEFAULTS, type SchedulerConfig } from './config.ts';
import { lmsCoefficient } from './lms-coefficients.ts';
import { predictX0FromSigma, weightedSum } from './sample-math.ts';
import type { StepOptions } from './scheduler.ts';
import { SigmaScheduler } from './sigma-scheduler.ts';

export const LMS_DEFAULTS: SchedulerConfig = { ...BASE_DEFAULTS };
const LMS_ORDER = 4;

/**
 * Linear multistep (k-diffusion's sample_lms), diffusers' LMSDiscreteScheduler: each step
 * integrates the last four ODE slopes with Lagrange-polynomial weights.
 */
export class LmsScheduler extends SigmaScheduler {
  readonly name: string = 'lms';
  private slopes: Float32Array[] = [];

  protected override computeTimesteps(n: number): void {
    super.computeTimesteps(n);
    this.slopes = [];
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
    this.slopes.push(
      weightedSum([
        [1 / sigma, sample],
        [-1 / sigma, x0],
      ]),
    );
    if (this.slopes.length > LMS_ORDER) this.slopes.shift();

    const order = Math.min(i + 1, LMS_ORDER);
    const coefficients = Array.from({ length: order }, (_, c) =>
      lmsCoefficient(this.sigmas, order, i, c),
    );
    const newestFirst = this.slopes.slice().reverse();
    const out = weightedSum([
      [1, sample],
      ...coefficients.map((c, k) => [c, newestFirst[k]] as const),
    ]);
    this.advanceStepIndex();
    return out;
  }
}
