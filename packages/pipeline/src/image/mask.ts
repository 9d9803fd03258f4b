import { SdedgeError } from '../errors.ts';
import type { RgbImage } from './rgb-image.ts';

/** A single-channel mask in [0, 1] (1 = repaint), rows top to bottom. */
export interface Mask {
  width: number;
  height: number;
  data: Float32Array;
}

/** The mask of a black-and-white image: luminance / 255 (white = repaint). */
export function maskFromImage(image: RgbImage): Mask {
  const data = new Float32Array(image.width * image.height);
  for (let p = 0; p < data.length; p++) {
    const [r, g, b] = [image.data[p * 3], image.data[p * 3 + 1], image.data[p * 3 + 2]];
    data[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
  }
  return { width: image.width, height: image.height, data };
}

/** Gaussian blur with standard deviation `radius` pixels (AUTOMATIC1111's mask blur), edges clamped. */
export function blurMask(mask: Mask, radius: number): Mask {
  if (!(radius >= 0) || radius > 256)
    throw new SdedgeError('invalid_options', `maskBlur must be between 0 and 256, got ${radius}.`, {
      field: 'maskBlur',
    });
  if (radius === 0) return mask;
  const reach = Math.ceil(radius * 3);
  const kernel = Float32Array.from({ length: 2 * reach + 1 }, (_, i) =>
    Math.exp(-((i - reach) ** 2) / (2 * radius * radius)),
  );
  const total = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i] /= total;
  const { width, height } = mask;
  const pass = (src: Float32Array, horizontal: boolean) => {
    const out = new Float32Array(src.length);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        let sum = 0;
        for (let k = -reach; k <= reach; k++) {
          const xx = horizontal ? Math.min(width - 1, Math.max(0, x + k)) : x;
          const yy = horizontal ? y : Math.min(height - 1, Math.max(0, y + k));
          sum += kernel[k + reach] * src[yy * width + xx];
        }
        out[y * width + x] = sum;
      }
    }
    return out;
  };
  return { width, height, data: pass(pass(mask.data, true), false) };
}

/** Binarized (>= 0.5) and shrunk by nearest sampling to the latent grid, as diffusers prepares it. */
export function latentMask(mask: Mask, latentWidth: number, latentHeight: number): Float32Array {
  const out = new Float32Array(latentWidth * latentHeight);
  for (let y = 0; y < latentHeight; y++) {
    for (let x = 0; x < latentWidth; x++) {
      const sx = Math.floor((x * mask.width) / latentWidth);
      const sy = Math.floor((y * mask.height) / latentHeight);
      out[y * latentWidth + x] = mask.data[sy * mask.width + sx] >= 0.5 ? 1 : 0;
    }
  }
  return out;
}

/** The image with the masked (>= 0.5) pixels set to 0 in [-1, 1] space (grey), for inpainting UNets. */
export function maskedImageTensor(image: Float32Array, mask: Mask): Float32Array {
  const plane = mask.width * mask.height;
  const out = image.slice();
  for (let c = 0; c < 3; c++)
    for (let p = 0; p < plane; p++) if (mask.data[p] >= 0.5) out[c * plane + p] = 0;
  return out;
}

/** Pastes the generated pixels over the original through the (blurred) mask. */
export function compositeWithMask(original: RgbImage, generated: RgbImage, mask: Mask): RgbImage {
  const data = new Uint8Array(original.data.length);
  for (let p = 0; p < mask.data.length; p++) {
    const m = mask.data[p];
    for (let c = 0; c < 3; c++) {
      const i = p * 3 + c;
      data[i] = Math.round(original.data[i] * (1 - m) + generated.data[i] * m);
    }
  }
  return { width: original.width, height: original.height, data };
}
