/** Models the API accepts (a runner names which of them it has when it leases work). */
export const MODELS = [
  {
    id: 'sdedge-micro',
    description: 'The embedded 64x64 model trained on coloured-shape scenes (the default).',
    default_size: 64,
    max_size: 256,
    kinds: ['txt2img', 'img2img', 'inpaint', 'animate'],
  },
  {
    id: 'stable-diffusion-v1-5',
    description: 'Stable Diffusion 1.5 (ONNX), 512x512.',
    default_size: 512,
    max_size: 1024,
    kinds: ['txt2img', 'img2img', 'inpaint', 'animate'],
  },
] as const;

export type ModelId = (typeof MODELS)[number]['id'];
export const DEFAULT_MODEL: ModelId = 'sdedge-micro';
export const modelById = (id: string) => MODELS.find((m) => m.id === id);

/** The samplers of @sdedge/pipeline, by the names the CLI and the API use (the worker does not
 * bundle the pipeline; tests/api-catalog.test.ts checks the two lists agree). */
export const SAMPLERS = [
  'ddim',
  'pndm',
  'lms',
  'euler',
  'euler_a',
  'heun',
  'dpmpp_2m',
  'dpmpp_2m_karras',
  'unipc',
  'lcm',
  'euler_karras',
  'lms_karras',
  'heun_karras',
] as const;
