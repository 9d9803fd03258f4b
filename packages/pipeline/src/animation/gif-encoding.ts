/// <reference path="../types/gifenc.d.ts" />
import * as gifencModule from 'gifenc';
import { SdedgeError } from '../errors.ts';
import type { RgbImage } from '../image/rgb-image.ts';

// gifenc is ESM for bundlers (named exports) and CommonJS for Node (everything on the default).
const gifenc =
  'GIFEncoder' in gifencModule
    ? gifencModule
    : (gifencModule as unknown as { default: typeof gifencModule }).default;
const { GIFEncoder, applyPalette, quantize } = gifenc;

/** An animated GIF looping forever, one 256-colour palette per frame (gifenc). */
export function encodeGif(frames: RgbImage[], fps: number): Uint8Array {
  assertFrames(frames);
  const gif = GIFEncoder();
  const delay = Math.round(1000 / fps);
  for (const frame of frames) {
    const rgba = new Uint8Array(frame.width * frame.height * 4);
    for (let p = 0; p < frame.width * frame.height; p++) {
      rgba.set(frame.data.subarray(p * 3, p * 3 + 3), p * 4);
      rgba[p * 4 + 3] = 255;
    }
    const palette = quantize(rgba, 256);
    gif.writeFrame(applyPalette(rgba, palette), frame.width, frame.height, {
      palette,
      delay,
      repeat: 0,
    });
  }
  gif.finish();
  return gif.bytes();
}

export function assertFrames(frames: RgbImage[]): void {
  if (frames.length === 0)
    throw new SdedgeError('invalid_options', 'There are no frames to encode.');
}
