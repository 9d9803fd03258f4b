import { BASE_DEFAULTS, type SchedulerConfig } from './config.ts';
import { alphaSigmaOf, lambdaOf } from './multistep-schedule.ts';
import { MultistepScheduler } from './multistep-scheduler.ts';
import { solveLinear } from './numpy-math.ts';
import { predictX0, weightedSum } from './sample-math.ts';
import type { StepOptions } from './scheduler.ts';

export const UNIPC_DEFAULTS: SchedulerConfig = { ...BASE_DEFAULTS };

/**
 * UniPC (Zhao et al. 2023): a predictor-corrector multistep solver in data prediction with the
 * B(h) = e^h - 1 variant ("bh2"), diffusers' UniPCMultistepScheduler. Each step first corrects the
 * previous step's result with the new model output (UniC), then predicts the next sample (UniP).
 */
export class UniPcScheduler extends MultistepScheduler {
  readonly name: string = 'unipc';
  private lastSample: Float32Array | null = null;
  private lastOrder = 1;

  constructor(config: SchedulerConfig) {
    super(config, 'karras_min');
  }

  protected override resetHistory(): void {
    super.resetHistory();
    this.lastSample = null;
  }

  protected computeStep(
    modelOutput: Float32Array,
    t: number,
    sample: Float32Array,
    _options: StepOptions,
  ): Float32Array {
    const c = this.config;
    const i = this.currentStepIndex(t);
    const [alphaS, sigmaS] = alphaSigmaOf(this.sigmas[i]);
    const x0 = predictX0(c.prediction_type, sample, modelOutput, alphaS, sigmaS);

    let corrected = sample;
    if (i > 0 && this.lastSample) corrected = this.correct(i, x0, this.lastSample, this.lastOrder);

    this.rememberX0(x0);
    const wanted = c.lower_order_final
      ? Math.min(c.solver_order, this.timesteps.length - i)
      : c.solver_order;
    this.lastOrder = Math.min(wanted, this.lowerOrderCount + 1);
    this.lastSample = corrected;

    const out = this.predict(i, corrected, this.lastOrder);
    this.countWarmUpStep();
    this.advanceStepIndex();
    return out;
  }

  /** UniP: from sigmas[i] to sigmas[i + 1] using the last `order` x0 estimates. */
  private predict(i: number, x: Float32Array, order: number): Float32Array {
    const terms = this.bhTerms(i + 1, i, order, (k) => i - k);
    const rhos =
      order === 2
        ? [0.5]
        : order > 2
          ? solveLinear(sliceSquare(terms.r, order - 1), terms.b.slice(0, -1))
          : [];
    return this.combine(terms, x, rhos, null, 0);
  }

  /** UniC: redo the step sigmas[i - 1] -> sigmas[i] with the model output at sigmas[i]. */
  private correct(i: number, x0AtI: Float32Array, last: Float32Array, order: number): Float32Array {
    const terms = this.bhTerms(i, i - 1, order, (k) => i - (k + 1));
    const rhos = order === 1 ? [0.5] : solveLinear(terms.r, terms.b);
    return this.combine(terms, last, rhos.slice(0, -1), x0AtI, rhos[rhos.length - 1]);
  }

  /**
   * The shared pieces of both updates: step size h in log-SNR, the ratios r_k of earlier steps,
   * the differences D1_k of earlier x0 estimates, and the B(h) system R rho = b.
   */
  private bhTerms(to: number, from: number, order: number, earlierIndex: (k: number) => number) {
    const [alphaT, sigmaT] = alphaSigmaOf(this.sigmas[to]);
    const [, sigmaS0] = alphaSigmaOf(this.sigmas[from]);
    const lambdaS0 = lambdaOf(this.sigmas[from]);
    const h = lambdaOf(this.sigmas[to]) - lambdaS0;
    const m0 = this.x0History[this.x0History.length - 1];
    const rks: number[] = [];
    const d1s: Float32Array[] = [];
    for (let k = 1; k < order; k++) {
      const rk = (lambdaOf(this.sigmas[earlierIndex(k)]) - lambdaS0) / h;
      const mk = this.x0History[this.x0History.length - 1 - k];
      rks.push(rk);
      d1s.push(
        weightedSum([
          [1 / rk, mk],
          [-1 / rk, m0],
        ]),
      );
    }
    rks.push(1);
    const hh = -h; // data prediction
    const hPhi1 = Math.expm1(hh);
    const bH = Math.expm1(hh); // bh2
    const r: number[][] = [];
    const b: number[] = [];
    let hPhiK = hPhi1 / hh - 1;
    let factorial = 1;
    for (let k = 1; k <= order; k++) {
      r.push(rks.map((rk) => rk ** (k - 1)));
      b.push((hPhiK * factorial) / bH);
      factorial *= k + 1;
      hPhiK = hPhiK / hh - 1 / factorial;
    }
    return { alphaT, sigmaT, sigmaS0, hPhi1, bH, m0, d1s, r, b };
  }

  /** x_t = (sigma_t / sigma_s0) x - alpha_t h_phi_1 m0 - alpha_t B(h) (sum rho_k D1_k + rho_t D1_t). */
  private combine(
    bh: ReturnType<UniPcScheduler['bhTerms']>,
    x: Float32Array,
    rhos: number[],
    modelAtT: Float32Array | null,
    rhoT: number,
  ): Float32Array {
    const { alphaT, sigmaT, sigmaS0, hPhi1, bH, m0, d1s } = bh;
    const residualScale = -alphaT * bH;
    const terms: [number, Float32Array][] = [
      [sigmaT / sigmaS0, x],
      [-alphaT * hPhi1 - (modelAtT ? residualScale * rhoT : 0), m0],
    ];
    for (let k = 0; k < rhos.length && k < d1s.length; k++)
      terms.push([residualScale * rhos[k], d1s[k]]);
    if (modelAtT) terms.push([residualScale * rhoT, modelAtT]);
    return weightedSum(terms);
  }
}

function sliceSquare(m: number[][], n: number): number[][] {
  return m.slice(0, n).map((row) => row.slice(0, n));
}
