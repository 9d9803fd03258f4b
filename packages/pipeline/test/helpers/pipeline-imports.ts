export * from '../../src/node.ts';

/** RGB bytes -> [3, H, W] in [-1, 1], written out here so the test does not reuse the code it checks. */
export function imageToTensorForTests(image: {
  width: number;
  height: number;
  data: Uint8Array;
}): Float32Array {
  const plane = image.width * image.height;
  const out = new Float32Array(3 * plane);
  for (let p = 0; p < plane; p++)
    for (let c = 0; c < 3; c++) out[c * plane + p] = image.data[p * 3 + c] / 127.5 - 1;
  return out;
}
export * from '../../src/testing.ts';
