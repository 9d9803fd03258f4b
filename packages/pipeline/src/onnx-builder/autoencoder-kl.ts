import type { TorchGenerator } from '../random/torch-generator.ts';
import { type ElementType, GraphBuilder } from './graph-builder.ts';
import { Layers } from './layers.ts';

/** The keys of a diffusers AutoencoderKL config.json that shape the graphs. */
export interface AutoencoderKLConfig {
  in_channels: number;
  out_channels: number;
  latent_channels: number;
  block_out_channels: number[];
  layers_per_block: number;
  norm_num_groups: number;
  sample_size: number;
  scaling_factor: number;
}

const EPS = 1e-6;

/**
 * AutoencoderKL's decoder (post_quant_conv + Decoder): `latent_sample` [B, 4, h, w] -> `sample`
 * [B, 3, 8h, 8w] with 4 blocks (2^(blocks-1) spatial factor).
 */
export function buildVaeDecoder(
  config: AutoencoderKLConfig,
  rng: TorchGenerator,
  io: ElementType = 'float32',
): Uint8Array {
  const g = new GraphBuilder(rng, 'vae_decoder');
  const vae = new VaeWriter(g, config);
  const nn = vae.nn;
  const channels = [...config.block_out_channels].reverse();
  let z = g.input('latent_sample', io, [
    'batch',
    config.latent_channels,
    'latent_height',
    'latent_width',
  ]);
  if (io === 'float16') z = g.op('Cast', [z], { to: 1 });
  z = nn.conv('post_quant_conv', z, config.latent_channels, config.latent_channels, 1);
  let h = nn.conv('decoder.conv_in', z, config.latent_channels, channels[0], 3);
  h = vae.midBlock('decoder.mid_block', h, channels[0]);
  let prev = channels[0];
  channels.forEach((out, i) => {
    for (let j = 0; j <= config.layers_per_block; j++) {
      h = vae.resnet(`decoder.up_blocks.${i}.resnets.${j}`, h, j === 0 ? prev : out, out);
    }
    if (i < channels.length - 1) {
      const up = g.op('Resize', [h, '', g.constFloat([1, 1, 2, 2], [4])], { mode: 'nearest' });
      h = nn.conv(`decoder.up_blocks.${i}.upsamplers.0.conv`, up, out, out, 3);
    }
    prev = out;
  });
  h = nn.silu(nn.groupNorm('decoder.conv_norm_out', h, prev, config.norm_num_groups, EPS));
  let image = nn.conv('decoder.conv_out', h, prev, config.out_channels, 3);
  if (io === 'float16') image = g.op('Cast', [image], { to: 10 });
  g.output('sample', image, io, ['batch', config.out_channels, 'height', 'width']);
  return g.toBytes();
}

/**
 * AutoencoderKL's encoder (Encoder + quant_conv): `sample` [B, 3, H, W] in [-1, 1] ->
 * `latent_sample` (the mean of the latent distribution: deterministic, where diffusers' export
 * samples inside the graph) or `latent_parameters` (mean and log-variance, as optimum exports).
 */
export function buildVaeEncoder(
  config: AutoencoderKLConfig,
  rng: TorchGenerator,
  io: ElementType = 'float32',
  output: 'latent_sample' | 'latent_parameters' = 'latent_sample',
): Uint8Array {
  const g = new GraphBuilder(rng, 'vae_encoder');
  const vae = new VaeWriter(g, config);
  const nn = vae.nn;
  const channels = config.block_out_channels;
  let x = g.input('sample', io, ['batch', config.in_channels, 'height', 'width']);
  if (io === 'float16') x = g.op('Cast', [x], { to: 1 });
  let h = nn.conv('encoder.conv_in', x, config.in_channels, channels[0], 3);
  let prev = channels[0];
  channels.forEach((out, i) => {
    for (let j = 0; j < config.layers_per_block; j++) {
      h = vae.resnet(`encoder.down_blocks.${i}.resnets.${j}`, h, j === 0 ? prev : out, out);
    }
    if (i < channels.length - 1) {
      // diffusers pads (0, 1, 0, 1) then convolves with stride 2 and no padding.
      h = nn.conv(`encoder.down_blocks.${i}.downsamplers.0.conv`, h, out, out, 3, {
        stride: 2,
        pads: [0, 0, 1, 1],
      });
    }
    prev = out;
  });
  h = vae.midBlock('encoder.mid_block', h, prev);
  h = nn.silu(nn.groupNorm('encoder.conv_norm_out', h, prev, config.norm_num_groups, EPS));
  const moments = nn.conv(
    'quant_conv',
    nn.conv('encoder.conv_out', h, prev, 2 * config.latent_channels, 3),
    2 * config.latent_channels,
    2 * config.latent_channels,
    1,
  );
  // latent_parameters: mean and log-variance, for the caller to sample; latent_sample: the mean.
  const outChannels =
    output === 'latent_parameters' ? 2 * config.latent_channels : config.latent_channels;
  let latents =
    output === 'latent_parameters'
      ? moments
      : g.op('Slice', [moments, g.constInt64([0]), g.constInt64([outChannels]), g.constInt64([1])]);
  if (io === 'float16') latents = g.op('Cast', [latents], { to: 10 });
  g.output(output, latents, io, ['batch', outChannels, 'latent_height', 'latent_width']);
  return g.toBytes();
}

class VaeWriter {
  readonly nn: Layers;

  constructor(
    g: GraphBuilder,
    private readonly c: AutoencoderKLConfig,
  ) {
    this.nn = new Layers(g);
  }

  resnet(prefix: string, x: string, inC: number, outC: number): string {
    const { nn, c } = this;
    let h = nn.conv(
      `${prefix}.conv1`,
      nn.silu(nn.groupNorm(`${prefix}.norm1`, x, inC, c.norm_num_groups, EPS)),
      inC,
      outC,
      3,
    );
    h = nn.conv(
      `${prefix}.conv2`,
      nn.silu(nn.groupNorm(`${prefix}.norm2`, h, outC, c.norm_num_groups, EPS)),
      outC,
      outC,
      3,
    );
    const shortcut = inC === outC ? x : nn.conv(`${prefix}.conv_shortcut`, x, inC, outC, 1);
    return nn.add(shortcut, h);
  }

  /** ResNet, single-head spatial self-attention, ResNet. */
  midBlock(prefix: string, x: string, channels: number): string {
    const { nn, c } = this;
    let h = this.resnet(`${prefix}.resnets.0`, x, channels, channels);
    const normed = nn.groupNorm(
      `${prefix}.attentions.0.group_norm`,
      h,
      channels,
      c.norm_num_groups,
      EPS,
    );
    const attended = nn.attention(`${prefix}.attentions.0`, nn.toSequence(normed), {
      dim: channels,
      heads: 1,
      qkvBias: true,
    });
    h = nn.add(h, nn.toImage(attended, h));
    return this.resnet(`${prefix}.resnets.1`, h, channels, channels);
  }
}
