import { SdedgeError } from '../errors.ts';
import type { TorchGenerator } from '../random/torch-generator.ts';
import type { SchedulerConfig } from './config.ts';
import { NoiseSchedule } from './noise-schedule.ts';

/** One generator for the whole batch, or one per batch item (as diffusers accepts a list). */
export type NoiseSource = TorchGenerator | readonly TorchGenerator[];

export interface StepOptions {
  /** Where stochastic schedulers draw their noise, in diffusers' order. */
  generator?: NoiseSource;
  /** DDIM's eta: 0 is deterministic DDIM, 1 is DDPM-like ancestral sampling. */
  eta?: number;
}

/** The scheduler contract every sampler implements, after diffusers' SchedulerMixin. */
export interface Scheduler {
  readonly name: string;
  readonly config: Readonly<SchedulerConfig>;
  /** Model evaluations per step (2 for Heun), used to find img2img's start index. */
  readonly order: number;
  readonly timesteps: readonly number[];
  /** Noise levels per timestep plus the final one, where the scheduler has them. */
  readonly sigmas?: readonly number[];
  readonly initNoiseSigma: number;
  setTimesteps(numInferenceSteps: number): void;
  /** Starts stepping at `timesteps[index]` (img2img); diffusers' set_begin_index. */
  setBeginIndex(index: number): void;
  scaleModelInput(sample: Float32Array, timestep: number): Float32Array;
  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    options?: StepOptions,
  ): Float32Array;
  addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;
}

/**
 * Bookkeeping every scheduler shares: the training noise schedule, the inference timesteps, input
 * checks and, for schedulers that walk an index (all but DDIM and PNDM), the step index that
 * diffusers derives from the first timestep it sees or from set_begin_index.
 */
export abstract class BaseScheduler implements Scheduler {
  abstract readonly name: string;
  readonly order: number = 1;
  timesteps: number[] = [];
  protected readonly schedule: NoiseSchedule;
  protected numInferenceSteps: number | null = null;
  protected stepIndex: number | null = null;
  protected beginIndex: number | null = null;

  constructor(
    readonly config: Readonly<SchedulerConfig>,
    scheduleOptions: { clampFinalAlpha?: boolean } = {},
  ) {
    this.schedule = new NoiseSchedule(config, scheduleOptions);
  }

  get initNoiseSigma(): number {
    return 1;
  }

  get alphasCumprod(): Float64Array {
    return this.schedule.alphasCumprod;
  }

  setTimesteps(numInferenceSteps: number): void {
    const max = this.config.num_train_timesteps;
    if (!Number.isInteger(numInferenceSteps) || numInferenceSteps < 1 || numInferenceSteps > max) {
      throw new SdedgeError(
        'invalid_steps',
        `Steps must be an integer from 1 to ${max} (num_train_timesteps), got ${numInferenceSteps}.`,
        { steps: numInferenceSteps },
      );
    }
    this.numInferenceSteps = numInferenceSteps;
    this.stepIndex = null;
    this.beginIndex = null;
    this.computeTimesteps(numInferenceSteps);
  }

  setBeginIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.timesteps.length) {
      throw new SdedgeError(
        'invalid_argument',
        `Begin index ${index} is outside the ${this.timesteps.length} timesteps.`,
      );
    }
    this.beginIndex = index;
  }

  scaleModelInput(sample: Float32Array, _timestep: number): Float32Array {
    return sample;
  }

  step(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    options: StepOptions = {},
  ): Float32Array {
    this.assertReady();
    assertSameLength(modelOutput, sample, 'model output', 'sample');
    return this.computeStep(modelOutput, timestep, sample, options);
  }

  abstract addNoise(original: Float32Array, noise: Float32Array, timestep: number): Float32Array;

  /** Fills `timesteps` (and `sigmas`) for this many steps; called after validation. */
  protected abstract computeTimesteps(numInferenceSteps: number): void;

  protected abstract computeStep(
    modelOutput: Float32Array,
    timestep: number,
    sample: Float32Array,
    options: StepOptions,
  ): Float32Array;

  protected assertReady(): void {
    if (this.numInferenceSteps === null) {
      throw new SdedgeError(
        'invalid_argument',
        `Call setTimesteps() before stepping the ${this.name} scheduler.`,
      );
    }
  }

  /** alphas_cumprod at an integer timestep; before the first one, 1 or alphas_cumprod[0]. */
  protected alphaProdAt(t: number): number {
    if (t < 0) return this.config.set_alpha_to_one ? 1 : this.alphasCumprod[0];
    if (!Number.isInteger(t) || t >= this.alphasCumprod.length) {
      throw new SdedgeError(
        'invalid_timestep',
        `Timestep ${t} is not an integer in [0, ${this.alphasCumprod.length - 1}].`,
        { timestep: t },
      );
    }
    return this.alphasCumprod[t];
  }

  /** The index of the step being taken, fixed by the first timestep seen (diffusers' rule). */
  protected currentStepIndex(timestep: number): number {
    this.stepIndex ??= this.beginIndex ?? this.indexForTimestep(timestep);
    return this.stepIndex;
  }

  protected advanceStepIndex(): void {
    if (this.stepIndex !== null) this.stepIndex++;
  }

  /** The position of `timestep` in the schedule; the second match when it repeats (Heun, PLMS). */
  protected indexForTimestep(timestep: number): number {
    const matches: number[] = [];
    this.timesteps.forEach((t, i) => {
      if (t === timestep) matches.push(i);
    });
    if (matches.length === 0) {
      throw new SdedgeError(
        'invalid_timestep',
        `Timestep ${timestep} is not in this ${this.name} schedule.`,
        {
          timestep,
        },
      );
    }
    return matches.length > 1 ? matches[1] : matches[0];
  }

  /** The step index add_noise uses: the begin index once set (img2img), else the timestep's. */
  protected noiseIndex(timestep: number): number {
    if (this.beginIndex === null) return this.indexForTimestep(timestep);
    return this.stepIndex ?? this.beginIndex;
  }
}

export function assertSameLength(
  a: Float32Array,
  b: Float32Array,
  nameA: string,
  nameB: string,
): void {
  if (!(a instanceof Float32Array) || !(b instanceof Float32Array)) {
    throw new SdedgeError('invalid_argument', `The ${nameA} and ${nameB} must be Float32Arrays.`);
  }
  if (a.length !== b.length) {
    throw new SdedgeError(
      'shape_mismatch',
      `The ${nameA} has ${a.length} values but the ${nameB} has ${b.length}.`,
      { [nameA]: a.length, [nameB]: b.length },
    );
  }
}
