/**
 * Throughput of the text path and of seeded noise.
 *   npx tsx bench/text-and-noise.ts [--smoke]
 * Needs the real CLIP vocabulary (../shared/clip-tokenizer or SDEDGE_CLIP_TOKENIZER_DIR).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ClipTokenizer, TorchGenerator, tokenizeWeighted } from '@sdedge/pipeline';
import { printTable, timeIt } from './lib/timing.ts';

const smoke = process.argv.includes('--smoke');
const tokenizerDir =
  process.env.SDEDGE_CLIP_TOKENIZER_DIR ??
  fileURLToPath(new URL('../../shared/clip-tokenizer', import.meta.url));

const SUBJECTS = ['a lighthouse', 'a red fox', 'an astronaut', 'a castle', 'a bowl of ramen'];
const STYLES = ['at dusk', 'in the snow', 'oil painting', 'cinematic lighting', '(8k:1.2), hdr'];
const prompts = Array.from(
  { length: smoke ? 200 : 5000 },
  (_, i) =>
    `${SUBJECTS[i % 5]} ${STYLES[(i * 7) % 5]}, detailed, variant ${i}, masterpiece, best quality, trending on artstation`,
);

const rows: string[][] = [];
if (existsSync(`${tokenizerDir}/vocab.json`)) {
  const loadStart = performance.now();
  const tokenizer = await ClipTokenizer.fromDirectory(tokenizerDir);
  rows.push(['load tokenizer files', '1', `${(performance.now() - loadStart).toFixed(1)} ms`, '']);

  const fresh = timeIt(() => {
    for (const p of prompts) tokenizer.tokenize(p);
  });
  rows.push([
    'tokenize, first sight of each prompt',
    `${prompts.length}`,
    perItem(fresh, prompts.length),
    perSecond(fresh, prompts.length),
  ]);
  const warm = timeIt(() => {
    for (const p of prompts) tokenizer.tokenize(p);
  });
  rows.push([
    'tokenize, warm word cache',
    `${prompts.length}`,
    perItem(warm, prompts.length),
    perSecond(warm, prompts.length),
  ]);
  const weighted = timeIt(() => {
    for (const p of prompts) tokenizeWeighted(tokenizer, p);
  });
  rows.push([
    'tokenizeWeighted (emphasis + chunks)',
    `${prompts.length}`,
    perItem(weighted, prompts.length),
    perSecond(weighted, prompts.length),
  ]);
} else {
  console.warn(`[skip] tokenizer rows: no CLIP vocabulary at ${tokenizerDir}`);
}

for (const shape of [
  [1, 4, 64, 64],
  [1, 4, 128, 128],
]) {
  const n = smoke ? 5 : 50;
  const ms = timeIt(() => {
    for (let i = 0; i < n; i++) new TorchGenerator(i).randn(shape);
  });
  rows.push([`TorchGenerator.randn [${shape}]`, `${n}`, perItem(ms, n), perSecond(ms, n)]);
}

printTable(['what', 'count', 'time each', 'per second'], rows);

function perItem(ms: number, n: number): string {
  const each = ms / n;
  return each < 1 ? `${(each * 1000).toFixed(1)} µs` : `${each.toFixed(2)} ms`;
}
function perSecond(ms: number, n: number): string {
  return `${Math.round((n / ms) * 1000).toLocaleString('en-US')}`;
}
