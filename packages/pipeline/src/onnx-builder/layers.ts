import { float, type GraphBuilder } from './graph-builder.ts';

/**
 * The building blocks Stable Diffusion's networks share, written as ONNX subgraphs the way
 * PyTorch exports them (GroupNorm as reshape + InstanceNormalization, GELU with Erf). Parameter
 * names follow the diffusers / transformers state dicts, with `prefix` as the module path.
 */
export class Layers {
  constructor(readonly g: GraphBuilder) {}

  /** y = x W^T + b over the last axis; the weight is stored pre-transposed as [in, out]. */
  linear(prefix: string, x: string, inFeatures: number, outFeatures: number, bias = true): string {
    const w = this.g.param(`${prefix}.weight`, [inFeatures, outFeatures], {
      normal: 1 / Math.sqrt(inFeatures),
    });
    const y = this.g.op('MatMul', [x, w]);
    return bias
      ? this.g.op('Add', [y, this.g.param(`${prefix}.bias`, [outFeatures], { normal: 0.02 })])
      : y;
  }

  conv(
    prefix: string,
    x: string,
    inChannels: number,
    outChannels: number,
    kernel: number,
    options: { stride?: number; pads?: number[] } = {},
  ): string {
    const fanIn = inChannels * kernel * kernel;
    const w = this.g.param(`${prefix}.weight`, [outChannels, inChannels, kernel, kernel], {
      normal: 1 / Math.sqrt(fanIn),
    });
    const b = this.g.param(`${prefix}.bias`, [outChannels], { normal: 0.02 });
    const pad = Math.floor(kernel / 2);
    return this.g.op('Conv', [x, w, b], {
      kernel_shape: [kernel, kernel],
      strides: [options.stride ?? 1, options.stride ?? 1],
      pads: options.pads ?? [pad, pad, pad, pad],
    });
  }

  /** GroupNorm over [B, C, H, W]: normalize per group of channels, then scale and shift per channel. */
  groupNorm(prefix: string, x: string, channels: number, groups: number, eps: number): string {
    const grouped = this.g.op('Reshape', [x, this.g.constInt64([0, groups, -1])]);
    const ones = this.g.constFloat(new Float32Array(groups).fill(1), [groups]);
    const zeros = this.g.constFloat(new Float32Array(groups), [groups]);
    const normalized = this.g.op('InstanceNormalization', [grouped, ones, zeros], {
      epsilon: float(eps),
    });
    const restored = this.g.op('Reshape', [normalized, this.g.op('Shape', [x])]);
    const gamma = this.g.param(`${prefix}.weight`, [channels, 1, 1], 'ones');
    const beta = this.g.param(`${prefix}.bias`, [channels, 1, 1], 'zeros');
    return this.g.op('Add', [this.g.op('Mul', [restored, gamma]), beta]);
  }

  layerNorm(prefix: string, x: string, dim: number, eps: number): string {
    const gamma = this.g.param(`${prefix}.weight`, [dim], 'ones');
    const beta = this.g.param(`${prefix}.bias`, [dim], 'zeros');
    return this.g.op('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: float(eps) });
  }

  silu(x: string): string {
    return this.g.op('Mul', [x, this.g.op('Sigmoid', [x])]);
  }

  /** Exact GELU: x * 0.5 * (1 + erf(x / sqrt 2)). */
  gelu(x: string): string {
    const erf = this.g.op('Erf', [this.g.op('Div', [x, this.g.constFloat([Math.SQRT2], [])])]);
    const half = this.g.op('Mul', [x, this.g.constFloat([0.5], [])]);
    return this.g.op('Mul', [half, this.g.op('Add', [erf, this.g.constFloat([1], [])])]);
  }

  /** CLIP's quick GELU: x * sigmoid(1.702 x). */
  quickGelu(x: string): string {
    return this.g.op('Mul', [
      x,
      this.g.op('Sigmoid', [this.g.op('Mul', [x, this.g.constFloat([1.702], [])])]),
    ]);
  }

  /**
   * Multi-head attention over [B, L, C] queries and [B, Lk, Cctx] keys/values (self-attention
   * when `context` is null). `mask` is added to the scores (CLIP's causal mask).
   */
  attention(
    prefix: string,
    x: string,
    options: {
      dim: number;
      heads: number;
      context?: string | null;
      contextDim?: number;
      qkvBias?: boolean;
      mask?: string;
      names?: { q: string; k: string; v: string; out: string };
    },
  ): string {
    const { dim, heads } = options;
    const context = options.context ?? x;
    const contextDim = options.context ? (options.contextDim ?? dim) : dim;
    const names = options.names ?? { q: 'to_q', k: 'to_k', v: 'to_v', out: 'to_out.0' };
    const bias = options.qkvBias ?? false;
    const headDim = dim / heads;
    const split = (t: string, perm: number[]) =>
      this.g.op(
        'Transpose',
        [this.g.op('Reshape', [t, this.g.constInt64([0, 0, heads, headDim])])],
        { perm },
      );
    const q = split(this.linear(`${prefix}.${names.q}`, x, dim, dim, bias), [0, 2, 1, 3]);
    const k = split(
      this.linear(`${prefix}.${names.k}`, context, contextDim, dim, bias),
      [0, 2, 3, 1],
    );
    const v = split(
      this.linear(`${prefix}.${names.v}`, context, contextDim, dim, bias),
      [0, 2, 1, 3],
    );
    let scores = this.g.op('Mul', [
      this.g.op('MatMul', [q, k]),
      this.g.constFloat([1 / Math.sqrt(headDim)], []),
    ]);
    if (options.mask) scores = this.g.op('Add', [scores, options.mask]);
    const probs = this.g.op('Softmax', [scores], { axis: -1 });
    const merged = this.g.op('Transpose', [this.g.op('MatMul', [probs, v])], {
      perm: [0, 2, 1, 3],
    });
    const flat = this.g.op('Reshape', [merged, this.g.constInt64([0, 0, dim])]);
    return this.linear(`${prefix}.${names.out}`, flat, dim, dim, true);
  }

  /** [B, C, H, W] -> [B, H*W, C] */
  toSequence(x: string): string {
    return this.g.op('Transpose', [this.g.op('Reshape', [x, this.g.constInt64([0, 0, -1])])], {
      perm: [0, 2, 1],
    });
  }

  /** [B, H*W, C] -> the shape of `like` ([B, C, H, W]) */
  toImage(x: string, like: string): string {
    const channelsFirst = this.g.op('Transpose', [x], { perm: [0, 2, 1] });
    return this.g.op('Reshape', [channelsFirst, this.g.op('Shape', [like])]);
  }

  add(a: string, b: string): string {
    return this.g.op('Add', [a, b]);
  }
}
