import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TorchGenerator } from '@sdedge/pipeline/node';
import { buildClipTextModel, buildTinyModel, buildUNet2DCondition } from '@sdedge/pipeline/testing';

/**
 * A mid-size Stable Diffusion-architecture model for benchmarks: SD 1.5's UNet layout (4
 * levels, cross-attention in the first three) at a third of its width, a 512-wide 6-layer text
 * encoder, and the tiny model's VAE (the VAE is not what we measure). Random weights, ~120 MB.
 */
export async function buildMidSizeModel(dir: string): Promise<void> {
  const tiny = `${dir}-tiny`;
  await buildTinyModel(tiny);
  await copyTree(tiny, dir);
  const vocabSize = JSON.parse(
    await readFile(join(tiny, 'text_encoder/config.json'), 'utf8'),
  ).vocab_size;
  const text = {
    vocab_size: vocabSize,
    hidden_size: 512,
    intermediate_size: 2048,
    num_hidden_layers: 6,
    num_attention_heads: 8,
    max_position_embeddings: 77,
    layer_norm_eps: 1e-5,
    hidden_act: 'quick_gelu' as const,
  };
  const unet = {
    sample_size: 32,
    in_channels: 4,
    out_channels: 4,
    down_block_types: [
      'CrossAttnDownBlock2D',
      'CrossAttnDownBlock2D',
      'CrossAttnDownBlock2D',
      'DownBlock2D',
    ] as const,
    up_block_types: [
      'UpBlock2D',
      'CrossAttnUpBlock2D',
      'CrossAttnUpBlock2D',
      'CrossAttnUpBlock2D',
    ] as const,
    block_out_channels: [128, 256, 384, 384],
    layers_per_block: 2,
    cross_attention_dim: 512,
    attention_head_dim: 8,
    norm_num_groups: 32,
    norm_eps: 1e-5,
    use_linear_projection: false,
    flip_sin_to_cos: true,
    freq_shift: 0,
  };
  await writeFile(
    join(dir, 'text_encoder/model.onnx'),
    buildClipTextModel(text, new TorchGenerator(101)),
  );
  await writeFile(join(dir, 'text_encoder/config.json'), JSON.stringify(text));
  await writeFile(
    join(dir, 'unet/model.onnx'),
    buildUNet2DCondition(
      {
        ...unet,
        down_block_types: [...unet.down_block_types],
        up_block_types: [...unet.up_block_types],
      },
      new TorchGenerator(102),
    ),
  );
  await writeFile(join(dir, 'unet/config.json'), JSON.stringify(unet));
}

async function copyTree(from: string, to: string): Promise<void> {
  await mkdir(to, { recursive: true });
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.isDirectory()) await copyTree(join(from, entry.name), join(to, entry.name));
    else await copyFile(join(from, entry.name), join(to, entry.name));
  }
}
