import jpeg from 'jpeg-js';
import { describe, expect, it } from 'vitest';
import { blurMask, latentMask, maskFromImage } from '../src/image/mask.ts';
import {
  decodeImage,
  encodePng,
  float16ToFloat32,
  float32ToFloat16,
  formatGenerationParameters,
  latentPreview,
  parseGenerationParameters,
  readPngText,
} from '../src/index.ts';
import jpegFixtures from './fixtures/jpeg-decoding.json' with { type: 'json' };
import { type PngSpec, writePng } from './helpers/png-writer.ts';
import { maxPixelDifference, testImage } from './helpers/tiny-models.ts';

describe('PNG and JPEG', () => {
  it('round-trips RGB through PNG with text chunks', () => {
    const image = testImage(24, 16);
    const png = encodePng(image, { text: { parameters: 'a cat\nSteps: 20' } });
    expect(decodeImage(png)).toEqual(image);
    expect(readPngText(png)).toEqual({ parameters: 'a cat\nSteps: 20' });
  });

  it('decodes JPEG to RGB', () => {
    const rgba = new Uint8Array(16 * 8 * 4).fill(200);
    const encoded = jpeg.encode({ data: rgba, width: 16, height: 8 }, 95).data;
    const decoded = decodeImage(new Uint8Array(encoded));
    expect([decoded.width, decoded.height, decoded.data.length]).toEqual([16, 8, 16 * 8 * 3]);
    expect(Math.abs(decoded.data[0] - 200)).toBeLessThanOrEqual(2);
  });

  it('refuses undecodable bytes with invalid_image', () => {
    const webp = new Uint8Array([
      ...new TextEncoder().encode('RIFF'),
      0,
      0,
      0,
      0,
      ...new TextEncoder().encode('WEBPVP8 '),
    ]);
    for (const bytes of [
      new Uint8Array(0),
      new TextEncoder().encode('hello, not an image'),
      webp,
    ]) {
      expect(() => decodeImage(bytes)).toThrowError(
        expect.objectContaining({ code: 'invalid_image' }),
      );
    }
    const png = encodePng(testImage(8, 8));
    expect(() => decodeImage(png.subarray(0, 40))).toThrowError(
      expect.objectContaining({ code: 'invalid_image' }),
    );
    expect(() => decodeImage(new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2, 3, 4, 5]))).toThrowError(
      expect.objectContaining({ code: 'invalid_image' }),
    );
  });
});

