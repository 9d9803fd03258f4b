import type { SchedulerConfig } from './config.ts';
import { addNoiseAtSigma, multistepSchedule } from './multistep-schedule.ts';
import { BaseScheduler } from './scheduler.ts';

/**
 * What DPM-Solver++ and UniPC share: their schedule (integer timesteps, sigmas with a final 0),
 * the history of x0 estimates their higher-order updates use, the warm-up count that keeps the
 * first steps at lower order, and img2img noise as alpha_t x0 + sigma_t noise.
 */
export abstract class MultistepScheduler extends BaseScheduler {
  sigmas: number[] = [];
  protected x0History: Float32Array[] = [];
  protected lowerOrderCount = 0;

  constructor(
    config: SchedulerConfig,
    private readonly karrasFinalSigma: 'train_min' | 'karras_min',
  ) {
    super(config, { clampFinalAlpha: true });
  }

  addNoise(original: Float32Array, noise: Float32Array, t: number): Float32Array {
    return addNoiseAtSigma(this.sigmas[this.noiseIndex(t)], original, noise);
  }

  protected computeTimesteps(n: number): void {
    const { timesteps, sigmas } = multistepSchedule(
      this.schedule,
      this.config,
      n,
      this.karrasFinalSigma,
    );
    this.timesteps = timesteps;
    this.sigmas = sigmas;
    this.numInferenceSteps = timesteps.length;
    this.resetHistory();
  }

  protected resetHistory(): void {
    this.x0History = [];
    this.lowerOrderCount = 0;
  }

  /** Keeps the last solver_order x0 estimates, newest last. */
  protected rememberX0(x0: Float32Array): void {
    this.x0History.push(x0);
    if (this.x0History.length > this.config.solver_order) this.x0History.shift();
  }

  /** The x0 estimate `back` steps before the newest. */
  protected newestX0(back: number): Float32Array {
    return this.x0History[this.x0History.length - 1 - back];
  }

  protected countWarmUpStep(): void {
    if (this.lowerOrderCount < this.config.solver_order) this.lowerOrderCount++;
  }
}
