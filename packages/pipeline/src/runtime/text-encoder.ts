import { SdedgeError } from '../errors.ts';
import type { WeightedChunk } from '../text/weighted-tokens.ts';
import type { ModelFiles } from './model-files.ts';
import type { OnnxComponent } from './onnx-component.ts';
import { readInitializers } from './onnx-initializers.ts';

const SEQUENCE = 77;

/**
 * Runs the CLIP text encoder on weighted 77-token chunks and turns them into the UNet's
 * `encoder_hidden_states`: chunk embeddings concatenated along the sequence, with
 * AUTOMATIC1111's "Original" emphasis (scale each token's embedding by its weight, then restore
 * the chunk's mean) and clip skip (an earlier layer's output through the final layer norm).
 */
export class ClipTextEncoder {
  readonly hiddenSize: number;
  /** Number of transformer layers, when the model exports hidden_states.N (needed for clip skip). */
  readonly layers: number;
  private readonly idsInput: string;
  private readonly lastOutput: string;
  private readonly batchable: boolean;
  private finalNorm: Promise<{ weight: Float32Array; bias: Float32Array }> | null = null;

  constructor(
    private readonly component: OnnxComponent,
    private readonly files: ModelFiles,
    hiddenSize: number | undefined,
  ) {
    this.idsInput = component.requireInput(['input_ids']);
    this.lastOutput =
      component.findOutput(['last_hidden_state']) ?? [...component.outputs.keys()][0];
    const hidden = [...component.outputs.keys()].filter((n) => /^hidden_states\.\d+$/.test(n));
    this.layers = hidden.length > 0 ? hidden.length - 1 : 0;
    const shape = component.outputs.get(this.lastOutput)?.shape ?? [];
    this.hiddenSize = typeof shape[2] === 'number' ? shape[2] : (hiddenSize ?? 768);
    this.batchable = typeof component.input(this.idsInput)?.shape[0] !== 'number';
  }

  /** Encodes chunks to [chunks.length * 77, hiddenSize] values (one prompt's conditioning). */
  async encode(chunks: WeightedChunk[], clipSkip = 1): Promise<Float32Array> {
    const output = this.outputFor(clipSkip);
    const norm = clipSkip > 1 ? await this.loadFinalNorm() : null;
    const perChunk = SEQUENCE * this.hiddenSize;
    const out = new Float32Array(chunks.length * perChunk);
    const groups = this.batchable ? [chunks] : chunks.map((c) => [c]);
    let offset = 0;
    for (const group of groups) {
      const ids = group.flatMap((c) => c.ids);
      const result = await this.component.run(
        { [this.idsInput]: { data: ids, dims: [group.length, SEQUENCE] } },
        [output],
      );
      const data = result[output].data;
      if (data.length !== group.length * perChunk) {
        throw new SdedgeError(
          'model_unsupported',
          `The text encoder returned ${result[output].dims} for ${group.length} chunks of ${SEQUENCE} tokens.`,
        );
      }
      group.forEach((chunk, i) => {
        const z = data.subarray(i * perChunk, (i + 1) * perChunk);
        if (norm) layerNormInPlace(z, this.hiddenSize, norm.weight, norm.bias);
        applyEmphasis(z, chunk.weights, this.hiddenSize);
        out.set(z, offset);
        offset += perChunk;
      });
    }
    return out;
  }

  private outputFor(clipSkip: number): string {
    if (clipSkip === 1) return this.lastOutput;
    if (!Number.isInteger(clipSkip) || clipSkip < 1 || clipSkip > Math.max(1, this.layers)) {
      throw new SdedgeError(
        'invalid_options',
        this.layers === 0
          ? 'This text encoder does not export hidden_states.N outputs, so clip skip is not available.'
          : `clipSkip must be an integer from 1 to ${this.layers}, got ${clipSkip}.`,
        { field: 'clipSkip' },
      );
    }
    return `hidden_states.${this.layers + 1 - clipSkip}`;
  }

  private loadFinalNorm() {
    this.finalNorm ??= readInitializers(this.files, this.component.path, [
      'final_layer_norm.weight',
      'final_layer_norm.bias',
    ]).then((found) => {
      const weight = found.get('final_layer_norm.weight');
      const bias = found.get('final_layer_norm.bias');
      if (!weight || !bias) {
        throw new SdedgeError(
          'model_unsupported',
          'Clip skip needs the text encoder’s final_layer_norm weights, which this ONNX file does not name.',
        );
      }
      return { weight, bias };
    });
    return this.finalNorm;
  }
}

/** LayerNorm over the last axis (eps 1e-5, CLIP's). */
function layerNormInPlace(
  z: Float32Array,
  dim: number,
  weight: Float32Array,
  bias: Float32Array,
): void {
  for (let row = 0; row < z.length; row += dim) {
    let mean = 0;
    for (let i = 0; i < dim; i++) mean += z[row + i];
    mean /= dim;
    let variance = 0;
    for (let i = 0; i < dim; i++) variance += (z[row + i] - mean) ** 2;
    const inv = 1 / Math.sqrt(variance / dim + 1e-5);
    for (let i = 0; i < dim; i++) z[row + i] = (z[row + i] - mean) * inv * weight[i] + bias[i];
  }
}

/** A1111 "Original" emphasis; a no-op (bit for bit) when every weight is 1. */
function applyEmphasis(z: Float32Array, weights: number[], dim: number): void {
  if (weights.every((w) => w === 1)) return;
  const mean = (values: Float32Array) => values.reduce((a, b) => a + b, 0) / values.length;
  const before = mean(z);
  for (let token = 0; token < weights.length; token++) {
    for (let i = 0; i < dim; i++) z[token * dim + i] *= weights[token];
  }
  const after = mean(z);
  if (after !== 0) for (let i = 0; i < z.length; i++) z[i] *= before / after;
}
