import { describe, expect, it } from 'vitest';
import {
  createScheduler,
  parseSchedulerConfig,
  SCHEDULER_NAMES,
  type Scheduler,
  type SchedulerName,
  samplerByName,
  schedulerLabel,
  TorchGenerator,
} from '../src/index.ts';
import { runDummyTrajectory, SD15_CONFIG } from './helpers/scheduler-runs.ts';

const range = (from: number, to: number, step: number) =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => from + i * step);

function scheduled(name: SchedulerName, steps: number, config: object = SD15_CONFIG): Scheduler {
  const scheduler = createScheduler(name, config);
  scheduler.setTimesteps(steps);
  return scheduler;
}

describe('reference schedules (SD 1.x config)', () => {
  it('DDIM leading: 50 steps 981..1, 20 steps 951..1', () => {
    expect(scheduled('ddim', 50).timesteps).toEqual(range(1, 981, 20).reverse());
    expect(scheduled('ddim', 20).timesteps).toEqual(range(1, 951, 50).reverse());
  });

  it('trailing spacing: 1 step [999], 4 steps [999, 749, 499, 249]', () => {
    const trailing = { ...SD15_CONFIG, timestep_spacing: 'trailing' };
    expect(scheduled('ddim', 1, trailing).timesteps).toEqual([999]);
    expect(scheduled('ddim', 4, trailing).timesteps).toEqual([999, 749, 499, 249]);
    expect(scheduled('euler', 4, trailing).timesteps).toEqual([999, 749, 499, 249]);
  });

  it('samplerByName takes our names and AUTOMATIC1111 labels in any case, and nothing else', () => {
    expect(samplerByName('dpmpp_2m_karras')).toBe('dpmpp_2m_karras');
    expect(samplerByName('DPM++ 2M Karras')).toBe('dpmpp_2m_karras');
    expect(samplerByName('dpm++ 2m')).toBe('dpmpp_2m');
    expect(samplerByName('Euler a')).toBe('euler_a');
    expect(samplerByName(' EULER KARRAS ')).toBe('euler_karras');
    expect(samplerByName('PLMS')).toBe('pndm');
    for (const name of SCHEDULER_NAMES) expect(samplerByName(schedulerLabel(name))).toBe(name);
    for (const unknown of ['', 'dpm++', 'euler_a_karras', 'constructor', 'toString'])
      expect(samplerByName(unknown), unknown).toBeUndefined();
  });

  it('the plain k-diffusion names ignore a config that asks for Karras sigmas; _karras names use them', () => {
    const karrasConfig = { ...SD15_CONFIG, use_karras_sigmas: true };
    for (const name of ['euler', 'lms', 'heun'] as const) {
      const karras = `${name}_karras` as const;
      expect(scheduled(name, 10, karrasConfig).sigmas, name).toEqual(scheduled(name, 10).sigmas);
      expect(scheduled(karras, 10).sigmas, karras).toEqual(
        scheduled(karras, 10, karrasConfig).sigmas,
      );
      expect(scheduled(karras, 10).sigmas, karras).not.toEqual(scheduled(name, 10).sigmas);
      expect(schedulerLabel(karras)).toMatch(/ Karras$/);
    }
  });

  it('Euler, linspace, 25 steps: sigmas and fractional timesteps', () => {
    const euler = scheduled('euler', 25);
    const sigmas = euler.sigmas!;
    expect(sigmas).toHaveLength(26);
    const expectedHead = [14.614647, 11.435942, 9.076809, 7.3019943, 5.9489183];
    for (const [i, s] of expectedHead.entries()) expect(sigmas[i]).toBeCloseTo(s, 5);
    expect(sigmas[23]).toBeCloseTo(0.20348993, 6);
    expect(sigmas[24]).toBeCloseTo(0.02916753, 7);
    expect(sigmas[25]).toBe(0);
    expect(euler.timesteps[0]).toBe(999);
    expect(euler.timesteps[1]).toBe(957.375);
    expect(euler.timesteps.at(-2)).toBe(41.625);
    expect(euler.timesteps.at(-1)).toBe(0);
    expect(euler.initNoiseSigma).toBeCloseTo(14.614647, 5);
  });

  it('DPM++ 2M Karras, 20 steps', () => {
    expect(scheduled('dpmpp_2m_karras', 20).timesteps).toEqual([
      999, 962, 921, 876, 827, 772, 710, 640, 561, 474, 380, 285, 197, 123, 69, 35, 15, 6, 2, 0,
    ]);
  });

  it('LCM over its 50 original steps: 4 and 8 steps', () => {
    expect(scheduled('lcm', 4).timesteps).toEqual([999, 759, 499, 259]);
    expect(scheduled('lcm', 8).timesteps).toEqual([999, 879, 759, 639, 499, 379, 259, 139]);
  });

  it('PLMS repeats its second timestep', () => {
    expect(scheduled('pndm', 50).timesteps.slice(0, 5)).toEqual([981, 961, 961, 941, 921]);
    expect(scheduled('pndm', 50).timesteps).toHaveLength(51);
  });

  it('Heun lists every inner timestep twice and has order 2', () => {
    const heun = scheduled('heun', 10);
    expect(heun.order).toBe(2);
    expect(heun.timesteps).toHaveLength(19);
    expect(heun.timesteps[1]).toBe(heun.timesteps[2]);
  });
});

