import type { SchedulerConfig } from './config.ts';
import { karrasSigmas } from './noise-schedule.ts';
import { assertSameLength, BaseScheduler } from './scheduler.ts';
import { fractionalTimesteps } from './timestep-spacing.ts';

/**
 * The schedulers that integrate the probability-flow ODE in sigma (k-diffusion's Euler, Euler
 * ancestral, Heun, LMS): the model sees x / sqrt(sigma^2 + 1), initial noise is scaled by the
 * largest sigma, and img2img noise is added as x0 + sigma * noise.
 */
export abstract class SigmaScheduler extends BaseScheduler {
  sigmas: number[] = [];

  override get initNoiseSigma(): number {
    const max = Math.max(...this.sigmas);
    const spacing = this.config.timestep_spacing;
    return spacing === 'linspace' || spacing === 'trailing'
      ? max
      : Math.fround(Math.sqrt(max * max + 1));
  }

  override scaleModelInput(sample: Float32Array, timestep: number): Float32Array {
    const sigma = this.sigmas[this.currentStepIndex(timestep)];
    const s = 1 / Math.sqrt(sigma * sigma + 1);
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = sample[i] * s;
    return out;
  }

  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array {
    assertSameLength(original, noise, 'original', 'noise');
    const sigma = this.sigmas[this.noiseIndex(timestep)];
    const out = new Float32Array(original.length);
    for (let i = 0; i < out.length; i++) out[i] = original[i] + sigma * noise[i];
    return out;
  }

  protected computeTimesteps(n: number): void {
    const { timesteps, sigmas } = this.sigmaSchedule(
      n,
      this.config.final_sigmas_type === 'sigma_min',
    );
    this.timesteps = timesteps;
    this.sigmas = sigmas;
  }

  /**
   * Timesteps and sigmas as diffusers' Euler/Heun/LMS compute them: spaced timesteps, their sigmas
   * by interpolation, optionally replaced by Karras sigmas (with timesteps mapped back), and a
   * final sigma of 0 (or sigma_min where `finalSigmaMin`).
   */
  protected sigmaSchedule(
    n: number,
    finalSigmaMin = false,
  ): { timesteps: number[]; sigmas: number[] } {
    const c: SchedulerConfig = this.config;
    let timesteps = fractionalTimesteps(
      c.timestep_spacing,
      c.num_train_timesteps,
      n,
      c.steps_offset,
    );
    let sigmas = timesteps.map((t) => this.schedule.sigmaAt(t));
    if (c.use_karras_sigmas) {
      sigmas = karrasSigmas(c.sigma_min ?? sigmas[sigmas.length - 1], c.sigma_max ?? sigmas[0], n);
      timesteps = sigmas.map((s) => Math.fround(this.schedule.sigmaToT(s)));
    }
    const last = finalSigmaMin ? this.schedule.trainSigmas[0] : 0;
    return { timesteps, sigmas: [...sigmas, last].map(Math.fround) };
  }
}
