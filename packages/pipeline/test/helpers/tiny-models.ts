import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildTinyModel, type TinyVariant } from '../../src/testing.ts';

const root = mkdtempSync(join(tmpdir(), 'sdedge-tiny-'));
const built = new Map<string, Promise<string>>();

/** A tiny model folder of this variant (and seed), built once per test process. */
export function tinyModel(variant: TinyVariant = 'sd15', seed = 0): Promise<string> {
  const key = `${variant}-${seed}`;
  let dir = built.get(key);
  if (!dir) {
    const path = join(root, key);
    dir = buildTinyModel(path, { variant, seed }).then(() => path);
    built.set(key, dir);
  }
  return dir;
}

/** A deterministic test picture: a coloured gradient with a bright square. */
export function testImage(width = 64, height = 64, shift = 0) {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inSquare = x >= 16 + shift && x < 40 + shift && y >= 20 && y < 44;
      const p = (y * width + x) * 3;
      data[p] = inSquare ? 240 : (x * 4 + shift * 7) % 256;
      data[p + 1] = inSquare ? 220 : (y * 4) % 256;
      data[p + 2] = inSquare ? 30 : 128;
    }
  }
  return { width, height, data };
}

/** A mask that is white (repaint) in the rectangle and black elsewhere. */
export function rectangleMask(
  width: number,
  height: number,
  rect: { x0: number; y0: number; x1: number; y1: number },
) {
  const data = new Uint8Array(width * height * 3);
  for (let y = rect.y0; y < rect.y1; y++)
    for (let x = rect.x0; x < rect.x1; x++)
      data.fill(255, (y * width + x) * 3, (y * width + x) * 3 + 3);
  return { width, height, data };
}

export function maxPixelDifference(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}
