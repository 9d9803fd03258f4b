import type { RgbImage } from '../image/rgb-image.ts';

export type BorderMode = 'replicate' | 'wrap';

export interface Transform2D {
  /** Degrees; positive turns the content counter-clockwise (as seen on screen). */
  angle: number;
  /** 1 is the identity; above 1 zooms in. */
  zoom: number;
  /** Pixels; positive x moves content right, positive y moves it down. */
  translationX: number;
  translationY: number;
  /** Rotation and zoom centre as fractions of width and height (0.5, 0.5 = the middle). */
  centerX: number;
  centerY: number;
}

/**
 * Deforum's 2D motion: the matrix of cv2.getRotationMatrix2D(centre, angle, zoom) times a
 * translation, applied to the image (each output pixel samples the input at the inverse
 * transform) with bilinear interpolation and replicated or wrapped borders.
 */
export function warpFrame(image: RgbImage, t: Transform2D, border: BorderMode): RgbImage {
  const { width, height, data } = image;
  const rad = (t.angle * Math.PI) / 180;
  const a = t.zoom * Math.cos(rad);
  const b = t.zoom * Math.sin(rad);
  const cx = t.centerX * width;
  const cy = t.centerY * height;
  // Forward map: dst = R (src + T), R = [[a, b, (1-a)cx - b cy], [-b, a, b cx + (1-a) cy]].
  const r02 = (1 - a) * cx - b * cy;
  const r12 = b * cx + (1 - a) * cy;
  const m02 = a * t.translationX + b * t.translationY + r02;
  const m12 = -b * t.translationX + a * t.translationY + r12;
  // Inverse of [[a, b], [-b, a]] is [[a, -b], [b, a]] / (a^2 + b^2).
  const det = a * a + b * b;
  const out = new Uint8Array(data.length);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = x - m02;
      const dy = y - m12;
      const sx = (a * dx - b * dy) / det;
      const sy = (b * dx + a * dy) / det;
      sampleBilinear(data, width, height, sx, sy, border, out, (y * width + x) * 3);
    }
  }
  return { width, height, data: out };
}

function sampleBilinear(
  data: Uint8Array,
  width: number,
  height: number,
  x: number,
  y: number,
  border: BorderMode,
  out: Uint8Array,
  at: number,
): void {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const fx = x - x0;
  const fy = y - y0;
  const px = (v: number) =>
    border === 'wrap' ? ((v % width) + width) % width : Math.min(width - 1, Math.max(0, v));
  const py = (v: number) =>
    border === 'wrap' ? ((v % height) + height) % height : Math.min(height - 1, Math.max(0, v));
  const [xa, xb, ya, yb] = [px(x0), px(x0 + 1), py(y0), py(y0 + 1)];
  for (let c = 0; c < 3; c++) {
    const top = data[(ya * width + xa) * 3 + c] * (1 - fx) + data[(ya * width + xb) * 3 + c] * fx;
    const bottom =
      data[(yb * width + xa) * 3 + c] * (1 - fx) + data[(yb * width + xb) * 3 + c] * fx;
    out[at + c] = Math.round(top * (1 - fy) + bottom * fy);
  }
}

/** (1 - w) a + w b, pixel by pixel (cadence's cross-fade). */
export function blendFrames(a: RgbImage, b: RgbImage, w: number): RgbImage {
  const data = new Uint8Array(a.data.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(a.data[i] * (1 - w) + b.data[i] * w);
  return { width: a.width, height: a.height, data };
}

/** Multiplies pixel values by `contrast`, clamped to [0, 255] (Deforum's uint8 cast wraps around). */
export function applyContrast(image: RgbImage, contrast: number): RgbImage {
  if (contrast === 1) return image;
  const data = new Uint8Array(image.data.length);
  for (let i = 0; i < data.length; i++)
    data[i] = Math.min(255, Math.max(0, Math.round(image.data[i] * contrast)));
  return { width: image.width, height: image.height, data };
}
