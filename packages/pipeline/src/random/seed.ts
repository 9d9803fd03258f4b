import { SdedgeError } from '../errors.ts';

/** The largest seed the API accepts: seeds are unsigned 32-bit integers. */
export const MAX_SEED = 0xffffffff;

/**
 * Validates a seed and reduces it to the 32 bits PyTorch's CPU generator actually uses.
 *
 * `torch.Generator().manual_seed(s)` accepts 64-bit seeds but its MT19937 only keeps the low
 * 32 bits, so `s` and `s + 2**32` give the same noise. We accept such larger seeds (numbers up to
 * `Number.MAX_SAFE_INTEGER`, or any non-negative bigint) and reduce them the same way, so a seed
 * copied from a diffusers or ComfyUI workflow reproduces its image. Negative, fractional and
 * non-finite seeds are refused rather than wrapped.
 */
export function normalizeSeed(seed: number | bigint): number {
  if (typeof seed === 'bigint') {
    if (seed < 0n) throw invalidSeed(seed);
    return Number(BigInt.asUintN(32, seed));
  }
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed) || seed < 0) {
    throw invalidSeed(seed);
  }
  return seed % 0x100000000;
}

function invalidSeed(seed: unknown): SdedgeError {
  return new SdedgeError(
    'invalid_seed',
    `Seed must be a non-negative integer (0..${MAX_SEED}; larger safe integers use their low 32 bits), got ${String(seed)}.`,
    { seed: String(seed) },
  );
}
