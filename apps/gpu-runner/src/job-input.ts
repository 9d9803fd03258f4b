import {
  type AnimationSettings,
  type CommonGenerationOptions,
  loadDeforumSettings,
  type SchedulerName,
  SdedgeError,
} from '@sdedge/pipeline';
import type { LeasedJob } from './runner-api.ts';

/** The fields of an image job's input (the API's request, minus model and images). */
const IMAGE_FIELDS = new Set([
  'prompt',
  'negative_prompt',
  'model',
  'width',
  'height',
  'steps',
  'guidance_scale',
  'sampler',
  'seed',
  'n',
  'strength',
]);

export interface ImageJobOptions extends CommonGenerationOptions {
  width?: number;
  height?: number;
  strength?: number;
}

/**
 * An image job's input as pipeline options. A field the runner does not know fails the job
 * (never ignored: the API would have charged for something not done). A job without a seed gets
 * one made from its id, so a retried attempt draws the same image.
 */
export function imageJobOptions(job: LeasedJob): ImageJobOptions {
  const input = job.input;
  const unknown = Object.keys(input).filter((key) => !IMAGE_FIELDS.has(key));
  if (unknown.length > 0)
    throw new SdedgeError('invalid_options', `Unknown job fields: ${unknown.join(', ')}.`);
  const options: ImageJobOptions = {
    prompt: input.prompt as string,
    seed: (input.seed as number | undefined) ?? seedFromJobId(job.id),
  };
  if (input.negative_prompt !== undefined) options.negativePrompt = input.negative_prompt as string;
  if (input.width !== undefined) options.width = input.width as number;
  if (input.height !== undefined) options.height = input.height as number;
  if (input.steps !== undefined) options.steps = input.steps as number;
  if (input.guidance_scale !== undefined) options.guidanceScale = input.guidance_scale as number;
  if (input.sampler !== undefined) options.sampler = input.sampler as SchedulerName;
  if (input.n !== undefined) options.batchSize = input.n as number;
  if (input.strength !== undefined) options.strength = input.strength as number;
  return options;
}

export interface AnimateJob {
  settings: AnimationSettings;
  format: 'mp4' | 'gif';
  ignoredKeys: string[];
}

/**
 * An animate job's Deforum settings, loaded and checked by the pipeline (a bad schedule fails the
 * job for good). `output_format` is the API's own key. Init images named by path are refused: a
 * path would read this runner's disk.
 */
export function animateJob(job: LeasedJob): AnimateJob {
  const raw = job.input.settings;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw))
    throw new SdedgeError('invalid_settings', 'The job has no Deforum settings object.');
  const { output_format, ...deforum } = raw as Record<string, unknown>;
  const format = output_format === undefined ? 'mp4' : output_format;
  if (format !== 'mp4' && format !== 'gif')
    throw new SdedgeError(
      'invalid_settings',
      `output_format must be mp4 or gif, not ${JSON.stringify(format)}.`,
    );
  const seed = seedFromJobId(job.id);
  const { settings, ignoredKeys } = loadDeforumSettings(deforum, { randomSeed: () => seed });
  if (settings.initImage)
    throw new SdedgeError(
      'invalid_settings',
      'init_image paths are not read by runners; an animation starts from txt2img.',
      { field: 'init_image' },
    );
  return { settings, format, ignoredKeys };
}

/** FNV-1a of the job id: a stable 32-bit seed per job. */
export function seedFromJobId(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    hash ^= id.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