/**
 * The ideal denoiser of a one-image data set: knowing x0, it predicts the exact noise (or
 * velocity) in any sample. Every sampler must land on x0, which checks each update rule's
 * algebra independently of diffusers.
 */
function idealModel(
  scheduler: Scheduler,
  x0: Float32Array,
  prediction: 'epsilon' | 'v_prediction',
) {
  const alphas = (scheduler as unknown as { alphasCumprod: Float64Array }).alphasCumprod;
  return (modelInput: Float32Array, t: number) => {
    // alpha_bar at a fractional timestep: interpolate sigma as the sigma schedulers do.
    const lo = Math.floor(t);
    const hi = Math.min(lo + 1, alphas.length - 1);
    const sigmaAt = (i: number) => Math.sqrt((1 - alphas[i]) / alphas[i]);
    const sigma = sigmaAt(lo) + (sigmaAt(hi) - sigmaAt(lo)) * (t - lo);
    const alpha = 1 / Math.sqrt(sigma * sigma + 1);
    const noiseScale = sigma * alpha;
    return modelInput.map((x, i) => {
      const eps = (x - alpha * x0[i]) / noiseScale;
      return prediction === 'epsilon' ? eps : alpha * eps - noiseScale * x0[i];
    });
  };
}

describe.each(SCHEDULER_NAMES)('%s: the shared scheduler contract', (name) => {
  it.each(['epsilon', 'v_prediction'] as const)(
    'lands on x0 with an ideal %s denoiser',
    (prediction) => {
      const scheduler = createScheduler(name, { ...SD15_CONFIG, prediction_type: prediction });
      scheduler.setTimesteps(name === 'lcm' ? 8 : 30);
      const x0 = new TorchGenerator(9).randn([1, 4, 8, 8]).map((v) => v * 0.5);
      const model = idealModel(scheduler, x0, prediction);
      let sample: Float32Array = new TorchGenerator(10)
        .randn([1, 4, 8, 8])
        .map((v) => v * scheduler.initNoiseSigma);
      const generator = new TorchGenerator(11);
      for (const t of scheduler.timesteps) {
        const output = model(scheduler.scaleModelInput(sample, t), t);
        sample = scheduler.step(output, t, sample, { generator });
      }
      let error = 0;
      sample.forEach((v, i) => {
        error += Math.abs(v - x0[i]);
      });
      // DDIM/PLMS end at t = 1, where a little noise (sqrt(1 - alpha_bar_0) = 0.03) remains.
      expect(error / sample.length).toBeLessThan(0.03);
    },
  );

  it('runs a full dummy trajectory deterministically, with finite values', () => {
    const a = runDummyTrajectory(createScheduler(name, SD15_CONFIG), 12);
    const b = runDummyTrajectory(createScheduler(name, SD15_CONFIG), 12);
    expect(a.sample).toEqual(b.sample);
    expect(a.sample.every(Number.isFinite)).toBe(true);
  });

  it('has descending timesteps within the training range', () => {
    const scheduler = scheduled(name, 20);
    const ts = scheduler.timesteps;
    for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeLessThanOrEqual(ts[i - 1]);
    expect(ts[0]).toBeLessThan(1000);
    expect(ts.at(-1)).toBeGreaterThanOrEqual(0);
  });

  it('can be set again and restarts cleanly', () => {
    const scheduler = createScheduler(name, SD15_CONFIG);
    runDummyTrajectory(scheduler, 8);
    const again = runDummyTrajectory(scheduler, 8);
    expect(again.sample).toEqual(runDummyTrajectory(createScheduler(name, SD15_CONFIG), 8).sample);
  });

  it('refuses bad step counts with invalid_steps', () => {
    const scheduler = createScheduler(name, SD15_CONFIG);
    for (const steps of [0, -1, 1.5, Number.NaN, 1001]) {
      expect(() => scheduler.setTimesteps(steps), `steps ${steps}`).toThrowError(
        expect.objectContaining({ code: 'invalid_steps' }),
      );
    }
  });

  it('refuses a model output whose size differs from the sample', () => {
    const scheduler = scheduled(name, 10);
    const t = scheduler.timesteps[0];
    expect(() =>
      scheduler.step(new Float32Array(10), t, new Float32Array(12), {
        generator: new TorchGenerator(0),
      }),
    ).toThrowError(expect.objectContaining({ code: 'shape_mismatch' }));
  });

  it('has an AUTOMATIC1111 label', () => {
    expect(schedulerLabel(name).length).toBeGreaterThan(1);
  });
});

