import { SdedgeError } from '../errors.ts';
import type { OnnxComponent } from './onnx-component.ts';

/**
 * The denoising UNet as exported: finds its inputs by name, feeds the timestep in the type and
 * shape the export declares (int64 / float32 / float16; [1], [batch] or a scalar), and splits
 * batches when the export fixed its batch size.
 */
export class UNetModel {
  readonly inChannels: number;
  /** Largest batch one call takes (Infinity when the batch dimension is dynamic). */
  readonly maxBatch: number;
  private readonly sampleName: string;
  private readonly timestepName: string;
  private readonly contextName: string;
  private readonly outputName: string;

  constructor(
    private readonly component: OnnxComponent,
    configuredInChannels: number | undefined,
  ) {
    this.sampleName = component.requireInput(['sample']);
    this.timestepName = component.requireInput(['timestep', 'timesteps', 't']);
    this.contextName = component.requireInput(['encoder_hidden_states']);
    this.outputName = component.findOutput(['out_sample']) ?? [...component.outputs.keys()][0];
    const shape = component.input(this.sampleName)?.shape ?? [];
    this.inChannels = typeof shape[1] === 'number' ? shape[1] : (configuredInChannels ?? 4);
    this.maxBatch = typeof shape[0] === 'number' ? shape[0] : Number.POSITIVE_INFINITY;
  }

  /**
   * Predicts noise (or v) for `batch` samples of [inChannels, h, w] at one timestep, each
   * conditioned on its own [sequence, dim] slice of `context`.
   */
  async predict(
    sample: Float32Array,
    timestep: number,
    context: Float32Array,
    batch: number,
    dims: { height: number; width: number; sequence: number; contextDim: number },
  ): Promise<Float32Array> {
    const { height, width, sequence, contextDim } = dims;
    const per = this.inChannels * height * width;
    if (sample.length !== batch * per) {
      throw new SdedgeError(
        'shape_mismatch',
        `UNet sample has ${sample.length} values, expected ${batch} x ${per}.`,
      );
    }
    const out = new Float32Array(batch * 4 * height * width);
    const step = Math.min(batch, this.maxBatch);
    for (let start = 0; start < batch; start += step) {
      const n = Math.min(step, batch - start);
      const result = await this.component.run(
        {
          [this.sampleName]: {
            data: sample.subarray(start * per, (start + n) * per),
            dims: [n, this.inChannels, height, width],
          },
          [this.timestepName]: this.timestepFeed(timestep, n),
          [this.contextName]: {
            data: context.subarray(
              start * sequence * contextDim,
              (start + n) * sequence * contextDim,
            ),
            dims: [n, sequence, contextDim],
          },
        },
        [this.outputName],
      );
      out.set(
        result[this.outputName].data.subarray(0, n * 4 * height * width),
        start * 4 * height * width,
      );
    }
    return out;
  }

  private timestepFeed(timestep: number, batch: number) {
    const shape = this.component.input(this.timestepName)?.shape ?? [1];
    if (shape.length === 0) return { data: [timestep], dims: [] };
    const perItem = typeof shape[0] !== 'number' || shape[0] === batch;
    // Integer exports take the timestep truncated, as numpy's astype(int64) does in diffusers.
    const value =
      this.component.input(this.timestepName)?.type === 'int64' ? Math.trunc(timestep) : timestep;
    return perItem && shape[0] !== 1
      ? { data: new Array(batch).fill(value), dims: [batch] }
      : { data: [value], dims: [1] };
  }
}
