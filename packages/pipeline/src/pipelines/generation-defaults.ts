/**
 * The one table of image-generation defaults and limits: the pipeline, the CLI, the API (and so
 * the SDK and the OpenAI route) all read it. Defaults as AUTOMATIC1111 has them since 1.6
 * (20 steps, DPM++ 2M Karras, CFG 7, batches up to 8, CFG up to 30). No imports, so the API's
 * worker can take it alone (`@sdedge/pipeline/defaults`).
 */
export const GENERATION_DEFAULTS = {
  steps: 20,
  guidanceScale: 7,
  sampler: 'dpmpp_2m_karras',
  batchSize: 1,
  img2imgStrength: 0.75,
  inpaintStrength: 1,
  maskBlur: 4,
} as const;

export const GENERATION_BOUNDS = {
  steps: { min: 1, max: 150 },
  guidanceScale: { min: 0, max: 30 },
  batchSize: { min: 1, max: 8 },
} as const;
