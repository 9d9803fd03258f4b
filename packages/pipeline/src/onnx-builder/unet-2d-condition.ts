import type { TorchGenerator } from '../random/torch-generator.ts';
import { type ElementType, GraphBuilder } from './graph-builder.ts';
import { Layers } from './layers.ts';

/** The keys of a diffusers UNet2DConditionModel config.json that shape the graph. */
export interface UNet2DConditionConfig {
  sample_size: number;
  in_channels: number;
  out_channels: number;
  down_block_types: ('CrossAttnDownBlock2D' | 'DownBlock2D')[];
  up_block_types: ('CrossAttnUpBlock2D' | 'UpBlock2D')[];
  block_out_channels: number[];
  layers_per_block: number;
  cross_attention_dim: number;
  /** Heads per block (diffusers' historical name; SD 1.x: 8, SD 2.x: [5, 10, 20, 20]). */
  attention_head_dim: number | number[];
  norm_num_groups: number;
  norm_eps: number;
  use_linear_projection: boolean;
  flip_sin_to_cos: boolean;
  freq_shift: number;
}

export interface UNetExportOptions {
  /** Type of `sample`, `encoder_hidden_states` and `out_sample` (float16 casts at the edges). */
  io: 'float32' | 'float16';
  timestepType: 'float32' | 'float16' | 'int64';
  /** `timestep` shape: [1], per batch item, or a scalar. */
  timestepShape: (number | string)[];
}

/**
 * diffusers' UNet2DConditionModel as an ONNX graph: timestep embedding, ResNet blocks with time
 * projection, Transformer2D blocks (self-attention, cross-attention to the text, GEGLU
 * feed-forward), down/up-sampling with skip connections and the mid block. Inputs `sample`,
 * `timestep`, `encoder_hidden_states`; output `out_sample`.
 */
export function buildUNet2DCondition(
  config: UNet2DConditionConfig,
  rng: TorchGenerator,
  options: UNetExportOptions = { io: 'float32', timestepType: 'float32', timestepShape: [1] },
): Uint8Array {
  const g = new GraphBuilder(rng, 'unet');
  const net = new UNetWriter(g, config);
  const io: ElementType = options.io;
  let sample = g.input('sample', io, ['batch', config.in_channels, 'height', 'width']);
  let timestep = g.input('timestep', options.timestepType, options.timestepShape);
  let context = g.input('encoder_hidden_states', io, [
    'batch',
    'sequence',
    config.cross_attention_dim,
  ]);
  if (io === 'float16') {
    sample = g.op('Cast', [sample], { to: 1 });
    context = g.op('Cast', [context], { to: 1 });
  }
  if (options.timestepType !== 'float32') timestep = g.op('Cast', [timestep], { to: 1 });
  let out = net.forward(sample, g.op('Reshape', [timestep, g.constInt64([-1])]), context);
  if (io === 'float16') out = g.op('Cast', [out], { to: 10 });
  g.output('out_sample', out, io, ['batch', config.out_channels, 'height', 'width']);
  return g.toBytes();
}

class UNetWriter {
  private readonly nn: Layers;
  private readonly heads: number[];
  private readonly timeDim: number;

  constructor(
    private readonly g: GraphBuilder,
    private readonly c: UNet2DConditionConfig,
  ) {
    this.nn = new Layers(g);
    const h = c.attention_head_dim;
    this.heads = Array.isArray(h) ? h : c.block_out_channels.map(() => h);
    this.timeDim = c.block_out_channels[0] * 4;
  }

  forward(sample: string, timesteps: string, context: string): string {
    const { c, g, nn } = this;
    const channels = c.block_out_channels;
    const temb = this.timeEmbedding(timesteps);

    let h = nn.conv('conv_in', sample, c.in_channels, channels[0], 3);
    const skips: [string, number][] = [[h, channels[0]]];
    let inChannels = channels[0];
    c.down_block_types.forEach((type, i) => {
      const out = channels[i];
      for (let j = 0; j < c.layers_per_block; j++) {
        h = this.resnet(`down_blocks.${i}.resnets.${j}`, h, j === 0 ? inChannels : out, out, temb);
        if (type === 'CrossAttnDownBlock2D')
          h = this.transformer(`down_blocks.${i}.attentions.${j}`, h, out, this.heads[i], context);
        skips.push([h, out]);
      }
      if (i < channels.length - 1) {
        h = nn.conv(`down_blocks.${i}.downsamplers.0.conv`, h, out, out, 3, { stride: 2 });
        skips.push([h, out]);
      }
      inChannels = out;
    });

    const mid = channels[channels.length - 1];
    h = this.resnet('mid_block.resnets.0', h, mid, mid, temb);
    h = this.transformer(
      'mid_block.attentions.0',
      h,
      mid,
      this.heads[this.heads.length - 1],
      context,
    );
    h = this.resnet('mid_block.resnets.1', h, mid, mid, temb);

    const reversed = [...channels].reverse();
    const reversedHeads = [...this.heads].reverse();
    let prevOut = reversed[0];
    c.up_block_types.forEach((type, i) => {
      const out = reversed[i];
      for (let j = 0; j <= c.layers_per_block; j++) {
        const [skip, skipChannels] = skips.pop()!;
        const joined = g.op('Concat', [h, skip], { axis: 1 });
        h = this.resnet(
          `up_blocks.${i}.resnets.${j}`,
          joined,
          (j === 0 ? prevOut : out) + skipChannels,
          out,
          temb,
        );
        if (type === 'CrossAttnUpBlock2D')
          h = this.transformer(`up_blocks.${i}.attentions.${j}`, h, out, reversedHeads[i], context);
      }
      if (i < reversed.length - 1) {
        const upsampled = g.op('Resize', [h, '', g.constFloat([1, 1, 2, 2], [4])], {
          mode: 'nearest',
        });
        h = nn.conv(`up_blocks.${i}.upsamplers.0.conv`, upsampled, out, out, 3);
      }
      prevOut = out;
    });

    h = nn.silu(nn.groupNorm('conv_norm_out', h, channels[0], c.norm_num_groups, c.norm_eps));
    return nn.conv('conv_out', h, channels[0], c.out_channels, 3);
  }

