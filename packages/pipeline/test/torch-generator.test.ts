import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { normalizeSeed, SdedgeError, TorchGenerator } from '../src/index.ts';

interface Fixture {
  torch_version: string;
  cases: { seed: number; draws: { shape: number[]; values: number[] }[] }[];
}
const fixture: Fixture = JSON.parse(
  readFileSync(new URL('./fixtures/torch-randn.json', import.meta.url), 'utf8'),
);

function expectClose(actual: Float32Array, expected: number[], tolerance: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    expect(Math.abs(actual[i] - expected[i]), `element ${i}`).toBeLessThanOrEqual(tolerance);
  }
}

describe('TorchGenerator: published reference values', () => {
  it('seed 0, shape [6] (scalar path)', () => {
    const v = new TorchGenerator(0).randn([6]);
    expectClose(v, [1.541, -0.2934, -2.1788, 0.5684, -1.0845, -1.3986], 5e-5);
  });

  it('seed 42, shape [4]', () => {
    expectClose(new TorchGenerator(42).randn([4]), [0.3367, 0.1288, 0.2345, 0.2303], 5e-5);
  });

  it('seed 42, shape [1,4,64,64] (vector path), first 8', () => {
    const v = new TorchGenerator(42).randn([1, 4, 64, 64]);
    expect(v.length).toBe(16384);
    expectClose(
      v.subarray(0, 8),
      [1.9269, 1.4873, 0.9007, -2.1055, 0.6784, -1.2345, -0.0431, -1.6047],
      5e-5,
    );
  });

  it('seed 0, shape [16], first 6', () => {
    const v = new TorchGenerator(0).randn([16]);
    expectClose(v.subarray(0, 6), [-1.1258, -1.1524, -0.2506, -0.4339, 0.8487, 0.692], 5e-5);
  });
});

describe(`TorchGenerator against torch ${fixture.torch_version} draws`, () => {
  for (const { seed, draws } of fixture.cases) {
    const shapes = draws.map((d) => `[${d.shape}]`).join(' then ');
    it(`seed ${seed}: ${shapes}`, () => {
      const gen = new TorchGenerator(BigInt(seed));
      for (const draw of draws) {
        const values = gen.randn(draw.shape);
        // Float32 rounding: torch's vectorised log/sin/cos are accurate to about 1 ulp.
        for (let i = 0; i < values.length; i++) {
          const ulp = Math.max(Math.abs(draw.values[i]), 1) * 2 ** -22;
          expect(Math.abs(values[i] - draw.values[i]), `${shapes} element ${i}`).toBeLessThan(ulp);
        }
        expect(values.length).toBe(draw.values.length);
      }
    });
  }
});

describe('TorchGenerator behaviour', () => {
  it('is deterministic and seeds differ', () => {
    const a = new TorchGenerator(7).randn([2, 4, 8, 8]);
    const b = new TorchGenerator(7).randn([2, 4, 8, 8]);
    const c = new TorchGenerator(8).randn([2, 4, 8, 8]);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('carries state: two draws differ from one fresh draw', () => {
    const gen = new TorchGenerator(3);
    const first = gen.randn([32]);
    const second = gen.randn([32]);
    expect(second).not.toEqual(first);
    expect(first).toEqual(new TorchGenerator(3).randn([32]));
  });

  it('returns the cached second Box-Muller value on the next scalar draw', () => {
    const pair = new TorchGenerator(11).randn([2]);
    const gen = new TorchGenerator(11);
    expect(gen.randn([1])[0]).toBe(pair[0]);
    expect(gen.randn([1])[0]).toBe(pair[1]);
  });

  it('has roughly standard normal statistics', () => {
    const v = new TorchGenerator(1234).randn([1, 4, 128, 128]);
    let sum = 0;
    let sq = 0;
    for (const x of v) {
      sum += x;
      sq += x * x;
    }
    const mean = sum / v.length;
    expect(Math.abs(mean)).toBeLessThan(0.02);
    expect(Math.abs(sq / v.length - mean * mean - 1)).toBeLessThan(0.02);
  });

  it('draws nothing for an empty shape and one value for a scalar shape', () => {
    const gen = new TorchGenerator(0);
    expect(gen.randn([0, 4]).length).toBe(0);
    expect(gen.randn([]).length).toBe(1);
  });
});

describe('seeds', () => {
  it('accepts 0 and 2^32 - 1', () => {
    expect(new TorchGenerator(0).seed).toBe(0);
    expect(new TorchGenerator(0xffffffff).seed).toBe(0xffffffff);
  });

  it('reduces larger seeds to their low 32 bits, as torch does', () => {
    expect(normalizeSeed(2 ** 32 + 5)).toBe(5);
    expect(normalizeSeed(2n ** 64n - 1n)).toBe(0xffffffff);
    expect(new TorchGenerator(2 ** 32 + 42).randn([4])).toEqual(new TorchGenerator(42).randn([4]));
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, -1n, '3', null])(
    'refuses %s with code invalid_seed',
    (seed) => {
      expect(() => new TorchGenerator(seed as number)).toThrowError(
        expect.objectContaining({ code: 'invalid_seed' }),
      );
    },
  );

  it.each([[[-1]], [[1.5]], [[Number.NaN]], [['4']], [[2 ** 20, 2 ** 20]]])(
    'refuses the shape %j with code invalid_shape',
    (shape) => {
      expect(() => new TorchGenerator(0).randn(shape as number[])).toThrow(SdedgeError);
    },
  );
});
