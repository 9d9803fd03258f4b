import type { TimestepSpacing } from './config.ts';
import { arange, linspace, roundHalfEven } from './numpy-math.ts';

/*
 * The three ways diffusers spreads inference timesteps over the training ones ("Common Diffusion
 * Noise Schedules and Sample Steps are Flawed", table 2), in each scheduler family's variant.
 * All return timesteps from noisiest to cleanest.
 */

/** Integer timesteps (DDIM, PNDM, LCM-style): `n` of them. */
export function integerTimesteps(
  spacing: TimestepSpacing,
  numTrain: number,
  n: number,
  offset: number,
): number[] {
  switch (spacing) {
    case 'linspace':
      return linspace(0, numTrain - 1, n)
        .map(roundHalfEven)
        .reverse();
    case 'leading': {
      const ratio = Math.floor(numTrain / n);
      return arange(0, n, 1)
        .map((i) => i * ratio + offset)
        .reverse();
    }
    case 'trailing':
      return arange(numTrain, 0, -numTrain / n).map((t) => roundHalfEven(t) - 1);
  }
}

/** Float timesteps of the sigma schedulers (Euler, Euler a, Heun, LMS), as float32 values. */
export function fractionalTimesteps(
  spacing: TimestepSpacing,
  numTrain: number,
  n: number,
  offset: number,
): number[] {
  if (spacing === 'linspace')
    return linspace(0, numTrain - 1, n)
      .map(Math.fround)
      .reverse();
  return integerTimesteps(spacing, numTrain, n, offset);
}

/**
 * DPM-Solver and UniPC: `n + 1` points with the last (cleanest) dropped, over the training
 * timesteps below `lastTimestep`.
 */
export function multistepTimesteps(
  spacing: TimestepSpacing,
  numTrain: number,
  lastTimestep: number,
  n: number,
  offset: number,
): number[] {
  switch (spacing) {
    case 'linspace':
      return linspace(0, lastTimestep - 1, n + 1)
        .map(roundHalfEven)
        .reverse()
        .slice(0, -1);
    case 'leading': {
      const ratio = Math.floor(lastTimestep / (n + 1));
      return arange(0, n + 1, 1)
        .map((i) => i * ratio)
        .reverse()
        .slice(0, -1)
        .map((t) => t + offset);
    }
    case 'trailing':
      return arange(lastTimestep, 0, -numTrain / n).map((t) => roundHalfEven(t) - 1);
  }
}