  /** Sinusoidal embedding of the timestep (cos first when flip_sin_to_cos), then an MLP. */
  private timeEmbedding(timesteps: string): string {
    const { c, g, nn } = this;
    const dim = c.block_out_channels[0];
    const half = dim / 2;
    const freqs = Float32Array.from({ length: half }, (_, i) =>
      Math.exp((-Math.log(10000) * i) / (half - c.freq_shift)),
    );
    const args = g.op('Mul', [
      g.op('Unsqueeze', [timesteps, g.constInt64([1])]),
      g.constFloat(freqs, [1, half]),
    ]);
    const [first, second] = c.flip_sin_to_cos ? ['Cos', 'Sin'] : ['Sin', 'Cos'];
    const emb = g.op('Concat', [g.op(first, [args]), g.op(second, [args])], { axis: 1 });
    const hidden = nn.silu(nn.linear('time_embedding.linear_1', emb, dim, this.timeDim));
    return nn.linear('time_embedding.linear_2', hidden, this.timeDim, this.timeDim);
  }

  private resnet(prefix: string, x: string, inC: number, outC: number, temb: string): string {
    const { c, g, nn } = this;
    let h = nn.conv(
      `${prefix}.conv1`,
      nn.silu(nn.groupNorm(`${prefix}.norm1`, x, inC, c.norm_num_groups, c.norm_eps)),
      inC,
      outC,
      3,
    );
    const t = nn.linear(`${prefix}.time_emb_proj`, nn.silu(temb), this.timeDim, outC);
    h = nn.add(h, g.op('Unsqueeze', [t, g.constInt64([2, 3])]));
    h = nn.conv(
      `${prefix}.conv2`,
      nn.silu(nn.groupNorm(`${prefix}.norm2`, h, outC, c.norm_num_groups, c.norm_eps)),
      outC,
      outC,
      3,
    );
    const shortcut = inC === outC ? x : nn.conv(`${prefix}.conv_shortcut`, x, inC, outC, 1);
    return nn.add(shortcut, h);
  }

  /** Transformer2DModel with one BasicTransformerBlock. */
  private transformer(
    prefix: string,
    x: string,
    channels: number,
    heads: number,
    context: string,
  ): string {
    const { c, nn } = this;
    const normed = nn.groupNorm(`${prefix}.norm`, x, channels, c.norm_num_groups, 1e-6);
    let h: string;
    if (c.use_linear_projection)
      h = nn.linear(`${prefix}.proj_in`, nn.toSequence(normed), channels, channels);
    else h = nn.toSequence(nn.conv(`${prefix}.proj_in`, normed, channels, channels, 1));

    const block = `${prefix}.transformer_blocks.0`;
    h = nn.add(
      h,
      nn.attention(`${block}.attn1`, nn.layerNorm(`${block}.norm1`, h, channels, 1e-5), {
        dim: channels,
        heads,
      }),
    );
    h = nn.add(
      h,
      nn.attention(`${block}.attn2`, nn.layerNorm(`${block}.norm2`, h, channels, 1e-5), {
        dim: channels,
        heads,
        context,
        contextDim: c.cross_attention_dim,
      }),
    );
    h = nn.add(
      h,
      this.gegluFeedForward(
        `${block}.ff`,
        nn.layerNorm(`${block}.norm3`, h, channels, 1e-5),
        channels,
      ),
    );

    if (c.use_linear_projection)
      h = nn.toImage(nn.linear(`${prefix}.proj_out`, h, channels, channels), x);
    else h = nn.conv(`${prefix}.proj_out`, nn.toImage(h, x), channels, channels, 1);
    return nn.add(h, x);
  }

  /** FeedForward with GEGLU: (x W1) split into value and gate, value * gelu(gate), then W2. */
  private gegluFeedForward(prefix: string, x: string, dim: number): string {
    const { g, nn } = this;
    const inner = dim * 4;
    const projected = nn.linear(`${prefix}.net.0.proj`, x, dim, inner * 2);
    const value = g.op('Slice', [
      projected,
      g.constInt64([0]),
      g.constInt64([inner]),
      g.constInt64([-1]),
    ]);
    const gate = g.op('Slice', [
      projected,
      g.constInt64([inner]),
      g.constInt64([inner * 2]),
      g.constInt64([-1]),
    ]);
    return nn.linear(`${prefix}.net.2`, g.op('Mul', [value, nn.gelu(gate)]), inner, dim);
  }
}
