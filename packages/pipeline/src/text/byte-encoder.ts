/**
 * GPT-2/CLIP's reversible map from bytes to printable characters, so byte-level BPE can work on
 * strings: printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards.
 */
const isPrintable = (b: number) =>
  (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);

function buildByteEncoder(): string[] {
  const table: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    table[b] = String.fromCodePoint(isPrintable(b) ? b : next++);
  }
  return table;
}

export const BYTE_ENCODER: readonly string[] = buildByteEncoder();

/** The byte symbols in the order CLIP's vocabulary lists them: printable bytes first ("!" = 0). */
export const BYTE_SYMBOLS_IN_VOCAB_ORDER: readonly string[] = [
  ...BYTE_ENCODER.filter((_, b) => isPrintable(b)),
  ...BYTE_ENCODER.filter((_, b) => !isPrintable(b)),
];

const utf8 = new TextEncoder();

/** The UTF-8 bytes of `text`, each mapped through {@link BYTE_ENCODER}. */
export function toByteSymbols(text: string): string[] {
  const bytes = utf8.encode(text);
  const symbols: string[] = new Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) symbols[i] = BYTE_ENCODER[bytes[i]];
  return symbols;
}
