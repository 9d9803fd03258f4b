// 4-point Gauss-Legendre nodes and weights on [-1, 1]: exact for polynomials up to degree 7.
const NODES = [-0.8611363115940526, -0.3399810435848563, 0.3399810435848563, 0.8611363115940526];
const WEIGHTS = [0.34785484513745385, 0.6521451548625461, 0.6521451548625461, 0.34785484513745385];

/**
 * The LMS coefficient of derivative `current` (0 = newest) for the step from sigmas[i] to
 * sigmas[i + 1]: the integral over that interval of the Lagrange basis polynomial through
 * sigmas[i], sigmas[i - 1], ... sigmas[i - order + 1]. diffusers integrates it with scipy's
 * adaptive quad; the integrand is a polynomial of degree < 4, so Gauss-Legendre is exact.
 */
export function lmsCoefficient(
  sigmas: readonly number[],
  order: number,
  i: number,
  current: number,
): number {
  const basis = (tau: number) => {
    let product = 1;
    for (let k = 0; k < order; k++) {
      if (k === current) continue;
      product *= (tau - sigmas[i - k]) / (sigmas[i - current] - sigmas[i - k]);
    }
    return product;
  };
  const a = sigmas[i];
  const b = sigmas[i + 1];
  const half = (b - a) / 2;
  const mid = (a + b) / 2;
  let sum = 0;
  for (let q = 0; q < NODES.length; q++) sum += WEIGHTS[q] * basis(mid + half * NODES[q]);
  return sum * half;
}
