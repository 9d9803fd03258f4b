import { decodeHTML } from 'entities';

/*
 * The text cleaning of OpenAI's reference CLIP tokenizer:
 *   whitespace_clean(html.unescape(html.unescape(ftfy.fix_text(text))).strip()).lower()
 * ftfy's fix_text is reproduced for what matters to prompts: its character fixes (lone
 * surrogates, terminal escapes, Latin ligatures, full-width characters, curly quotes, control
 * characters) and NFC normalization. Its mojibake repair (re-decoding text that was UTF-8 read
 * as Windows-1252) is not reproduced: prompts typed by people rarely need it.
 */

// Python's str.isspace(): what `re.sub(r"\s+", " ", text)` collapses.
const PYTHON_WHITESPACE_RUN =
  /[\t\n\v\f\r \x1c-\x1f\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;
const TERMINAL_ESCAPE = /\x1b\[[\d;]*[a-zA-Z]/g;
// ftfy's CONTROL_CHARS: removed outright. (Lint allows control characters in this file: finding them is its job.)
const CONTROL_CHARS =
  /[\x00-\x08\x0b\x0e-\x1f\x7f\u206a-\u206f\ufeff\ufff9-\ufffc\u{1d173}-\u{1d17a}\u{e0000}-\u{e007f}]/gu;
const SINGLE_QUOTES = /[\u02bc\u2018-\u201b]/g;
const DOUBLE_QUOTES = /[\u201c-\u201f]/g;
// Full-width ASCII and half-width forms, plus the ideographic space: ftfy maps them with NFKC.
const WIDE_CHARS = /[\u3000\uff01-\uffef]/g;
const LIGATURES: Record<string, string> = {
  Ĳ: 'IJ',
  ĳ: 'ij',
  ŉ: 'ʼn',
  Ǳ: 'DZ',
  ǲ: 'Dz',
  ǳ: 'dz',
  Ǆ: 'DŽ',
  ǅ: 'Dž',
  ǆ: 'dž',
  Ǉ: 'LJ',
  ǈ: 'Lj',
  ǉ: 'lj',
  Ǌ: 'NJ',
  ǋ: 'Nj',
  ǌ: 'nj',
  ﬀ: 'ff',
  ﬁ: 'fi',
  ﬂ: 'fl',
  ﬃ: 'ffi',
  ﬄ: 'ffl',
  ﬅ: 'ſt',
  ﬆ: 'st',
};
const LIGATURE_CHARS = new RegExp(`[${Object.keys(LIGATURES).join('')}]`, 'g');

/** ftfy.fix_text, limited to the character-level fixes described above. */
export function fixText(text: string): string {
  return text
    .toWellFormed() // lone surrogates -> U+FFFD, as ftfy's fix_surrogates
    .replace(TERMINAL_ESCAPE, '')
    .replace(LIGATURE_CHARS, (c) => LIGATURES[c])
    .replace(WIDE_CHARS, (c) => (c === '\u3000' ? ' ' : c.normalize('NFKC')))
    .replace(SINGLE_QUOTES, "'")
    .replace(DOUBLE_QUOTES, '"')
    .replace(CONTROL_CHARS, '')
    .normalize('NFC');
}

/** Collapses runs of whitespace to one space and trims, as Python's `\s+` does. */
export function collapseWhitespace(text: string): string {
  return text.replace(PYTHON_WHITESPACE_RUN, ' ').trim();
}

/** The full cleaning applied to every prompt before BPE. */
export function cleanPromptText(text: string): string {
  const unescaped = decodeHTML(decodeHTML(fixText(text)));
  return collapseWhitespace(unescaped).toLowerCase();
}
