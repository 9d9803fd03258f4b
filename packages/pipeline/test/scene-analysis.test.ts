import { describe, expect, it } from 'vitest';
import { analyzeScene, type SceneVocabulary, sceneCaption } from '../src/testing.ts';

const vocabulary: SceneVocabulary = {
  image_size: 64,
  colors: {
    red: [220, 40, 40],
    blue: [40, 80, 220],
    white: [245, 245, 245],
    yellow: [240, 210, 40],
  },
  shapes: ['circle', 'square'],
  sizes: { small: 7, large: 12 },
  positions: {
    'top left': [16, 16],
    'top right': [48, 16],
    'bottom left': [16, 48],
    'bottom right': [48, 48],
    center: [32, 32],
  },
  held_out: [],
};

/** Draws filled circles of `color` on `background`, with a little pixel noise. */
function scene(
  background: string,
  color: string,
  centers: [number, number][],
  radius = 8,
  size = 64,
) {
  const data = new Uint8Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = centers.some(([cx, cy]) => (x - cx) ** 2 + (y - cy) ** 2 <= radius * radius);
      const rgb = vocabulary.colors[inside ? color : background];
      for (let c = 0; c < 3; c++)
        data[(y * size + x) * 3 + c] = Math.max(
          0,
          Math.min(255, rgb[c] + (((x * 7 + y * 13 + c) % 11) - 5)),
        );
    }
  }
  return { width: size, height: size, data };
}

describe('analyzeScene', () => {
  it('reads background, colour, position and count', () => {
    const reading = analyzeScene(scene('blue', 'red', [[16, 48]]), vocabulary);
    expect(reading).toMatchObject({
      background: 'blue',
      color: 'red',
      position: 'bottom left',
      count: 1,
    });
    expect(reading.centroid?.[0]).toBeCloseTo(16, 0);
  });

  it('counts two shapes and finds the centre', () => {
    expect(
      analyzeScene(
        scene('white', 'yellow', [
          [16, 32],
          [48, 32],
        ]),
        vocabulary,
      ),
    ).toMatchObject({ color: 'yellow', count: 2 });
    expect(analyzeScene(scene('white', 'blue', [[32, 32]]), vocabulary).position).toBe('center');
  });

  it('scales positions for other image sizes', () => {
    expect(analyzeScene(scene('white', 'red', [[96, 32]], 16, 128), vocabulary).position).toBe(
      'top right',
    );
  });

  it('reports no shape on a plain background', () => {
    expect(analyzeScene(scene('white', 'white', []), vocabulary)).toMatchObject({
      background: 'white',
      color: null,
      count: 0,
    });
  });

  it('writes captions as the model was trained on them', () => {
    expect(
      sceneCaption({
        count: 1,
        size: 'small',
        color: 'red',
        shape: 'circle',
        position: 'top left',
        background: 'blue',
      }),
    ).toBe('a small red circle in the top left on a blue background');
    expect(sceneCaption({ count: 2, color: 'green', shape: 'square', background: 'white' })).toBe(
      'two green squares on a white background',
    );
  });
});
