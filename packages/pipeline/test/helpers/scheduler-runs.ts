import { type Scheduler, type StepOptions, TorchGenerator } from '../../src/index.ts';
import { SD15_SCHEDULER } from '../../src/tiny-model/tiny-model.ts';

export const SD15_CONFIG = SD15_SCHEDULER;

/**
 * The trajectory of diffusers' scheduler tests: the dummy model eps = x * t / (t + 1) from
 * torch.randn(seed 0) * init_noise_sigma on a [1, 4, 8, 8] sample, stochastic steps drawing from
 * seed 1234.
 */
export function runDummyTrajectory(
  scheduler: Scheduler,
  steps: number,
  extra: Omit<StepOptions, 'generator'> = {},
) {
  scheduler.setTimesteps(steps);
  let sample: Float32Array = new TorchGenerator(0)
    .randn([1, 4, 8, 8])
    .map((v) => v * scheduler.initNoiseSigma);
  const generator = new TorchGenerator(1234);
  const absMeans: number[] = [];
  for (const t of scheduler.timesteps) {
    const input = scheduler.scaleModelInput(sample, t);
    const tf = Math.fround(t);
    const eps = input.map((x) => (x * tf) / (tf + 1));
    sample = scheduler.step(eps, t, sample, { generator, ...extra });
    absMeans.push(sample.reduce((a, b) => a + Math.abs(b), 0) / sample.length);
  }
  return { sample, absMeans };
}
