import type { RgbImage } from '../image/rgb-image.ts';

export type ColorCoherence = 'None' | 'HSV' | 'LAB' | 'RGB';

/**
 * Deforum's colour coherence: histogram-match each channel of `image` to `reference` in the
 * chosen colour space (skimage's match_histograms, per channel), so colours do not drift away
 * from frame 0 over the animation.
 */
export function matchColors(image: RgbImage, reference: RgbImage, mode: ColorCoherence): RgbImage {
  if (mode === 'None') return image;
  const [toSpace, fromSpace] = SPACES[mode];
  const source = toSpace(image.data);
  const target = toSpace(reference.data);
  const matched = new Float32Array(source.length);
  for (let c = 0; c < 3; c++) matchChannel(source, target, matched, c);
  return { width: image.width, height: image.height, data: fromSpace(matched) };
}

/** Maps each source value to the reference value at the same quantile. */
function matchChannel(
  source: Float32Array,
  reference: Float32Array,
  out: Float32Array,
  channel: number,
): void {
  const pick = (values: Float32Array) => {
    const channelValues = new Float32Array(values.length / 3);
    for (let i = 0; i < channelValues.length; i++) channelValues[i] = values[i * 3 + channel];
    return channelValues;
  };
  const src = pick(source);
  const ref = pick(reference);
  const [srcValues, srcQuantiles] = quantiles(src);
  const [refValues, refQuantiles] = quantiles(ref);
  const mapped = srcQuantiles.map((q) => interpolate(q, refQuantiles, refValues));
  const lookup = new Map<number, number>();
  srcValues.forEach((v, i) => {
    lookup.set(v, mapped[i]);
  });
  for (let i = 0; i < src.length; i++) out[i * 3 + channel] = lookup.get(src[i])!;
}

/** Sorted unique values and their cumulative share of pixels. */
function quantiles(values: Float32Array): [number[], number[]] {
  const sorted = Float32Array.from(values).sort();
  const unique: number[] = [];
  const cumulative: number[] = [];
  for (let i = 0; i < sorted.length; i++) {
    if (i === sorted.length - 1 || sorted[i + 1] !== sorted[i]) {
      unique.push(sorted[i]);
      cumulative.push((i + 1) / sorted.length);
    }
  }
  return [unique, cumulative];
}

/** np.interp(x, xs, ys) for increasing xs. */
function interpolate(x: number, xs: number[], ys: number[]): number {
  if (x <= xs[0]) return ys[0];
  if (x >= xs[xs.length - 1]) return ys[ys.length - 1];
  let lo = 0;
  let hi = xs.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] <= x) lo = mid;
    else hi = mid;
  }
  return ys[lo] + ((ys[hi] - ys[lo]) * (x - xs[lo])) / (xs[hi] - xs[lo]);
}

type Conversion = [(rgb: Uint8Array) => Float32Array, (values: Float32Array) => Uint8Array];

const clampByte = (v: number) => Math.min(255, Math.max(0, Math.round(v)));

const SPACES: Record<Exclude<ColorCoherence, 'None'>, Conversion> = {
  RGB: [(rgb) => Float32Array.from(rgb), (v) => Uint8Array.from(v, clampByte)],
  HSV: [mapPixels(rgbToHsv), (v) => mapPixelsBack(v, hsvToRgb)],
  LAB: [mapPixels(rgbToLab), (v) => mapPixelsBack(v, labToRgb)],
};

function mapPixels(f: (r: number, g: number, b: number) => [number, number, number]) {
  return (rgb: Uint8Array) => {
    const out = new Float32Array(rgb.length);
    for (let i = 0; i < rgb.length; i += 3) out.set(f(rgb[i], rgb[i + 1], rgb[i + 2]), i);
    return out;
  };
}

function mapPixelsBack(
  values: Float32Array,
  f: (a: number, b: number, c: number) => [number, number, number],
): Uint8Array {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i += 3) {
    const [r, g, b] = f(values[i], values[i + 1], values[i + 2]);
    out[i] = clampByte(r);
    out[i + 1] = clampByte(g);
    out[i + 2] = clampByte(b);
  }
  return out;
}

/** RGB bytes -> H in [0, 360), S and V in [0, 1]. */
export function rgbToHsv(r: number, g: number, b: number): [number, number, number] {
  const [rf, gf, bf] = [r / 255, g / 255, b / 255];
  const max = Math.max(rf, gf, bf);
  const min = Math.min(rf, gf, bf);
  const d = max - min;
  let h = 0;
  if (d > 0) {
    if (max === rf) h = 60 * (((gf - bf) / d) % 6);
    else if (max === gf) h = 60 * ((bf - rf) / d + 2);
    else h = 60 * ((rf - gf) / d + 4);
  }
  return [(h + 360) % 360, max === 0 ? 0 : d / max, max];
}

export function hsvToRgb(h: number, s: number, v: number): [number, number, number] {
  const c = v * s;
  const x = c * (1 - Math.abs((((((h % 360) + 360) % 360) / 60) % 2) - 1));
  const m = v - c;
  const sector = Math.floor((((h % 360) + 360) % 360) / 60) % 6;
  const [r, g, b] = [
    [c, x, 0],
    [x, c, 0],
    [0, c, x],
    [0, x, c],
    [x, 0, c],
    [c, 0, x],
  ][sector];
  return [(r + m) * 255, (g + m) * 255, (b + m) * 255];
}

const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const fromLinear = (c: number) => {
  const v = Math.min(1, Math.max(0, c)); // out-of-gamut colours clip
  return v <= 0.0031308 ? 12.92 * v : 1.055 * v ** (1 / 2.4) - 0.055;
};
const WHITE = [0.95047, 1, 1.08883];
const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
const fInverse = (t: number) => (t ** 3 > 216 / 24389 ? t ** 3 : (116 * t - 16) / (24389 / 27));

/** sRGB bytes -> CIE L*a*b* (D65). */
export function rgbToLab(r: number, g: number, b: number): [number, number, number] {
  const [lr, lg, lb] = [toLinear(r / 255), toLinear(g / 255), toLinear(b / 255)];
  const x = (0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / WHITE[0];
  const y = (0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb) / WHITE[1];
  const z = (0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / WHITE[2];
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

export function labToRgb(l: number, a: number, bStar: number): [number, number, number] {
  const fy = (l + 16) / 116;
  const x = fInverse(fy + a / 500) * WHITE[0];
  const y = fInverse(fy) * WHITE[1];
  const z = fInverse(fy - bStar / 200) * WHITE[2];
  const lr = 3.2404542 * x - 1.5371385 * y - 0.4985314 * z;
  const lg = -0.969266 * x + 1.8760108 * y + 0.041556 * z;
  const lb = 0.0556434 * x - 0.2040259 * y + 1.0572252 * z;
  return [fromLinear(lr) * 255, fromLinear(lg) * 255, fromLinear(lb) * 255];
}
