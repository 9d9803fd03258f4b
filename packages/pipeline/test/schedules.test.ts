import { describe, expect, it } from 'vitest';
import { compileExpression, parseSchedule } from '../src/index.ts';

const round = (values: number[]) => values.map((v) => Math.round(v * 1e6) / 1e6 + 0); // + 0 turns -0 into 0

describe('parseSchedule: the issue’s examples (Deforum behaviour)', () => {
  it.each([
    ['0:(0), 10:(10)', 15, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 10, 10]],
    ['0: (1.0), 4: (2.0)', 6, [1, 1.25, 1.5, 1.75, 2, 2]],
    ['0:(0), 2:(10), 4:(0)', 6, [0, 5, 10, 5, 0, 0]],
    ['0:(t), 5:(10)', 10, [0, 1, 2, 3, 4, 10, 10, 10, 10, 10]],
    ['0:(t%3)', 7, [0, 1, 2, 0, 1, 2, 0]],
    ['0:(0), "max_f/2":(5), (max_f):(0)', 11, [0, 1, 2, 3, 4, 5, 4, 3, 2, 1, 0]],
    ['0:(-t%4)', 6, [0, -1, -2, -3, 0, -1]],
  ])('%s over %i frames', (text, frames, expected) => {
    expect(round(parseSchedule(text, frames))).toEqual(expected);
  });
});

describe('parseSchedule: more behaviour', () => {
  it('evaluates Deforum’s default zoom and seed schedules', () => {
    const zoom = parseSchedule('0:(1.0025+0.002*sin(1.25*3.14*t/30))', 3);
    expect(zoom[0]).toBeCloseTo(1.0025, 10);
    expect(zoom[1]).toBeCloseTo(1.0025 + 0.002 * Math.sin((1.25 * 3.14) / 30), 10);
    expect(parseSchedule('0:(s), 1:(-1), "max_f-2":(-1), "max_f-1":(s)', 6, { seed: 42 })).toEqual([
      42, -1, -1, -1, 42, 42,
    ]);
  });

  it('holds a single keyframe and fills before a late first keyframe (Deforum raises)', () => {
    expect(parseSchedule('0:(0.5)', 3)).toEqual([0.5, 0.5, 0.5]);
    expect(parseSchedule('3:(2), 5:(4)', 7)).toEqual([2, 2, 2, 2, 3, 4, 4]);
  });

  it('interpolates between an expression segment and the next number', () => {
    // Frames 0-2 follow t*2; frame 5 is 20; frames 3-4 stay on the expression until the next keyframe.
    expect(parseSchedule('0:(t*2), 5:(20)', 7)).toEqual([0, 2, 4, 6, 8, 20, 20]);
  });

  it('ignores keyframes at or after max_frames and lets the last one win', () => {
    expect(parseSchedule('0:(1), 10:(100)', 4)).toEqual([1, 1, 1, 1]);
    expect(parseSchedule('0:(1), 0:(3)', 2)).toEqual([3, 3]);
  });

  it('accepts commas inside function calls, spaces and trailing commas', () => {
    expect(parseSchedule(' 0 : ( max(t, 2) ) ,  3:(min(1,2)), ', 5)).toEqual([2, 2, 2, 1, 1]);
    expect(parseSchedule('0:(where(t < 2, 10, 20))', 4)).toEqual([10, 10, 20, 20]);
  });

  it('follows numexpr: floats, ** binds tighter than unary minus, fmod', () => {
    const at = (expr: string, t = 0) => compileExpression(expr)({ t, max_f: 9, s: 7 });
    expect(at('7/2')).toBe(3.5);
    expect(at('-2**2')).toBe(-4);
    expect(at('2**-1')).toBe(0.5);
    expect(at('2**3**2')).toBe(512);
    expect(at('-7%3')).toBe(-1);
    expect(at('7.5%-2')).toBe(1.5);
    expect(at('1e-3*1000')).toBe(1);
    expect(at('s + max_f + t', 1)).toBe(17);
    expect(at('round(2.5) + round(3.5) + floor(-0.5) + ceil(0.2) + abs(-2)')).toBe(
      2 + 4 - 1 + 1 + 2,
    );
    expect(at('sqrt(16) + exp(0) + log(1) + log10(100) + arctan(0) + cosh(0) + pi*0')).toBe(
      4 + 1 + 0 + 2 + 0 + 1,
    );
    expect(at('(1 <= 2) + (2 == 2) + (3 != 3) + (1 > 2)')).toBe(2);
  });

  it('accepts a number where a schedule is expected (Deforum files sometimes hold one)', () => {
    expect(parseSchedule(0.4 as unknown as string, 2)).toEqual([0.4, 0.4]);
  });
});

describe('parseSchedule: errors point at the position', () => {
  it.each([
    ['0:(foo)', /Unknown name "foo".*position 3/],
    ['0:(1', /never closed at position 2/],
    ['0:(1)) ', /Missing "," between keyframes at position 5/],
    ['0:(1) 2:(3)', /Missing "," between keyframes at position 6/],
    ['0:()', /Empty keyframe value at position 2/],
    ['0:(   )', /Empty keyframe value/],
    ['', /empty/],
    ['0 (1)', /Expected ":" after the keyframe position at position 2/],
    ['0:1', /Expected "\(" to open the keyframe value at position 2/],
    ['0:(1+)', /Expected a value but the expression ended at position 5/],
    ['0:(2 3)', /Unexpected "3" at position 5/],
    ['0:(sin(1, 2))', /sin\(\) takes 1 argument, got 2/],
    ['0:(nope(1))', /Unknown function "nope"/],
    ['0:(1 $ 2)', /Unexpected character "\$" at position 5/],
    ['"max_f":(1), 0:(2', /never closed/],
    ['(1/0):(3)', /Keyframe position/],
    ['0:(log(t))', /gives -Infinity at frame 0/],
  ])('%j', (text, message) => {
    expect(() => parseSchedule(text, 5)).toThrowError(
      expect.objectContaining({
        code: 'invalid_schedule',
        message: expect.stringMatching(message),
      }),
    );
  });

  it('refuses max_frames below 1 and non-strings', () => {
    expect(() => parseSchedule('0:(1)', 0)).toThrow(/max_frames/);
    expect(() => parseSchedule(null as unknown as string, 3)).toThrowError(
      expect.objectContaining({ code: 'invalid_schedule' }),
    );
  });

  it('never uses eval: names outside the scope are errors, not globals', () => {
    expect(() => parseSchedule('0:(process)', 2)).toThrow(/Unknown name "process"/);
    expect(() => parseSchedule('0:(constructor)', 2)).toThrow(/Unknown name/);
    expect(() => parseSchedule('0:(toString(1))', 2)).toThrow(/Unknown function/);
  });
});

describe('keyframes outside the video', () => {
  it('ignores a keyframe before frame 0, as Deforum does (its default seed_schedule in a 1-frame video)', () => {
    // max_f is 0 here: "max_f-2" and "max_f-1" fall before frame 0.
    expect(parseSchedule('0:(5), 1:(-1), "max_f-2":(-1), "max_f-1":(7)', 1)).toEqual([5]);
    expect(parseSchedule('0:(1), (-3):(9)', 2)).toEqual([1, 1]);
    expect(() => parseSchedule('0:(1), "1/0":(2)', 2)).toThrow(/not a frame number/);
  });
});
