export { animationSteps } from './animation/animation-steps.ts';
export { type ColorCoherence, matchColors } from './animation/color-match.ts';
export {
  type AnimationSettings,
  DEFORUM_DEFAULTS,
  type KeyframePrompt,
  type LoadedSettings,
  loadDeforumSettings,
} from './animation/deforum-settings.ts';
export { type BorderMode, type Transform2D, warpFrame } from './animation/frame-warp.ts';
export { encodeGif } from './animation/gif-encoding.ts';
export { parseSchedule, type ScheduleOptions } from './animation/parse-schedule.ts';
export {
  type AnimationProgress,
  type RenderOptions,
  type RenderResult,
  renderAnimation,
} from './animation/render-animation.ts';
export { compileExpression } from './animation/schedule-expression.ts';
export { SEED_BEHAVIORS, type SeedBehavior, SeedSequence } from './animation/seed-behavior.ts';
export { SdedgeError, type SdedgeErrorCode } from './errors.ts';
export {
  formatGenerationParameters,
  type GenerationParameters,
  parseGenerationParameters,
} from './image/generation-parameters.ts';
export { decodeImage, encodeJpeg, encodePng, readPngText } from './image/image-codecs.ts';
export { latentPreview } from './image/latent-preview.ts';
export type { RgbImage } from './image/rgb-image.ts';
export {
  type CommonGenerationOptions,
  DEFAULT_LIMITS,
  type GenerationLimits,
  type Img2ImgOptions,
  type InpaintOptions,
  type StepProgress,
  type Txt2ImgOptions,
} from './pipelines/generation-options.ts';
export {
  type GeneratedImage,
  type GenerationResult,
  StableDiffusionPipeline,
} from './pipelines/stable-diffusion-pipeline.ts';
export { MAX_SEED, normalizeSeed } from './random/seed.ts';
export { TorchGenerator } from './random/torch-generator.ts';
export { float16ToFloat32, float32ToFloat16 } from './runtime/float16.ts';
export { type LoadPipelineOptions, loadPipeline } from './runtime/load-pipeline.ts';
export {
  type ModelFiles,
  memoryModelFiles,
  type SessionSource,
  urlModelFiles,
} from './runtime/model-files.ts';
export type { OrtRuntime } from './runtime/ort-types.ts';
export {
  type BetaSchedule,
  type PredictionType,
  parseSchedulerConfig,
  type SchedulerConfig,
  type TimestepSpacing,
} from './schedulers/config.ts';
export {
  createScheduler,
  SCHEDULER_NAMES,
  type SchedulerName,
  samplerByName,
  schedulerLabel,
} from './schedulers/create-scheduler.ts';
export type { NoiseSource, Scheduler, StepOptions } from './schedulers/scheduler.ts';
export {
  ClipTokenizer,
  type ClipTokenizerOptions,
  type TokenizeOptions,
} from './text/clip-tokenizer.ts';
export { parsePromptAttention, type WeightedText } from './text/prompt-attention.ts';
export {
  type TokenizeWeightedOptions,
  tokenizeWeighted,
  tokenizeWeightedPair,
  type WeightedChunk,
} from './text/weighted-tokens.ts';
