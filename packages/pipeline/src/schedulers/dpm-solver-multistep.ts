import { BASE_DEFAULTS, type SchedulerConfig } from './config.ts';
import { alphaSigmaOf, lambdaOf } from './multistep-schedule.ts';
import { MultistepScheduler } from './multistep-scheduler.ts';
import { predictX0, weightedSum } from './sample-math.ts';
import type { StepOptions } from './scheduler.ts';

export const DPM_SOLVER_DEFAULTS: SchedulerConfig = { ...BASE_DEFAULTS };

/**
 * DPM-Solver++ multistep (Lu et al. 2022) in data prediction with the midpoint second-order
 * update: diffusers' DPMSolverMultistepScheduler (algorithm_type "dpmsolver++"), AUTOMATIC1111's
 * "DPM++ 2M" (and "DPM++ 2M Karras" with use_karras_sigmas). solver_order 1 to 3; the last steps
 * fall back to lower orders as diffusers does (lower_order_final, final sigma 0).
 */
export class DpmSolverMultistepScheduler extends MultistepScheduler {
  readonly name: string;

  constructor(config: SchedulerConfig, name = 'dpmpp_2m') {
    super(config, 'train_min');
    this.name = name;
  }

  protected computeStep(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    _options: StepOptions,
  ): Float32Array {
    const c = this.config;
    const i = this.currentStepIndex(t);
    const steps = this.timesteps.length;
    const lastStep = i === steps - 1;
    const lowerOrderFinal =
      lastStep &&
      (c.euler_at_final || (c.lower_order_final && steps < 15) || c.final_sigmas_type === 'zero');
    const lowerOrderSecond = i === steps - 2 && c.lower_order_final && steps < 15;

    const [alphaS, sigmaS] = alphaSigmaOf(this.sigmas[i]);
    this.rememberX0(predictX0(c.prediction_type, sample, modelOutput, alphaS, sigmaS));

    let out: Float32Array;
    if (c.solver_order === 1 || this.lowerOrderCount < 1 || lowerOrderFinal)
      out = this.firstOrderUpdate(i, sample);
    else if (c.solver_order === 2 || this.lowerOrderCount < 2 || lowerOrderSecond)
      out = this.secondOrderUpdate(i, sample);
    else out = this.thirdOrderUpdate(i, sample);

    this.countWarmUpStep();
    this.advanceStepIndex();
    return out;
  }

  /** DDIM in log-SNR time: x_t = (sigma_t / sigma_s) x_s - alpha_t (e^-h - 1) x0. */
  private firstOrderUpdate(i: number, sample: Float32Array): Float32Array {
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmas[i + 1]);
    const [, sigmaS] = alphaSigmaOf(this.sigmas[i]);
    const h = lambdaOf(this.sigmas[i + 1]) - lambdaOf(this.sigmas[i]);
    const a = sigmaT / sigmaS;
    const b = -alphaT * (Math.exp(-h) - 1);
    const m0 = this.newestX0(0);
    return weightedSum([
      [a, sample],
      [b, m0],
    ]);
  }

  private secondOrderUpdate(i: number, sample: Float32Array): Float32Array {
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmas[i + 1]);
    const [, sigmaS0] = alphaSigmaOf(this.sigmas[i]);
    const [lambdaT, lambdaS0, lambdaS1] = [i + 1, i, i - 1].map((j) => lambdaOf(this.sigmas[j]));
    const h = lambdaT - lambdaS0;
    const r0 = (lambdaS0 - lambdaS1) / h;
    const m0 = this.newestX0(0);
    const m1 = this.newestX0(1);
    const a = sigmaT / sigmaS0;
    const phi = alphaT * (Math.exp(-h) - 1);
    // D1 = (m0 - m1) / r0, folded into the coefficients of m0 and m1.
    const halfPhiOverR0 = (0.5 * phi) / r0;
    return weightedSum([
      [a, sample],
      [-phi - halfPhiOverR0, m0],
      [halfPhiOverR0, m1],
    ]);
  }

  private thirdOrderUpdate(i: number, sample: Float32Array): Float32Array {
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmas[i + 1]);
    const [, sigmaS0] = alphaSigmaOf(this.sigmas[i]);
    const [lambdaT, lambdaS0, lambdaS1, lambdaS2] = [i + 1, i, i - 1, i - 2].map((j) =>
      lambdaOf(this.sigmas[j]),
    );
    const h = lambdaT - lambdaS0;
    const r0 = (lambdaS0 - lambdaS1) / h;
    const r1 = (lambdaS1 - lambdaS2) / h;
    const [m0, m1, m2] = [this.newestX0(0), this.newestX0(1), this.newestX0(2)];
    const a = sigmaT / sigmaS0;
    const em = Math.exp(-h) - 1;
    const c0 = -alphaT * em;
    const c1 = alphaT * (em / h + 1);
    const c2 = -alphaT * ((em + h) / (h * h) - 0.5);
    // D1_0 = (m0 - m1) / r0, D1_1 = (m1 - m2) / r1, D1 = D1_0 + r0 / (r0 + r1) (D1_0 - D1_1),
    // D2 = (D1_0 - D1_1) / (r0 + r1): expand into coefficients of m0, m1, m2.
    const w10 = c1 * (1 + r0 / (r0 + r1)) + c2 / (r0 + r1); // on D1_0
    const w11 = -c1 * (r0 / (r0 + r1)) - c2 / (r0 + r1); // on D1_1
    return weightedSum([
      [a, sample],
      [c0 + w10 / r0, m0],
      [-w10 / r0 + w11 / r1, m1],
      [-w11 / r1, m2],
    ]);
  }
}