describe('createScheduler and configs', () => {
  it('lists the valid samplers when the name is unknown', () => {
    expect(() => createScheduler('dpm_fancy' as SchedulerName)).toThrowError(
      expect.objectContaining({
        code: 'unknown_scheduler',
        message: expect.stringContaining('euler_a, heun'),
      }),
    );
    expect(() => createScheduler('toString' as SchedulerName)).toThrowError(/Unknown sampler/);
  });

  it('ignores unknown keys and reports them', () => {
    const { ignoredKeys, config } = parseSchedulerConfig({
      ...SD15_CONFIG,
      _diffusers_version: '0.6.0',
    });
    expect(ignoredKeys).toEqual(
      expect.arrayContaining(['_class_name', 'skip_prk_steps', '_diffusers_version']),
    );
    expect(config.beta_schedule).toBe('scaled_linear');
  });

  it.each([
    [{ beta_schedule: 'cosine' }, 'beta_schedule'],
    [{ prediction_type: 'x0' }, 'prediction_type'],
    [{ timestep_spacing: 'even' }, 'timestep_spacing'],
    [{ num_train_timesteps: -5 }, 'num_train_timesteps'],
    [{ beta_start: 2 }, 'beta_start'],
    [{ steps_offset: 0.5 }, 'steps_offset'],
    [{ use_karras_sigmas: 'yes' }, 'use_karras_sigmas'],
    [{ solver_order: 4 }, 'solver_order'],
    [{ trained_betas: [0.1, 0.2] }, 'trained_betas'],
    [{ final_sigmas_type: 'one' }, 'final_sigmas_type'],
  ])('refuses %j naming %s', (bad, key) => {
    expect(() => createScheduler('euler', { ...SD15_CONFIG, ...bad })).toThrowError(
      expect.objectContaining({
        code: 'invalid_scheduler_config',
        message: expect.stringContaining(key),
      }),
    );
  });

  it('refuses a config that is not an object', () => {
    expect(() => createScheduler('euler', [1, 2])).toThrowError(
      expect.objectContaining({ code: 'invalid_scheduler_config' }),
    );
  });

  it('takes trained_betas and the cosine schedule', () => {
    const betas = Array.from({ length: 1000 }, (_, i) => 0.0001 + (i * 0.0199) / 999);
    const trained = scheduled('ddim', 10, { trained_betas: betas });
    const linear = scheduled('ddim', 10, { beta_schedule: 'linear' });
    const x = new TorchGenerator(1).randn([16]);
    const eps = new TorchGenerator(2).randn([16]);
    const a = trained.step(eps, 901, x);
    const b = linear.step(eps, 901, x);
    for (const [i, v] of a.entries()) expect(v).toBeCloseTo(b[i], 5);
    expect(
      runDummyTrajectory(
        createScheduler('dpmpp_2m', { beta_schedule: 'squaredcos_cap_v2' }),
        10,
      ).sample.every(Number.isFinite),
    ).toBe(true);
  });

  it('supports zero terminal SNR with trailing spacing (SD 2.1 / v-prediction fine-tunes)', () => {
    const config = {
      ...SD15_CONFIG,
      rescale_betas_zero_snr: true,
      timestep_spacing: 'trailing',
      prediction_type: 'v_prediction',
    };
    for (const name of ['ddim', 'euler', 'dpmpp_2m'] as const) {
      const { sample } = runDummyTrajectory(createScheduler(name, config), 10);
      expect(sample.every(Number.isFinite), name).toBe(true);
    }
  });

  it('requires a generator for stochastic steps', () => {
    for (const name of ['euler_a', 'lcm'] as const) {
      const scheduler = scheduled(name, 4);
      const x = new Float32Array(16);
      expect(() => scheduler.step(x, scheduler.timesteps[0], x)).toThrowError(
        expect.objectContaining({ code: 'missing_generator' }),
      );
    }
  });

  it('draws per-item noise from a list of generators, as diffusers does for batches', () => {
    const single = scheduled('euler_a', 4);
    const batched = scheduled('euler_a', 4);
    const t = single.timesteps[0];
    const x = new Float32Array(32).fill(0.5);
    const eps = new Float32Array(32).fill(0.1);
    const one = single.step(eps.subarray(0, 16), t, x.subarray(0, 16), {
      generator: new TorchGenerator(7),
    });
    const two = batched.step(eps, t, x, {
      generator: [new TorchGenerator(7), new TorchGenerator(8)],
    });
    expect(two.subarray(0, 16)).toEqual(one);
    expect(two.subarray(16)).not.toEqual(one);
    expect(() =>
      batched.step(eps.subarray(0, 30), t, x.subarray(0, 30), {
        generator: [
          new TorchGenerator(7),
          new TorchGenerator(8),
          new TorchGenerator(9),
          new TorchGenerator(1),
        ],
      }),
    ).toThrowError(expect.objectContaining({ code: 'shape_mismatch' }));
  });

  it('refuses to step before setTimesteps, and unknown timesteps', () => {
    const euler = createScheduler('euler', SD15_CONFIG);
    expect(() => euler.step(new Float32Array(4), 999, new Float32Array(4))).toThrow(/setTimesteps/);
    euler.setTimesteps(10);
    expect(() => euler.step(new Float32Array(4), 123.5, new Float32Array(4))).toThrowError(
      expect.objectContaining({ code: 'invalid_timestep' }),
    );
    const ddim = scheduled('ddim', 10);
    expect(() => ddim.step(new Float32Array(4), 1000, new Float32Array(4))).toThrowError(
      expect.objectContaining({ code: 'invalid_timestep' }),
    );
  });

  it('refuses more LCM steps than its original schedule', () => {
    expect(() => scheduled('lcm', 51)).toThrowError(
      expect.objectContaining({ code: 'invalid_steps' }),
    );
  });

  it('DDIM with eta 1 needs a generator and uses it', () => {
    const ddim = scheduled('ddim', 10);
    const x = new TorchGenerator(3).randn([16]);
    expect(() => ddim.step(x, 901, x, { eta: 1 })).toThrowError(
      expect.objectContaining({ code: 'missing_generator' }),
    );
    expect(() => ddim.step(x, 901, x, { eta: -1 })).toThrowError(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
    const a = ddim.step(x, 901, x, { eta: 1, generator: new TorchGenerator(1) });
    const b = ddim.step(x, 901, x, { eta: 1, generator: new TorchGenerator(2) });
    expect(a).not.toEqual(b);
  });

  it('refuses a begin index outside the schedule', () => {
    const euler = scheduled('euler', 10);
    expect(() => euler.setBeginIndex(10)).toThrowError(
      expect.objectContaining({ code: 'invalid_argument' }),
    );
  });
});
