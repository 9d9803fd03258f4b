import { SdedgeError } from '../errors.ts';

export type BetaSchedule = 'linear' | 'scaled_linear' | 'squaredcos_cap_v2';
export type PredictionType = 'epsilon' | 'v_prediction' | 'sample';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';
export type FinalSigmasType = 'zero' | 'sigma_min';

/**
 * The keys of a diffusers `scheduler_config.json` that our schedulers read, under their
 * snake_case names. Every key is filled: missing ones take the scheduler's diffusers default.
 */
export interface SchedulerConfig {
  num_train_timesteps: number;
  beta_start: number;
  beta_end: number;
  beta_schedule: BetaSchedule;
  trained_betas: number[] | null;
  prediction_type: PredictionType;
  timestep_spacing: TimestepSpacing;
  steps_offset: number;
  set_alpha_to_one: boolean;
  clip_sample: boolean;
  clip_sample_range: number;
  rescale_betas_zero_snr: boolean;
  use_karras_sigmas: boolean;
  sigma_min: number | null;
  sigma_max: number | null;
  final_sigmas_type: FinalSigmasType;
  solver_order: number;
  lower_order_final: boolean;
  euler_at_final: boolean;
  lambda_min_clipped: number;
  original_inference_steps: number;
  timestep_scaling: number;
}

/** diffusers' constructor defaults shared by most schedulers (each scheduler overrides some). */
export const BASE_DEFAULTS: SchedulerConfig = {
  num_train_timesteps: 1000,
  beta_start: 0.0001,
  beta_end: 0.02,
  beta_schedule: 'linear',
  trained_betas: null,
  prediction_type: 'epsilon',
  timestep_spacing: 'linspace',
  steps_offset: 0,
  set_alpha_to_one: true,
  clip_sample: false,
  clip_sample_range: 1,
  rescale_betas_zero_snr: false,
  use_karras_sigmas: false,
  sigma_min: null,
  sigma_max: null,
  final_sigmas_type: 'zero',
  solver_order: 2,
  lower_order_final: true,
  euler_at_final: false,
  lambda_min_clipped: Number.NEGATIVE_INFINITY,
  original_inference_steps: 50,
  timestep_scaling: 10,
};

type Check = (value: unknown) => string | null;

const oneOf =
  (...allowed: string[]): Check =>
  (v) =>
    typeof v === 'string' && allowed.includes(v)
      ? null
      : `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`;
const integer =
  (min: number, max = Number.MAX_SAFE_INTEGER): Check =>
  (v) =>
    Number.isInteger(v) && (v as number) >= min && (v as number) <= max
      ? null
      : `must be an integer in [${min}, ${max}]`;
const probability: Check = (v) =>
  typeof v === 'number' && v > 0 && v < 1 ? null : 'must be a number between 0 and 1 (exclusive)';
const positive: Check = (v) =>
  typeof v === 'number' && v > 0 && Number.isFinite(v) ? null : 'must be a positive number';
const finite: Check = (v) =>
  typeof v === 'number' && !Number.isNaN(v) ? null : 'must be a number';
const boolean: Check = (v) => (typeof v === 'boolean' ? null : 'must be true or false');
const nullable =
  (check: Check): Check =>
  (v) =>
    v === null ? null : check(v);
const betaList: Check = (v) =>
  Array.isArray(v) && v.length > 0 && v.every((b) => typeof b === 'number' && b >= 0 && b < 1)
    ? null
    : 'must be null or a non-empty list of numbers in [0, 1)';

const CHECKS: Record<keyof SchedulerConfig, Check> = {
  num_train_timesteps: integer(2, 100_000),
  beta_start: probability,
  beta_end: probability,
  beta_schedule: oneOf('linear', 'scaled_linear', 'squaredcos_cap_v2'),
  trained_betas: nullable(betaList),
  prediction_type: oneOf('epsilon', 'v_prediction', 'sample'),
  timestep_spacing: oneOf('leading', 'trailing', 'linspace'),
  steps_offset: integer(0, 1000),
  set_alpha_to_one: boolean,
  clip_sample: boolean,
  clip_sample_range: positive,
  rescale_betas_zero_snr: boolean,
  use_karras_sigmas: boolean,
  sigma_min: nullable(positive),
  sigma_max: nullable(positive),
  final_sigmas_type: oneOf('zero', 'sigma_min'),
  solver_order: integer(1, 3),
  lower_order_final: boolean,
  euler_at_final: boolean,
  lambda_min_clipped: finite,
  original_inference_steps: integer(1),
  timestep_scaling: positive,
};

export interface ParsedSchedulerConfig {
  config: SchedulerConfig;
  /** Keys of the input this scheduler does not read (diffusers ignores unknown keys too). */
  ignoredKeys: string[];
}

/**
 * Validates a diffusers scheduler config (as parsed from JSON) and fills the missing keys from
 * `defaults`. `null` for an optional key means "use the default", as diffusers' configs write it.
 */
export function parseSchedulerConfig(
  raw: unknown,
  defaults: SchedulerConfig = BASE_DEFAULTS,
): ParsedSchedulerConfig {
  if (raw === undefined || raw === null) return { config: { ...defaults }, ignoredKeys: [] };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SdedgeError('invalid_scheduler_config', 'A scheduler config must be a JSON object.');
  }
  const config: SchedulerConfig = { ...defaults };
  const ignoredKeys: string[] = [];
  for (const [key, value] of Object.entries(raw)) {
    if (!(key in CHECKS)) {
      ignoredKeys.push(key);
      continue;
    }
    const name = key as keyof SchedulerConfig;
    if (value === null && defaults[name] !== null && name !== 'trained_betas') continue;
    const problem = CHECKS[name](value);
    if (problem) {
      throw new SdedgeError(
        'invalid_scheduler_config',
        `Scheduler config "${key}" ${problem}, got ${JSON.stringify(value)}.`,
        { key },
      );
    }
    (config as unknown as Record<string, unknown>)[name] = value;
  }
  if (config.trained_betas && config.trained_betas.length !== config.num_train_timesteps) {
    throw new SdedgeError(
      'invalid_scheduler_config',
      `Scheduler config "trained_betas" has ${config.trained_betas.length} values but num_train_timesteps is ${config.num_train_timesteps}.`,
      { key: 'trained_betas' },
    );
  }
  return { config, ignoredKeys };
}
