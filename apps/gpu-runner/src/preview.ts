import { encodeJpeg, type RgbImage } from '@sdedge/pipeline';

/** Previews are small enough to stream in progress events: a JPEG of at most this many bytes. */
export const MAX_PREVIEW_BYTES = 16 * 1024;
/** Longest side of a preview, in pixels. */
const MAX_PREVIEW_SIDE = 256;

/** A data: URL of a JPEG no larger than MAX_PREVIEW_BYTES (halving the size until it fits). */
export function previewDataUrl(image: RgbImage): string {
  let current = fitWithin(image, MAX_PREVIEW_SIDE);
  for (;;) {
    for (const quality of [75, 50]) {
      const jpeg = encodeJpeg(current, quality);
      if (jpeg.length <= MAX_PREVIEW_BYTES)
        return `data:image/jpeg;base64,${Buffer.from(jpeg).toString('base64')}`;
    }
    current = halve(current);
  }
}

function fitWithin(image: RgbImage, side: number): RgbImage {
  let current = image;
  while (Math.max(current.width, current.height) > side) current = halve(current);
  return current;
}

/** Box-filter downscale by 2 (odd edges dropped); never below 1x1. */
function halve(image: RgbImage): RgbImage {
  const width = Math.max(1, Math.floor(image.width / 2));
  const height = Math.max(1, Math.floor(image.height / 2));
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let dy = 0; dy < 2; dy++)
          for (let dx = 0; dx < 2; dx++) {
            const sx = Math.min(image.width - 1, x * 2 + dx);
            const sy = Math.min(image.height - 1, y * 2 + dy);
            sum += image.data[(sy * image.width + sx) * 3 + c];
          }
        data[(y * width + x) * 3 + c] = Math.round(sum / 4);
      }
  return { width, height, data };
}
