const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/**
 * The 32-bit Mersenne Twister (MT19937), seeded the way PyTorch's CPU generator seeds it:
 * from a single 32-bit value with Knuth's multiplier 1812433253.
 */
export class Mt19937 {
  private readonly state = new Uint32Array(N);
  private index = N;

  constructor(seed: number) {
    const s = this.state;
    s[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = s[i - 1] ^ (s[i - 1] >>> 30);
      // 1812433253 * prev + i, modulo 2^32 (Math.imul keeps the low 32 bits exact).
      s[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  /** The next uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    if (this.index >= N) this.twist();
    let y = this.state[this.index++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  private twist(): void {
    const s = this.state;
    // Three loops instead of index arithmetic modulo N: the hot path of every draw.
    let i = 0;
    for (; i < N - M; i++) s[i] = s[i + M] ^ mix(s[i], s[i + 1]);
    for (; i < N - 1; i++) s[i] = s[i + M - N] ^ mix(s[i], s[i + 1]);
    s[N - 1] = s[M - 1] ^ mix(s[N - 1], s[0]);
    this.index = 0;
  }
}

/** The twist's combination of two state words: upper bit of one, lower 31 of the next. */
function mix(upper: number, lower: number): number {
  const y = (upper & UPPER_MASK) | (lower & LOWER_MASK);
  return (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
}
