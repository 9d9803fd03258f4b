/// <reference path="../types/gifenc.d.ts" />
import * as gifencModule from 'gifenc';
import h264 from 'h264-mp4-encoder';
import { SdedgeError } from '../errors.ts';
import type { RgbImage } from '../image/rgb-image.ts';

// gifenc is ESM for bundlers (named exports) and CommonJS for Node (everything on the default).
const gifenc =
  'GIFEncoder' in gifencModule
    ? gifencModule
    : (gifencModule as unknown as { default: typeof gifencModule }).default;
const { GIFEncoder, applyPalette, quantize } = gifenc;

/**
 * H.264 (yuv420p) in MP4 at `fps`, with h264-mp4-encoder (a WebAssembly build of x264-style
 * encoding and an MP4 muxer that installs from npm with nothing downloaded).
 */
export async function encodeMp4(
  frames: RgbImage[],
  fps: number,
  quality = 20,
): Promise<Uint8Array> {
  assertFrames(frames);
  const { width, height } = frames[0];
  if (width % 2 || height % 2)
    throw new SdedgeError('invalid_size', 'MP4 (yuv420p) needs an even width and height.');
  const encoder = await h264.createH264MP4Encoder();
  try {
    encoder.width = width;
    encoder.height = height;
    encoder.frameRate = fps;
    encoder.quantizationParameter = quality;
    encoder.outputFilename = `sdedge-${Date.now()}-${Math.random().toString(36).slice(2)}.mp4`;
    encoder.initialize();
    const rgba = new Uint8Array(width * height * 4);
    for (const frame of frames) {
      for (let p = 0; p < width * height; p++) {
        rgba[p * 4] = frame.data[p * 3];
        rgba[p * 4 + 1] = frame.data[p * 3 + 1];
        rgba[p * 4 + 2] = frame.data[p * 3 + 2];
        rgba[p * 4 + 3] = 255;
      }
      encoder.addFrameRgba(rgba);
    }
    encoder.finalize();
    const bytes = encoder.FS.readFile(encoder.outputFilename) as Uint8Array;
    encoder.FS.unlink(encoder.outputFilename);
    return new Uint8Array(bytes);
  } finally {
    encoder.delete();
  }
}

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

function assertFrames(frames: RgbImage[]): void {
  if (frames.length === 0)
    throw new SdedgeError('invalid_options', 'There are no frames to encode.');
}
