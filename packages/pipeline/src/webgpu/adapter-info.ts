/** What WebGPU adapter this process gets, as Dawn reports it. */
export interface WebGpuAdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** True for software adapters such as lavapipe (llvmpipe). */
  isFallbackAdapter: boolean;
  /** The adapter can run float16 shaders. */
  shaderF16: boolean;
}

/**
 * Asks Dawn (the `webgpu` package's dawn.node, an optional dependency) for the adapter that
 * ONNX Runtime's WebGPU provider will also find through the same Vulkan loader. Null when the
 * package is absent or no adapter is available.
 */
export async function describeWebGpuAdapter(): Promise<WebGpuAdapterInfo | null> {
  let dawn: { create: (flags: string[]) => GpuLike };
  try {
    dawn = (await import('webgpu' as string)) as typeof dawn;
  } catch {
    return null;
  }
  let gpu: GpuLike | null = dawn.create([]);
  try {
    const adapter = await gpu.requestAdapter();
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return {
      vendor: info.vendor ?? '',
      architecture: info.architecture ?? '',
      device: info.device ?? '',
      description: info.description ?? '',
      isFallbackAdapter: Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter),
      shaderF16: adapter.features.has('shader-f16'),
    };
  } finally {
    // dawn.node keeps Node alive while a GPU object is reachable.
    gpu = null;
  }
}

interface GpuLike {
  requestAdapter(): Promise<{
    info?: {
      vendor?: string;
      architecture?: string;
      device?: string;
      description?: string;
      isFallbackAdapter?: boolean;
    };
    isFallbackAdapter?: boolean;
    features: Set<string>;
  } | null>;
}
