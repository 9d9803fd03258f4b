/**
 * The price, in credits: 1 credit per denoising step per 512x512 of output (262,144 pixels),
 * per image, rounded up once per job. img2img and inpaint run `strength` of the steps, as
 * diffusers and AUTOMATIC1111 do. A video costs the sum of its diffused frames: every
 * `diffusion_cadence`-th frame is diffused (the first at full steps, later ones at their
 * strength), in-between frames are interpolated for free.
 */
export const PIXELS_PER_UNIT = 512 * 512;

export function imageCost(options: {
  steps: number;
  width: number;
  height: number;
  n: number;
  strength?: number;
}) {
  const steps = Math.max(1, Math.floor(options.steps * (options.strength ?? 1)));
  return Math.ceil((steps * options.n * options.width * options.height) / PIXELS_PER_UNIT);
}

export function videoCost(options: {
  steps: number;
  width: number;
  height: number;
  frames: number;
  cadence: number;
  strength: number;
}) {
  const diffused = Math.ceil(options.frames / Math.max(1, options.cadence));
  const laterSteps = Math.max(1, Math.floor(options.steps * (1 - options.strength)));
  const steps = options.steps + (diffused - 1) * laterSteps;
  return Math.ceil((steps * options.width * options.height) / PIXELS_PER_UNIT);
}
