import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClipTokenizer } from '../src/index.ts';
import { CLIP_TOKENIZER_DIR, HAS_CLIP_TOKENIZER } from './helpers/shared-data.ts';

const BOS = 49406;
const EOS = 49407;
const cases: { text: string; ids: number[] }[] = JSON.parse(
  readFileSync(new URL('./fixtures/clip-tokenizer-cases.json', import.meta.url), 'utf8'),
);

describe.skipIf(!HAS_CLIP_TOKENIZER)('ClipTokenizer with the real CLIP vocabulary', () => {
  let tokenizer: ClipTokenizer;
  beforeAll(async () => {
    tokenizer = await ClipTokenizer.fromDirectory(CLIP_TOKENIZER_DIR);
  });

  it('matches the published ids', () => {
    expect(
      withoutPadding(tokenizer.tokenize('a photo of an astronaut riding a horse on mars')),
    ).toEqual([BOS, 320, 1125, 539, 550, 18376, 6765, 320, 4558, 525, 7496, EOS]);
    expect(withoutPadding(tokenizer.tokenize('A painting of a squirrel eating a burger'))).toEqual([
      BOS,
      320,
      3086,
      539,
      320,
      14004,
      4371,
      320,
      6548,
      EOS,
    ]);
    expect(withoutPadding(tokenizer.tokenize(''))).toEqual([BOS, EOS]);
  });

  it('has the SD 1.x special tokens and sizes', () => {
    expect(tokenizer.vocabSize).toBe(49408);
    expect([tokenizer.bosTokenId, tokenizer.eosTokenId, tokenizer.padTokenId]).toEqual([
      BOS,
      EOS,
      EOS,
    ]);
    expect(tokenizer.modelMaxLength).toBe(77);
  });

  it.each(cases)('encodes $text like the Python reference', ({ text, ids }) => {
    expect(tokenizer.encode(text)).toEqual(ids);
  });

  it.each([
    ['ﬁne ﬂower', 'fine flower'], // Latin ligatures
    ['ＦＵＬＬ　ｗｉｄｔｈ！', 'full width!'], // full-width forms and the ideographic space
    ['“quoted” ‘single’', '"quoted" \'single\''], // curly quotes
    ['it’s', "it's"],
    ['bell\u0007 and\u0000 nul', 'bell and nul'], // control characters removed
    ['\u001b[31mred\u001b[0m text', 'red text'], // terminal escapes removed
    ['zero\ufeffwidth', 'zerowidth'],
    ['NEL\u0085line', 'nel line'], // Python treats U+0085 as whitespace
  ])('cleans %j like ftfy (same ids as %j)', (messy, clean) => {
    expect(tokenizer.encode(messy)).toEqual(tokenizer.encode(clean));
  });

  it('replaces lone surrogates instead of failing', () => {
    expect(tokenizer.encode('a\ud800b')).toEqual(tokenizer.encode('a\ufffdb'));
    expect(tokenizer.encode('\udfff')).toEqual(tokenizer.encode('\ufffd'));
  });

  it('pads to 77 with EOS and truncates long prompts keeping EOS last', () => {
    const short = tokenizer.tokenize('a cat');
    expect(short).toHaveLength(77);
    expect(short.slice(0, 4)).toEqual([BOS, 320, 2368, EOS]);
    expect(short.slice(4).every((id) => id === EOS)).toBe(true);
    const long = tokenizer.tokenize('cat '.repeat(100));
    expect(long).toHaveLength(77);
    expect(long[0]).toBe(BOS);
    expect(long[76]).toBe(EOS);
    expect(long.slice(1, 76).every((id) => id === 2368)).toBe(true);
  });

  it('honours maxLength', () => {
    expect(tokenizer.tokenize('a cat sat', { maxLength: 4 })).toEqual([BOS, 320, 2368, EOS]);
    expect(tokenizer.tokenize('a', { maxLength: 6 })).toEqual([BOS, 320, EOS, EOS, EOS, EOS]);
    expect(() => tokenizer.tokenize('a', { maxLength: 1 })).toThrowError(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });

  it('decodes back to the cleaned text', () => {
    for (const text of ['a photo of an astronaut', 'café 東京 🐱 and more']) {
      expect(tokenizer.decode(tokenizer.encode(text))).toBe(text.toLowerCase());
    }
  });

  it('is consistent when the word cache is warm', () => {
    const text = 'the quick brown fox jumps over the lazy dog';
    const first = tokenizer.encode(text);
    expect(tokenizer.encode(text)).toEqual(first);
  });

  it('reads the pad token from special_tokens_map.json (SD 2.x pads with "!" = 0)', async () => {
    const dir = copyTokenizer({ pad_token: '!', bos_token: { content: '<|startoftext|>' } });
    const sd2 = await ClipTokenizer.fromDirectory(dir);
    expect(sd2.padTokenId).toBe(0);
    expect(sd2.tokenize('a cat').slice(0, 6)).toEqual([BOS, 320, 2368, EOS, 0, 0]);
  });

  it('reads model_max_length from tokenizer_config.json', async () => {
    const dir = copyTokenizer(undefined, { model_max_length: 10 });
    expect((await ClipTokenizer.fromDirectory(dir)).tokenize('a')).toHaveLength(10);
  });

  it('reports a vocabulary that lacks the special tokens', async () => {
    const dir = copyTokenizer({ eos_token: '<|nope|>' });
    await expect(ClipTokenizer.fromDirectory(dir)).rejects.toMatchObject({
      code: 'tokenizer_file_invalid',
      message: expect.stringContaining('<|nope|>'),
    });
  });
});

describe('ClipTokenizer with a small in-memory vocabulary', () => {
  // Byte-level symbols for "a", "b", "c" plus merges a+b and ab+c</w>.
  const vocab = {
    a: 0,
    b: 1,
    c: 2,
    'a</w>': 3,
    'b</w>': 4,
    'c</w>': 5,
    ab: 6,
    'abc</w>': 7,
    '<|startoftext|>': 8,
    '<|endoftext|>': 9,
  };
  const tokenizer = new ClipTokenizer({ vocab, merges: '#version: 0.2\na b\nab c</w>\n' });

  it('applies merges by rank and marks word ends', () => {
    expect(tokenizer.encode('abc')).toEqual([7]);
    expect(tokenizer.encode('ab')).toEqual([0, 4]);
    expect(tokenizer.encode('c a')).toEqual([5, 3]);
  });

  it('maps unknown symbols to the unknown token (EOS by default)', () => {
    expect(tokenizer.encode('z')).toEqual([9]);
  });

  it('accepts merges as pairs', () => {
    const fromPairs = new ClipTokenizer({
      vocab,
      merges: [
        ['a', 'b'],
        ['ab', 'c</w>'],
      ],
    });
    expect(fromPairs.encode('abc')).toEqual([7]);
  });

  it.each([42, null, undefined, ['a'], { text: 'a' }])(
    'refuses a %j prompt with invalid_prompt',
    (prompt) => {
      expect(() => tokenizer.encode(prompt as unknown as string)).toThrowError(
        expect.objectContaining({ code: 'invalid_prompt' }),
      );
    },
  );

  it('refuses malformed vocabularies and merges', () => {
    expect(() => new ClipTokenizer({ vocab: { a: -1 }, merges: 'a b' })).toThrowError(
      expect.objectContaining({ code: 'tokenizer_file_invalid' }),
    );
    expect(() => new ClipTokenizer({ vocab, merges: '#version: 0.2\na b c\n' })).toThrowError(
      /line 2/,
    );
    expect(() => new ClipTokenizer({ vocab, merges: '' })).toThrowError(/no merges/);
  });
});

describe('ClipTokenizer.fromDirectory errors', () => {
  it('names the missing file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdedge-tok-'));
    await expect(ClipTokenizer.fromDirectory(dir)).rejects.toMatchObject({
      code: 'tokenizer_file_missing',
      message: expect.stringContaining(join(dir, 'vocab.json')),
    });
    writeFileSync(join(dir, 'vocab.json'), '{"a": 0, "<|startoftext|>": 1, "<|endoftext|>": 2}');
    await expect(ClipTokenizer.fromDirectory(dir)).rejects.toMatchObject({
      code: 'tokenizer_file_missing',
      message: expect.stringContaining('merges.txt'),
    });
  });

  it('names the malformed file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sdedge-tok-'));
    writeFileSync(join(dir, 'vocab.json'), '{"a": 0,');
    writeFileSync(join(dir, 'merges.txt'), '#version: 0.2\na b\n');
    await expect(ClipTokenizer.fromDirectory(dir)).rejects.toMatchObject({
      code: 'tokenizer_file_invalid',
      message: expect.stringContaining('vocab.json'),
    });
    writeFileSync(join(dir, 'vocab.json'), '["a"]');
    await expect(ClipTokenizer.fromDirectory(dir)).rejects.toThrow(
      /vocab\.json: expected a JSON object/,
    );
    writeFileSync(join(dir, 'vocab.json'), '{"a": 0, "<|startoftext|>": 1, "<|endoftext|>": 2}');
    writeFileSync(join(dir, 'special_tokens_map.json'), '{"pad_token": 5}');
    await expect(ClipTokenizer.fromDirectory(dir)).rejects.toThrow(/special_tokens_map\.json/);
  });
});

function withoutPadding(ids: number[]): number[] {
  const end = ids.indexOf(EOS);
  return ids.slice(0, end + 1);
}

function copyTokenizer(specialTokens?: object, tokenizerConfig?: object): string {
  const dir = mkdtempSync(join(tmpdir(), 'sdedge-tok-'));
  for (const name of ['vocab.json', 'merges.txt']) {
    writeFileSync(join(dir, name), readFileSync(join(CLIP_TOKENIZER_DIR, name)));
  }
  if (specialTokens)
    writeFileSync(join(dir, 'special_tokens_map.json'), JSON.stringify(specialTokens));
  if (tokenizerConfig)
    writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
  return dir;
}
