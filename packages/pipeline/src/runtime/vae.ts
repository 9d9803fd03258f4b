import { SdedgeError } from '../errors.ts';
import type { TorchGenerator } from '../random/torch-generator.ts';
import type { OnnxComponent } from './onnx-component.ts';

export interface VaeConfig {
  scalingFactor: number;
  /** Pixels per latent along each axis: 2^(number of VAE blocks - 1), 8 for Stable Diffusion. */
  spatialFactor: number;
  latentChannels: number;
}

/**
 * The AutoencoderKL halves: decoding scaled latents to images in [-1, 1] and encoding images to
 * scaled latents. Encoders that output `latent_parameters` (mean and log-variance) are sampled
 * with the caller's generator, as diffusers' retrieve_latents does; `latent_sample` is used as is.
 */
export class VaeModel {
  constructor(
    private readonly decoder: OnnxComponent,
    private readonly encoder: OnnxComponent | null,
    readonly config: VaeConfig,
  ) {
    decoder.requireInput(['latent_sample']);
  }

  get canEncode(): boolean {
    return this.encoder !== null;
  }

  /** [latentChannels, h, w] scaled latents -> [3, h * f, w * f] image in about [-1, 1]. */
  async decode(
    latents: Float32Array,
    latentHeight: number,
    latentWidth: number,
  ): Promise<Float32Array> {
    const input = new Float32Array(latents.length);
    for (let i = 0; i < input.length; i++) input[i] = latents[i] / this.config.scalingFactor;
    const output = this.decoder.findOutput(['sample']) ?? [...this.decoder.outputs.keys()][0];
    const result = await this.decoder.run(
      {
        latent_sample: {
          data: input,
          dims: [1, this.config.latentChannels, latentHeight, latentWidth],
        },
      },
      [output],
    );
    return result[output].data;
  }

  /** [3, H, W] image in [-1, 1] -> [latentChannels, H / f, W / f] scaled latents. */
  async encode(
    image: Float32Array,
    height: number,
    width: number,
    generator?: TorchGenerator,
  ): Promise<Float32Array> {
    if (!this.encoder) {
      throw new SdedgeError(
        'model_unsupported',
        'This model has no vae_encoder, so it cannot do img2img or inpainting.',
      );
    }
    const input = this.encoder.requireInput(['sample']);
    const output = this.encoder.requireOutput([
      'latent_sample',
      'latent_parameters',
      'latent_dist',
    ]);
    const result = await this.encoder.run(
      { [input]: { data: image, dims: [1, 3, height, width] } },
      [output],
    );
    let latents = result[output].data;
    const channels = this.config.latentChannels;
    const size = (height / this.config.spatialFactor) * (width / this.config.spatialFactor);
    if (latents.length === 2 * channels * size)
      latents = sampleDiagonalGaussian(latents, channels * size, generator);
    const scaled = new Float32Array(latents.length);
    for (let i = 0; i < scaled.length; i++) scaled[i] = latents[i] * this.config.scalingFactor;
    return scaled;
  }
}

/** mean + exp(0.5 * clamp(logvar, -30, 20)) * noise; the mean alone without a generator. */
function sampleDiagonalGaussian(
  parameters: Float32Array,
  size: number,
  generator?: TorchGenerator,
): Float32Array {
  const mean = parameters.slice(0, size);
  if (!generator) return mean;
  const noise = generator.randn([size]);
  for (let i = 0; i < size; i++) {
    const logvar = Math.min(20, Math.max(-30, parameters[size + i]));
    mean[i] += Math.exp(0.5 * logvar) * noise[i];
  }
  return mean;
}
