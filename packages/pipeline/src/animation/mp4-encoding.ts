import h264 from 'h264-mp4-encoder';
import { SdedgeError } from '../errors.ts';
import type { RgbImage } from '../image/rgb-image.ts';
import { assertFrames } from './gif-encoding.ts';

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
