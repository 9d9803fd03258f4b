import { SdedgeError } from '../errors.ts';
import { Mt19937 } from './mt19937.ts';
import { normalizeSeed } from './seed.ts';

const TWO_POW_24 = 16777216;
const TWO_POW_32 = 4294967296;
const TWO_POW_53 = 9007199254740992;
const MASK_21 = 0x1fffff;
// 2 * pi rounded to float32, as PyTorch's vectorised CPU kernel multiplies by it.
const TWO_PI_F32 = Math.fround(2 * Math.PI);
/** Tensors of at least this many float32 elements take PyTorch's vectorised Box-Muller path. */
const VECTOR_PATH_MIN = 16;
const MAX_ELEMENTS = 2 ** 31 - 1;

/**
 * Reproduces `torch.randn(shape, generator=torch.Generator().manual_seed(seed))` for float32
 * tensors on the CPU, state carried from call to call as torch carries it.
 *
 * PyTorch has two paths (aten/src/ATen/native/cpu/DistributionTemplates.h):
 * - 16 or more elements: fill every element with a 24-bit uniform, then Box-Muller on each block
 *   of 16 (element j and j + 8 form a pair); when the size is not a multiple of 16, the last 16
 *   are drawn again and transformed again.
 * - fewer than 16: per element, a double-precision Box-Muller on 53-bit uniforms, whose second
 *   value is cached in the generator and returned by the next draw.
 * The float path is computed in float32 steps as the AVX2 kernel does, so results match torch to
 * float32 rounding (its vector log/sin/cos are accurate to 1 ulp).
 */
export class TorchGenerator {
  readonly seed: number;
  private readonly engine: Mt19937;
  private cachedNormal: number | null = null;

  constructor(seed: number | bigint) {
    this.seed = normalizeSeed(seed);
    this.engine = new Mt19937(this.seed);
  }

  /** Standard normal samples in row-major order for a tensor of `shape`. */
  randn(shape: readonly number[]): Float32Array {
    const size = numelOf(shape);
    const out = new Float32Array(size);
    if (size >= VECTOR_PATH_MIN) this.fillVectorPath(out);
    else for (let i = 0; i < size; i++) out[i] = this.nextScalarNormal();
    return out;
  }

  /** A float32 uniform in [0, 1) with 24 random bits, as `uniform_real_distribution<float>`. */
  private nextUniform24(): number {
    return (this.engine.nextUint32() & (TWO_POW_24 - 1)) / TWO_POW_24;
  }

  /** A double uniform in [0, 1) with 53 random bits from two draws (first draw is the high word). */
  private nextUniform53(): number {
    const hi = this.engine.nextUint32();
    const lo = this.engine.nextUint32();
    return ((hi & MASK_21) * TWO_POW_32 + lo) / TWO_POW_53;
  }

  private fillVectorPath(out: Float32Array): void {
    const size = out.length;
    for (let i = 0; i < size; i++) out[i] = this.nextUniform24();
    for (let i = 0; i + 16 <= size; i += 16) boxMuller16(out, i);
    if (size % 16 !== 0) {
      const start = size - 16;
      for (let i = start; i < size; i++) out[i] = this.nextUniform24();
      boxMuller16(out, start);
    }
  }

  private nextScalarNormal(): number {
    if (this.cachedNormal !== null) {
      const cached = this.cachedNormal;
      this.cachedNormal = null;
      return cached;
    }
    const u1 = this.nextUniform53();
    const u2 = this.nextUniform53();
    const radius = Math.sqrt(-2 * Math.log1p(-u2));
    const theta = 2 * Math.PI * u1;
    this.cachedNormal = radius * Math.sin(theta);
    return radius * Math.cos(theta);
  }
}

/** Box-Muller on one block of 16 uniforms, in float32 arithmetic. */
function boxMuller16(data: Float32Array, offset: number): void {
  const f = Math.fround;
  for (let j = offset; j < offset + 8; j++) {
    const u1 = f(1 - data[j]); // [0, 1) -> (0, 1] so the log is finite
    const u2 = data[j + 8];
    const radius = f(Math.sqrt(f(-2 * f(Math.log(u1)))));
    const theta = f(TWO_PI_F32 * u2);
    data[j] = f(radius * f(Math.cos(theta)));
    data[j + 8] = f(radius * f(Math.sin(theta)));
  }
}

function numelOf(shape: readonly number[]): number {
  if (!Array.isArray(shape)) {
    throw new SdedgeError('invalid_shape', 'Shape must be an array of non-negative integers.');
  }
  let size = 1;
  for (const dim of shape) {
    if (!Number.isSafeInteger(dim) || dim < 0) {
      throw new SdedgeError(
        'invalid_shape',
        `Shape must be an array of non-negative integers, got [${shape.join(', ')}].`,
      );
    }
    size *= dim;
  }
  if (size > MAX_ELEMENTS) {
    throw new SdedgeError('invalid_shape', `Shape [${shape.join(', ')}] has too many elements.`);
  }
  return size;
}
