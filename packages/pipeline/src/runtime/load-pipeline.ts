import { SdedgeError } from '../errors.ts';
import type { GenerationLimits } from '../pipelines/generation-options.ts';
import { StableDiffusionPipeline } from '../pipelines/stable-diffusion-pipeline.ts';
import { ClipTokenizer } from '../text/clip-tokenizer.ts';
import { readTokenizerFiles } from '../text/tokenizer-files.ts';
import type { ModelFiles } from './model-files.ts';
import { OnnxComponent } from './onnx-component.ts';
import type { OrtRuntime, SessionOptions } from './ort-types.ts';
import { ClipTextEncoder } from './text-encoder.ts';
import { UNetModel } from './unet.ts';
import { VaeModel } from './vae.ts';

/** What the Node and web entries take: everything but the runtime, which they supply. */
export type EntryLoadOptions = Omit<LoadPipelineOptions, 'ort'>;

export interface LoadPipelineOptions {
  ort: OrtRuntime;
  /** Tried in order per model: the first that loads is used (default ['cpu']). */
  executionProviders?: string[];
  sessionOptions?: SessionOptions;
  limits?: Partial<GenerationLimits>;
  /** Name written into PNG parameters (default: the model folder's name). */
  name?: string;
}

/**
 * Loads a Stable Diffusion model in the diffusers ONNX layout: model_index.json, tokenizer/,
 * scheduler/, text_encoder/, unet/, vae_decoder/ and (for img2img and inpainting) vae_encoder/.
 * Input and output names and types come from the sessions; the VAE scaling and spatial factors
 * from vae_decoder/config.json; prediction type from the scheduler config; the pad token from
 * the tokenizer files.
 */
export async function loadPipeline(
  files: ModelFiles,
  options: LoadPipelineOptions,
): Promise<StableDiffusionPipeline> {
  const providers = options.executionProviders ?? ['cpu'];
  if (
    !Array.isArray(providers) ||
    providers.length === 0 ||
    !providers.every((p) => typeof p === 'string' && p !== '')
  ) {
    throw new SdedgeError(
      'invalid_options',
      `executionProviders must be a non-empty list of names (e.g. ["cpu"]), got ${JSON.stringify(providers)}.`,
      {
        field: 'executionProviders',
      },
    );
  }
  const index = await readJson(files, 'model_index.json', true);
  for (const component of ['tokenizer', 'text_encoder', 'unet', 'vae_decoder', 'scheduler']) {
    if (
      index &&
      typeof index === 'object' &&
      component in index &&
      (index as Record<string, unknown>)[component] === null
    ) {
      throw new SdedgeError(
        'model_unsupported',
        `${files.describe('model_index.json')} has no ${component}.`,
      );
    }
  }
  const tokenizer = new ClipTokenizer(
    await readTokenizerFiles(
      (name) => files.readText(`tokenizer/${name}`),
      (name) => files.describe(`tokenizer/${name}`),
    ),
  );
  const schedulerConfig = await readJson(files, 'scheduler/scheduler_config.json', true);
  const unetConfig = (await readJson(files, 'unet/config.json', false)) as
    | Record<string, unknown>
    | undefined;
  const vaeConfig = ((await readJson(files, 'vae_decoder/config.json', false)) ??
    (await readJson(files, 'vae/config.json', false))) as Record<string, unknown> | undefined;
  const textConfig = (await readJson(files, 'text_encoder/config.json', false)) as
    | Record<string, unknown>
    | undefined;

  const sessions: OnnxComponent[] = [];
  const load = async (path: string, label: string) => {
    const component = await OnnxComponent.load(
      options.ort,
      files,
      path,
      label,
      providers,
      options.sessionOptions,
    );
    sessions.push(component);
    return component;
  };
  try {
    const textEncoder = new ClipTextEncoder(
      await load('text_encoder/model.onnx', 'text encoder'),
      files,
      numberOr(textConfig?.hidden_size),
    );
    const unet = new UNetModel(
      await load('unet/model.onnx', 'UNet'),
      numberOr(unetConfig?.in_channels),
    );
    const decoder = await load('vae_decoder/model.onnx', 'VAE decoder');
    const hasEncoder = (await files.sessionSource('vae_encoder/model.onnx')) !== undefined;
    const encoder = hasEncoder ? await load('vae_encoder/model.onnx', 'VAE encoder') : null;
    const blocks = Array.isArray(vaeConfig?.block_out_channels)
      ? vaeConfig.block_out_channels.length
      : 4;
    const spatialFactor = 2 ** (blocks - 1);
    const vae = new VaeModel(decoder, encoder, {
      scalingFactor: numberOr(vaeConfig?.scaling_factor) ?? 0.18215,
      spatialFactor,
      latentChannels: numberOr(vaeConfig?.latent_channels) ?? 4,
    });
    const sampleSize = numberOr(unetConfig?.sample_size) ?? 64;
    return new StableDiffusionPipeline({
      name: options.name ?? files.name,
      tokenizer,
      textEncoder,
      unet,
      vae,
      schedulerConfig,
      sessions,
      defaultSize: sampleSize * spatialFactor,
      limits: options.limits,
    });
  } catch (error) {
    await Promise.all(sessions.map((s) => s.release()));
    throw error;
  }
}

async function readJson(files: ModelFiles, path: string, required: boolean): Promise<unknown> {
  const text = await files.readText(path);
  if (text === undefined) {
    if (!required) return undefined;
    throw new SdedgeError('model_file_missing', `Model file not found: ${files.describe(path)}.`, {
      file: files.describe(path),
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SdedgeError(
      'model_file_invalid',
      `${files.describe(path)} is not valid JSON: ${(error as Error).message}.`,
      {
        file: files.describe(path),
      },
    );
  }
}

function numberOr(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}
