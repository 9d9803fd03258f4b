import type { RgbImage } from '../image/rgb-image.ts';

/** What sdedge-micro was trained to draw (its `sdedge_scenes.json`). */
export interface SceneVocabulary {
  image_size: number;
  colors: Record<string, [number, number, number]>;
  shapes: string[];
  sizes: Record<string, number>;
  positions: Record<string, [number, number]>;
  held_out: [color: string, shape: string, background: string][];
}

/** The attributes read back from an image by simple analysis. */
export interface SceneReading {
  background: string;
  color: string | null;
  /** Nearest named position of the shape pixels' centre of mass. */
  position: string | null;
  /** Connected blobs of the shape colour of at least `minBlob` pixels. */
  count: number;
  centroid: [number, number] | null;
  /** Shape pixels / all pixels. */
  coverage: number;
}

/**
 * Reads a coloured-shapes image: each pixel takes the nearest palette colour; the background is
 * the commonest colour on the border, the shape colour the commonest other colour; position is
 * the centre of mass of the shape pixels (scaled to the vocabulary's image size); count the
 * number of sizeable connected blobs.
 */
export function analyzeScene(
  image: RgbImage,
  vocabulary: SceneVocabulary,
  minBlob = 12,
): SceneReading {
  const names = Object.keys(vocabulary.colors);
  const palette = names.map((n) => vocabulary.colors[n]);
  const { width, height, data } = image;
  const labels = new Int8Array(width * height);
  for (let p = 0; p < labels.length; p++) {
    let best = 0;
    let bestDistance = Number.POSITIVE_INFINITY;
    palette.forEach(([r, g, b], i) => {
      const d = (data[p * 3] - r) ** 2 + (data[p * 3 + 1] - g) ** 2 + (data[p * 3 + 2] - b) ** 2;
      if (d < bestDistance) {
        bestDistance = d;
        best = i;
      }
    });
    labels[p] = best;
  }
  const border = new Array(names.length).fill(0);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (x < 3 || y < 3 || x >= width - 3 || y >= height - 3) border[labels[y * width + x]]++;
    }
  }
  const background = argmax(border);
  const counts = new Array(names.length).fill(0);
  for (const label of labels) if (label !== background) counts[label]++;
  const colorIndex = argmax(counts);
  const shapePixels = counts[colorIndex];
  if (shapePixels < minBlob) {
    return {
      background: names[background],
      color: null,
      position: null,
      count: 0,
      centroid: null,
      coverage: 0,
    };
  }
  let sx = 0;
  let sy = 0;
  for (let p = 0; p < labels.length; p++) {
    if (labels[p] === colorIndex) {
      sx += p % width;
      sy += Math.floor(p / width);
    }
  }
  const scale = vocabulary.image_size / width;
  const centroid: [number, number] = [
    (sx / shapePixels + 0.5) * scale - 0.5,
    (sy / shapePixels + 0.5) * scale - 0.5,
  ];
  return {
    background: names[background],
    color: names[colorIndex],
    position: nearestPosition(centroid, vocabulary.positions),
    count: countBlobs(labels, colorIndex, width, height, minBlob),
    centroid,
    coverage: shapePixels / labels.length,
  };
}

function nearestPosition(
  [x, y]: [number, number],
  positions: Record<string, [number, number]>,
): string {
  let best = '';
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const [name, [px, py]] of Object.entries(positions)) {
    const d = (x - px) ** 2 + (y - py) ** 2;
    if (d < bestDistance) {
      bestDistance = d;
      best = name;
    }
  }
  return best;
}

function countBlobs(
  labels: Int8Array,
  label: number,
  width: number,
  height: number,
  minBlob: number,
): number {
  const seen = new Uint8Array(labels.length);
  let blobs = 0;
  for (let start = 0; start < labels.length; start++) {
    if (labels[start] !== label || seen[start]) continue;
    let size = 0;
    const stack = [start];
    seen[start] = 1;
    while (stack.length > 0) {
      const p = stack.pop()!;
      size++;
      const x = p % width;
      const y = Math.floor(p / width);
      for (const [nx, ny] of [
        [x + 1, y],
        [x - 1, y],
        [x, y + 1],
        [x, y - 1],
      ]) {
        if (nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
        const q = ny * width + nx;
        if (!seen[q] && labels[q] === label) {
          seen[q] = 1;
          stack.push(q);
        }
      }
    }
    if (size >= minBlob) blobs++;
  }
  return blobs;
}

function argmax(values: number[]): number {
  return values.reduce((best, v, i) => (v > values[best] ? i : best), 0);
}

/** The caption the model was trained on for these attributes (all parts present). */
export function sceneCaption(a: {
  count?: 1 | 2;
  size?: string;
  color: string;
  shape: string;
  position?: string;
  background?: string;
}): string {
  const words = [a.count === 2 ? 'two' : 'a'];
  if (a.size) words.push(a.size);
  words.push(a.color, a.count === 2 ? `${a.shape}s` : a.shape);
  if (a.position) words.push(`in the ${a.position}`);
  if (a.background) words.push(`on a ${a.background} background`);
  return words.join(' ');
}
