import type { AnimationSettings } from './deforum-settings.ts';

/**
 * The denoising steps renderAnimation will run for these settings, over every diffused frame:
 * in 2D mode every cadence-th frame is diffused, frame 0 by txt2img at its full steps and later
 * ones by img2img at denoising strength 1 - strength_schedule, which runs floor(steps x strength)
 * steps (diffusers' get_timesteps); Interpolation diffuses every frame from noise. The API prices
 * animations by it; test/animation.test.ts checks it against a real render.
 */
export function animationSteps(s: AnimationSettings): number {
  if (s.animationMode === 'Interpolation') return s.schedules.steps.reduce((a, b) => a + b, 0);
  let total = 0;
  for (let frame = 0; frame < s.maxFrames; frame += s.cadence) {
    const steps = s.schedules.steps[frame] as number;
    if (frame === 0) total += steps;
    else {
      const strength = 1 - Math.min(1, Math.max(0, s.schedules.strength[frame] as number));
      total += Math.min(Math.floor(steps * strength), steps);
    }
  }
  return total;
}
