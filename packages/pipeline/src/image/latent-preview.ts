import type { RgbImage } from './rgb-image.ts';

// AUTOMATIC1111's approximation of the SD 1.x VAE: rows are latent channels, columns R, G, B.
const SD15_LATENT_RGB = [
  [0.298, 0.207, 0.208],
  [0.187, 0.286, 0.173],
  [-0.158, 0.189, 0.264],
  [-0.184, -0.271, -0.473],
];

/**
 * A cheap preview of latents: each latent pixel mapped to RGB by a fixed linear map, at latent
 * resolution (1/8 of the image). Takes the first image of a batch.
 */
export function latentPreview(
  latents: Float32Array,
  latentWidth: number,
  latentHeight: number,
): RgbImage {
  const plane = latentWidth * latentHeight;
  const data = new Uint8Array(plane * 3);
  for (let p = 0; p < plane; p++) {
    for (let c = 0; c < 3; c++) {
      let v = 0;
      for (let k = 0; k < 4; k++) v += latents[k * plane + p] * SD15_LATENT_RGB[k][c];
      data[p * 3 + c] = Math.round(Math.min(1, Math.max(0, (v + 1) / 2)) * 255);
    }
  }
  return { width: latentWidth, height: latentHeight, data };
}
