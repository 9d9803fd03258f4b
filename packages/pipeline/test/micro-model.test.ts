import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MICRO_MODEL_DIR } from '../src/cli/default-model.ts';
import { ClipTokenizer, loadPipeline, type StableDiffusionPipeline } from '../src/node.ts';
import { analyzeScene, type SceneVocabulary, sceneCaption } from '../src/testing.ts';

const hasModel = existsSync(join(MICRO_MODEL_DIR, 'model_index.json'));
if (!hasModel) console.warn(`[skip] sdedge-micro is not at ${MICRO_MODEL_DIR}`);

describe.skipIf(!hasModel)('sdedge-micro through the public pipeline API', () => {
  let pipe: StableDiffusionPipeline;
  let vocabulary: SceneVocabulary & { tokenizer_check: { text: string; ids: number[] }[] };
  beforeAll(async () => {
    vocabulary = JSON.parse(readFileSync(join(MICRO_MODEL_DIR, 'sdedge_scenes.json'), 'utf8'));
    pipe = await loadPipeline(MICRO_MODEL_DIR, { executionProviders: ['cpu'] });
  });
  afterAll(() => pipe?.dispose());

  it('tokenizes its captions exactly as its trainer did', async () => {
    const tokenizer = await ClipTokenizer.fromDirectory(join(MICRO_MODEL_DIR, 'tokenizer'));
    for (const { text, ids } of vocabulary.tokenizer_check)
      expect(tokenizer.tokenize(text).slice(0, ids.length)).toEqual(ids);
  });

  it('loads like any diffusers ONNX export (64x64 default)', () => {
    expect(pipe.defaultSize).toBe(64);
  });

  // Held-out colour/shape/background triples (never seen in training), one position each.
  const held = () =>
    vocabulary.held_out.slice(0, 8).map(([color, shape, background], i) => ({
      color,
      shape,
      background,
      position: Object.keys(vocabulary.positions)[i % 5],
      size: 'large',
    }));

  it.each(['dpmpp_2m_karras', 'euler_a'] as const)(
    'draws the colours and positions held-out prompts ask for (%s)',
    async (sampler) => {
      const hits = { background: 0, color: 0, position: 0 };
      const cases = held();
      for (const [i, c] of cases.entries()) {
        const { images } = await pipe.txt2img({
          prompt: sceneCaption({ count: 1, ...c }),
          seed: 100 + i,
          steps: 20,
          sampler,
        });
        const reading = analyzeScene(images[0].image, vocabulary);
        hits.background += reading.background === c.background ? 1 : 0;
        hits.color += reading.color === c.color ? 1 : 0;
        hits.position += reading.position === c.position ? 1 : 0;
      }
      // A swapped axis, inverted guidance, wrong VAE scale or lost text conditioning each brings
      // these near chance (1/8 colours, 1/5 positions).
      expect(hits.background).toBeGreaterThanOrEqual(7);
      expect(hits.position).toBeGreaterThanOrEqual(7);
      expect(hits.color).toBeGreaterThanOrEqual(7);
    },
  );

  const shapeColours = async (prompt: string, negativePrompt?: string) => {
    const colours: (string | null)[] = [];
    for (let seed = 0; seed < 6; seed++) {
      const { images } = await pipe.txt2img({ prompt, negativePrompt, seed, steps: 15 });
      colours.push(analyzeScene(images[0].image, vocabulary).color);
    }
    return colours;
  };
  const count = (colours: (string | null)[], colour: string) =>
    colours.filter((c) => c === colour).length;

  it('lets a prompt weight decide between two named colours', async () => {
    // Unweighted, "a red blue circle" is ambiguous; the weight picks the winner either way.
    const redWins = await shapeColours('a (red:1.5) blue circle on a white background');
    const blueWins = await shapeColours('a red (blue:1.5) circle on a white background');
    expect(count(redWins, 'red')).toBeGreaterThanOrEqual(5);
    expect(count(blueWins, 'blue')).toBeGreaterThanOrEqual(5);
  });

  it('lets a negative prompt push a colour out', async () => {
    const asked = await shapeColours('a red circle on a white background');
    const negated = await shapeColours('a red circle on a white background', 'red');
    expect(count(negated, 'red')).toBeLessThan(count(asked, 'red'));
  });
});
