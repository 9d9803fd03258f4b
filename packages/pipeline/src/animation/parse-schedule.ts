import { SdedgeError } from '../errors.ts';
import { type CompiledExpression, compileExpression } from './schedule-expression.ts';

export interface ScheduleOptions {
  /** The animation's seed, readable as `s` in expressions. */
  seed?: number;
}

interface Keyframe {
  frame: number;
  /** A plain number interpolates linearly to the next numeric keyframe. */
  number: number | null;
  expression: CompiledExpression;
}

const NUMBER = /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/;

/**
 * One value per frame from a Deforum keyframe schedule such as `0:(1.0), 30:(1.5)`, as Deforum
 * computes it: numeric keyframes interpolate linearly, the last value holds, an expression
 * keyframe is evaluated at every frame until the next keyframe (t = frame, max_f = maxFrames - 1,
 * s = seed), and frame positions may be expressions (`"max_f/2":(5)` or `(max_f):(0)`).
 *
 * Where we differ from Deforum: a schedule without frame 0 is filled before its first keyframe
 * with that keyframe's value (Deforum raises); commas inside function calls are fine (Deforum's
 * regex splits on them); a keyframe at or after maxFrames, or before frame 0 (Deforum's default
 * seed_schedule has "max_f-2", which is -1 in a one-frame video), is ignored, as in Deforum; an expression
 * that is not finite at some frame (log(0), 1/0) is an error rather than silently interpolated.
 */
export function parseSchedule(
  text: string,
  maxFrames: number,
  options: ScheduleOptions = {},
): number[] {
  if (!Number.isInteger(maxFrames) || maxFrames < 1) {
    throw new SdedgeError(
      'invalid_schedule',
      `max_frames must be an integer >= 1, got ${maxFrames}.`,
    );
  }
  if (typeof text === 'number') text = `0:(${text})`;
  if (typeof text !== 'string')
    throw new SdedgeError(
      'invalid_schedule',
      'A schedule must be a string like "0:(1.0), 30:(1.5)".',
    );
  const seed = options.seed ?? -1;
  const scope = { t: 0, max_f: maxFrames - 1, s: seed };
  const keyframes = new Map<number, Keyframe>();
  for (const k of splitKeyframes(text)) {
    const frameValue = k.frameExpression(scope);
    if (!Number.isFinite(frameValue)) {
      throw new SdedgeError(
        'invalid_schedule',
        `Keyframe position at ${k.at} is ${frameValue}, not a frame number.`,
        { position: k.at },
      );
    }
    const frame = Math.trunc(frameValue);
    if (frame < 0 || frame >= maxFrames) continue;
    const number = NUMBER.test(k.value) ? Number(k.value) : null;
    keyframes.set(frame, { frame, number, expression: compileExpression(k.value, k.valueAt) });
  }

  const series: (number | null)[] = new Array(maxFrames).fill(null);
  let current: Keyframe | undefined;
  for (let f = 0; f < maxFrames; f++) {
    current = keyframes.get(f) ?? current;
    if (!current) continue;
    if (current.number !== null) {
      if (current.frame === f) series[f] = current.number;
    } else {
      const value = current.expression({ ...scope, t: f });
      if (!Number.isFinite(value)) {
        throw new SdedgeError(
          'invalid_schedule',
          `The keyframe at frame ${current.frame} gives ${value} at frame ${f}.`,
          { frame: f },
        );
      }
      series[f] = value;
    }
  }
  return interpolateGaps(series);
}

/** Pandas' interpolate(method='linear', limit_direction='both') after pinning both ends. */
function interpolateGaps(series: (number | null)[]): number[] {
  const known = series.flatMap((v, i) => (v === null ? [] : [i]));
  if (known.length === 0) return series.map(() => 0);
  const out = new Array<number>(series.length);
  const first = known[0];
  const last = known[known.length - 1];
  for (let f = 0; f < series.length; f++) {
    if (series[f] !== null) out[f] = series[f] as number;
    else if (f < first) out[f] = series[first] as number;
    else if (f > last) out[f] = series[last] as number;
  }
  for (let k = 0; k < known.length - 1; k++) {
    const [a, b] = [known[k], known[k + 1]];
    for (let f = a + 1; f < b; f++) out[f] = out[a] + ((out[b] - out[a]) * (f - a)) / (b - a);
  }
  return out;
}

interface RawKeyframe {
  at: number;
  frameExpression: CompiledExpression;
  value: string;
  valueAt: number;
}

/** Splits `frame:(value), ...` respecting nested parentheses and quotes; errors point into `text`. */
function splitKeyframes(text: string): RawKeyframe[] {
  const out: RawKeyframe[] = [];
  let i = 0;
  const fail = (message: string, at = i): never => {
    throw new SdedgeError(
      'invalid_schedule',
      `${message} at position ${at} of ${JSON.stringify(text)}.`,
      { position: at },
    );
  };
  const skipSpace = () => {
    while (i < text.length && /\s/.test(text[i])) i++;
  };
  skipSpace();
  if (i === text.length) fail('The schedule is empty');
  while (i < text.length) {
    const at = i;
    let frameSource: string;
    let frameAt: number;
    if (/\d/.test(text[i])) {
      const digits = /^\d+(\.\d+)?/.exec(text.slice(i))![0];
      frameSource = digits;
      frameAt = i;
      i += digits.length;
    } else if (text[i] === '"' || text[i] === "'") {
      const end = text.indexOf(text[i], i + 1);
      if (end === -1) fail('Unclosed quote in a keyframe position');
      frameSource = text.slice(i + 1, end);
      frameAt = i + 1;
      i = end + 1;
    } else if (text[i] === '(') {
      const end = closingParen(text, i, fail);
      frameSource = text.slice(i + 1, end);
      frameAt = i + 1;
      i = end + 1;
    } else {
      return fail(
        `Expected a keyframe position (a frame number, "expression" or (expression)) but found "${text[i]}"`,
      );
    }
    skipSpace();
    if (text[i] !== ':') fail(`Expected ":" after the keyframe position`);
    i++;
    skipSpace();
    if (text[i] !== '(') fail('Expected "(" to open the keyframe value');
    const end = closingParen(text, i, fail);
    const value = text.slice(i + 1, end);
    if (value.trim() === '') fail('Empty keyframe value', i);
    out.push({
      at,
      frameExpression: compileExpression(frameSource, frameAt, ['max_f', 's', 't']),
      value,
      valueAt: i + 1,
    });
    i = end + 1;
    skipSpace();
    if (i < text.length) {
      if (text[i] !== ',') fail('Missing "," between keyframes');
      i++;
      skipSpace();
    }
  }
  return out;
}

function closingParen(
  text: string,
  open: number,
  fail: (message: string, at?: number) => never,
): number {
  let depth = 0;
  let quote: string | null = null;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) quote = null;
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return fail('Unbalanced parentheses: "(" is never closed', open);
}
