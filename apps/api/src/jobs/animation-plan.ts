import {
  type AnimationSettings,
  animationSteps,
  loadDeforumSettings,
  SdedgeError,
} from '@sdedge/pipeline/deforum';
import { ApiError } from '../errors.ts';
import { PIXELS_PER_UNIT } from '../pricing.ts';

export interface AnimationPlan {
  /** The settings as the runner gets them: the seed fixed, so the price and the run agree. */
  settings: Record<string, unknown>;
  /** Denoising steps the runner will run, over every diffused frame. */
  steps: number;
  cost: number;
}

/**
 * Reads Deforum settings with the pipeline's own loader (the one the runner uses), so every
 * schedule is evaluated here exactly as it will be there: what the runner would refuse is a 400
 * now, and the price is the sum of the steps it will really run (steps_schedule, strength per
 * frame, cadence), never an estimate that an expression can push to NaN.
 */
export function planAnimation(raw: Record<string, unknown>): AnimationPlan {
  const { output_format: _format, ...deforum } = raw;
  // A random seed (-1, Deforum's default) is drawn here, once: schedules may use it.
  const seed = Number(deforum.seed ?? -1) === -1 ? randomSeed() : deforum.seed;
  let settings: AnimationSettings;
  try {
    settings = loadDeforumSettings({ ...deforum, seed }).settings;
  } catch (error) {
    if (!(error instanceof SdedgeError)) throw error;
    const key = typeof error.details?.key === 'string' ? error.details.key : undefined;
    throw new ApiError('invalid_settings', error.message, key ? { param: `settings.${key}` } : {});
  }
  if (settings.initImage)
    throw new ApiError(
      'invalid_settings',
      'init_image paths are not read by runners; an animation starts from txt2img.',
      { param: 'settings.init_image' },
    );
  const steps = animationSteps(settings);
  return {
    settings: { ...raw, seed },
    steps,
    cost: Math.ceil((steps * settings.width * settings.height) / PIXELS_PER_UNIT),
  };
}

function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0] as number;
}
