import { SdedgeError } from '../errors.ts';
import { float16ToFloat32, float32ToFloat16 } from './float16.ts';
import type { ModelFiles } from './model-files.ts';
import type { OrtRuntime, OrtSession, OrtTensor, SessionOptions } from './ort-types.ts';

export type TensorType = 'float32' | 'float16' | 'int32' | 'int64' | string;

export interface TensorSpec {
  type: TensorType;
  /** Dimensions; strings are symbolic (dynamic) dimensions. Empty when unknown. */
  shape: (number | string)[];
}

export interface FeedTensor {
  /** Floats for float inputs (converted to float16 where the model wants it), integers otherwise. */
  data: Float32Array | Int32Array | number[];
  dims: number[];
}

export interface OutputTensor {
  data: Float32Array;
  dims: number[];
}

/**
 * One ONNX model of the pipeline (text encoder, UNet, VAE): its session, the names and types of
 * its inputs and outputs as the session reports them, conversion of feeds to those types, and
 * the time spent inside ONNX Runtime (for our overhead figure).
 */
export class OnnxComponent {
  /** Milliseconds spent in session.run since load. */
  runMs = 0;
  runs = 0;

  private constructor(
    readonly label: string,
    readonly path: string,
    private readonly ort: OrtRuntime,
    private readonly session: OrtSession,
    readonly inputs: Map<string, TensorSpec>,
    readonly outputs: Map<string, TensorSpec>,
    readonly executionProvider: string,
  ) {}

  /**
   * Creates the session for `path` with the first execution provider in `providers` that loads
   * (CUDA falls back to CPU where its libraries are absent).
   */
  static async load(
    ort: OrtRuntime,
    files: ModelFiles,
    path: string,
    label: string,
    providers: string[],
    sessionOptions: SessionOptions = {},
  ): Promise<OnnxComponent> {
    const source = await files.sessionSource(path);
    if (!source) {
      throw new SdedgeError(
        'model_file_missing',
        `The ${label} model file is missing: ${files.describe(path)}.`,
        {
          file: files.describe(path),
        },
      );
    }
    let lastError: unknown;
    for (let i = 0; i < providers.length; i++) {
      const options: SessionOptions = {
        ...sessionOptions,
        executionProviders: providers.slice(i),
        ...(source.externalData?.length ? { externalData: source.externalData } : {}),
      };
      try {
        const session = await ort.InferenceSession.create(source.model as never, options);
        return new OnnxComponent(
          label,
          path,
          ort,
          session,
          ...describeSession(session),
          providers[i],
        );
      } catch (error) {
        lastError = error;
      }
    }
    throw (
      providerError(providers, lastError) ??
      new SdedgeError(
        'model_file_invalid',
        `Cannot load the ${label} model ${files.describe(path)} (providers ${providers.join(', ')}): ${(lastError as Error)?.message ?? lastError}`,
        { file: files.describe(path) },
      )
    );
  }

  input(name: string): TensorSpec | undefined {
    return this.inputs.get(name);
  }

  /** The first name in `candidates` that the model has as an input. */
  findInput(candidates: string[]): string | undefined {
    return candidates.find((name) => this.inputs.has(name));
  }

  findOutput(candidates: string[]): string | undefined {
    return candidates.find((name) => this.outputs.has(name));
  }

  requireInput(candidates: string[]): string {
    const name = this.findInput(candidates);
    if (!name) {
      throw new SdedgeError(
        'model_unsupported',
        `The ${this.label} model (${this.path}) has no input named ${candidates.join(' or ')}; it has ${[...this.inputs.keys()].join(', ')}.`,
      );
    }
    return name;
  }

  requireOutput(candidates: string[]): string {
    const name = this.findOutput(candidates);
    if (!name) {
      throw new SdedgeError(
        'model_unsupported',
        `The ${this.label} model (${this.path}) has no output named ${candidates.join(' or ')}; it has ${[...this.outputs.keys()].join(', ')}.`,
      );
    }
    return name;
  }

