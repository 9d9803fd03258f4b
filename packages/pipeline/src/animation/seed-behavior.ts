import { Mt19937 } from '../random/mt19937.ts';

export type SeedBehavior = 'iter' | 'fixed' | 'random' | 'ladder' | 'alternate' | 'schedule';
export const SEED_BEHAVIORS: SeedBehavior[] = [
  'iter',
  'fixed',
  'random',
  'ladder',
  'alternate',
  'schedule',
];

/**
 * Deforum's seed after each diffused frame: iter +1; fixed; ladder +2, -1, +2, ...; alternate
 * +1, -1, +1, ...; random draws a new 32-bit seed (here from an MT19937 seeded with the first
 * seed, so a render is reproducible); schedule reads seed_schedule per frame.
 */
export class SeedSequence {
  private toggle = 0;
  private readonly random: Mt19937;

  constructor(
    private seed: number,
    private readonly behavior: SeedBehavior,
    private readonly schedule: number[] = [],
  ) {
    this.random = new Mt19937(seed);
  }

  /** The seed for the diffused frame at `frame`. */
  seedFor(frame: number): number {
    if (this.behavior === 'schedule') {
      const value = Math.trunc(this.schedule[frame] ?? this.seed);
      return value === -1 ? this.random.nextUint32() : value >>> 0;
    }
    return this.seed;
  }

  /** Moves to the next diffused frame's seed. */
  advance(): void {
    const wrap = (v: number) => ((v % 2 ** 32) + 2 ** 32) % 2 ** 32;
    switch (this.behavior) {
      case 'iter':
        this.seed = wrap(this.seed + 1);
        break;
      case 'ladder':
        this.seed = wrap(this.seed + (this.toggle === 0 ? 2 : -1));
        this.toggle ^= 1;
        break;
      case 'alternate':
        this.seed = wrap(this.seed + (this.toggle === 0 ? 1 : -1));
        this.toggle ^= 1;
        break;
      case 'random':
        this.seed = this.random.nextUint32();
        break;
      default:
        break;
    }
  }
}
