/**
 * The price, in credits: 1 credit per denoising step per 512x512 of output (262,144 pixels),
 * per image, rounded up once per job. img2img and inpaint run `strength` of the steps, as
 * diffusers and AUTOMATIC1111 do. A video costs the steps of its diffused frames,
 * evaluated from its schedules exactly as the runner will (jobs/animation-plan.ts).
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
