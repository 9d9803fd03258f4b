import { BYTE_SYMBOLS_IN_VOCAB_ORDER, toByteSymbols } from '../text/byte-encoder.ts';

/** Words the tiny vocabulary learns merges from: the prompts of tests, examples and docs. */
const CORPUS = `a an the of on in at and with photo painting portrait astronaut riding horse mars squirrel
eating burger lighthouse dusk dawn night castle mountain lake forest city street cat dog fox bird
red green blue yellow orange purple pink white black gray brown circle square triangle star heart
small large big tiny two three four top bottom left right center middle background foreground sky
sun moon cloud snow rain oil watercolor cinematic lighting detailed masterpiece best quality blurry
ugly bad hdr 8k trending artstation`;

/**
 * A small vocabulary in CLIP's format (vocab.json + merges.txt), learned from {@link CORPUS} by
 * byte-pair encoding: the 256 byte symbols, the same with `</w>`, one token per merge, then
 * `<|startoftext|>` and `<|endoftext|>` last, as in CLIP. Any text still tokenizes (down to bytes).
 */
export function buildTinyVocabulary(merges = 240): {
  vocab: Record<string, number>;
  merges: string;
} {
  const words = new Map<string, number>();
  for (const word of CORPUS.split(/\s+/).filter(Boolean))
    words.set(word, (words.get(word) ?? 0) + 1);
  const split = [...words].map(([word, count]) => {
    const symbols = toByteSymbols(word);
    symbols[symbols.length - 1] += '</w>';
    return { symbols, count };
  });

  const learned: [string, string][] = [];
  while (learned.length < merges) {
    const counts = new Map<string, number>();
    for (const { symbols, count } of split) {
      for (let i = 0; i < symbols.length - 1; i++) {
        const key = `${symbols[i]} ${symbols[i + 1]}`;
        counts.set(key, (counts.get(key) ?? 0) + count);
      }
    }
    if (counts.size === 0) break;
    // Most frequent pair; ties go to the alphabetically first, so the result is deterministic.
    const [best] = [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    const [left, right] = best.split(' ') as [string, string];
    learned.push([left, right]);
    for (const entry of split) entry.symbols = mergePair(entry.symbols, left, right);
  }

  const bytes = BYTE_SYMBOLS_IN_VOCAB_ORDER;
  const tokens = [...bytes, ...bytes.map((s) => `${s}</w>`), ...learned.map(([a, b]) => a + b)];
  const vocab: Record<string, number> = {};
  for (const token of [...tokens, '<|startoftext|>', '<|endoftext|>']) {
    if (!(token in vocab)) vocab[token] = Object.keys(vocab).length;
  }
  return { vocab, merges: `#version: 0.2\n${learned.map((m) => m.join(' ')).join('\n')}\n` };
}

function mergePair(symbols: string[], left: string, right: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < symbols.length; i++) {
    if (i < symbols.length - 1 && symbols[i] === left && symbols[i + 1] === right) {
      out.push(left + right);
      i++;
    } else out.push(symbols[i]);
  }
  return out;
}
