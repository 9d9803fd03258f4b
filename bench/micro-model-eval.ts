/**
 * Accuracy of sdedge-micro: generates held-out prompts (colour / shape / background triples the
 * model never saw in training) through the real pipeline with fixed seeds and every sampler
 * (or --samplers a,b), then reads back the drawing with simple image analysis (scene-analysis.ts).
 *   npx tsx bench/micro-model-eval.ts [--smoke] [--model DIR] [--steps N] [--cfg S] [--samplers LIST]
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadPipeline, SCHEDULER_NAMES, type SchedulerName } from '@sdedge/pipeline/node';
import { analyzeScene, type SceneVocabulary, sceneCaption } from '@sdedge/pipeline/testing';
import { MICRO_MODEL_DIR } from './lib/micro-model.ts';
import { printTable } from './lib/timing.ts';

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    model: { type: 'string', default: MICRO_MODEL_DIR },
    steps: { type: 'string', default: '20' },
    cfg: { type: 'string', default: '7' },
    samplers: { type: 'string' },
  },
});
if (!existsSync(`${values.model}/sdedge_scenes.json`)) {
  console.warn(
    `[skip] no sdedge-micro model at ${values.model} (train it: tools/micro-model/README.md)`,
  );
  printTable(['what'], []);
  process.exit(0);
}
const vocabulary: SceneVocabulary = JSON.parse(
  readFileSync(`${values.model}/sdedge_scenes.json`, 'utf8'),
);
const samplers: SchedulerName[] = values.samplers
  ? (values.samplers.split(',') as SchedulerName[])
  : values.smoke
    ? ['euler_a', 'dpmpp_2m_karras']
    : SCHEDULER_NAMES;
const positions = Object.keys(vocabulary.positions);
const sizes = Object.keys(vocabulary.sizes);
const cases = vocabulary.held_out
  .slice(0, values.smoke ? 2 : undefined)
  .map(([color, shape, background], i) => ({
    color,
    shape,
    background,
    position: positions[i % positions.length],
    size: sizes[i % sizes.length],
  }));

const pipe = await loadPipeline(values.model, { executionProviders: ['cpu'] });
const totals: Record<string, Record<string, [number, number]>> = {};
const tally = (sampler: string, attribute: string, ok: boolean) => {
  totals[sampler] ??= {};
  totals[sampler][attribute] ??= [0, 0];
  totals[sampler][attribute][0] += ok ? 1 : 0;
  totals[sampler][attribute][1] += 1;
};
const steps = Number(values.steps);
const guidanceScale = Number(values.cfg);
for (const sampler of samplers) {
  for (const [i, c] of cases.entries()) {
    const prompt = sceneCaption({ count: 1, ...c });
    const { images } = await pipe.txt2img({
      prompt,
      seed: 1000 + i,
      steps,
      guidanceScale,
      sampler,
    });
    const reading = analyzeScene(images[0].image, vocabulary);
    tally(sampler, 'background colour', reading.background === c.background);
    tally(sampler, 'shape colour', reading.color === c.color);
    tally(sampler, 'position', reading.position === c.position);
    tally(sampler, 'count (1)', reading.count === 1);
  }
  // Two shapes: the count and colours.
  for (const [i, c] of cases.slice(0, Math.ceil(cases.length / 2)).entries()) {
    const prompt = sceneCaption({
      count: 2,
      color: c.color,
      shape: c.shape,
      background: c.background,
    });
    const { images } = await pipe.txt2img({
      prompt,
      seed: 2000 + i,
      steps,
      guidanceScale,
      sampler,
    });
    const reading = analyzeScene(images[0].image, vocabulary);
    tally(sampler, 'count (2)', reading.count === 2);
  }
}

// Prompt weights and negative prompts: which colour the shape comes out in.
const colourShares = async (prompt: string, negativePrompt = '') => {
  const counts = { red: 0, blue: 0 };
  const n = values.smoke ? 2 : 24;
  for (let i = 0; i < n; i++) {
    const { images } = await pipe.txt2img({
      prompt,
      negativePrompt,
      seed: 3000 + i,
      steps,
      guidanceScale,
      sampler: 'dpmpp_2m_karras',
    });
    const colour = analyzeScene(images[0].image, vocabulary).color;
    if (colour === 'red' || colour === 'blue') counts[colour]++;
  }
  return [`${counts.red}/${n}`, `${counts.blue}/${n}`];
};
const weighting: string[][] = [];
for (const [prompt, negative] of [
  ['a circle on a white background', ''],
  ['a red blue circle on a white background', ''],
  ['a (red:1.5) blue circle on a white background', ''],
  ['a red (blue:1.5) circle on a white background', ''],
  ['a red circle on a white background', ''],
  ['a red circle on a white background', 'red'],
]) {
  const label = negative ? `${prompt}, negative "${negative}"` : prompt;
  weighting.push([label, ...(await colourShares(prompt, negative))]);
}
await pipe.dispose();

const attributes = ['background colour', 'shape colour', 'position', 'count (1)', 'count (2)'];
printTable(
  ['what', ...samplers],
  attributes.map((a) => [
    a,
    ...samplers.map(
      (s) =>
        `${((100 * totals[s][a][0]) / totals[s][a][1]).toFixed(0)}% (${totals[s][a][0]}/${totals[s][a][1]})`,
    ),
  ]),
);
console.log();
printTable(['what (prompt)', 'red shapes', 'blue shapes'], weighting);
