import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createScheduler, type SchedulerName, TorchGenerator } from '../src/index.ts';
import { runDummyTrajectory, SD15_CONFIG } from './helpers/scheduler-runs.ts';

interface Fixture {
  diffusers_commit: string;
  torch_version: string;
  cases: {
    name: SchedulerName;
    prediction_type: string;
    steps: number;
    eta?: number;
    timesteps?: number[];
    sigmas?: number[] | null;
    init_noise_sigma?: number;
    abs_means: number[];
    final: number[];
  }[];
  schedules: {
    name: SchedulerName;
    steps: number;
    timestep_spacing?: string;
    timesteps: number[];
    sigmas: number[] | null;
  }[];
  add_noise: {
    name: SchedulerName;
    steps: number;
    begin_index: number;
    timestep: number;
    noisy: number[];
  }[];
}

// Produced by tools/refs/make_scheduler_refs.py: diffusers' own scheduler code run on torch.
const fixture: Fixture = JSON.parse(
  readFileSync(new URL('./fixtures/diffusers-schedulers.json', import.meta.url), 'utf8'),
);

function expectAllClose(actual: ArrayLike<number>, expected: number[], rtol: number, atol: number) {
  expect(actual.length).toBe(expected.length);
  for (let i = 0; i < expected.length; i++) {
    const tolerance = atol + rtol * Math.abs(expected[i]);
    expect(
      Math.abs(actual[i] - expected[i]),
      `index ${i}: ${actual[i]} vs ${expected[i]}`,
    ).toBeLessThanOrEqual(tolerance);
  }
}

describe(`schedules match diffusers ${fixture.diffusers_commit.slice(0, 8)}`, () => {
  for (const ref of fixture.schedules) {
    const spacing = ref.timestep_spacing ?? 'default';
    it(`${ref.name}, ${ref.steps} steps, ${spacing} spacing`, () => {
      const config = ref.timestep_spacing
        ? { ...SD15_CONFIG, timestep_spacing: ref.timestep_spacing }
        : SD15_CONFIG;
      const scheduler = createScheduler(ref.name, config);
      scheduler.setTimesteps(ref.steps);
      expectAllClose(scheduler.timesteps, ref.timesteps, 1e-6, 1e-4);
      if (ref.sigmas) expectAllClose(scheduler.sigmas!, ref.sigmas, 1e-6, 1e-7);
    });
  }
});

describe('dummy-model trajectories match diffusers', () => {
  for (const ref of fixture.cases) {
    const label = `${ref.name} (${ref.prediction_type}${ref.eta ? `, eta ${ref.eta}` : ''}), ${ref.steps} steps`;
    it(label, () => {
      const scheduler = createScheduler(ref.name, {
        ...SD15_CONFIG,
        prediction_type: ref.prediction_type,
      });
      const { sample, absMeans } = runDummyTrajectory(
        scheduler,
        ref.steps,
        ref.eta ? { eta: ref.eta } : {},
      );
      if (ref.timesteps) expectAllClose(scheduler.timesteps, ref.timesteps, 1e-6, 1e-4);
      if (ref.init_noise_sigma !== undefined)
        expect(scheduler.initNoiseSigma).toBeCloseTo(ref.init_noise_sigma, 5);
      expectAllClose(absMeans, ref.abs_means, 1e-4, 1e-6);
      expectAllClose(sample, ref.final, 1e-4, 1e-5);
    });
  }
});

describe('addNoise matches diffusers (img2img start)', () => {
  const original = new TorchGenerator(5).randn([1, 4, 8, 8]);
  const noise = new TorchGenerator(6).randn([1, 4, 8, 8]);
  for (const ref of fixture.add_noise) {
    it(`${ref.name} at step ${ref.begin_index} (t=${ref.timestep})`, () => {
      const scheduler = createScheduler(ref.name, SD15_CONFIG);
      scheduler.setTimesteps(ref.steps);
      scheduler.setBeginIndex(ref.begin_index);
      expect(scheduler.timesteps[ref.begin_index]).toBeCloseTo(ref.timestep, 3);
      expectAllClose(scheduler.addNoise(original, noise, ref.timestep), ref.noisy, 1e-5, 1e-6);
    });
  }
});
