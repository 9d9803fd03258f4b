import { SCHEDULER_NAMES, type SchedulerName, samplerByName } from '@sdedge/pipeline/deforum';
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

/** The pipeline's sampler names, for the schema's enum (`@sdedge/pipeline/deforum` is bundled). */
export const SAMPLERS = SCHEDULER_NAMES as [SchedulerName, ...SchedulerName[]];

/**
 * Our name for a sampler given by our name or AUTOMATIC1111's label in any case; anything else
 * unchanged, for the schema's enum to refuse with the list of names.
 */
export const samplerNameOf = (value: unknown): unknown =>
  typeof value === 'string' ? (samplerByName(value) ?? value) : value;
