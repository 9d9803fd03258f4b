import { SdedgeError } from '../errors.ts';
import {
  SCHEDULER_NAMES,
  type SchedulerName,
  samplerByName,
} from '../schedulers/create-scheduler.ts';
import type { ColorCoherence } from './color-match.ts';
import type { BorderMode } from './frame-warp.ts';
import { parseSchedule } from './parse-schedule.ts';
import { SEED_BEHAVIORS, type SeedBehavior } from './seed-behavior.ts';

/** A prompt from frame `frame` on; "text --neg negative" splits into the two. */
export interface KeyframePrompt {
  frame: number;
  prompt: string;
  negativePrompt: string;
}

/** Deforum settings after defaults, validation and schedule expansion (one value per frame). */
export interface AnimationSettings {
  animationMode: '2D' | 'Interpolation';
  maxFrames: number;
  width: number;
  height: number;
  seed: number;
  seedBehavior: SeedBehavior;
  sampler: SchedulerName;
  fps: number;
  cadence: number;
  border: BorderMode;
  colorCoherence: ColorCoherence;
  prompts: KeyframePrompt[];
  schedules: {
    angle: number[];
    zoom: number[];
    translationX: number[];
    translationY: number[];
    centerX: number[];
    centerY: number[];
    noise: number[];
    strength: number[];
    contrast: number[];
    cfgScale: number[];
    steps: number[];
    seed: number[];
  };
  /** Frame 0 from this image (img2img at `initStrength`) instead of txt2img. */
  initImage: string | null;
  initStrength: number;
}

/** Deforum's defaults (sd-webui-deforum's DeforumAnimArgs / DeforumArgs) for the keys we read. */
export const DEFORUM_DEFAULTS = {
  animation_mode: '2D',
  max_frames: 120,
  border: 'replicate',
  angle: '0:(0)',
  zoom: '0:(1.0025+0.002*sin(1.25*3.14*t/30))',
  translation_x: '0:(0)',
  translation_y: '0:(0)',
  transform_center_x: '0:(0.5)',
  transform_center_y: '0:(0.5)',
  noise_schedule: '0: (0.065)',
  strength_schedule: '0: (0.65)',
  contrast_schedule: '0: (1.0)',
  cfg_scale_schedule: '0: (7)',
  enable_steps_scheduling: false,
  steps_schedule: '0: (25)',
  seed_schedule: '0:(s), 1:(-1), "max_f-2":(-1), "max_f-1":(s)',
  seed_behavior: 'iter',
  color_coherence: 'LAB',
  diffusion_cadence: 2,
  W: 512,
  H: 512,
  seed: -1,
  sampler: 'euler_ancestral',
  steps: 25,
  fps: 15,
  prompts: { '0': 'a beautiful lake by Asher Brown Durand, trending on Artstation' },
  animation_prompts_positive: '',
  animation_prompts_negative: '',
  use_init: false,
  init_image: null,
  strength: 0.8,
} as const;

/** Deforum's own spellings, beyond our names and AUTOMATIC1111's (samplerByName). */
const SAMPLER_NAMES: Record<string, SchedulerName> = {
  euler_ancestral: 'euler_a',
  klms: 'lms',
};

const COLOR_COHERENCE: Record<string, ColorCoherence> = {
  none: 'None',
  hsv: 'HSV',
  lab: 'LAB',
  rgb: 'RGB',
  'match frame 0 hsv': 'HSV',
  'match frame 0 lab': 'LAB',
  'match frame 0 rgb': 'RGB',
};

export interface LoadedSettings {
  settings: AnimationSettings;
  /** Keys of the file that sdedge does not read (Deforum's 3D, depth, video input, ...). */
  ignoredKeys: string[];
}

/**
 * Reads a Deforum settings JSON (as Deforum saves it) with Deforum's defaults for missing keys.
 * Unknown keys are reported, not fatal; bad values are `invalid_settings` naming the key.
 */
