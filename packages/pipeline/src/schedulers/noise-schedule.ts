import type { SchedulerConfig } from './config.ts';
import { interpIndex, linspace, linspaceFloat32 } from './numpy-math.ts';

const f = Math.fround;

/**
 * The training noise schedule: betas and the cumulative product of alphas, held as float32
 * values (in a Float64Array) exactly as diffusers' float32 tensors hold them. The product is
 * accumulated in double and rounded per element, as torch.cumprod does on the CPU.
 */
export class NoiseSchedule {
  readonly betas: Float64Array;
  readonly alphasCumprod: Float64Array;
  /** sqrt((1 - alphas_cumprod) / alphas_cumprod) per training timestep, ascending in noise. */
  readonly trainSigmas: Float64Array;
  /** `np.log(trainSigmas)`, in float32 as numpy computes it on a float32 array. */
  readonly logTrainSigmas: Float64Array;

  constructor(config: SchedulerConfig, options: { clampFinalAlpha?: boolean } = {}) {
    let betas = betasFor(config);
    if (config.rescale_betas_zero_snr) betas = rescaleZeroTerminalSnr(betas);
    this.betas = betas;
    this.alphasCumprod = cumprodOfAlphas(betas);
    // Euler, DPM-Solver and UniPC avoid an infinite sigma at zero terminal SNR this way.
    if (config.rescale_betas_zero_snr && options.clampFinalAlpha) {
      this.alphasCumprod[this.alphasCumprod.length - 1] = 2 ** -24;
    }
    this.trainSigmas = this.alphasCumprod.map((a) => f(Math.sqrt(f(f(1 - a) / a))));
    this.logTrainSigmas = this.trainSigmas.map((s) => f(Math.log(s)));
  }

  get numTrainTimesteps(): number {
    return this.betas.length;
  }

  /** The sigma at a (possibly fractional) training timestep, by linear interpolation. */
  sigmaAt(t: number): number {
    return interpIndex(t, this.trainSigmas);
  }

  /**
   * diffusers' `_sigma_to_t`: the fractional training timestep whose sigma is `sigma`,
   * interpolating linearly in log-sigma between neighbouring timesteps.
   */
  sigmaToT(sigma: number): number {
    const logs = this.logTrainSigmas;
    const logSigma = Math.log(Math.max(sigma, 1e-10));
    let low = 0;
    for (let i = 0; i < logs.length; i++) if (logSigma - logs[i] >= 0) low = i;
    low = Math.min(low, logs.length - 2);
    const w = Math.min(1, Math.max(0, (logs[low] - logSigma) / (logs[low] - logs[low + 1])));
    return (1 - w) * low + w * (low + 1);
  }
}

function betasFor(config: SchedulerConfig): Float64Array {
  const n = config.num_train_timesteps;
  if (config.trained_betas) return Float64Array.from(config.trained_betas, f);
  switch (config.beta_schedule) {
    case 'linear':
      return linspaceFloat32(config.beta_start, config.beta_end, n);
    case 'scaled_linear':
      return linspaceFloat32(config.beta_start ** 0.5, config.beta_end ** 0.5, n).map((b) =>
        f(b * b),
      );
    case 'squaredcos_cap_v2':
      return cosineBetas(n);
  }
}

/** Nichol & Dhariwal's cosine schedule (diffusers' betas_for_alpha_bar), capped at 0.999. */
function cosineBetas(n: number): Float64Array {
  const alphaBar = (t: number) => Math.cos(((t + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  return Float64Array.from({ length: n }, (_, i) =>
    f(Math.min(1 - alphaBar((i + 1) / n) / alphaBar(i / n), 0.999)),
  );
}

function cumprodOfAlphas(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let product = 1;
  for (let i = 0; i < betas.length; i++) {
    product *= f(1 - betas[i]);
    out[i] = f(product);
  }
  return out;
}

/** Lin et al. 2023: rescale betas so the last timestep has zero SNR (pure noise). */
function rescaleZeroTerminalSnr(betas: Float64Array): Float64Array {
  const sqrtAlphaBar = cumprodOfAlphas(betas).map((a) => f(Math.sqrt(a)));
  const first = sqrtAlphaBar[0];
  const last = sqrtAlphaBar[sqrtAlphaBar.length - 1];
  const scale = f(first / f(first - last));
  const alphaBar = sqrtAlphaBar.map((s) => {
    const shifted = f(f(s - last) * scale);
    return f(shifted * shifted);
  });
  return alphaBar.map((a, i) => f(1 - (i === 0 ? a : f(a / alphaBar[i - 1]))));
}

/**
 * Karras et al. 2022 sigmas: `num` values from sigmaMax down to sigmaMin, evenly spaced in
 * sigma^(1/7).
 */
export function karrasSigmas(sigmaMin: number, sigmaMax: number, num: number): number[] {
  const rho = 7;
  const minInvRho = sigmaMin ** (1 / rho);
  const maxInvRho = sigmaMax ** (1 / rho);
  return linspace(0, 1, num).map((ramp) => (maxInvRho + ramp * (minInvRho - maxInvRho)) ** rho);
}
