import { SdedgeError } from '../errors.ts';
import { parseSchedulerConfig, type SchedulerConfig } from './config.ts';
import { DDIM_DEFAULTS, DdimScheduler } from './ddim.ts';
import { DPM_SOLVER_DEFAULTS, DpmSolverMultistepScheduler } from './dpm-solver-multistep.ts';
import { EULER_DEFAULTS, EulerScheduler } from './euler.ts';
import { EULER_ANCESTRAL_DEFAULTS, EulerAncestralScheduler } from './euler-ancestral.ts';
import { HEUN_DEFAULTS, HeunScheduler } from './heun.ts';
import { LCM_DEFAULTS, LcmScheduler } from './lcm.ts';
import { LMS_DEFAULTS, LmsScheduler } from './lms.ts';
import { PNDM_DEFAULTS, PndmScheduler } from './pndm.ts';
import type { Scheduler } from './scheduler.ts';
import { UNIPC_DEFAULTS, UniPcScheduler } from './unipc.ts';

interface SchedulerEntry {
  /** AUTOMATIC1111's name for the sampler, for PNG parameters and people. */
  label: string;
  defaults: SchedulerConfig;
  /** Settings the name itself fixes, over the model's config. */
  overrides?: Partial<SchedulerConfig>;
  create: (config: SchedulerConfig) => Scheduler;
}

const SCHEDULERS = {
  ddim: { label: 'DDIM', defaults: DDIM_DEFAULTS, create: (c) => new DdimScheduler(c) },
  pndm: { label: 'PLMS', defaults: PNDM_DEFAULTS, create: (c) => new PndmScheduler(c) },
  lms: {
    label: 'LMS',
    defaults: LMS_DEFAULTS,
    overrides: { use_karras_sigmas: false },
    create: (c) => new LmsScheduler(c),
  },
  euler: {
    label: 'Euler',
    defaults: EULER_DEFAULTS,
    overrides: { use_karras_sigmas: false },
    create: (c) => new EulerScheduler(c),
  },
  euler_a: {
    label: 'Euler a',
    defaults: EULER_ANCESTRAL_DEFAULTS,
    create: (c) => new EulerAncestralScheduler(c),
  },
  heun: {
    label: 'Heun',
    defaults: HEUN_DEFAULTS,
    overrides: { use_karras_sigmas: false },
    create: (c) => new HeunScheduler(c),
  },
  dpmpp_2m: {
    label: 'DPM++ 2M',
    defaults: DPM_SOLVER_DEFAULTS,
    overrides: { solver_order: 2, use_karras_sigmas: false },
    create: (c) => new DpmSolverMultistepScheduler(c, 'dpmpp_2m'),
  },
  dpmpp_2m_karras: {
    label: 'DPM++ 2M Karras',
    defaults: DPM_SOLVER_DEFAULTS,
    overrides: { solver_order: 2, use_karras_sigmas: true },
    create: (c) => new DpmSolverMultistepScheduler(c, 'dpmpp_2m_karras'),
  },
  unipc: {
    label: 'UniPC',
    defaults: UNIPC_DEFAULTS,
    overrides: { solver_order: 2 },
    create: (c) => new UniPcScheduler(c),
  },
  lcm: { label: 'LCM', defaults: LCM_DEFAULTS, create: (c) => new LcmScheduler(c) },
  // The k-diffusion samplers on Karras et al.'s sigmas, as AUTOMATIC1111 lists them.
  euler_karras: {
    label: 'Euler Karras',
    defaults: EULER_DEFAULTS,
    overrides: { use_karras_sigmas: true },
    create: (c) => new EulerScheduler(c),
  },
  lms_karras: {
    label: 'LMS Karras',
    defaults: LMS_DEFAULTS,
    overrides: { use_karras_sigmas: true },
    create: (c) => new LmsScheduler(c),
  },
  heun_karras: {
    label: 'Heun Karras',
    defaults: HEUN_DEFAULTS,
    overrides: { use_karras_sigmas: true },
    create: (c) => new HeunScheduler(c),
  },
} satisfies Record<string, SchedulerEntry>;

export type SchedulerName = keyof typeof SCHEDULERS;
export const SCHEDULER_NAMES = Object.keys(SCHEDULERS) as SchedulerName[];

/**
 * A scheduler by its sdedge name, configured from a diffusers `scheduler_config.json` (as parsed
 * JSON; its `_class_name` and unknown keys are ignored, as diffusers' from_config ignores them).
 */
export function createScheduler(name: SchedulerName, config?: unknown): Scheduler {
  const entry: SchedulerEntry | undefined = Object.hasOwn(SCHEDULERS, name)
    ? SCHEDULERS[name as SchedulerName]
    : undefined;
  if (!entry) {
    throw new SdedgeError(
      'unknown_scheduler',
      `Unknown sampler ${JSON.stringify(name)}; valid samplers: ${SCHEDULER_NAMES.join(', ')}.`,
      { valid: SCHEDULER_NAMES },
    );
  }
  const parsed = parseSchedulerConfig(config, entry.defaults).config;
  return entry.create({ ...parsed, ...entry.overrides });
}

/**
 * The sampler a person means: our name or AUTOMATIC1111's display name, in any case
 * ("dpmpp_2m_karras", "DPM++ 2M Karras", "euler a"); undefined when it names none.
 */
export function samplerByName(name: string): SchedulerName | undefined {
  const wanted = name.trim().toLowerCase();
  return SCHEDULER_NAMES.find(
    (known) => known === wanted || SCHEDULERS[known].label.toLowerCase() === wanted,
  );
}

/** AUTOMATIC1111's display name of a sampler ("Euler a", "DPM++ 2M Karras", ...). */
export function schedulerLabel(name: SchedulerName): string {
  return SCHEDULERS[name].label;
}
