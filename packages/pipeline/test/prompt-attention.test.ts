import { describe, expect, it } from 'vitest';
import { parsePromptAttention } from '../src/index.ts';

function rounded(pieces: [string, number][]) {
  return pieces.map(([text, weight]) => [text, Math.round(weight * 1e4) / 1e4]);
}

describe('parsePromptAttention: AUTOMATIC1111 doctests', () => {
  it.each([
    ['normal text', [['normal text', 1]]],
    [
      'an (important) word',
      [
        ['an ', 1],
        ['important', 1.1],
        [' word', 1],
      ],
    ],
    ['(unbalanced', [['unbalanced', 1.1]]],
    ['\\(literal\\]', [['(literal]', 1]]],
    ['(unnecessary)(parens)', [['unnecessaryparens', 1.1]]],
    [
      'a (((house:1.3)) [on] a (hill:0.5), sun, (((sky))).',
      [
        ['a ', 1],
        ['house', 1.573],
        [' ', 1.1],
        ['on', 1],
        [' a ', 1.1],
        ['hill', 0.55],
        [', sun, ', 1.1],
        ['sky', 1.4641],
        ['.', 1.1],
      ],
    ],
  ])('%s', (prompt, expected) => {
    expect(rounded(parsePromptAttention(prompt))).toEqual(expected);
  });
});

describe('parsePromptAttention: more cases', () => {
  it('returns one empty piece for an empty prompt', () => {
    expect(parsePromptAttention('')).toEqual([['', 1]]);
  });

  it('divides by 1.1 per square bracket and nests', () => {
    const [[, one], [, two]] = parsePromptAttention('[a][[b]]').slice(0, 2);
    expect(one).toBeCloseTo(1 / 1.1, 12);
    expect(two).toBeCloseTo(1 / 1.21, 12);
  });

  it('multiplies explicit weights by enclosing brackets', () => {
    expect(rounded(parsePromptAttention('((cat:1.5))'))).toEqual([['cat', 1.65]]);
    expect(rounded(parsePromptAttention('(cat: 0.8 )'))).toEqual([['cat', 0.8]]);
    expect(rounded(parsePromptAttention('(cat:+2)'))).toEqual([['cat', 2]]);
    expect(rounded(parsePromptAttention('(cat:-1)'))).toEqual([['cat', -1]]);
  });

  it('keeps closers without an opener as text', () => {
    expect(parsePromptAttention('a) b] c')).toEqual([['a) b] c', 1]]);
    expect(parsePromptAttention('a:1.2)')).toEqual([['a:1.2)', 1]]);
  });

  it('keeps a malformed weight as text instead of failing', () => {
    expect(rounded(parsePromptAttention('(cat:1.2.3)'))).toEqual([['cat:1.2.3', 1.1]]);
    expect(rounded(parsePromptAttention('(cat:.)'))).toEqual([['cat:.', 1.1]]);
  });

  it('keeps colons in plain text', () => {
    expect(parsePromptAttention('ratio 16:9, time 10:30')).toEqual([['ratio 16:9, time 10:30', 1]]);
  });

  it('unescapes backslashes', () => {
    expect(parsePromptAttention('a \\\\ b')).toEqual([['a \\ b', 1]]);
    expect(parsePromptAttention('\\(\\)\\[\\]')).toEqual([['()[]', 1]]);
  });

  it('splits on BREAK as a whole word only', () => {
    expect(parsePromptAttention('a cat BREAK a dog')).toEqual([
      ['a cat', 1],
      ['BREAK', -1],
      ['a dog', 1],
    ]);
    expect(parsePromptAttention('BREAKING news, break it')).toEqual([
      ['BREAKING news, break it', 1],
    ]);
    expect(parsePromptAttention('éBREAK')).toEqual([['éBREAK', 1]]);
  });

  it('breaks inside brackets too, keeping the weights around the break', () => {
    expect(rounded(parsePromptAttention('(a BREAK b)'))).toEqual([
      ['a', 1.1],
      ['BREAK', -1],
      ['b', 1.1],
    ]);
  });

  it('keeps unicode text intact', () => {
    expect(rounded(parsePromptAttention('(東京:1.2) 🐱'))).toEqual([
      ['東京', 1.2],
      [' 🐱', 1],
    ]);
  });

  it.each([42, null, {}])('refuses a non-string prompt %j', (prompt) => {
    expect(() => parsePromptAttention(prompt as unknown as string)).toThrowError(
      expect.objectContaining({ code: 'invalid_prompt' }),
    );
  });
});
