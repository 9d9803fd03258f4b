import { deflateSync } from 'node:zlib';

/**
 * A PNG writer straight from the specification (https://www.w3.org/TR/png-3/), for tests of
 * the decoder: any colour type and bit depth, a palette, tRNS, Adam7 interlacing. Scanlines use
 * filter 0 (none), which every decoder must read; what the pixels are is decided here, so a test
 * knows the right answer without running a decoder.
 */
export interface PngSpec {
  width: number;
  height: number;
  depth: 1 | 2 | 4 | 8 | 16;
  /** 0 grey, 2 RGB, 3 palette, 4 grey + alpha, 6 RGBA. */
  colourType: 0 | 2 | 3 | 4 | 6;
  /** Samples, pixel by pixel, channel by channel (palette: the indexes). */
  samples: number[];
  palette?: [number, number, number][];
  /** tRNS: palette alphas, or the one transparent grey / RGB value. */
  transparency?: number[];
  interlaced?: boolean;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
] as const;

export function writePng(spec: PngSpec): Uint8Array {
  const channels = CHANNELS[spec.colourType];
  const passes = spec.interlaced ? ADAM7 : ([[0, 0, 1, 1]] as const);
  const raw: number[] = [];
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = [];
    for (let x = x0; x < spec.width; x += dx) xs.push(x);
    if (xs.length === 0) continue;
    for (let y = y0; y < spec.height; y += dy) {
      raw.push(0); // filter: none
      const values = xs.flatMap((x) =>
        Array.from(
          { length: channels },
          (_, c) => spec.samples[(y * spec.width + x) * channels + c] as number,
        ),
      );
      raw.push(...packRow(values, spec.depth));
    }
  }
  const ihdr = [
    ...u32(spec.width),
    ...u32(spec.height),
    spec.depth,
    spec.colourType,
    0,
    0,
    spec.interlaced ? 1 : 0,
  ];
  const chunks = [chunk('IHDR', ihdr)];
  if (spec.palette) chunks.push(chunk('PLTE', spec.palette.flat()));
  if (spec.transparency)
    chunks.push(
      chunk(
        'tRNS',
        spec.colourType === 3 ? spec.transparency : spec.transparency.flatMap((v) => u16(v)),
      ),
    );
  chunks.push(chunk('IDAT', [...deflateSync(Uint8Array.from(raw))]));
  chunks.push(chunk('IEND', []));
  return Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...chunks.flat()]);
}

function packRow(values: number[], depth: number): number[] {
  if (depth === 8) return values;
  if (depth === 16) return values.flatMap((v) => u16(v));
  const bytes = new Array(Math.ceil((values.length * depth) / 8)).fill(0);
  values.forEach((v, i) => {
    const bit = i * depth;
    bytes[bit >> 3] |= v << (8 - depth - (bit & 7));
  });
  return bytes;
}

const u16 = (v: number) => [(v >> 8) & 255, v & 255];
const u32 = (v: number) => [(v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255];

function chunk(type: string, data: number[]): number[] {
  const body = [...type].map((ch) => ch.charCodeAt(0)).concat(data);
  return [...u32(data.length), ...body, ...u32(crc32(body))];
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: number[]): number {
  let c = 0xffffffff;
  for (const b of bytes) c = (CRC_TABLE[(c ^ b) & 255] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
