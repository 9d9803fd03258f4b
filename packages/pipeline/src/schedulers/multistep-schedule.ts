import type { SchedulerConfig } from './config.ts';
import { karrasSigmas, type NoiseSchedule } from './noise-schedule.ts';
import { roundHalfEven } from './numpy-math.ts';
import { assertSameLength } from './scheduler.ts';
import { multistepTimesteps } from './timestep-spacing.ts';

/**
 * Timesteps and sigmas of the multistep solvers (DPM-Solver++, UniPC), as diffusers computes
 * them: integer timesteps from n + 1 spaced points, or Karras sigmas mapped back to rounded
 * timesteps, then a final sigma of 0 (or sigma_min).
 */
export function multistepSchedule(
  schedule: NoiseSchedule,
  config: SchedulerConfig,
  n: number,
  karrasFinalSigma: 'train_min' | 'karras_min',
): { timesteps: number[]; sigmas: number[] } {
  const train = schedule.trainSigmas;
  let timesteps: number[];
  let sigmas: number[];
  if (config.use_karras_sigmas) {
    sigmas = karrasSigmas(
      config.sigma_min ?? train[0],
      config.sigma_max ?? train[train.length - 1],
      n,
    );
    timesteps = sigmas.map((s) => schedule.sigmaToT(s));
    if (config.beta_schedule !== 'squaredcos_cap_v2') timesteps = timesteps.map(roundHalfEven);
  } else {
    const last = lastTimestep(schedule, config);
    timesteps = multistepTimesteps(
      config.timestep_spacing,
      config.num_train_timesteps,
      last,
      n,
      config.steps_offset,
    );
    sigmas = timesteps.map((t) => schedule.sigmaAt(t));
  }
  let finalSigma = 0;
  if (config.final_sigmas_type === 'sigma_min') {
    finalSigma =
      config.use_karras_sigmas && karrasFinalSigma === 'karras_min'
        ? sigmas[sigmas.length - 1]
        : train[0];
  }
  return { timesteps: timesteps.map(Math.trunc), sigmas: [...sigmas, finalSigma].map(Math.fround) };
}

/** Timesteps whose log-SNR lies below `lambda_min_clipped` are cut from the top of the range. */
function lastTimestep(schedule: NoiseSchedule, config: SchedulerConfig): number {
  if (!Number.isFinite(config.lambda_min_clipped)) return config.num_train_timesteps;
  let clipped = 0;
  for (let i = schedule.alphasCumprod.length - 1; i >= 0; i--) {
    const a = schedule.alphasCumprod[i];
    const lambda = Math.log(Math.sqrt(a)) - Math.log(Math.sqrt(1 - a));
    if (lambda < config.lambda_min_clipped) clipped++;
    else break;
  }
  return config.num_train_timesteps - clipped;
}

/** alpha_t and sigma_t of the variance-preserving process at noise level sigma. */
export function alphaSigmaOf(sigma: number): [alpha: number, sigma: number] {
  const alpha = 1 / Math.sqrt(sigma * sigma + 1);
  return [alpha, sigma * alpha];
}

/** The log signal-to-noise ratio lambda = log(alpha_t) - log(sigma_t) at noise level sigma. */
export function lambdaOf(sigma: number): number {
  const [alpha, s] = alphaSigmaOf(sigma);
  return Math.log(alpha) - Math.log(s);
}

/** alpha_t x0 + sigma_t noise at noise level sigma (img2img for the multistep solvers). */
export function addNoiseAtSigma(
  sigma: number,
  original: Float32Array,
  noise: Float32Array,
): Float32Array {
  assertSameLength(original, noise, 'original', 'noise');
  const [alpha, s] = alphaSigmaOf(sigma);
  const out = new Float32Array(original.length);
  for (let i = 0; i < out.length; i++) out[i] = alpha * original[i] + s * noise[i];
  return out;
}
