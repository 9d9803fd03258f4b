/*
 * The few numpy/torch array routines the schedules are built from, with numpy's exact semantics
 * (float64 unless a step says float32), so timesteps and sigmas match diffusers to the bit.
 */

/** `np.linspace(start, stop, num)` (endpoint included, last value exactly `stop`). */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num === 1) return [start];
  const step = (stop - start) / (num - 1);
  const out = Array.from({ length: num }, (_, i) => i * step + start);
  out[num - 1] = stop;
  return out;
}

/** `np.linspace(start, stop, num, endpoint=False)`. */
export function linspaceExclusive(start: number, stop: number, num: number): number[] {
  const step = (stop - start) / num;
  return Array.from({ length: num }, (_, i) => i * step + start);
}

/** `np.arange(start, stop, step)` for a float step of either sign. */
export function arange(start: number, stop: number, step: number): number[] {
  const length = Math.max(0, Math.ceil((stop - start) / step));
  return Array.from({ length }, (_, i) => start + i * step);
}

/** `np.round`: halves go to the even neighbour. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** `np.interp(x, arange(len(ys)), ys)`: piecewise-linear lookup at fractional index x. */
export function interpIndex(x: number, ys: ArrayLike<number>): number {
  if (x <= 0) return ys[0];
  const last = ys.length - 1;
  if (x >= last) return ys[last];
  const i = Math.floor(x);
  const w = x - i;
  // numpy's form: slope * (x - xp[i]) + fp[i]
  return (ys[i + 1] - ys[i]) * w + ys[i];
}

/**
 * `torch.linspace(start, end, steps, dtype=float32)` on the CPU: float32 arithmetic, the first half
 * counted up from `start`, the second half down from `end`.
 */
export function linspaceFloat32(start: number, end: number, steps: number): Float64Array {
  const f = Math.fround;
  const s = f(start);
  const e = f(end);
  const step = f(f(e - s) / (steps - 1));
  const halfway = Math.floor(steps / 2);
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    out[i] = i < halfway ? f(s + f(step * i)) : f(e - f(step * (steps - i - 1)));
  }
  return out;
}

/** Solves the small dense system A x = b by Gaussian elimination with partial pivoting. */
export function solveLinear(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row.slice(0, n), b[i]]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) pivot = r;
    [m[col], m[pivot]] = [m[pivot], m[col]];
    for (let r = col + 1; r < n; r++) {
      const factor = m[r][col] / m[col][col];
      for (let c = col; c <= n; c++) m[r][c] -= factor * m[col][c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let sum = m[r][n];
    for (let c = r + 1; c < n; c++) sum -= m[r][c] * x[c];
    x[r] = sum / m[r][r];
  }
  return x;
}
