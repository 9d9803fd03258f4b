export { SdedgeError, type SdedgeErrorCode } from './errors.ts';
export { MAX_SEED, normalizeSeed } from './random/seed.ts';
export { TorchGenerator } from './random/torch-generator.ts';
