import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SdedgeError } from '../errors.ts';
import {
  type AutoencoderKLConfig,
  buildVaeDecoder,
  buildVaeEncoder,
} from '../onnx-builder/autoencoder-kl.ts';
import { buildClipTextModel, type ClipTextConfig } from '../onnx-builder/clip-text-model.ts';
import {
  buildUNet2DCondition,
  type UNet2DConditionConfig,
  type UNetExportOptions,
} from '../onnx-builder/unet-2d-condition.ts';
import { TorchGenerator } from '../random/torch-generator.ts';
import { buildTinyVocabulary } from './tiny-vocabulary.ts';

export const TINY_VARIANTS = ['sd15', 'sd15-int64', 'sd2-v', 'inpaint', 'fp16'] as const;
export type TinyVariant = (typeof TINY_VARIANTS)[number];

export interface TinyModelOptions {
  seed?: number;
  variant?: TinyVariant;
}

/** Stable Diffusion 1.x's scheduler_config.json (a PNDMScheduler config, as v1-5 ships it). */
export const SD15_SCHEDULER = {
  _class_name: 'PNDMScheduler',
  _diffusers_version: '0.6.0',
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
  trained_betas: null,
  clip_sample: false,
};

/**
 * Writes a tiny Stable Diffusion with the real architecture and seeded random weights, in the
 * diffusers ONNX folder layout, in well under a second and a few MB. Variants: `sd15` (epsilon,
 * float32 timestep), `sd15-int64` (older int64 timestep export), `sd2-v` (v-prediction, linear
 * projections, pad token "!"), `inpaint` (9-channel UNet input), `fp16` (float16 inputs/outputs).
 */
export async function buildTinyModel(dir: string, options: TinyModelOptions = {}): Promise<void> {
  const seed = options.seed ?? 0;
  const variant = options.variant ?? 'sd15';
  if (!TINY_VARIANTS.includes(variant)) {
    throw new SdedgeError(
      'invalid_argument',
      `Unknown tiny model variant "${variant}"; valid: ${TINY_VARIANTS.join(', ')}.`,
    );
  }
  const sd2 = variant === 'sd2-v';
  const fp16 = variant === 'fp16';
  const { vocab, merges } = buildTinyVocabulary();

  const text: ClipTextConfig = {
    vocab_size: Object.keys(vocab).length,
    hidden_size: 32,
    intermediate_size: 37,
    num_hidden_layers: 3,
    num_attention_heads: 4,
    max_position_embeddings: 77,
    layer_norm_eps: 1e-5,
    hidden_act: sd2 ? 'gelu' : 'quick_gelu',
  };
  const unet: UNet2DConditionConfig = {
    sample_size: 8,
    in_channels: variant === 'inpaint' ? 9 : 4,
    out_channels: 4,
    down_block_types: ['DownBlock2D', 'CrossAttnDownBlock2D'],
    up_block_types: ['CrossAttnUpBlock2D', 'UpBlock2D'],
    block_out_channels: [32, 64],
    layers_per_block: 1,
    cross_attention_dim: 32,
    attention_head_dim: sd2 ? [2, 4] : 8,
    norm_num_groups: 8,
    norm_eps: 1e-5,
    use_linear_projection: sd2,
    flip_sin_to_cos: true,
    freq_shift: 0,
  };
  const vae: AutoencoderKLConfig = {
    in_channels: 3,
    out_channels: 3,
    latent_channels: 4,
    block_out_channels: [8, 16, 16, 16],
    layers_per_block: 1,
    norm_num_groups: 8,
    sample_size: 64,
    scaling_factor: 0.18215,
  };
  const unetExport: UNetExportOptions = {
    io: fp16 ? 'float16' : 'float32',
    timestepType: variant === 'sd15-int64' ? 'int64' : fp16 ? 'float16' : 'float32',
    timestepShape: [1],
  };

  // One generator per component, so changing one component leaves the others' weights alone.
  const rng = (offset: number) => new TorchGenerator(seed * 16 + offset);
  const io = fp16 ? 'float16' : 'float32';
  const files: [string, string | Uint8Array][] = [
    ['model_index.json', json(modelIndex(variant))],
    ['text_encoder/model.onnx', buildClipTextModel(text, rng(1))],
    [
      'text_encoder/config.json',
      json({ architectures: ['CLIPTextModel'], model_type: 'clip_text_model', ...text }),
    ],
    ['unet/model.onnx', buildUNet2DCondition(unet, rng(2), unetExport)],
    ['unet/config.json', json({ _class_name: 'UNet2DConditionModel', ...unet })],
    ['vae_decoder/model.onnx', buildVaeDecoder(vae, rng(3), io)],
    ['vae_decoder/config.json', json({ _class_name: 'AutoencoderKL', ...vae })],
    ['vae_encoder/model.onnx', buildVaeEncoder(vae, rng(3), io)],
    ['vae_encoder/config.json', json({ _class_name: 'AutoencoderKL', ...vae })],
    ['tokenizer/vocab.json', json(vocab)],
    ['tokenizer/merges.txt', merges],
    ['tokenizer/special_tokens_map.json', json(specialTokens(sd2))],
    [
      'tokenizer/tokenizer_config.json',
      json({ model_max_length: 77, do_lower_case: true, ...specialTokens(sd2) }),
    ],
    [
      'scheduler/scheduler_config.json',
      json(sd2 ? { ...SD15_SCHEDULER, prediction_type: 'v_prediction' } : SD15_SCHEDULER),
    ],
  ];
  for (const [path, content] of files) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), content);
  }
}

function modelIndex(variant: TinyVariant) {
  return {
    _class_name:
      variant === 'inpaint' ? 'OnnxStableDiffusionInpaintPipeline' : 'OnnxStableDiffusionPipeline',
    _diffusers_version: '0.31.0',
    _sdedge_tiny_variant: variant,
    feature_extractor: [null, null],
    safety_checker: [null, null],
    requires_safety_checker: false,
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['diffusers', 'OnnxRuntimeModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'OnnxRuntimeModel'],
    vae_decoder: ['diffusers', 'OnnxRuntimeModel'],
    vae_encoder: ['diffusers', 'OnnxRuntimeModel'],
  };
}

function specialTokens(sd2: boolean) {
  return {
    bos_token: '<|startoftext|>',
    eos_token: '<|endoftext|>',
    unk_token: '<|endoftext|>',
    pad_token: sd2 ? '!' : '<|endoftext|>',
  };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}
