import { beforeAll, describe, expect, it } from 'vitest';
import { ClipTokenizer, tokenizeWeighted, tokenizeWeightedPair } from '../src/index.ts';
import { CLIP_TOKENIZER_DIR, HAS_CLIP_TOKENIZER } from './helpers/shared-data.ts';

const BOS = 49406;
const EOS = 49407;
const CAT = 2368;
const COMMA = 267;

describe.skipIf(!HAS_CLIP_TOKENIZER)('tokenizeWeighted', () => {
  let tokenizer: ClipTokenizer;
  beforeAll(async () => {
    tokenizer = await ClipTokenizer.fromDirectory(CLIP_TOKENIZER_DIR);
  });

  it('gives one 77-token chunk with weights for a short prompt', () => {
    const [chunk, ...rest] = tokenizeWeighted(tokenizer, 'a (cat:1.5)');
    expect(rest).toHaveLength(0);
    expect(chunk.ids).toHaveLength(77);
    expect(chunk.weights).toHaveLength(77);
    expect(chunk.ids.slice(0, 4)).toEqual([BOS, 320, CAT, EOS]);
    expect(chunk.weights.slice(0, 4)).toEqual([1, 1, 1.5, 1]);
    expect(chunk.weights.slice(4).every((w) => w === 1)).toBe(true);
    // Same ids as the plain tokenizer when there are no weights.
    expect(tokenizeWeighted(tokenizer, 'a photo of a cat')[0].ids).toEqual(
      tokenizer.tokenize('a photo of a cat'),
    );
  });

  it('gives one empty chunk for an empty prompt', () => {
    const chunks = tokenizeWeighted(tokenizer, '');
    expect(chunks).toHaveLength(1);
    expect(chunks[0].ids).toEqual(tokenizer.tokenize(''));
  });

  it('splits long prompts into chunks of 75 instead of cutting them off', () => {
    const chunks = tokenizeWeighted(tokenizer, 'cat '.repeat(160));
    expect(chunks).toHaveLength(3);
    for (const chunk of chunks) {
      expect(chunk.ids).toHaveLength(77);
      expect(chunk.ids[0]).toBe(BOS);
    }
    const tokens = chunks.flatMap((c) => c.ids.slice(1, 76)).filter((id) => id === CAT);
    expect(tokens).toHaveLength(160);
    expect(chunks[2].ids.slice(0, 12)).toEqual([BOS, ...Array(10).fill(CAT), EOS]);
  });

  it('moves the words after a late comma to the next chunk', () => {
    // 70 cats, a comma, 10 more: the chunk fills at 75 with the comma 4 tokens from its end.
    const prompt = `${'cat '.repeat(70)}, ${'cat '.repeat(10)}`;
    const chunks = tokenizeWeighted(tokenizer, prompt);
    expect(chunks).toHaveLength(2);
    expect(chunks[0].ids[71]).toBe(COMMA);
    expect(chunks[0].ids[72]).toBe(EOS);
    expect(chunks[1].ids.slice(0, 12)).toEqual([BOS, ...Array(10).fill(CAT), EOS]);
    const off = tokenizeWeighted(tokenizer, prompt, { commaPaddingBacktrack: 0 });
    expect(off[0].ids[75]).toBe(CAT);
    expect(off[1].ids.slice(0, 8)).toEqual([BOS, ...Array(6).fill(CAT), EOS]);
  });

  it('does not backtrack to a comma far from the end', () => {
    const prompt = `${'cat '.repeat(10)}, ${'cat '.repeat(80)}`;
    const chunks = tokenizeWeighted(tokenizer, prompt);
    expect(chunks[0].ids.slice(1, 76).filter((id) => id === CAT)).toHaveLength(74);
  });

  it('starts a new chunk at BREAK', () => {
    const chunks = tokenizeWeighted(tokenizer, 'a cat BREAK (a dog:1.2)');
    expect(chunks).toHaveLength(2);
    expect(chunks[0].ids.slice(0, 4)).toEqual([BOS, 320, CAT, EOS]);
    expect(chunks[1].ids.slice(0, 4)).toEqual([BOS, 320, 1929, EOS]);
    expect(chunks[1].weights.slice(0, 4)).toEqual([1, 1.2, 1.2, 1]);
  });

  it('pads with the pad token of SD 2.x tokenizers', () => {
    const sd2 = Object.create(tokenizer, { padTokenId: { value: 0 } }) as ClipTokenizer;
    const [chunk] = tokenizeWeighted(sd2, 'a cat');
    expect(chunk.ids.slice(0, 6)).toEqual([BOS, 320, CAT, EOS, 0, 0]);
  });

  it('pads a negative prompt to the prompt’s number of chunks', () => {
    const pair = tokenizeWeightedPair(tokenizer, 'cat '.repeat(100), 'blurry');
    expect(pair.prompt).toHaveLength(2);
    expect(pair.negative).toHaveLength(2);
    expect(pair.negative[1].ids).toEqual(tokenizer.tokenize(''));
    const reversed = tokenizeWeightedPair(tokenizer, 'cat', 'blurry BREAK ugly BREAK bad');
    expect(reversed.prompt).toHaveLength(3);
    expect(tokenizeWeighted(tokenizer, 'a', { minChunks: 3 })).toHaveLength(3);
  });

  it('refuses bad options', () => {
    expect(() => tokenizeWeighted(tokenizer, 'a', { chunkLength: 0 })).toThrowError(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    expect(() => tokenizeWeighted(tokenizer, 'a', { minChunks: 1.5 })).toThrow(/minChunks/);
    expect(() => tokenizeWeighted(tokenizer, 7 as unknown as string)).toThrowError(
      expect.objectContaining({ code: 'invalid_prompt' }),
    );
  });
});