describe('PNG colour types and bit depths (written from the spec, checked against libpng)', () => {
  const width = 13; // not a multiple of 8: rows of packed samples end mid-byte
  const height = 7;
  const pixels = width * height;
  const ramp = (max: number, channels: number) =>
    Array.from({ length: pixels * channels }, (_, i) => (i * 7919) % (max + 1));
  const grey = (v: number, max: number) => [v, v, v].map((x) => Math.round((x * 255) / max));
  const over = (rgb: number[], alpha: number) =>
    rgb.map((v) => Math.round(v * alpha + 255 * (1 - alpha)));
  const palette: [number, number, number][] = [
    [255, 0, 0],
    [0, 128, 0],
    [0, 0, 255],
    [10, 20, 30],
  ];
  const cases: { name: string; spec: PngSpec; expected: (p: number) => number[] }[] = [];
  for (const depth of [1, 2, 4, 8, 16] as const)
    for (const interlaced of depth < 8 ? [false] : [false, true]) {
      const max = 2 ** depth - 1;
      const samples = ramp(max, 1);
      cases.push({
        name: `grey ${depth}-bit${interlaced ? ' interlaced' : ''}`,
        spec: { width, height, depth, colourType: 0, samples, interlaced },
        expected: (p) => grey(samples[p] as number, max),
      });
    }
  for (const depth of [1, 2, 4, 8] as const) {
    const samples = Array.from({ length: pixels }, (_, p) => p % Math.min(4, 2 ** depth));
    cases.push({
      name: `palette ${depth}-bit with tRNS`,
      spec: {
        width,
        height,
        depth,
        colourType: 3,
        samples,
        palette: palette.slice(0, Math.min(4, 2 ** depth)),
        transparency: [255, 0, 128].slice(0, Math.min(3, 2 ** depth)),
      },
      expected: (p) => {
        const index = samples[p] as number;
        return over(palette[index] as number[], ([255, 0, 128][index] ?? 255) / 255);
      },
    });
  }
  for (const depth of [8, 16] as const) {
    const max = 2 ** depth - 1;
    const rgba = ramp(max, 4);
    const ga = ramp(max, 2);
    const rgb = ramp(max, 3);
    cases.push(
      {
        name: `RGBA ${depth}-bit (composited over white)`,
        spec: { width, height, depth, colourType: 6, samples: rgba, interlaced: true },
        expected: (p) =>
          over(
            [0, 1, 2].map((c) => ((rgba[p * 4 + c] as number) * 255) / max),
            (rgba[p * 4 + 3] as number) / max,
          ),
      },
      {
        name: `grey + alpha ${depth}-bit`,
        spec: { width, height, depth, colourType: 4, samples: ga },
        expected: (p) =>
          over(
            [0, 0, 0].map(() => ((ga[p * 2] as number) * 255) / max),
            (ga[p * 2 + 1] as number) / max,
          ),
      },
      {
        name: `RGB ${depth}-bit with a tRNS colour`,
        spec: {
          width,
          height,
          depth,
          colourType: 2,
          samples: rgb,
          transparency: [rgb[0], rgb[1], rgb[2]] as number[],
        },
        expected: (p) =>
          [0, 1, 2].every((c) => rgb[p * 3 + c] === rgb[c])
            ? [255, 255, 255]
            : [0, 1, 2].map((c) => Math.round(((rgb[p * 3 + c] as number) * 255) / max)),
      },
    );
  }

  it.each(cases)('decodes $name', ({ spec, expected }) => {
    const image = decodeImage(writePng(spec));
    expect([image.width, image.height]).toEqual([width, height]);
    const want = Array.from({ length: pixels }, (_, p) => expected(p)).flat();
    expect([...image.data]).toEqual(want);
  });

  it('refuses interlaced PNGs below 8 bits with a clear message (not yet decoded)', () => {
    for (const depth of [1, 2, 4] as const) {
      const spec: PngSpec = {
        width,
        height,
        depth,
        colourType: 0,
        samples: ramp(2 ** depth - 1, 1),
        interlaced: true,
      };
      expect(() => decodeImage(writePng(spec))).toThrow(/Interlaced PNGs with \d-bit samples/);
    }
  });

  it('reads a 1-bit black-and-white mask (as ImageMagick writes one) as black and white', () => {
    const samples = Array.from({ length: pixels }, (_, p) => (p % width < 6 ? 1 : 0));
    const image = decodeImage(writePng({ width, height, depth: 1, colourType: 0, samples }));
    expect(image.data[0]).toBe(255);
    expect(image.data[(width - 1) * 3]).toBe(0);
  });
});

