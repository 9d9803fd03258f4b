import { SdedgeError } from '../errors.ts';

/** An 8-bit RGB image, rows top to bottom, 3 bytes per pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export function assertRgbImage(image: unknown, field: string): asserts image is RgbImage {
  const i = image as RgbImage;
  if (
    !i ||
    !Number.isInteger(i.width) ||
    !Number.isInteger(i.height) ||
    i.width < 1 ||
    i.height < 1 ||
    !(i.data instanceof Uint8Array) ||
    i.data.length !== i.width * i.height * 3
  ) {
    throw new SdedgeError(
      'invalid_image',
      `${field} must be an RGB image { width, height, data: Uint8Array(width * height * 3) }.`,
      {
        field,
      },
    );
  }
}

/** RGB bytes -> [3, H, W] floats in [-1, 1], as diffusers' image processor normalizes them. */
export function imageToTensor(image: RgbImage): Float32Array {
  const { width, height, data } = image;
  const plane = width * height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) out[c * plane + p] = (data[p * 3 + c] / 255) * 2 - 1;
  }
  return out;
}

/** [3, H, W] floats in about [-1, 1] -> RGB bytes: (x / 2 + 0.5) clipped, times 255, rounded. */
export function tensorToImage(tensor: Float32Array, width: number, height: number): RgbImage {
  const plane = width * height;
  const data = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      const v = Math.min(1, Math.max(0, tensor[c * plane + p] / 2 + 0.5));
      data[p * 3 + c] = Math.round(v * 255);
    }
  }
  return { width, height, data };
}
