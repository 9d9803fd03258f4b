import { SdedgeError } from '../errors.ts';
import { describeType } from './clip-tokenizer.ts';

/** A piece of prompt text and its attention weight; `['BREAK', -1]` marks a chunk break. */
export type WeightedText = [text: string, weight: number];

export const BREAK_MARKER_WEIGHT = -1;
const ROUND_MULTIPLIER = 1.1;
const SQUARE_MULTIPLIER = 1 / 1.1;

// One token of AUTOMATIC1111's emphasis syntax per match: escapes, a lone backslash, brackets,
// an explicit weight closing a round bracket, closers, a run of plain text, a stray colon.
const ATTENTION_TOKEN =
  /\\\(|\\\)|\\\[|\\\]|\\\\|\\|\(|\[|:\s*([+-]?[.\d]+)\s*\)|\)|\]|[^\\()[\]:]+|:/gu;
// BREAK as a whole word, with the whitespace around it (word boundaries in the Unicode sense).
const BREAK_WORD = /\s*(?<![\p{L}\p{N}_])BREAK(?![\p{L}\p{N}_])\s*/u;

/**
 * Parses AUTOMATIC1111's prompt emphasis: `(x)` multiplies the weight by 1.1, `[x]` divides it by
 * 1.1, `(x:1.3)` sets it (multiplies by 1.3), nesting multiplies, brackets left open still apply
 * to the end, `\(` `\)` `\[` `\]` are literal, `BREAK` starts a new chunk, and neighbours with the
 * same weight merge.
 *
 * Where we differ from AUTOMATIC1111: a BREAK inside brackets still breaks (A1111 scales its
 * marker and then treats it as text), and a malformed weight such as `(x:1.2.3)` is kept as text
 * instead of raising.
 *
 * @example parsePromptAttention('a (house:1.3) [on] a hill')
 *   // [['a ', 1], ['house', 1.3], [' ', 1], ['on', 0.9090909090909091], [' a hill', 1]]
 */
export function parsePromptAttention(prompt: string): WeightedText[] {
  if (typeof prompt !== 'string') {
    throw new SdedgeError(
      'invalid_prompt',
      `A prompt must be a string, got ${describeType(prompt)}.`,
    );
  }
  const res: WeightedText[] = [];
  const roundOpen: number[] = [];
  const squareOpen: number[] = [];
  const multiplyFrom = (start: number, multiplier: number) => {
    for (let i = start; i < res.length; i++) {
      if (!isBreakMarker(res[i])) res[i][1] *= multiplier;
    }
  };

  const pushText = (text: string) => {
    text.split(BREAK_WORD).forEach((part, i) => {
      if (i > 0) res.push(['BREAK', BREAK_MARKER_WEIGHT]);
      res.push([part, 1]);
    });
  };

  for (const match of prompt.matchAll(ATTENTION_TOKEN)) {
    const token = match[0];
    const weight = match[1] === undefined ? Number.NaN : Number(match[1]);
    if (token.startsWith('\\')) {
      res.push([token.slice(1), 1]);
    } else if (token === '(') {
      roundOpen.push(res.length);
    } else if (token === '[') {
      squareOpen.push(res.length);
    } else if (match[1] !== undefined && roundOpen.length > 0) {
      if (Number.isFinite(weight)) {
        multiplyFrom(roundOpen.pop()!, weight);
      } else {
        // "(x:1.2.3)": keep ":1.2.3" as text and close the bracket as a plain one.
        pushText(token.slice(0, -1));
        multiplyFrom(roundOpen.pop()!, ROUND_MULTIPLIER);
      }
    } else if (token === ')' && roundOpen.length > 0) {
      multiplyFrom(roundOpen.pop()!, ROUND_MULTIPLIER);
    } else if (token === ']' && squareOpen.length > 0) {
      multiplyFrom(squareOpen.pop()!, SQUARE_MULTIPLIER);
    } else {
      pushText(token);
    }
  }
  for (const start of roundOpen) multiplyFrom(start, ROUND_MULTIPLIER);
  for (const start of squareOpen) multiplyFrom(start, SQUARE_MULTIPLIER);

  if (res.length === 0) return [['', 1]];
  return mergeEqualWeights(res);
}

export function isBreakMarker([text, weight]: WeightedText): boolean {
  return text === 'BREAK' && weight === BREAK_MARKER_WEIGHT;
}

function mergeEqualWeights(pieces: WeightedText[]): WeightedText[] {
  const merged: WeightedText[] = [];
  for (const piece of pieces) {
    const last = merged[merged.length - 1];
    if (last && last[1] === piece[1] && !isBreakMarker(last) && !isBreakMarker(piece)) {
      last[0] += piece[0];
    } else {
      merged.push([piece[0], piece[1]]);
    }
  }
  return merged;
}
