export { SdedgeError, type SdedgeErrorCode } from './errors.ts';
export { MAX_SEED, normalizeSeed } from './random/seed.ts';
export { TorchGenerator } from './random/torch-generator.ts';
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
