/**
 * The Node entry: onnxruntime-node (execution providers `cuda` then `cpu` by default; `webgpu`
 * runs ONNX Runtime's WebGPU provider on any Vulkan driver, lavapipe included) and model
 * folders on disk. Test-model builders and evaluation live in `@sdedge/pipeline/testing`.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { StableDiffusionPipeline } from './pipelines/stable-diffusion-pipeline.ts';
import { type EntryLoadOptions, loadPipeline as loadWithRuntime } from './runtime/load-pipeline.ts';
import type { ModelFiles } from './runtime/model-files.ts';
import { directoryModelFiles } from './runtime/node-model-files.ts';
import type { OrtRuntime } from './runtime/ort-types.ts';

export { encodeMp4 } from './animation/mp4-encoding.ts';
export * from './index.ts';
export { EMBEDDED_MODEL_DIR, EMBEDDED_MODEL_NAME } from './runtime/embedded-model.ts';
export { directoryModelFiles } from './runtime/node-model-files.ts';
export { describeWebGpuAdapter, type WebGpuAdapterInfo } from './webgpu/adapter-info.ts';

export const NODE_DEFAULT_PROVIDERS = ['cuda', 'cpu'];

export type NodeLoadOptions = EntryLoadOptions;

/** Loads a model folder (or other ModelFiles) with onnxruntime-node. */
export function loadPipeline(
  source: string | ModelFiles,
  options: NodeLoadOptions = {},
): Promise<StableDiffusionPipeline> {
  const files = typeof source === 'string' ? directoryModelFiles(source) : source;
  return loadWithRuntime(files, {
    ...options,
    // Errors only: ONNX Runtime otherwise warns about every node it keeps on the CPU.
    sessionOptions: { logSeverityLevel: 3, ...options.sessionOptions },
    ort: ort as unknown as OrtRuntime,
    executionProviders: installedProviders(options.executionProviders ?? NODE_DEFAULT_PROVIDERS),
  });
}

/**
 * Drops the GPU providers whose libraries onnxruntime-node's install step did not fetch
 * (`ONNXRUNTIME_NODE_INSTALL=cuda12` fetches CUDA's), so ONNX Runtime does not log a failed load
 * for each model before falling back to the CPU.
 */
export function installedProviders(requested: string[]): string[] {
  // Nothing to filter in a bad list: loadPipeline refuses it with invalid_options.
  if (!Array.isArray(requested) || requested.length === 0) return requested;
  const missing = new Set(missingProviders(requested));
  const kept = requested.filter((name) => !missing.has(name));
  return kept.length > 0 ? kept : ['cpu'];
}

/** The GPU providers in `requested` whose libraries this install of onnxruntime-node lacks. */
export function missingProviders(requested: string[]): string[] {
  const binding = join(
    dirname(createRequire(import.meta.url).resolve('onnxruntime-node')),
    '..',
    'bin',
    'napi-v6',
    process.platform,
    process.arch,
  );
  return requested.filter(
    (name) =>
      (name === 'cuda' || name === 'tensorrt') &&
      !existsSync(join(binding, `libonnxruntime_providers_${name}.so`)),
  );
}
