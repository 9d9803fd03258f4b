/**
 * Scheduler overhead per denoising step (scaleModelInput + step), without any model call.
 *   npx tsx bench/schedulers.ts [--smoke]
 * It must stay negligible next to a UNet evaluation.
 */
import { createScheduler, SCHEDULER_NAMES, TorchGenerator } from '@sdedge/pipeline';
import { printTable } from './lib/timing.ts';

const smoke = process.argv.includes('--smoke');
const steps = smoke ? 4 : 20;
const repeats = smoke ? 1 : 5;
const SD15 = {
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  steps_offset: 1,
};
const shapes = [
  [1, 4, 64, 64],
  [1, 4, 128, 128],
];

const rows: string[][] = [];
for (const name of SCHEDULER_NAMES) {
  const row: string[] = [name];
  for (const shape of shapes) {
    const modelOutput = new TorchGenerator(1).randn(shape);
    let best = Number.POSITIVE_INFINITY;
    for (let r = 0; r < repeats; r++) {
      const scheduler = createScheduler(name, SD15);
      scheduler.setTimesteps(steps);
      let sample = new TorchGenerator(0).randn(shape);
      const generator = new TorchGenerator(2);
      const start = performance.now();
      for (const t of scheduler.timesteps) {
        scheduler.scaleModelInput(sample, t);
        sample = scheduler.step(modelOutput, t, sample, { generator });
      }
      best = Math.min(best, (performance.now() - start) / scheduler.timesteps.length);
    }
    row.push(`${best.toFixed(3)} ms`);
  }
  rows.push(row);
}
printTable(['what', ...shapes.map((s) => `[${s}]`)], rows);