  async run(
    feeds: Record<string, FeedTensor>,
    outputNames: string[],
  ): Promise<Record<string, OutputTensor>> {
    const tensors: Record<string, OrtTensor> = {};
    for (const [name, feed] of Object.entries(feeds)) tensors[name] = this.toTensor(name, feed);
    const start = performance.now();
    const results = await this.session.run(tensors, outputNames);
    this.runMs += performance.now() - start;
    this.runs++;
    const out: Record<string, OutputTensor> = {};
    for (const name of outputNames) {
      const tensor = results[name];
      out[name] = { data: toFloat32(tensor, this.label, name), dims: [...tensor.dims] };
    }
    for (const tensor of Object.values(results)) tensor.dispose?.();
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private toTensor(name: string, feed: FeedTensor): OrtTensor {
    const type = this.inputs.get(name)?.type ?? 'float32';
    const { Tensor } = this.ort;
    switch (type) {
      case 'float16':
        return new Tensor(
          'float16',
          float32ToFloat16(Float32Array.from(feed.data as ArrayLike<number>)),
          feed.dims,
        );
      case 'int32':
        return new Tensor(
          'int32',
          Int32Array.from(feed.data as ArrayLike<number>, Math.trunc),
          feed.dims,
        );
      case 'int64':
        return new Tensor(
          'int64',
          BigInt64Array.from(
            Array.from(feed.data as ArrayLike<number>, (v) => BigInt(Math.trunc(v))),
          ),
          feed.dims,
        );
      case 'float32':
        return new Tensor(
          'float32',
          feed.data instanceof Float32Array ? feed.data : Float32Array.from(feed.data),
          feed.dims,
        );
      default:
        throw new SdedgeError(
          'model_unsupported',
          `The ${this.label} input "${name}" has unsupported type ${type}.`,
        );
    }
  }
}

function describeSession(session: OrtSession): [Map<string, TensorSpec>, Map<string, TensorSpec>] {
  const read = (names: readonly string[], metadata: unknown) => {
    const specs = new Map<string, TensorSpec>();
    const list = Array.isArray(metadata)
      ? (metadata as { name: string; type?: string; shape?: (number | string)[] }[])
      : [];
    for (const name of names) {
      const entry = list.find((m) => m.name === name);
      // Older ONNX Runtime builds report no metadata: assume float32 and an unknown shape.
      specs.set(name, { type: entry?.type ?? 'float32', shape: entry?.shape ?? [] });
    }
    return specs;
  };
  const s = session as OrtSession & { inputMetadata?: unknown; outputMetadata?: unknown };
  return [read(session.inputNames, s.inputMetadata), read(session.outputNames, s.outputMetadata)];
}

function toFloat32(tensor: OrtTensor, label: string, name: string): Float32Array {
  if (tensor.type === 'float32') return new Float32Array(tensor.data as Float32Array);
  if (tensor.type === 'float16') {
    const data = tensor.data as unknown;
    // onnxruntime returns Uint16Array bits (or a Float16Array where the platform has one).
    return data instanceof Uint16Array
      ? float16ToFloat32(data)
      : Float32Array.from(data as ArrayLike<number>);
  }
  throw new SdedgeError(
    'model_unsupported',
    `The ${label} output "${name}" has unsupported type ${tensor.type}.`,
  );
}

/**
 * When the providers themselves failed (an unknown name, WebGPU without a Vulkan driver, CUDA
 * without its libraries), not the model: an error that says so, with the way out.
 */
function providerError(providers: string[], error: unknown): SdedgeError | null {
  const message = String((error as Error)?.message ?? error);
  const unknown = /backend not found/i.exec(message)
    ? /\[(\w+)\] backend not found/i.exec(message)
    : null;
  if (unknown)
    return new SdedgeError(
      'invalid_options',
      `Unknown execution provider ${unknown[1]} (providers ${providers.join(', ')}); this ONNX Runtime has e.g. cpu, cuda, webgpu.`,
      { field: 'executionProviders' },
    );
  if (providers.includes('webgpu') && /webgpu|vulkan|adapter|dawn/i.test(message))
    return new SdedgeError(
      'execution_provider_unavailable',
      `WebGPU could not start (no GPU adapter: ${message.split('\n')[0]}). On a machine without a Vulkan driver, run scripts/setup-lavapipe.sh for Mesa's software one, or use the cpu provider.`,
      { providers },
    );
  if (/cuda|tensorrt/i.test(providers.join(',')) && /cuda|cudnn|cublas|tensorrt/i.test(message))
    return new SdedgeError(
      'execution_provider_unavailable',
      `CUDA could not start: ${message.split('\n')[0]}. Install onnxruntime-node with ONNXRUNTIME_NODE_INSTALL=cuda12, with a matching CUDA and cuDNN, or use the cpu provider.`,
      { providers },
    );
  return null;
}