describe('JPEG orientation and colour spaces', () => {
  const w = 16;
  const h = 8;
  // An image with no symmetry: every pixel's colour says where it is.
  const rgba = new Uint8Array(w * h * 4);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      rgba.set([x * 16, y * 32, x === 0 && y === 0 ? 255 : 0, 255], (y * w + x) * 4);
  const plain = new Uint8Array(jpeg.encode({ width: w, height: h, data: rgba }, 100).data);
  const upright = decodeImage(plain);

  /** The JPEG with an EXIF APP1 segment (orientation tag only) right after SOI. */
  function withOrientation(orientation: number, little: boolean): Uint8Array {
    const u16 = (v: number) => (little ? [v & 255, v >> 8] : [v >> 8, v & 255]);
    const u32 = (v: number) => (little ? [v, 0, 0, 0] : [0, 0, 0, v]);
    const tiff = [
      ...(little ? [0x49, 0x49] : [0x4d, 0x4d]),
      ...u16(42),
      ...u32(8),
      ...u16(1), // one IFD0 entry
      ...u16(0x0112),
      ...u16(3), // SHORT
      ...u32(1),
      ...u16(orientation),
      0,
      0,
      ...u32(0), // no next IFD
    ];
    const body = [...'Exif\0\0'].map((c) => c.charCodeAt(0)).concat(tiff);
    const segment = [0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255, ...body];
    return Uint8Array.from([0xff, 0xd8, ...segment, ...plain.subarray(2)]);
  }

  // The EXIF specification's orientations, from two primitives.
  type Img = { width: number; height: number; data: Uint8Array };
  const at = (img: Img, x: number, y: number) => [
    ...img.data.subarray((y * img.width + x) * 3, (y * img.width + x) * 3 + 3),
  ];
  const build = (width: number, height: number, pixel: (x: number, y: number) => number[]) => ({
    width,
    height,
    data: Uint8Array.from(
      Array.from({ length: width * height }, (_, p) =>
        pixel(p % width, Math.floor(p / width)),
      ).flat(),
    ),
  });
  const mirror = (img: Img) =>
    build(img.width, img.height, (x, y) => at(img, img.width - 1 - x, y));
  const turnClockwise = (img: Img) =>
    build(img.height, img.width, (x, y) => at(img, y, img.height - 1 - x));
  const turns = (img: Img, n: number): Img => (n === 0 ? img : turns(turnClockwise(img), n - 1));
  const expected: Record<number, (img: Img) => Img> = {
    1: (img) => img,
    2: mirror,
    3: (img) => turns(img, 2),
    4: (img) => mirror(turns(img, 2)),
    5: (img) => turns(mirror(img), 3),
    6: (img) => turns(img, 1),
    7: (img) => turns(mirror(img), 1),
    8: (img) => turns(img, 3),
  };

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('turns EXIF orientation %i upright', (orientation) => {
    const want = (expected[orientation] as (img: Img) => Img)(upright);
    for (const little of [true, false]) {
      const got = decodeImage(withOrientation(orientation, little));
      expect([got.width, got.height]).toEqual([want.width, want.height]);
      expect(got.data).toEqual(want.data);
    }
  });

  it.each(jpegFixtures.cases)(
    'decodes a $name JPEG as libjpeg does',
    ({ jpeg_base64, rgb, colour }) => {
      const bytes = Uint8Array.from(atob(jpeg_base64), (ch) => ch.charCodeAt(0));
      const image = decodeImage(bytes);
      expect([image.width, image.height]).toEqual([jpegFixtures.width, jpegFixtures.height]);
      const want = Uint8Array.from(rgb);
      if (!colour) {
        // One component: only the inverse DCT's rounding may differ.
        expect(maxPixelDifference(image.data, want)).toBeLessThanOrEqual(1);
        return;
      }
      // 4:2:0 colour: jpeg-js upsamples chroma otherwise than libjpeg-turbo's interpolating
      // ("fancy") upsampling, which moves pixels at sharp colour edges; elsewhere they agree.
      const diffs = Array.from(image.data, (v, i) => Math.abs(v - (want[i] as number)));
      diffs.sort((a, b) => a - b);
      expect(diffs[Math.floor(diffs.length / 2)]).toBeLessThanOrEqual(4);
      expect(diffs.reduce((a, b) => a + b, 0) / diffs.length).toBeLessThanOrEqual(8);
    },
  );

  it('refuses a CMYK JPEG clearly', () => {
    const cmyk = plain.slice();
    // The frame header's component count (SOF0: FF C0, length, precision, height, width, count).
    for (let i = 2; i < cmyk.length - 9; i++)
      if (cmyk[i] === 0xff && cmyk[i + 1] === 0xc0) {
        cmyk[i + 9] = 4;
        break;
      }
    expect(() => decodeImage(cmyk)).toThrow(/CMYK JPEGs are not supported/);
  });
});

