/**
 * The browser / Workers entry: onnxruntime-web (execution providers `webgpu` then `wasm` by
 * default) and models fetched from URLs.
 */
import * as ort from 'onnxruntime-web';
import type { StableDiffusionPipeline } from './pipelines/stable-diffusion-pipeline.ts';
import { type EntryLoadOptions, loadPipeline as loadWithRuntime } from './runtime/load-pipeline.ts';
import { type ModelFiles, urlModelFiles } from './runtime/model-files.ts';
import type { OrtRuntime } from './runtime/ort-types.ts';

export * from './index.ts';

export const WEB_DEFAULT_PROVIDERS = ['webgpu', 'wasm'];

export type WebLoadOptions = EntryLoadOptions;

/** Loads a model from a base URL (or other ModelFiles) with onnxruntime-web. */
export function loadPipeline(
  source: string | ModelFiles,
  options: WebLoadOptions = {},
): Promise<StableDiffusionPipeline> {
  const files = typeof source === 'string' ? urlModelFiles(source) : source;
  return loadWithRuntime(files, {
    ...options,
    ort: ort as unknown as OrtRuntime,
    executionProviders: options.executionProviders ?? WEB_DEFAULT_PROVIDERS,
  });
}

export { ort };
