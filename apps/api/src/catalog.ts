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

/** The samplers of @sdedge/pipeline, by the names the CLI and the API use, with AUTOMATIC1111's
 * labels (the worker does not bundle the pipeline; tests/api-catalog.test.ts checks both agree). */
export const SAMPLER_LABELS = {
  ddim: 'DDIM',
  pndm: 'PLMS',
  lms: 'LMS',
  euler: 'Euler',
  euler_a: 'Euler a',
  heun: 'Heun',
  dpmpp_2m: 'DPM++ 2M',
  dpmpp_2m_karras: 'DPM++ 2M Karras',
  unipc: 'UniPC',
  lcm: 'LCM',
  euler_karras: 'Euler Karras',
  lms_karras: 'LMS Karras',
  heun_karras: 'Heun Karras',
} as const;
export type SamplerName = keyof typeof SAMPLER_LABELS;
export const SAMPLERS = Object.keys(SAMPLER_LABELS) as [SamplerName, ...SamplerName[]];

/**
 * Our name for a sampler given by our name or AUTOMATIC1111's label in any case; anything else
 * unchanged, for the schema's enum to refuse with the list of names.
 */
export function samplerNameOf(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const wanted = value.trim().toLowerCase();
  return (
    SAMPLERS.find((name) => name === wanted || SAMPLER_LABELS[name].toLowerCase() === wanted) ??
    value
  );
}