describe('generation parameters', () => {
  it('formats like AUTOMATIC1111 and parses back', () => {
    const text = formatGenerationParameters({
      prompt: 'a lighthouse\nat dusk',
      negativePrompt: 'blurry, ugly',
      settings: {
        Steps: '20',
        Sampler: 'DPM++ 2M Karras',
        'CFG scale': '7',
        Seed: '1234',
        Size: '512x512',
        Model: 'my, model',
      },
    });
    expect(text).toBe(
      'a lighthouse\nat dusk\nNegative prompt: blurry, ugly\nSteps: 20, Sampler: DPM++ 2M Karras, CFG scale: 7, Seed: 1234, Size: 512x512, Model: "my, model"',
    );
    const parsed = parseGenerationParameters(text);
    expect(parsed).toEqual({
      prompt: 'a lighthouse\nat dusk',
      negativePrompt: 'blurry, ugly',
      settings: {
        Steps: '20',
        Sampler: 'DPM++ 2M Karras',
        'CFG scale': '7',
        Seed: '1234',
        Size: '512x512',
        Model: 'my, model',
      },
    });
  });

  it('omits an empty negative prompt and reads A1111 text', () => {
    expect(formatGenerationParameters({ prompt: 'x', settings: { Steps: '1' } })).toBe(
      'x\nSteps: 1',
    );
    const a1111 =
      'masterpiece\nNegative prompt: lowres\nSteps: 30, Sampler: Euler a, CFG scale: 7.5, Seed: 42, Size: 512x768, Model hash: abc123';
    expect(parseGenerationParameters(a1111).settings['Model hash']).toBe('abc123');
  });
});

describe('masks and previews', () => {
  it('blurs masks and binarizes them onto the latent grid', () => {
    const white = { width: 16, height: 16, data: new Uint8Array(16 * 16 * 3) };
    for (let y = 0; y < 16; y++)
      for (let x = 8; x < 16; x++) white.data.fill(255, (y * 16 + x) * 3, (y * 16 + x) * 3 + 3);
    const mask = maskFromImage(white);
    expect(mask.data[0]).toBe(0);
    expect(mask.data[15]).toBe(1);
    const blurred = blurMask(mask, 2);
    expect(blurred.data[7]).toBeGreaterThan(0.1);
    expect(blurred.data[7]).toBeLessThan(0.5);
    expect(blurred.data[0]).toBeLessThan(1e-3);
    expect(Array.from(latentMask(mask, 2, 2))).toEqual([0, 1, 0, 1]);
    expect(() => blurMask(mask, -1)).toThrowError(
      expect.objectContaining({ code: 'invalid_options' }),
    );
  });

  it('maps latents to a small RGB preview', () => {
    const latents = new Float32Array(4 * 2 * 2);
    latents.fill(1, 0, 4); // channel 0 only: reddish
    const preview = latentPreview(latents, 2, 2);
    expect([preview.width, preview.height]).toEqual([2, 2]);
    expect(preview.data[0]).toBeGreaterThan(preview.data[2]);
  });
});

describe('float16', () => {
  it('round-trips representable values and rounds to nearest even', () => {
    const values = Float32Array.from([
      0,
      -0,
      1,
      -2,
      0.5,
      65504,
      6.103515625e-5,
      2 ** -24, // smallest subnormal
      Number.POSITIVE_INFINITY,
    ]);
    expect(Array.from(float16ToFloat32(float32ToFloat16(values)))).toEqual(Array.from(values));
    expect(float16ToFloat32(float32ToFloat16(Float32Array.from([1 + 2 ** -11])))[0]).toBe(1); // tie -> even
    expect(float16ToFloat32(float32ToFloat16(Float32Array.from([1e6])))[0]).toBe(
      Number.POSITIVE_INFINITY,
    );
    expect(
      Number.isNaN(float16ToFloat32(float32ToFloat16(Float32Array.from([Number.NaN])))[0]),
    ).toBe(true);
    expect(float16ToFloat32(float32ToFloat16(Float32Array.from([0.1])))[0]).toBeCloseTo(
      0.0999755859375,
      10,
    );
  });
});