export function loadDeforumSettings(
  raw: unknown,
  options: { randomSeed?: () => number } = {},
): LoadedSettings {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new SdedgeError('invalid_settings', 'Deforum settings must be a JSON object.');
  }
  const input = raw as Record<string, unknown>;
  const known = new Set<string>([...Object.keys(DEFORUM_DEFAULTS), 'animation_prompts']);
  const ignoredKeys = Object.keys(input).filter((k) => !known.has(k));
  const get = <K extends keyof typeof DEFORUM_DEFAULTS>(key: K): unknown =>
    input[key] ?? DEFORUM_DEFAULTS[key];

  const mode = String(get('animation_mode'));
  if (mode !== '2D' && mode !== 'Interpolation') {
    throw invalid('animation_mode', `"${mode}" is not supported; use "2D" or "Interpolation".`);
  }
  const maxFrames = integer(get('max_frames'), 'max_frames', 1, 10_000);
  const width = sizeOf(get('W'), 'W');
  const height = sizeOf(get('H'), 'H');
  let seed = integer(get('seed'), 'seed', -1, 2 ** 32 - 1);
  if (seed === -1)
    seed = (options.randomSeed ?? (() => crypto.getRandomValues(new Uint32Array(1))[0]))();
  const seedBehavior = String(get('seed_behavior')) as SeedBehavior;
  if (!SEED_BEHAVIORS.includes(seedBehavior))
    throw invalid('seed_behavior', `must be one of ${SEED_BEHAVIORS.join(', ')}.`);
  const samplerName = String(get('sampler'));
  const sampler = lookup(SAMPLER_NAMES, samplerName.toLowerCase()) ?? samplerByName(samplerName);
  if (!sampler)
    throw invalid(
      'sampler',
      `"${samplerName}" is not supported; use one of ${[...Object.keys(SAMPLER_NAMES), ...SCHEDULER_NAMES].join(', ')} or an AUTOMATIC1111 name ("DPM++ 2M Karras").`,
    );
  const border = String(get('border'));
  if (border !== 'replicate' && border !== 'wrap')
    throw invalid('border', 'must be "replicate" or "wrap".');
  const colorCoherence = lookup(COLOR_COHERENCE, String(get('color_coherence')).toLowerCase());
  if (!colorCoherence)
    throw invalid('color_coherence', 'must be None, HSV, LAB or RGB (or "Match Frame 0 ...").');

  const schedule = (key: keyof typeof DEFORUM_DEFAULTS) => {
    try {
      return parseSchedule(get(key) as string, maxFrames, { seed });
    } catch (error) {
      if (error instanceof SdedgeError) throw invalid(key, error.message);
      throw error;
    }
  };
  const steps = integer(get('steps'), 'steps', 1, 150);
  const stepsSchedule =
    get('enable_steps_scheduling') === true
      ? schedule('steps_schedule')
      : new Array(maxFrames).fill(steps);
  const settings: AnimationSettings = {
    animationMode: mode,
    maxFrames,
    width,
    height,
    seed,
    seedBehavior,
    sampler,
    fps: number(get('fps'), 'fps', 1, 120),
    cadence: integer(get('diffusion_cadence'), 'diffusion_cadence', 1, 50),
    border,
    colorCoherence,
    prompts: prompts(input, maxFrames),
    schedules: {
      angle: schedule('angle'),
      zoom: positive(schedule('zoom'), 'zoom'),
      translationX: schedule('translation_x'),
      translationY: schedule('translation_y'),
      centerX: schedule('transform_center_x'),
      centerY: schedule('transform_center_y'),
      noise: schedule('noise_schedule'),
      strength: schedule('strength_schedule'),
      contrast: schedule('contrast_schedule'),
      cfgScale: schedule('cfg_scale_schedule'),
      steps: stepsSchedule.map((s) => stepCount(s)),
      seed: schedule('seed_schedule'),
    },
    initImage:
      get('use_init') === true && typeof input.init_image === 'string' ? input.init_image : null,
    initStrength: number(get('strength'), 'strength', 0, 1),
  };
  return { settings, ignoredKeys };
}

function prompts(input: Record<string, unknown>, maxFrames: number): KeyframePrompt[] {
  const table = input.prompts ?? input.animation_prompts ?? DEFORUM_DEFAULTS.prompts;
  if (!table || typeof table !== 'object' || Array.isArray(table))
    throw invalid('prompts', 'must be an object like {"0": "a prompt"}.');
  const positive = String(input.animation_prompts_positive ?? '').trim();
  const negative = String(input.animation_prompts_negative ?? '').trim();
  const out = Object.entries(table as Record<string, unknown>).map(([frameText, text]) => {
    const frame = Number(frameText);
    if (!Number.isInteger(frame) || frame < 0)
      throw invalid('prompts', `key "${frameText}" is not a frame number.`);
    if (typeof text !== 'string')
      throw invalid('prompts', `the prompt for frame ${frame} is not a string.`);
    const [prompt, neg = ''] = text.split('--neg');
    return {
      frame,
      prompt: [positive, prompt.trim()].filter(Boolean).join(' '),
      negativePrompt: [neg.trim(), negative].filter(Boolean).join(', '),
    };
  });
  const sorted = out.filter((p) => p.frame < maxFrames).sort((a, b) => a.frame - b.frame);
  if (sorted.length === 0)
    throw invalid('prompts', 'needs at least one prompt at a frame below max_frames.');
  return sorted;
}

/** A zoom of 0 or below has no inverse: the warp would divide by zero. */
function positive(series: number[], key: string): number[] {
  const frame = series.findIndex((v) => !(v > 0));
  if (frame !== -1)
    throw invalid(key, `must stay above 0, but is ${series[frame]} at frame ${frame}.`);
  return series;
}

function integer(value: unknown, key: string, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (!Number.isInteger(n) || (n as number) < min || (n as number) > max)
    throw invalid(key, `must be an integer from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  return n as number;
}

function number(value: unknown, key: string, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !(n >= min && n <= max))
    throw invalid(key, `must be a number from ${min} to ${max}, got ${JSON.stringify(value)}.`);
  return n;
}

/** Deforum rounds W and H down to multiples of 64; we need multiples of 8. */
function sizeOf(value: unknown, key: string): number {
  const n = integer(value, key, 8, 4096);
  return n - (n % 8);
}

/** A steps_schedule value as the step count it runs: rounded, 1 to 150 like `steps`. */
function stepCount(value: number): number {
  const steps = Math.round(value);
  if (!Number.isFinite(steps) || steps < 1 || steps > 150)
    throw invalid('steps_schedule', `${value} steps is outside 1 to 150.`);
  return steps;
}

function invalid(key: string, message: string): SdedgeError {
  return new SdedgeError('invalid_settings', `Deforum setting "${key}": ${message}`, { key });
}

/** A table lookup that ignores Object.prototype ("constructor" is not a sampler). */
function lookup<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
